"""Review of share applications (Art. 39-40, 64(2)): producer unit then office, narrowing, refusal, deadlines.

- 有条件共享: the producer unit's data officer approves first, then the office administrator; the
  office cannot approve before the producer (approval order, 409).
- 无条件共享: the office alone; with the policy's auto-approval on, it is approved at submission ("policy").
- An approver may narrow (drop elements, tighten the row filter, add masking, shorten the period) but never widen;
  a refusal needs a written reason, shown to the applicant (Art. 39).
- Nobody reviews their own application (separation of duties, Art. 30).
- Each stage is due after ``review_working_days`` working days (Chinese public holidays respected); open stages
  past their day are flagged to the office and listed for inspection (Art. 64(2)).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from edudata import transition
from edudata.access import datapath, filters
from edudata.access.masking import KEYED_PROFILES, PROFILES
from edudata.access.specs import load_spec
from edudata.audit import service as audit
from edudata.db import utcnow
from edudata.errors import Conflict, PermissionDenied, ValidationFailed
from edudata.identity.principal import Principal
from edudata.org.models import Unit
from edudata.policy import allowed, require
from edudata.sharing import delivery, heads, notify
from edudata.sharing.models import ShareApplication, ShareReview
from edudata.sharing.service import (
    audit_step,
    last_decider,
    lock_application,
    policy,
    require_internal,
    status_label,
    today_in_china,
    what,
)
from edudata.sharing.workdays import add_working_days

STAGE_LABELS = {
    "producer": ("数据生产单位审核", "producer unit review"),
    "office": ("网信办审核", "office review"),
}


def open_review(session: Session, app: ShareApplication) -> ShareReview | None:
    return session.scalar(
        select(ShareReview)
        .where(ShareReview.application_id == app.id, ShareReview.decided_at.is_(None))
        .order_by(ShareReview.id.desc())
        .limit(1)
    )


def reviews_of(session: Session, app: ShareApplication) -> list[ShareReview]:
    return list(
        session.scalars(
            select(ShareReview).where(ShareReview.application_id == app.id).order_by(ShareReview.id)
        )
    )


def _office_unit(session: Session) -> str:
    """The office's unit code (网信办, Art. 6): the unit of type ``office``."""
    code = session.scalar(select(Unit.code).where(Unit.unit_type == "office").order_by(Unit.code).limit(1))
    return code or "0002"


def _open_stage(
    session: Session, app: ShareApplication, stage: str, today: date | None = None
) -> ShareReview:
    today = today or today_in_china()
    unit = app.owner_unit_code if stage == "producer" else _office_unit(session)
    review = ShareReview(
        application_id=app.id,
        stage=stage,
        reviewer_unit_code=unit,
        due_on=add_working_days(today, policy(session).review_working_days),
        comment="",
    )
    session.add(review)
    app.status = f"pending_{stage}"
    session.flush()
    recipients = (
        notify.holders(session, "sharing.application.review_producer", app.owner_unit_code)
        if stage == "producer"
        else notify.holders(session, "sharing.application.review_office")
    )
    notify.send(
        session,
        recipients,
        kind="review_waiting",
        application_id=app.id,
        zh=f"共享申请 #{app.id}（{app.dataset_code}）待您审核，截止 {review.due_on.isoformat()}",
        en=f"application #{app.id} ({app.dataset_code}) awaits your review, due {review.due_on.isoformat()}",
    )
    return review


def submit(ctx: datapath.Context, actor: Principal, app: ShareApplication, today: date | None = None) -> None:
    """Submit a signed draft: open the first review stage (or auto-approve 无条件共享 by policy)."""
    session = ctx.session
    if app.applicant_account_id != actor.account_id:
        raise PermissionDenied("只有申请人本人可以提交申请", "only the applicant submits the application")
    lock_application(session, app, "draft")
    require_internal(session, actor, "不能提交共享申请", "cannot submit a share application")
    heads.check_signed(session, app)  # the applicant's and the unit head's signatures (Art. 41)
    app.submitted_at = app.updated_at = utcnow()
    if app.share_category == "conditional":
        _open_stage(session, app, "producer", today)
    else:
        review = _open_stage(session, app, "office", today)
        if policy(session).auto_approve_unconditional:
            review.decided_at, review.decision = utcnow(), "approved"
            review.reviewer_username, review.comment = "policy", "无条件共享，按网信办策略自动批准"
            session.flush()
            audit_step(session, None, "share_approve", app, stage="office", auto=True)
            delivery.after_approval(ctx, actor, app)
            if app.status != "granted":
                _tell_approved(session, app, "office", {})
            return
    audit_step(session, actor, "share_submit", app)


