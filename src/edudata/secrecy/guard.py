"""The one check every outward path asks before data leaves (Art. 56–57): is any of it marked 涉密?

Sharing applications, open-data proposals and their refreshes, exports and de-identified releases call
:func:`refuse_secret`; a refusal is a 403 ``state-secret`` that the problem hook audits (result ``denied``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.errors import PermissionDenied
from edudata.secrecy.models import SecretMarking

CHANNELS = {
    "sharing": ("数据共享", "sharing"),
    "opendata": ("数据开放", "open data"),
    "export": ("导出", "export"),
    "release": ("对外提供", "third-party release"),
}


class SecretDataRefused(PermissionDenied):
    """Data marked as a state secret asked for on an outward path."""

    code, title_zh, title_en = "state-secret", "涉密数据不得对外", "State-secret data stays inside"


def marked(session: Session, dataset_code: str) -> list[SecretMarking]:
    """The active markings of a dataset (whole-dataset marking first)."""
    return list(
        session.scalars(
            select(SecretMarking)
            .where(SecretMarking.dataset_code == dataset_code, SecretMarking.lifted_at.is_(None))
            .order_by(SecretMarking.element_code)
        )
    )


def secret_parts(session: Session, dataset_code: str, elements: Iterable[str] | None) -> list[str]:
    """Which of ``elements`` (None: the whole dataset) are marked; ``["*"]`` when the dataset itself is."""
    marks = marked(session, dataset_code)
    if any(m.element_code == "" for m in marks):
        return ["*"]
    codes = {m.element_code for m in marks}
    if elements is None:
        return sorted(codes)
    return [e for e in dict.fromkeys(elements) if e in codes]


def refuse_secret(session: Session, dataset_code: str, elements: Iterable[str] | None, channel: str) -> None:
    """Raise :class:`SecretDataRefused` when the data asked for on ``channel`` holds anything marked 涉密."""
    parts = secret_parts(session, dataset_code, elements)
    if not parts:
        return
    zh, en = CHANNELS[channel]
    what = dataset_code if parts == ["*"] else f"{dataset_code}（{'、'.join(parts)}）"
    what_en = dataset_code if parts == ["*"] else f"{dataset_code} ({', '.join(parts)})"
    raise SecretDataRefused(
        f"{what} 涉及国家秘密，不得用于{zh}（第五十六、五十七条）；确需对外提供的，须经主管部门批准并签订保密协议，"
        "在涉密数据台账中办理",
        f"{what_en} is marked as a state secret and cannot go out by {en} (Art. 56-57); providing it outside needs "
        "the competent authority's approval and a secrecy agreement, through the secret-data register",
        dataset=dataset_code,
        channel=channel,
        elements=parts,
    )
