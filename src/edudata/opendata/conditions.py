"""The conditions of conditional open data (有条件开放, Art. 44(2)).

The provider states them with the proposal: who may apply (``applicant``), for what purpose (``purpose``) and
with which commitments (``commitment``) — at least one of each. The portal shows them; an application answers
every one (a statement for who and for what, an explicit acceptance for a commitment); the office's review
checks every answer and cannot approve while one is missing or not met. Services flush and never commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from edudata.errors import Conflict, ValidationFailed

KINDS: dict[str, tuple[str, str]] = {
    "applicant": ("申请主体", "who may apply"),
    "purpose": ("用途", "purpose"),
    "commitment": ("承诺事项", "commitment"),
}
MAX_CONDITIONS = 20
MAX_TEXT = 500
MAX_ANSWER = 2000


def _text(value: Any, field: str, limit: int, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if (required and not text) or len(text) > limit:
        raise ValidationFailed(
            f"{field}：必填，且不超过 {limit} 字",
            f"{field}: required, at most {limit} characters",
            field=field,
        )
    return text


def clean_conditions(value: Any, open_category: str) -> list[dict[str, str]]:
    """The provider's conditions, checked: for a conditional view one or more of each kind, numbered
    ``c1``, ``c2`` … in the order given; an unconditional view states none (it is open to anyone)."""
    if open_category != "conditional":
        if value:
            raise ValidationFailed(
                "无条件开放的数据不设开放条件",
                "unconditionally open data has no conditions",
                field="conditions",
            )
        return []
    if not isinstance(value, list) or not value or len(value) > MAX_CONDITIONS:
        raise ValidationFailed(
            f"有条件开放须说明开放条件（申请主体、用途、承诺事项，至多 {MAX_CONDITIONS} 条，第四十四条）",
            f"conditional data states its conditions (who may apply, for what, which commitments; at most "
            f"{MAX_CONDITIONS}; Art. 44(2))",
            field="conditions",
        )
    out = []
    for i, item in enumerate(value, start=1):
        if not isinstance(item, Mapping) or item.get("kind") not in KINDS:
            raise ValidationFailed(
                f"conditions[{i}]：类型应为 applicant、purpose 或 commitment",
                f"conditions[{i}]: kind is applicant, purpose or commitment",
                field="conditions",
            )
        out.append({
            "id": f"c{i}", "kind": str(item["kind"]),
            "text": _text(item.get("text"), f"conditions[{i}].text", MAX_TEXT),
            "text_en": _text(item.get("text_en"), f"conditions[{i}].text_en", MAX_TEXT, required=False),
        })  # fmt: skip
    missing = [k for k in KINDS if not any(c["kind"] == k for c in out)]
    if missing:
        raise ValidationFailed(
            f"开放条件缺少：{'、'.join(KINDS[k][0] for k in missing)}（第四十四条：申请主体、用途、承诺事项）",
            f"the conditions lack: {', '.join(KINDS[k][1] for k in missing)} (Art. 44(2): who, for what, "
            "which commitments)",
            field="conditions",
            missing=missing,
        )
    return out


def conditions_from_lines(applicant: str, purpose: str, commitment: str) -> list[dict[str, str]]:
    """The propose page's three text areas (one condition a line) as the list :func:`clean_conditions` takes."""
    out = []
    for kind, text in (("applicant", applicant), ("purpose", purpose), ("commitment", commitment)):
        out += [{"kind": kind, "text": line.strip()} for line in text.splitlines() if line.strip()]
    return out


def _label(condition: Mapping[str, Any]) -> tuple[str, str]:
    return f"{condition['id']}（{condition['text'][:40]}）", f"{condition['id']} ({condition['text'][:40]})"


def clean_answers(conditions: list[dict[str, Any]] | None, answers: Any) -> dict[str, Any]:
    """The application's answer to every condition: a statement (who the applicant is, what the data is for)
    or, for a commitment, ``true`` — the applicant accepts it. A skipped or unknown condition is a 422."""
    if not conditions:
        raise Conflict(
            "提供单位尚未说明该数据的开放条件，暂不能申请（第四十四条）",
            "the provider has not stated this data's conditions yet; it cannot be applied for (Art. 44(2))",
            field="view",
        )
    answers = answers if isinstance(answers, Mapping) else {}
    ids = {c["id"] for c in conditions}
    unknown = sorted(str(k)[:8] for k in answers if k not in ids)
    if unknown:
        raise ValidationFailed(
            f"answers：没有开放条件 {', '.join(unknown)}", f"answers: no condition {', '.join(unknown)}",
            field="answers",
        )  # fmt: skip
    out: dict[str, Any] = {}
    skipped = []
    for c in conditions:
        given = answers.get(c["id"])
        if c["kind"] == "commitment":
            if given is not True:
                skipped.append(c)
                continue
            out[c["id"]] = True
        else:
            text = given.strip() if isinstance(given, str) else ""
            if not text:
                skipped.append(c)
                continue
            if len(text) > MAX_ANSWER:
                raise ValidationFailed(
                    f"answers.{c['id']}：不超过 {MAX_ANSWER} 字", f"answers.{c['id']}: at most {MAX_ANSWER}",
                    field="answers",
                )  # fmt: skip
            out[c["id"]] = text
    if skipped:
        zh = "、".join(_label(c)[0] for c in skipped)
        en = ", ".join(_label(c)[1] for c in skipped)
        raise ValidationFailed(
            f"申请须逐条答复开放条件，未答复或未承诺：{zh}（第四十四条）",
            f"an application answers every condition; not answered or not accepted: {en} (Art. 44(2))",
            field="answers",
            missing=[c["id"] for c in skipped],
        )
    return out


def clean_checks(
    conditions: list[dict[str, Any]] | None,
    answers: Mapping[str, Any] | None,
    current: list[dict[str, Any]] | None,
    checks: Any,
    decision: str,
) -> dict[str, bool]:
    """The office's check of every answer. Approval needs each condition answered and checked as met; an
    application answered under conditions the provider has since changed is refused approval (apply again)."""
    conditions = conditions or []
    checks = checks if isinstance(checks, Mapping) else {}
    record = {c["id"]: checks.get(c["id"]) is True for c in conditions}
    if decision != "approve":
        return record
    if not conditions or [(c["kind"], c["text"]) for c in conditions] != [
        (c["kind"], c["text"]) for c in current or []
    ]:
        raise Conflict(
            "该申请未按现行开放条件答复，不能批准；请申请人按现行条件重新申请",
            "the application does not answer the view's current conditions; it cannot be approved (apply again)",
            field="checks",
        )
    unanswered = [c for c in conditions if c["id"] not in (answers or {})]
    unchecked = [c for c in conditions if not record[c["id"]]]
    if unanswered or unchecked:
        zh = "、".join(_label(c)[0] for c in unanswered or unchecked)
        en = ", ".join(_label(c)[1] for c in unanswered or unchecked)
        raise ValidationFailed(
            f"批准须逐条核对申请人的答复并确认符合条件，未核对或不符合：{zh}（第四十四条）",
            f"approval checks every answer as meeting its condition; not checked or not met: {en} (Art. 44(2))",
            field="checks",
            missing=[c["id"] for c in unanswered or unchecked],
        )
    return record


def with_answers(
    conditions: list[dict[str, Any]] | None,
    answers: Mapping[str, Any] | None,
    checks: Mapping[str, Any] | None,
) -> list[dict[str, Any]]:
    """Each condition beside its answer and its check, for the pages and the API."""
    return [
        {**c, "answer": (answers or {}).get(c["id"]), "checked": (checks or {}).get(c["id"])}
        for c in conditions or []
    ]
