"""Vectorised quality rules (Art. 20-23): normalisation, accuracy, completeness, uniqueness, integrity.

Each rule is a Polars expression over the whole batch that yields an error code per row (null when the row
passes), so a million rows are checked in a few columnar passes. Rules come from the catalogue's data
standards (type, length, code set, required), the dataset's unique and unit elements, and the office's own
rules (regex, range, allowed values, cross-field). Other domains add batch checks through
:func:`register_check` (see ``docs/ingest.md``): a function of the frame returning per-row failures.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from edudata.catalog import patterns as p
from edudata.catalog.vectorised import id_number_check_expr
from edudata.clock import today_in_china
from edudata.store.spec import DatasetSpec, ElementSpec

_WS_ALL = p.WHITESPACE_RE
_WS_CHARS = p.WHITESPACE_CHARS
_WIDE = [chr(c) for c in range(0xFF01, 0xFF5F)]
_NARROW = [chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)]
EXCEL_EPOCH = date(1899, 12, 30)
# Excel serial numbers accepted as dates: 10000 (1927-05-18) … 80000 (2119-01-10); shorter numbers are no date.
SERIAL_MIN, SERIAL_MAX = 10_000, 80_000
_YMD = r"^([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?(?:[T ][0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?$"
_COMPACT = r"^([0-9]{4})([0-9]{2})([0-9]{2})$"
_ZERO_TIME = r"[T\s\u3000]+0{1,2}:00(?::00(?:\.0+)?)?[\s\u3000]*$"
_EMAIL = r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+$"
_NAME = r"^\p{L}+(?:[ ·•.\-'’]\p{L}+)*$"
TRUE_WORDS = ("true", "1", "y", "yes", "是", "t")
BOOL_WORDS = (*TRUE_WORDS, "false", "0", "n", "no", "否", "f")


@dataclass(frozen=True)
class RuleSpec:
    """An office rule: ``kind`` regex | range | allowed | cross_field, with its parameters."""

    id: int
    element: str
    kind: str
    params: Mapping[str, Any]
    message_zh: str = ""
    message_en: str = ""


@dataclass
class CheckContext:
    """What a batch check may know besides the frame (read-only)."""

    spec: DatasetSpec
    unit_code: str
    code_sets: Mapping[str, set[str]] = field(default_factory=dict)
    unit_codes: set[str] = field(default_factory=set)
    unique: tuple[str, ...] = ()
    key: str | None = None
    rules: Sequence[RuleSpec] = ()
    # element → {value already in the store → key of the row holding it}, for uniqueness against the store
    existing: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # The collecting request's database session and settings, for checks that must look things up (consent).
    session: Any = None
    settings: Any = None
    # code set → {label (and English label) → code}, for values typed as labels (男 for 1)
    code_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    """A built-in rule: its name, the element it reports on, the quality dimension, and its expression."""

    rule: str
    element: str
    dimension: str  # accuracy | completeness | uniqueness | integrity | custom
    expr: pl.Expr


# A registered batch check: frame (normalised, with _row) and context → failures with columns
# _row, element, rule, message_zh, message_en and optionally action ("quarantine" or "drop_value").
BatchCheck = Callable[[pl.DataFrame, CheckContext], pl.DataFrame | None]
_REGISTRY: dict[str, tuple[BatchCheck, frozenset[str] | None]] = {}
FAILURE_SCHEMA = {
    "_row": pl.Int64,
    "element": pl.String,
    "rule": pl.String,
    "code": pl.String,
    "message_zh": pl.String,
    "message_en": pl.String,
    "action": pl.String,
}


def register_check(name: str, check: BatchCheck, *, datasets: Sequence[str] | None = None) -> None:
    """Run ``check`` on every batch (of ``datasets`` only, when given) after the built-in rules."""
    _REGISTRY[name] = (check, frozenset(datasets) if datasets else None)


def unregister_check(name: str) -> None:
    _REGISTRY.pop(name, None)


_DOMAINS_LOADED = False


def load_domain_checks() -> None:
    """Install every domain's batch checks once per process — web app, CLI, worker, demo loader alike — so a
    batch passes the same rules on every channel (Art. 51's among them). A domain offers them as
    ``edudata.<domain>.batch_checks.install()``; found by name, as the app finds routes, so ingest imports no
    other feature domain."""
    global _DOMAINS_LOADED
    if _DOMAINS_LOADED:
        return
    import importlib
    import importlib.util

    from edudata.schema import DOMAINS

    for domain in DOMAINS:
        name = f"edudata.{domain}.batch_checks"
        if importlib.util.find_spec(f"edudata.{domain}") and importlib.util.find_spec(name):
            importlib.import_module(name).install()
    _DOMAINS_LOADED = True


def registered_checks(dataset: str) -> list[tuple[str, BatchCheck]]:
    load_domain_checks()
    return [(n, fn) for n, (fn, only) in _REGISTRY.items() if only is None or dataset in only]


# -- normalisation ---------------------------------------------------------------------------------------------
# Most values are already clean: each normaliser finds the few that are not with one cheap scan and fixes only
# those (a batch-wise ``map_batches``, never a Python call per row of the whole batch).
_WIDE_TABLE = str.maketrans(dict(zip(_WIDE, _NARROW, strict=True)))
_DIRTY = "[" + _WS_CHARS + "\uff01-\uff5e]"


def _fix_subset(series: pl.Series, dirty: pl.Series, fix: Callable[[str], str]) -> pl.Series:
    if not dirty.any():
        return series
    index = dirty.arg_true()
    fixed = [None if v is None else fix(v) for v in series.gather(index).to_list()]
    return series.scatter(index, pl.Series(fixed, dtype=pl.String))


def _strip_all(text: str) -> str:
    return "".join(ch for ch in text.translate(_WIDE_TABLE) if ch not in _WS_CHARS)


def _clean_all(v: pl.Expr) -> pl.Expr:
    """No white space anywhere, full-width forms folded to ASCII."""

    def run(series: pl.Series) -> pl.Series:
        series = series.cast(pl.String)
        return _fix_subset(series, series.str.contains(_DIRTY).fill_null(False), _strip_all)

    return v.map_batches(run, return_dtype=pl.String, is_elementwise=True)


def _trim(v: pl.Expr) -> pl.Expr:
    return v.str.strip_chars(_WS_CHARS)


_HAN_GAP = "(\\p{Han})[" + _WS_CHARS + "]+(\\p{Han})"


def _name(v: pl.Expr) -> pl.Expr:
    """A person's name: a Chinese name has no spaces (GB/T 28039-2011 writes the characters together, an
    ideographic space between them is layout, 王　芳 → 王芳); elsewhere a run of spaces becomes one ASCII space
    (Zhang San, 买买提·艾力)."""
    trimmed = _trim(v)
    joined = trimmed.str.replace_all(_HAN_GAP, "${1}${2}").str.replace_all(_HAN_GAP, "${1}${2}")
    return joined.str.replace_all("[" + _WS_CHARS + "]+", " ")


def _digits_only_wide(v: pl.Expr) -> pl.Expr:
    """White space at the ends trimmed, full-width digits folded (names of places and majors keep the rest)."""

    def run(series: pl.Series) -> pl.Series:
        series = series.cast(pl.String).str.strip_chars(_WS_CHARS)
        return _fix_subset(
            series, series.str.contains("[０-９]").fill_null(False), lambda t: t.translate(_WIDE_TABLE)
        )

    return v.map_batches(run, return_dtype=pl.String, is_elementwise=True)


def _ymd(c: pl.Expr, pattern: str) -> pl.Expr:
    parts = [c.str.extract(pattern, i) for i in (1, 2, 3)]
    text = pl.concat_str([parts[0], parts[1].str.zfill(2), parts[2].str.zfill(2)], separator="-")
    return text.str.strptime(pl.Date, "%Y-%m-%d", strict=False)


def _slow_dates(c: pl.Expr) -> pl.Expr:
    serial = c.str.extract(r"^([0-9]{5})(?:\.0+)?$", 1).cast(pl.Int64, strict=False)
    serial = pl.when(serial.is_between(SERIAL_MIN, SERIAL_MAX)).then(serial)
    from_serial = pl.lit(EXCEL_EPOCH, dtype=pl.Date) + pl.duration(days=serial)
    return pl.coalesce(_ymd(c, _YMD), _ymd(c, _COMPACT), from_serial)


def parse_date_expr(v: pl.Expr) -> pl.Expr:
    """Dates as people type them: 2003-05-01, 2003/5/1, 2003.5.1, 2003年5月1日, 20030501, Excel serials.
    ISO dates take the fast path; only the others run the pattern matching."""

    def run(series: pl.Series) -> pl.Series:
        # A date-time with a zero time (2008-09-10 00:00:00, as Excel and databases export dates) is the date.
        text = series.cast(pl.String).str.replace(_ZERO_TIME, "")
        frame = pl.DataFrame({"v": text}).with_columns(_clean_all(pl.col("v")).alias("c"))
        fast = frame.get_column("c").str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        todo = fast.is_null() & frame.get_column("c").is_not_null()
        if not todo.any():
            return fast.alias(series.name)
        index = todo.arg_true()
        slow = frame.select(pl.col("c").gather(index)).select(_slow_dates(pl.col("c"))).to_series()
        return fast.scatter(index, slow).alias(series.name)

    return v.map_batches(run, return_dtype=pl.Date, is_elementwise=True)


_MOBILE_SEPARATORS = re.compile(p.MOBILE_SEPARATORS_RE)


def _fix_mobile(text: str) -> str:
    c = _MOBILE_SEPARATORS.sub("", _strip_all(text))
    for prefix in ("+86", "0086"):
        if c.startswith(prefix):
            return c[len(prefix) :]
    return c[2:] if c.startswith("86") and len(c) == 13 else c


def _mobile(v: pl.Expr) -> pl.Expr:
    """Separators, white space and the +86 / 0086 country code removed (only values not already 11 digits)."""

    def run(series: pl.Series) -> pl.Series:
        series = series.cast(pl.String)
        return _fix_subset(series, ~series.str.contains("^[0-9]{11}$").fill_null(True), _fix_mobile)

    return v.map_batches(run, return_dtype=pl.String, is_elementwise=True)


_WEIGHTS = np.asarray(p.ID_WEIGHTS, dtype=np.int64)


def id_number_error_expr(n: pl.Expr, today: date | None = None) -> pl.Expr:
    """GB 11643 error code of normalised ID numbers, the catalogue's codes: well-formed 18-digit numbers are
    checked with one numpy dot product; only the rest go through :func:`id_number_check_expr` for their code."""

    def run(series: pl.Series) -> pl.Series:
        series = series.cast(pl.String)
        shaped = series.str.contains("^[0-9]{17}[0-9X]$").fill_null(False)
        ok = np.zeros(len(series), dtype=bool)
        index = shaped.arg_true().to_numpy()
        if len(index):
            shaped_ids = series.gather(index)
            # The 17 digits as one integer, taken apart digit by digit in numpy (no Python string per row).
            number = shaped_ids.str.slice(0, 17).str.to_integer().to_numpy()
            total = np.zeros(len(number), dtype=np.int64)
            for weight in _WEIGHTS[::-1]:
                number, digit = np.divmod(number, 10)
                total += digit * weight
            last = shaped_ids.str.slice(17, 1)
            check = pl.select(
                pl.when(last == "X").then(10).otherwise(last.cast(pl.Int64, strict=False))
            ).to_series()
            # MOD 11-2: the weighted sum of all 18 characters (X = 10, weight 1) is 1 modulo 11.
            valid = (total + check.to_numpy()) % 11 == 1
            born = shaped_ids.str.slice(6, 8).str.strptime(pl.Date, "%Y%m%d", strict=False)
            in_range = (born >= date(p.MIN_BIRTH_YEAR, 1, 1)) & (born <= (today or today_in_china()))
            ok[index] = valid & in_range.fill_null(False).to_numpy()
        out = pl.Series(series.name, [None] * len(series), dtype=pl.String)
        todo = pl.Series(~ok) & series.is_not_null()
        if todo.any():
            slow = todo.arg_true()
            codes = (
                pl.DataFrame({"v": series.gather(slow)}).select(id_number_check_expr(pl.col("v"))).to_series()
            )
            out = out.scatter(slow, codes)
        return out

    return n.map_batches(run, return_dtype=pl.String, is_elementwise=True)


def normalise_expr(element: ElementSpec, raw: pl.Expr) -> pl.Expr:
    """The standard form of an element's values (null for empty); what is stored if the row passes."""
    t = element.data_type
    if t == "id_number":
        n = _clean_all(raw).str.replace_all("x", "X", literal=True)
    elif t == "mobile":
        n = _mobile(raw)
    elif t == "bank_card":
        n = _clean_all(raw).str.replace_all("-", "", literal=True)
    elif t == "date":
        n = pl.coalesce(parse_date_expr(raw).dt.to_string("%Y-%m-%d"), _clean_all(raw))
    elif t in ("integer", "decimal", "code", "boolean", "email"):
        n = _clean_all(raw)
    elif t == "name":
        n = _name(raw)
    elif t == "address":
        n = _trim(raw)
    else:
        n = _digits_only_wide(raw)
    return pl.when(n.str.len_chars() > 0).then(n)