def _may_review(actor: Principal, app: ShareApplication, review: ShareReview) -> None:
    if actor.account_id == app.applicant_account_id:
        raise PermissionDenied(
            "不能审核本人提交的申请（第三十条 不相容岗位分离）",
            "you cannot review your own application (Art. 30, separation of duties)",
        )
    if review.stage == "producer":
        if allowed(actor, "sharing.application.review_producer", unit_code=app.owner_unit_code):
            return
        if allowed(actor, "sharing.application.review_office"):
            raise Conflict(
                "审批顺序：有条件共享须先由数据生产单位审核，再由网信办审核（第四十条）",
                "approval order: the producer unit reviews first, then the office (Art. 40)",
            )
        raise PermissionDenied(
            "只有数据生产单位的数据管理员可以审核此申请", "only the producer unit's data officer reviews this"
        )
    if not allowed(actor, "sharing.application.review_office"):
        raise PermissionDenied("此申请待网信办审核", "this application awaits the office's review")


def _stage_of(actor: Principal, app: ShareApplication) -> str | None:
    """The stage ``actor`` reviews: the producer unit's officer the first, the office the second."""
    if allowed(actor, "sharing.application.review_producer", unit_code=app.owner_unit_code):
        return "producer"
    return "office" if allowed(actor, "sharing.application.review_office") else None


def _review_for(session: Session, actor: Principal, app: ShareApplication) -> ShareReview:
    """The open review ``actor`` decides, with the application locked (compare-and-set): when the actor's
    stage was decided meanwhile — a second approval at the same moment — 409 naming who decided it."""
    lock_application(session, app)
    review = open_review(session, app)
    stage = _stage_of(actor, app)
    if review is None or (stage is not None and review.stage != stage):
        decided = session.scalar(
            select(ShareReview)
            .where(ShareReview.application_id == app.id, ShareReview.decided_at.is_not(None))
            .where(ShareReview.stage == stage if stage else ShareReview.stage.is_not(None))
            .order_by(ShareReview.id.desc())
            .limit(1)
        )
        if review is None or decided is not None:
            by, at = (
                (decided.reviewer_username, decided.decided_at) if decided else last_decider(session, app)
            )
            raise transition.conflict(what(app), status_label(app.status), by=by, at=at)
    _may_review(actor, app, review)
    return review


def narrow_on_hold(
    session: Session, actor: Principal, app: ShareApplication, changes: Mapping[str, Any]
) -> dict[str, Any]:
    """The office narrows an approved application still on hold (Art. 50 document or de-identified release)."""
    require(actor, "sharing.application.narrow")
    lock_application(session, app, "pending_commission", "pending_release")
    done = narrow(session, app, changes)
    audit_step(session, actor, "share_narrow", app, changes=done)
    return done


