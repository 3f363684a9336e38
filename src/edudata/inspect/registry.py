"""Checks as code: a check is a function plus a registration (article, title, severity, scope).

A check reads the platform's own records and yields one :class:`Hit` per violation. Registering one::

    @check("catalog.stale", article="48", severity="medium", scope="unit",
           zh="数据超过同步频率未更新", en="Dataset not updated within its update frequency")
    def stale_datasets(ctx: CheckContext) -> Iterator[Hit]:
        ...
        yield Hit(unit_code, subject="dataset:xs_jbxx", zh="…", en="…", evidence={...})

``requires`` names the domains whose tables the check reads: a check whose domain is not installed is not
registered, so the registry only ever lists checks the database can answer. Check modules live in
``edudata.inspect.checks``; :func:`all_checks` imports every one of them.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.config import Settings
from edudata.errors import ValidationFailed

SEVERITIES = ("high", "medium", "low")
SEVERITY_NAMES = {"high": ("高", "high"), "medium": ("中", "medium"), "low": ("低", "low")}
#: Days a unit has to correct a finding by severity (Art. 64 责令限期改正), unless the office sets a deadline.
DEADLINE_DAYS = {"high": 7, "medium": 15, "low": 30}


@dataclass(frozen=True)
class Hit:
    """One violation: the unit responsible, a subject stable across runs, a sentence in both languages, and the
    evidence (record ids, dates, counts) a unit head can verify."""

    unit_code: str | None
    subject: str
    zh: str
    en: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class CheckContext:
    """What a check may use: a session, the instant of the run, settings (signing keys), the office's unit."""

    session: Session
    now: datetime
    settings: Settings | None = None
    office_unit_code: str | None = None
    school_unit_code: str | None = None

    def aware(self, value: datetime | None) -> datetime | None:
        """SQLite returns naive UTC datetimes; compare everything as aware UTC."""
        if value is None:
            return None
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Check:
    code: str
    article: str
    title_zh: str
    title_en: str
    severity: str
    scope: str  # "school": an obligation of the office (网信办); "unit": of each unit
    requires: tuple[str, ...]
    fn: Callable[[CheckContext], Iterable[Hit]]
    doc: str = ""

    def run(self, ctx: CheckContext) -> list[Hit]:
        return list(self.fn(ctx))


_REGISTRY: dict[str, Check] = {}
_loaded = False


def domain_present(domain: str) -> bool:
    """True when ``edudata.<domain>.models`` exists (the domain's tables are part of the schema)."""
    return bool(
        importlib.util.find_spec(f"edudata.{domain}") and importlib.util.find_spec(f"edudata.{domain}.models")
    )


def check(
    code: str,
    *,
    article: str,
    zh: str,
    en: str,
    severity: str,
    scope: str = "unit",
    requires: tuple[str, ...] = (),
) -> Callable[[Callable[[CheckContext], Iterable[Hit]]], Callable[[CheckContext], Iterable[Hit]]]:
    """Register the decorated function as the check ``code`` (unique) for ``article`` (e.g. ``"64(2)"``)."""
    if severity not in SEVERITIES or scope not in ("school", "unit"):
        raise ValueError(f"check {code}: bad severity or scope")

    def register(fn: Callable[[CheckContext], Iterable[Hit]]) -> Callable[[CheckContext], Iterable[Hit]]:
        if all(domain_present(d) for d in requires):
            _REGISTRY[code] = Check(
                code, article, zh, en, severity, scope, requires, fn, (fn.__doc__ or "").strip()
            )
        return fn

    return register


def _load() -> None:
    global _loaded
    if _loaded:
        return
    from edudata.inspect import checks

    for info in pkgutil.iter_modules(checks.__path__):
        try:
            importlib.import_module(f"{checks.__name__}.{info.name}")
        except (
            ModuleNotFoundError
        ) as err:  # a domain this module reads is not installed: its checks are absent
            if not (err.name or "").startswith("edudata."):
                raise
    _loaded = True


def all_checks() -> list[Check]:
    """Every registered check, ordered by article then code."""
    _load()
    return sorted(_REGISTRY.values(), key=lambda c: (article_key(c.article), c.code))


def get_checks(codes: Iterable[str] | None) -> list[Check]:
    """The checks named by ``codes`` (all when None); an unknown code is refused naming it."""
    checks = all_checks()
    if codes is None:
        return checks
    wanted = list(dict.fromkeys(codes))
    known = {c.code: c for c in checks}
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise ValidationFailed(
            f"检查项 {', '.join(unknown)[:120]} 不存在",
            f"unknown check {', '.join(unknown)[:120]}",
            field="checks",
        )
    if not wanted:
        raise ValidationFailed("请至少选择一个检查项", "choose at least one check", field="checks")
    return [known[c] for c in wanted]


def article_key(article: str) -> tuple[int, str]:
    first = re.match(r"\d+", article)
    return (int(first.group()) if first else 0, article)


def article_label(article: str) -> tuple[str, str]:
    """``"64(2)"`` → ("第六十四条第（二）项", "Art. 64(2)"); ``"12/53"`` → ("第十二条、第五十三条", "Art. 12/53")."""
    if "/" in article:
        return "、".join(article_label(a)[0] for a in article.split("/")), f"Art. {article}"
    main, _, item = article.partition("(")
    item = item.rstrip(")")
    zh = f"第{_cn(int(main))}条" if main.isdigit() else main
    if item.isdigit():
        zh += f"第（{_cn(int(item))}）项"
    return zh, f"Art. {article}"


_DIGITS = "〇一二三四五六七八九"


def _cn(n: int) -> str:
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def unit_codes_of_type(session: Session, unit_type: str) -> list[str]:
    from edudata.org.models import Unit

    return list(
        session.execute(select(Unit.code).where(Unit.unit_type == unit_type).order_by(Unit.code)).scalars()
    )


def iter_hits(ctx: CheckContext, checks: Iterable[Check]) -> Iterator[tuple[Check, Hit]]:
    for c in checks:
        for hit in c.run(ctx):
            yield c, hit