def normalisation_report(work: pl.DataFrame, elements: Sequence[str]) -> dict[str, dict]:
    """Per element: how many values were changed to their standard form, and how (Art. 23 accuracy)."""
    changed = {e: pl.col(e).is_not_null() & N(e).is_not_null() & (pl.col(e) != N(e)) for e in elements}
    counts = (
        work.lazy().select([c.sum().alias(e) for e, c in changed.items()]).collect().row(0, named=True)
        if elements
        else {}
    )
    out: dict[str, dict] = {}
    for e in elements:
        if not counts[e]:
            continue
        raw = work.select(pl.col(e).filter(changed[e])).to_series()  # the few changed values only
        wide = int(raw.str.contains("[\uff01-\uff5e]").sum())
        spaces = int(raw.str.contains(_WS_ALL).sum())
        out[e] = {"changed": int(counts[e]), "whitespace": spaces, "fullwidth": wide}
        out[e]["format"] = out[e]["changed"] - max(spaces, wide)
    return out


# -- built-in checks ---------------------------------------------------------------------------------------------
def N(element: str) -> pl.Expr:  # noqa: N802 - reads as a symbol
    """The normalised column of ``element`` in the working frame."""
    return pl.col(f"n|{element}")


def _code(cond: pl.Expr, code: str) -> pl.Expr:
    return pl.when(cond).then(pl.lit(code))