def narrow(session: Session, app: ShareApplication, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Apply an approver's narrowing; returns what changed. Anything that would widen the request is refused."""
    spec = load_spec(session, app.dataset_code)
    done: dict[str, Any] = {}
    if changes.get("elements") is not None:
        keep = [str(e) for e in changes["elements"]]
        extra = [e for e in keep if e not in app.elements]
        if extra or not keep:
            raise ValidationFailed(
                f"审核只能删减数据项，不能增加：{', '.join(extra) or '（不能全部删除）'}",
                f"a review may only drop elements: {', '.join(extra) or '(not all of them)'}",
                field="elements",
            )
        dropped = [e for e in app.elements if e not in keep]
        if dropped:
            app.elements = [e for e in app.elements if e in keep]
            app.masking = {k: v for k, v in app.masking.items() if k in keep}
            done["dropped_elements"] = dropped
    if changes.get("row_filter"):
        tighter = filters.parse(changes["row_filter"])
        for code in filters.elements_used(tighter):
            if spec.element(code) is None:
                raise ValidationFailed(f"没有数据项 {code}", f"no element {code}", field="row_filter")
        app.row_filter = filters.to_json(filters.conjoin(filters.parse(app.row_filter), tighter))
        done["row_filter"] = filters.to_json(tighter)
    if changes.get("masking"):
        masking = dict(changes["masking"])
        for element, profile in masking.items():
            if element not in app.elements:
                raise ValidationFailed(
                    f"数据项 {element} 不在申请范围内", f"{element} is not requested", field="masking"
                )
            if profile == "none" or (profile not in PROFILES and profile not in KEYED_PROFILES):
                raise ValidationFailed(
                    f"脱敏方式“{profile}”无效（审核只能增加脱敏）", f"masking {profile!r} is not valid here",
                    field="masking",
                )  # fmt: skip
        app.masking = {**app.masking, **masking}
        done["masking"] = masking
    if changes.get("period_end"):
        end = date.fromisoformat(str(changes["period_end"]))
        if end > app.period_end or end < app.period_start:
            raise ValidationFailed(
                "审核只能缩短使用期限", "a review may only shorten the period", field="period_end"
            )
        app.period_end = end
        done["period_end"] = end.isoformat()
    if done:
        app.updated_at = utcnow()
        app.k_anonymity = app.k_computed_at = None
        session.flush()
    return done


def approve(
    ctx: datapath.Context,
    actor: Principal,
    app: ShareApplication,
    *,
    changes: Mapping[str, Any] | None = None,
    comment: str = "",
) -> ShareReview:
    """Approve the open stage (with optional narrowing); the office's approval leads to the grant."""
    session = ctx.session
    review = _review_for(session, actor, app)
    done = narrow(session, app, changes or {})
    review.decided_at, review.decision = utcnow(), "approved"
    review.reviewer_account_id, review.reviewer_username = actor.account_id, actor.username
    review.comment, review.changes = comment.strip()[:2000], done or None
    session.flush()
    audit_step(session, actor, "share_approve", app, stage=review.stage, changes=done)
    if review.stage == "producer":
        _open_stage(session, app, "office")
    else:
        delivery.after_approval(ctx, actor, app)
    if app.status != "granted":  # a grant tells the applicant itself (delivery.activate)
        _tell_approved(session, app, review.stage, done)
    return review


_NEXT = {
    "pending_office": ("现待网信办审核", "it now awaits the office"),
    "pending_commission": ("现待市教委批准（第五十条）", "it now awaits the city commission (Art. 50)"),
    "pending_release": ("现待去标识化发布（第四十二条）", "it now awaits de-identified release (Art. 42)"),
}


def narrowing_text(done: Mapping[str, Any], names: Mapping[str, str] | None = None) -> tuple[str, str]:
    """What a review narrowed, in a line each language (Art. 39): element names (``names``: code → name, the code
    where the catalogue has none) and masking methods in words, the period's new end; nothing from the data."""
    from edudata.web.labels import MASKING  # the one table of masking words the pages use too

    names = names or {}
    zh: list[str] = []
    en: list[str] = []

    def named(code: str, lang: int) -> str:
        name = names.get(code)
        return (name if lang == 0 else f"{code} ({name})") if name else code

    if done.get("dropped_elements"):
        zh.append("删减数据项 " + "、".join(named(c, 0) for c in done["dropped_elements"]))
        en.append("dropped " + ", ".join(named(c, 1) for c in done["dropped_elements"]))
    if done.get("row_filter"):
        zh.append("增加行范围条件")
        en.append("added a row condition")
    if done.get("masking"):
        masking = done["masking"]
        zh.append(
            "增加脱敏 "
            + "、".join(f"{named(c, 0)}（{MASKING.get(p, (p, p))[0]}）" for c, p in masking.items())
        )
        en.append(
            "added masking of "
            + ", ".join(f"{named(c, 1)}: {MASKING.get(p, (p, p))[1]}" for c, p in masking.items())
        )
    if done.get("period_end"):
        zh.append(f"使用期限缩短至 {done['period_end']}")
        en.append(f"period shortened to {done['period_end']}")
    return "；".join(zh), "; ".join(en)


def _tell_approved(session: Session, app: ShareApplication, stage: str, done: Mapping[str, Any]) -> None:
    """The applicant learns each approval, what it narrowed, and what comes next."""
    spec = load_spec(session, app.dataset_code) if done else None
    names = {e.code: e.name for e in spec.elements} if spec is not None else {}
    narrowed_zh, narrowed_en = narrowing_text(done, names)
    next_zh, next_en = _NEXT.get(app.status, ("", ""))
    zh = f"共享申请 #{app.id} 已通过{STAGE_LABELS[stage][0]}"
    en = f"application #{app.id} passed the {STAGE_LABELS[stage][1]}"
    if narrowed_zh:
        zh, en = f"{zh}，审核缩小了范围：{narrowed_zh}", f"{en}, narrowed: {narrowed_en}"
    notify.send(
        session, [app.applicant_account_id], kind="approved", application_id=app.id,
        zh=f"{zh}；{next_zh}" if next_zh else zh, en=f"{en}; {next_en}" if next_en else en,
    )  # fmt: skip


def refuse(session: Session, actor: Principal, app: ShareApplication, *, reason: str) -> ShareReview:
    """Refuse with a written reason (Art. 39: refusal is the exception and must say why)."""
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationFailed(
            "驳回须写明理由（至少 4 个字，第三十九条）", "a refusal needs a written reason (4+ characters, Art. 39)",
            field="reason",
        )  # fmt: skip
    review = _review_for(session, actor, app)
    review.decided_at, review.decision = utcnow(), "refused"
    review.reviewer_account_id, review.reviewer_username = actor.account_id, actor.username
    review.comment = reason[:2000]
    app.status, app.refusal_reason, app.decided_at = "refused", reason[:2000], utcnow()
    session.flush()
    notify.send(
        session, [app.applicant_account_id], kind="refused", application_id=app.id,
        zh=f"共享申请 #{app.id} 被驳回：{reason[:300]}", en=f"application #{app.id} was refused: {reason[:300]}",
    )  # fmt: skip
    audit_step(session, actor, "share_refuse", app, stage=review.stage, reason=reason[:500])
    return review


def flag_overdue(session: Session, today: date | None = None) -> list[ShareReview]:
    """Flag open reviews past their due day once, and tell the office (Art. 64(2))."""
    today = today or today_in_china()
    late = list(
        session.scalars(
            select(ShareReview).where(
                ShareReview.decided_at.is_(None),
                ShareReview.due_on < today,
                ShareReview.overdue_flagged_at.is_(None),
            )
        )
    )
    office = notify.holders(session, "sharing.application.review_office")
    for review in late:
        review.overdue_flagged_at = utcnow()
        notify.send(
            session, office, kind="review_overdue", application_id=review.application_id,
            zh=f"共享申请 #{review.application_id} 的{STAGE_LABELS[review.stage][0]}已超期（截止 {review.due_on}）",
            en=f"the {STAGE_LABELS[review.stage][1]} of application #{review.application_id} is overdue "
               f"(due {review.due_on})",
        )  # fmt: skip
        audit.record(
            session,
            operation="share_review_overdue",
            username="system",
            unit_code=review.reviewer_unit_code,
            detail={
                "application_id": review.application_id,
                "stage": review.stage,
                "due_on": str(review.due_on),
            },
        )
    session.flush()
    return late


def remind(session: Session, today: date | None = None) -> tuple[int, int]:
    """The daily reminders: reviews past their day (to the office) and grants about to end (to the applicant).

    Run when the office opens its inbox or the overdue list, and by ``edudata sharing remind`` (a daily timer).
    """
    late = flag_overdue(session, today)
    ending = delivery.flag_expiring(session)
    return len(late), len(ending)


def overdue_reviews(session: Session, today: date | None = None) -> list[ShareReview]:
    """For inspection (Art. 64(2)): open reviews past their day, and reviews decided after it."""
    today = today or today_in_china()
    stmt = (
        select(ShareReview)
        .where(
            or_(
                and_(ShareReview.decided_at.is_(None), ShareReview.due_on < today),
                ShareReview.overdue_flagged_at.is_not(None),
                and_(
                    ShareReview.decided_at.is_not(None),
                    func.date(ShareReview.decided_at) > ShareReview.due_on,
                ),
            )
        )
        .order_by(ShareReview.due_on)
    )
    return list(session.scalars(stmt))


def tasks_for(session: Session, actor: Principal) -> list[ShareReview]:
    """Reviews waiting for ``actor`` (the inbox's 待办)."""
    stages = []
    if allowed(actor, "sharing.application.review_producer", unit_code=actor.unit_code):
        stages.append(
            and_(ShareReview.stage == "producer", ShareReview.reviewer_unit_code == actor.unit_code)
        )
    if allowed(actor, "sharing.application.review_office"):
        stages.append(ShareReview.stage == "office")
    if not stages:
        return []
    stmt = (
        select(ShareReview)
        .join(ShareApplication, ShareApplication.id == ShareReview.application_id)
        .where(ShareReview.decided_at.is_(None), or_(*stages))
        .where(ShareApplication.applicant_account_id != actor.account_id)
        .order_by(ShareReview.due_on)
    )
    return list(session.scalars(stmt))
