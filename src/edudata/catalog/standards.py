"""The data-standard check offered to business systems: one standard type, one or many values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from edudata.catalog import patterns as p
from edudata.catalog.codesets import get_version
from edudata.catalog.messages import error_message
from edudata.catalog.validators import CheckResult, validate
from edudata.errors import NotFound, ValidationFailed


def _code_results(
    session: Session, values: Sequence[object], code_set: str | None, version: str | None
) -> list[dict[str, Any]]:
    if not code_set:
        raise ValidationFailed(
            "code_set：代码型校验须指定代码集", "code_set: a code check names its code set", field="code_set"
        )
    try:
        found = get_version(session, code_set, version)
    except NotFound as exc:
        raise ValidationFailed(exc.zh, exc.en, field=exc.field or "code_set") from exc
    codes = {c.value: c for c in found.codes}
    out = []
    for raw in values:
        text = "" if raw is None else str(raw).strip()
        code = codes.get(text)
        if not text:
            zh, en = error_message("code", p.EMPTY)
            result = CheckResult(False, None, None if raw is None else str(raw), p.EMPTY, zh, en)
        elif code is None or not code.active:
            zh, en = error_message("code", p.NOT_IN_CODE_SET, code_set=f"{code_set}（{found.version}）")
            result = CheckResult(False, text, str(raw), p.NOT_IN_CODE_SET, zh, en)
        else:
            result = CheckResult(
                True, text, str(raw), details={"label": code.label, "label_en": code.label_en}
            )
        view = result.to_dict()
        view["code_set"], view["version"] = code_set, found.version
        out.append(view)
    return out


def validate_values(
    session: Session,
    kind: str,
    values: Sequence[object],
    *,
    code_set: str | None = None,
    version: str | None = None,
    school_code: str | None = None,
) -> list[dict[str, Any]]:
    """Check each value; ``kind="code"`` checks membership in a code set (current version unless named)."""
    if kind == "code":
        return _code_results(session, values, code_set, version)
    return [validate(kind, v, school_code=school_code).to_dict() for v in values]