def _type_check(e: ElementSpec, raw: pl.Expr, n: pl.Expr, ctx: CheckContext) -> pl.Expr | None:
    t = e.data_type
    if t == "id_number":
        return pl.when(n.is_not_null()).then(id_number_error_expr(n))
    if t == "mobile":
        return (
            pl.when(n.is_null()).then(None)
            .when(~n.str.contains("^[0-9]+$")).then(pl.lit(p.BAD_CHARACTER))
            .when(n.str.len_chars() != 11).then(pl.lit(p.BAD_LENGTH))
            .when(~n.str.contains(p.MOBILE_RE)).then(pl.lit(p.BAD_PREFIX))
        )  # fmt: skip
    if t == "date":
        parsed = n.str.strptime(pl.Date, "%Y-%m-%d", strict=False)  # what could be read is ISO already
        shaped = n.str.contains(_YMD) | n.str.contains(_COMPACT)
        return pl.when(n.is_not_null() & parsed.is_null()).then(
            pl.when(shaped).then(pl.lit(p.BAD_DATE)).otherwise(pl.lit(p.BAD_FORMAT))
        )
    if t == "integer":
        return _code(n.is_not_null() & n.cast(pl.Int64, strict=False).is_null(), "not_integer")
    if t == "decimal":
        return _code(n.is_not_null() & n.cast(pl.Float64, strict=False).is_null(), "not_number")
    if t == "boolean":
        return _code(n.is_not_null() & ~n.str.to_lowercase().is_in(BOOL_WORDS), "not_boolean")
    if t == "email":
        return _code(n.is_not_null() & ~n.str.contains(_EMAIL), p.BAD_FORMAT)
    if t == "bank_card":
        return _code(n.is_not_null() & ~n.str.contains("^[0-9]{12,19}$"), p.BAD_FORMAT)
    if t == "name":
        return _code(n.is_not_null() & ~n.str.contains(_NAME), p.BAD_CHARACTER)
    return None


