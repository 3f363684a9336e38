"""The leadership group's security and secrecy review (安全保密审查, Art. 58) of data going outside the school.

Art. 58: data to be provided outside the school must pass a strict security and secrecy review by the 网信领导
小组. Two things go out: a share application's de-identified delivery to a third party (Art. 42), and an external
provision or publication request (:mod:`edudata.sharing.external`). Each needs an approving review on record
before the office may release it; a refusing review stops it. The review is the leadership's alone.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.db import utcnow
from edudata.errors import ValidationFailed
from edudata.identity.principal import Principal
from edudata.policy import require
from edudata.sharing.models import SecrecyReview

SUBJECTS = ("application", "external")
DECISIONS = {"approved": ("通过", "passed"), "refused": ("不通过", "refused")}


def latest(session: Session, subject: str, subject_id: int) -> SecrecyReview | None:
    return session.scalar(
        select(SecrecyReview)
        .where(SecrecyReview.subject == subject, SecrecyReview.subject_id == subject_id)
        .order_by(SecrecyReview.id.desc())
        .limit(1)
    )


def passed(session: Session, subject: str, subject_id: int) -> SecrecyReview | None:
    """The review that lets the data out: the latest one, when it approved."""
    review = latest(session, subject, subject_id)
    return review if review is not None and review.decision == "approved" else None


def record(
    session: Session,
    actor: Principal,
    action: str,
    subject: str,
    subject_id: int,
    *,
    decision: str,
    opinion: str,
) -> SecrecyReview:
    """A leadership member records the review's outcome with a written opinion (the caller checks the state)."""
    require(actor, action)
    if decision not in DECISIONS:
        raise ValidationFailed(
            "审查结论应为 approved（通过）或 refused（不通过）", "decision must be approved or refused",
            field="decision",
        )  # fmt: skip
    opinion = (opinion or "").strip()
    if len(opinion) < 4:
        raise ValidationFailed(
            "保密审查须写明审查意见（至少 4 个字，第五十八条）",
            "the secrecy review needs a written opinion (4+ characters, Art. 58)",
            field="opinion",
        )
    review = SecrecyReview(
        subject=subject,
        subject_id=subject_id,
        decision=decision,
        opinion=opinion[:4000],
        reviewer_account_id=actor.account_id,
        reviewer_username=actor.username,
        decided_at=utcnow(),
    )
    session.add(review)
    session.flush()
    return review


def review_view(review: SecrecyReview | None) -> dict | None:
    if review is None:
        return None
    return {
        "id": review.id,
        "decision": review.decision,
        "decision_label": DECISIONS[review.decision],
        "opinion": review.opinion,
        "reviewer": review.reviewer_username,
        "decided_at": review.decided_at.isoformat(),
    }
