"""Per-person separate consent (单独同意, Art. 51) to a sensitive element being processed, and its withdrawal.

A consent names its person by ``subject_ref`` (the blind index of the ID number; the register never holds the
number) and keeps the last four characters as a hint a clerk can read back. Consent is per dataset element:
agreeing that 学生工作部 records one's 民族 is not agreeing to a bank card number being kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from edudata.catalog.validators import check_id_number
from edudata.config import Settings
from edudata.crypto.keys import KeyManager
from edudata.crypto.subject_keys import subject_refs
from edudata.db import utcnow
from edudata.errors import Conflict, NotFound, ValidationFailed
from edudata.privacy.models import Consent
from edudata.privacy.sensitive import _element, sensitive_elements

CHANNELS = ("paper", "online", "in_person")


def _ref(session: Session, settings: Settings | None, id_number: str) -> str:
    ref = subject_refs(KeyManager(session, settings), [id_number])[0]
    if ref is None:
        raise ValidationFailed("身份证件号不能为空", "the ID number is required", field="id_number")
    return ref


def _checked_id(id_number: str) -> str:
    result = check_id_number(id_number)
    if not result.ok:
        raise ValidationFailed(
            f"身份证件号不合法：{result.message_zh}",
            f"invalid ID number: {result.message_en}",
            field="id_number",
        )
    return str(result.value)


def record_consent(
    session: Session,
    *,
    id_number: str,
    dataset_code: str,
    element_code: str,
    purpose: str,
    notice: str,
    given_at: datetime | None = None,
    channel: str = "paper",
    actor: str | None = None,
    settings: Settings | None = None,
) -> Consent:
    """Record one person's consent; ``notice`` is what they were told (necessity and impact, Art. 51)."""
    element = _element(session, dataset_code, element_code)
    if not element.sensitive:
        raise Conflict(
            f"{dataset_code}.{element_code} 不是敏感个人信息，无需单独同意",
            f"{dataset_code}.{element_code} is not sensitive personal information; no separate consent applies",
        )
    if channel not in CHANNELS:
        raise ValidationFailed(
            "同意方式不合法", f"channel must be one of {', '.join(CHANNELS)}", field="channel"
        )
    purpose, notice = (purpose or "").strip(), (notice or "").strip()
    if not 2 <= len(purpose) <= 1000:
        raise ValidationFailed("须写明处理目的", "the purpose is required", field="purpose")
    if not 4 <= len(notice) <= 5000:
        raise ValidationFailed(
            "须记录已告知的必要性及对个人的影响",
            "record what the person was told (necessity, impact)",
            field="notice",
        )
    clean = _checked_id(id_number)
    when = given_at or utcnow()
    if when > utcnow():
        raise ValidationFailed(
            "同意时间不能晚于现在", "consent cannot be given in the future", field="given_at"
        )
    row = Consent(
        subject_ref=_ref(session, settings, clean),
        id_hint=clean[-4:],
        dataset_code=dataset_code,
        element_code=element_code,
        purpose=purpose,
        notice=notice,
        channel=channel,
        given_at=when,
        recorded_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def record_consents(
    session: Session,
    *,
    id_numbers: Sequence[str],
    dataset_code: str,
    element_codes: Sequence[str],
    purpose: str,
    notice: str,
    given_at: datetime | None = None,
    channel: str = "paper",
    actor: str | None = None,
    settings: Settings | None = None,
) -> int:
    """Record the consents a school gathers at enrolment (a signed form per person, Art. 51) in one go: each
    person's consent to each element, checked as :func:`record_consent` checks one. Returns the number added."""
    first = None
    for element_code in element_codes:  # every element and the texts are checked once, by the single path
        first = record_consent(
            session, id_number=id_numbers[0], dataset_code=dataset_code, element_code=element_code,
            purpose=purpose, notice=notice, given_at=given_at, channel=channel, actor=actor, settings=settings,
        )  # fmt: skip
    if first is None:
        return 0
    clean = [_checked_id(n) for n in id_numbers[1:]]
    refs = subject_refs(KeyManager(session, settings), clean)
    rows = [
        {
            "subject_ref": ref, "id_hint": number[-4:], "dataset_code": dataset_code, "element_code": element,
            "purpose": first.purpose, "notice": first.notice, "channel": channel, "given_at": first.given_at,
            "recorded_by": actor,
        }
        for element in element_codes
        for number, ref in zip(clean, refs, strict=True)
    ]  # fmt: skip
    for start in range(0, len(rows), 5000):
        session.execute(insert(Consent), rows[start : start + 5000])
    session.flush()
    return len(rows) + len(element_codes)


def withdraw_consent(session: Session, consent_id: int, actor: str | None = None) -> Consent:
    """Withdraw a consent (撤回同意): from now on the person's values of that element are not collected."""
    row = session.get(Consent, consent_id)
    if row is None:
        raise NotFound(f"没有编号为 {consent_id} 的同意记录", f"no consent {consent_id}")
    if row.withdrawn_at is not None:
        raise Conflict("该同意已撤回", "this consent was already withdrawn")
    row.withdrawn_at = utcnow()
    row.withdrawn_by = actor
    session.flush()
    return row


def consents_of(session: Session, id_number: str, settings: Settings | None = None) -> list[Consent]:
    """Every consent record of one person (given and withdrawn), newest first."""
    ref = _ref(session, settings, _checked_id(id_number))
    stmt = select(Consent).where(Consent.subject_ref == ref).order_by(Consent.id.desc())
    return list(session.execute(stmt).scalars())


def _consented(session: Session, dataset_code: str, refs: set[str]) -> set[tuple[str, str]]:
    """(subject_ref, element) pairs with an active consent, in chunks."""
    out: set[tuple[str, str]] = set()
    refs_list = sorted(refs)
    for start in range(0, len(refs_list), 5000):
        chunk = refs_list[start : start + 5000]
        stmt = select(Consent.subject_ref, Consent.element_code).where(
            Consent.dataset_code == dataset_code,
            Consent.withdrawn_at.is_(None),
            Consent.subject_ref.in_(chunk),
        )
        out.update((r, e) for r, e in session.execute(stmt))
    return out


def unconsented_rows(
    session: Session,
    dataset_code: str,
    id_numbers: Sequence[str | None],
    settings: Settings | None = None,
) -> dict[str, list[int]]:
    """For each sensitive element of the dataset, the positions (0-based) in ``id_numbers`` of people without
    an active consent to it — their values of that element must be dropped or quarantined (Art. 51). A row
    without an ID number cannot show consent and is listed too. Elements with no such row are omitted."""
    sensitive = [s.element_code for s in sensitive_elements(session, dataset_code)]
    if not sensitive:
        return {}
    refs = subject_refs(KeyManager(session, settings), list(id_numbers))
    have = _consented(session, dataset_code, {r for r in refs if r})
    out: dict[str, list[int]] = {}
    for element in sensitive:
        missing = [i for i, r in enumerate(refs) if r is None or (r, element) not in have]
        if missing:
            out[element] = missing
    return out