def builtin_checks(norm: pl.DataFrame, ctx: CheckContext) -> list[Check]:
    """The data-standard rules of every element present, then uniqueness, integrity and office rules."""
    spec, checks = ctx.spec, []
    for e in spec.elements:
        if e.code not in norm.columns:
            continue
        raw, n = pl.col(e.code), N(e.code)
        if e.required:
            cleared = pl.col(f"_clear|{e.code}") if f"_clear|{e.code}" in norm.columns else pl.lit(False)
            checks.append(Check("required", e.code, "completeness", _code(cleared, "cannot_clear_required")
                                .when(n.is_null()).then(pl.lit(p.EMPTY))))  # fmt: skip
        typed = _type_check(e, raw, n, ctx)
        if typed is not None:
            checks.append(Check(f"type:{e.data_type}", e.code, "accuracy", typed))
        limit = e.max_length or 255
        checks.append(Check("max_length", e.code, "accuracy", _code(n.str.len_chars() > limit, p.TOO_LONG)))
        if e.code_set:
            allowed = pl.Series(sorted(ctx.code_sets.get(e.code_set, set())), dtype=pl.String)
            checks.append(
                Check(
                    f"code_set:{e.code_set}",
                    e.code,
                    "accuracy",
                    _code(n.is_not_null() & ~n.is_in(allowed.implode()), p.NOT_IN_CODE_SET),
                )
            )
    for u in ctx.unique:
        if u not in norm.columns:
            continue
        n = N(u)
        checks.append(
            Check(
                "unique",
                u,
                "uniqueness",
                _code(n.is_not_null() & ~n.is_first_distinct(), "duplicate_in_batch"),
            )
        )
        seen = ctx.existing.get(u)
        if seen:
            keys = pl.DataFrame(
                {"v": list(seen), "k": list(seen.values())}, schema={"v": pl.String, "k": pl.String}
            )
            mine = norm.select(
                N(u).alias("v"),
                (N(ctx.key) if ctx.key and u != ctx.key else pl.lit(None, pl.String)).alias("me"),
            )
            other = mine.join(keys, on="v", how="left", maintain_order="left").get_column("k")
            clash = other.is_not_null() & (other != mine.get_column("me")).fill_null(True)
            checks.append(Check("unique_store", u, "uniqueness", _code(pl.lit(clash), "duplicate_in_store")))
    if spec.unit_element and spec.unit_element in norm.columns:
        n = N(spec.unit_element)
        units = pl.Series(sorted(ctx.unit_codes), dtype=pl.String)
        checks.append(
            Check(
                "unit_exists",
                spec.unit_element,
                "integrity",
                _code(n.is_not_null() & ~n.is_in(units.implode()), "unknown_unit"),
            )
        )
    for rule in ctx.rules:
        expr = office_rule_expr(rule, norm)
        if expr is not None and rule.element in norm.columns:
            checks.append(Check(f"rule:{rule.id}", rule.element, "custom", expr))
    return checks


