"""Element-level checks before any write through the data path (C1 data standards; Art. 23-24).

Each value is checked against its element's type and code set; normalised values (full-width digits, lowercase
x in an ID number, spaced mobiles) are stored in their standard form. A write through the API is all or
nothing: one bad value refuses the whole request with every problem listed (bulk collection with quarantine
is the ingest domain's job).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from edudata.catalog.validators import VALIDATORS
from edudata.errors import ValidationFailed
from edudata.store.spec import DatasetSpec, ElementSpec

MAX_PROBLEMS = 50


def _problem(row: int, element: ElementSpec, zh: str, en: str) -> dict[str, Any]:
    return {
        "row": row,
        "element": element.code,
        "message_zh": f"{element.name}：{zh}",
        "message_en": f"{element.code}: {en}",
    }


def _check(
    element: ElementSpec, value: Any, code_values: set[str] | None
) -> tuple[Any, tuple[str, str] | None]:
    t = element.data_type
    if t == "integer":
        if isinstance(value, bool):
            return None, ("应为整数", "must be an integer")
        try:
            return int(str(value).strip()), None
        except ValueError:
            return None, ("应为整数", "must be an integer")
    if t == "decimal":
        try:
            return Decimal(str(value).strip()), None
        except InvalidOperation:
            return None, ("应为数字", "must be a number")
    if t == "boolean":
        if isinstance(value, bool):
            return value, None
        return None, ("应为是/否", "must be true or false")
    if t == "date":
        if isinstance(value, date):
            return value, None
        result = VALIDATORS["date"](value)
        if not result.ok:
            return None, (result.message_zh, result.message_en)
        return date.fromisoformat(result.value), None
    if t in VALIDATORS:
        result = VALIDATORS[t](value)
        if not result.ok:
            return None, (result.message_zh, result.message_en)
        value = result.value
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None, ("应为文本", "must be text")
    text = str(value).strip()
    limit = element.max_length or 255
    if len(text) > limit:
        return None, (f"超过最大长度 {limit}", f"longer than {limit} characters")
    if code_values is not None and text not in code_values:
        return None, (
            f"代码“{text[:20]}”不在代码集 {element.code_set} 中",
            f"code '{text[:20]}' is not in code set {element.code_set}",
        )
    return text, None


def validate_rows(
    session: Session, spec: DatasetSpec, rows: Sequence[Mapping[str, Any]], *, partial: bool = False
) -> list[dict[str, Any]]:
    """Checked, normalised copies of ``rows``; raises :class:`ValidationFailed` listing every problem."""
    from edudata.access.specs import current_code_values

    code_sets = {e.code_set: current_code_values(session, e.code_set) for e in spec.elements if e.code_set}
    problems: list[dict[str, Any]] = []
    clean_rows: list[dict[str, Any]] = []
    known = set(spec.element_codes)
    for i, row in enumerate(rows, start=1):
        clean: dict[str, Any] = {}
        for key in row:
            if key not in known:
                problems.append(
                    {
                        "row": i,
                        "element": str(key)[:40],
                        "message_zh": f"数据集中没有数据元素 {str(key)[:40]}",
                        "message_en": f"unknown element {str(key)[:40]}",
                    }
                )
        for element in spec.elements:
            if element.code not in row:
                if element.required and not partial:
                    problems.append(_problem(i, element, "必填项缺失", "required value missing"))
                continue
            value = row[element.code]
            if value is None or (isinstance(value, str) and not value.strip()):
                if element.required:
                    problems.append(_problem(i, element, "必填项为空", "required value is empty"))
                clean[element.code] = None
                continue
            checked, error = _check(element, value, code_sets.get(element.code_set))
            if error:
                problems.append(_problem(i, element, *error))
            else:
                clean[element.code] = checked
        clean_rows.append(clean)
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        first = problems[0]
        raise ValidationFailed(
            f"第 {first['row']} 行 {first['message_zh']}（共 {len(problems)} 处问题，未写入任何数据）",
            f"row {first['row']}: {first['message_en']} ({len(problems)} problems; nothing was written)",
            problems=problems[:MAX_PROBLEMS],
        )
    return clean_rows
