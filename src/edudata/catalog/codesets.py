"""Code sets as versioned data (代码集, Art. 8(2)): read, check membership, publish a new version (office).

The current version of a code set is the latest one already in effect; older versions stay readable, so a
value recorded under an earlier version can still be explained.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from edudata.catalog.inputs import CODE_SET_CODE, CODE_VALUE, clean_code, clean_name, clean_text
from edudata.catalog.models import Code, CodeSet, CodeSetVersion
from edudata.clock import today_in_china
from edudata.errors import Conflict, NotFound, ValidationFailed

MAX_CODES = 5000


def list_code_sets(session: Session) -> list[CodeSet]:
    return list(session.scalars(select(CodeSet).options(selectinload(CodeSet.versions)).order_by(CodeSet.id)))


def get_code_set(session: Session, code: str) -> CodeSet:
    found = session.scalar(select(CodeSet).where(CodeSet.code == code))
    if found is None:
        raise NotFound(f"代码集 {code} 不存在", f"code set {code} does not exist", field="code_set")
    return found


def current_version(code_set: CodeSet, today: date | None = None) -> CodeSetVersion | None:
    """The latest version whose ``effective_from`` has come (ties: the later published)."""
    today = today or today_in_china()
    in_effect = [v for v in code_set.versions if v.effective_from <= today]
    return max(in_effect, key=lambda v: (v.effective_from, v.id)) if in_effect else None


def get_version(session: Session, code: str, version: str | None = None) -> CodeSetVersion:
    """A named version, or the current one when ``version`` is None."""
    code_set = get_code_set(session, code)
    if version is None:
        found = current_version(code_set)
        if found is None:
            raise NotFound(f"代码集 {code} 尚无生效版本", f"code set {code} has no version in effect yet")
        return found
    for v in code_set.versions:
        if v.version == version:
            return v
    raise NotFound(
        f"代码集 {code} 没有版本 {version}", f"code set {code} has no version {version}", field="version"
    )


def member_values(
    session: Session, code: str, *, version: str | None = None, include_inactive: bool = False
) -> frozenset[str]:
    """All values of a version (current unless named), for vectorised checks: ``pl.col(c).is_in(values)``."""
    v = get_version(session, code, version)
    return frozenset(c.value for c in v.codes if c.active or include_inactive)


def is_member(
    session: Session, code: str, value: str, *, version: str | None = None, include_inactive: bool = False
) -> bool:
    """Is ``value`` a code of ``code`` (current version unless ``version`` is named)?"""
    return value in member_values(session, code, version=version, include_inactive=include_inactive)


def label_of(
    session: Session, code: str, value: str, *, version: str | None = None
) -> tuple[str, str] | None:
    for c in get_version(session, code, version).codes:
        if c.value == value:
            return c.label, c.label_en
    return None


def _clean_codes(codes: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, raw in enumerate(codes):
        field = f"codes[{i}]"
        value = clean_code(
            str(raw.get("value", "")), f"{field}.value", CODE_VALUE, max_length=64, hint="字母数字"
        )
        if value in seen:
            raise ValidationFailed(
                f"{field}：代码 {value} 重复", f"{field}: code {value} appears twice", field=field
            )
        seen.add(value)
        attributes = raw.get("attributes") or None
        if attributes is not None and not isinstance(attributes, Mapping):
            raise ValidationFailed(f"{field}.attributes：应为对象", f"{field}.attributes: must be an object")
        cleaned.append(
            {
                "value": value,
                "label": clean_name(raw.get("label"), f"{field}.label", max_length=200),
                "label_en": clean_name(
                    raw.get("label_en"), f"{field}.label_en", max_length=200, required=False
                ),
                "active": bool(raw.get("active", True)),
                "attributes": dict(attributes) if attributes else None,
                "position": i,
            }
        )
    if not cleaned:
        raise ValidationFailed(
            "代码集版本至少需要一个代码", "a code set version needs at least one code", field="codes"
        )
    if len(cleaned) > MAX_CODES:
        raise ValidationFailed(f"代码不能超过 {MAX_CODES} 个", f"at most {MAX_CODES} codes", field="codes")
    return cleaned


def publish_version(
    session: Session,
    code: str,
    *,
    version: str,
    effective_from: date,
    codes: Iterable[Mapping[str, Any]],
    note: str = "",
    created_by: str | None = None,
) -> CodeSetVersion:
    """Publish a new version of a code set; earlier versions are kept unchanged (office only, Art. 8(2))."""
    code_set = get_code_set(session, code)
    version = clean_code(version, "version", CODE_VALUE, max_length=64, hint="字母数字、点、横线")
    if any(v.version == version for v in code_set.versions):
        raise Conflict(
            f"代码集 {code} 已有版本 {version}，已发布的版本不可修改",
            f"code set {code} already has version {version}; published versions are never changed",
            field="version",
        )
    cleaned = _clean_codes(codes)
    new = CodeSetVersion(
        code_set=code_set,
        version=version,
        effective_from=effective_from,
        created_by=created_by,
        note=clean_text(note, "note", max_length=1000),
    )
    session.add(new)
    for c in cleaned:
        session.add(Code(version=new, **c))
    session.flush()
    return new


def create_code_set(
    session: Session,
    *,
    code: str,
    name: str,
    name_en: str = "",
    source: str = "",
    licence: str = "",
    version: str = "1",
    effective_from: date | None = None,
    codes: Iterable[Mapping[str, Any]] = (),
    note: str = "",
    created_by: str | None = None,
) -> CodeSet:
    """A new code set with its first version (e.g. the school's own 职称 list)."""
    code = clean_code(code, "code", CODE_SET_CODE, max_length=64, hint="小写字母、数字和下划线")
    if session.scalar(select(CodeSet.id).where(CodeSet.code == code)) is not None:
        raise Conflict(f"代码集 {code} 已存在", f"code set {code} already exists", field="code")
    code_set = CodeSet(
        code=code,
        name=clean_name(name, "name", max_length=200),
        name_en=clean_name(name_en, "name_en", max_length=200, required=False),
        source=clean_text(source, "source", max_length=500),
        licence=clean_text(licence, "licence", max_length=300),
    )
    session.add(code_set)
    session.flush()
    publish_version(
        session,
        code,
        version=version,
        effective_from=effective_from or today_in_china(),
        codes=codes,
        note=note,
        created_by=created_by,
    )
    return code_set