def office_rule_expr(rule: RuleSpec, norm: pl.DataFrame) -> pl.Expr | None:
    """An office rule as an expression over the normalised batch (null where the row passes)."""
    if f"n|{rule.element}" not in norm.columns:
        return None
    n, params = N(rule.element), rule.params
    if rule.kind == "regex":
        return _code(n.is_not_null() & ~n.str.contains(str(params["pattern"])), "regex_mismatch")
    if rule.kind == "range":
        x = n.cast(pl.Float64, strict=False)
        low, high = params.get("min"), params.get("max")
        bad = pl.lit(False)
        if low is not None:
            bad = bad | (x < float(low))
        if high is not None:
            bad = bad | (x > float(high))
        return _code(n.is_not_null() & (x.is_null() | bad), "out_of_range")
    if rule.kind == "width":
        digits = int(params.get("digits") or 0)
        return _code(n.is_not_null() & ~n.str.contains(f"^[0-9]{{{digits}}}$"), "bad_width")
    if rule.kind == "allowed":
        values = pl.Series([str(v) for v in params.get("values", [])], dtype=pl.String)
        return _code(n.is_not_null() & ~n.is_in(values.implode()), "not_allowed")
    if rule.kind == "cross_field":
        other = str(params.get("id_element", ""))
        if f"n|{other}" not in norm.columns:
            return None
        ident = N(other)
        is18 = ident.str.contains("^[0-9]{17}[0-9X]$")
        is15 = ident.str.contains("^[0-9]{15}$")
        if params.get("check") == "id_birth_date":
            text = (
                pl.when(is18)
                .then(ident.str.slice(6, 8))
                .when(is15)
                .then(pl.lit("19") + ident.str.slice(6, 6))
            )
            born = text.str.strptime(pl.Date, "%Y%m%d", strict=False).dt.to_string("%Y-%m-%d")
            valid = n.str.strptime(
                pl.Date, "%Y-%m-%d", strict=False
            ).is_not_null()  # a bad date fails on its own
            return _code(valid & born.is_not_null() & (born != n), p.BIRTH_DATE_MISMATCH)
        if params.get("check") == "id_gender":
            digit = pl.when(is18).then(ident.str.slice(16, 1)).when(is15).then(ident.str.slice(14, 1))
            implied = (
                pl.when(digit.cast(pl.Int64, strict=False) % 2 == 1)
                .then(pl.lit("1"))
                .when(digit.is_not_null())
                .then(pl.lit("2"))
            )
            return _code(n.is_in(["1", "2"]) & implied.is_not_null() & (implied != n), p.GENDER_MISMATCH)
    return None


def default_cross_rules(spec: DatasetSpec) -> list[RuleSpec]:
    """Birth date and gender must agree with the ID number (GB 11643 digits 7-14 and 17) when both are present."""
    ids = [e.code for e in spec.elements if e.data_type == "id_number"]
    if not ids:
        return []
    rules = []
    for e in spec.elements:
        if e.data_type == "date" and e.code in ("CSRQ",):
            rules.append(RuleSpec(0, e.code, "cross_field", {"check": "id_birth_date", "id_element": ids[0]}))
        if e.code_set == "gender":
            rules.append(RuleSpec(0, e.code, "cross_field", {"check": "id_gender", "id_element": ids[0]}))
    return rules
