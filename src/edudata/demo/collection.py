"""The demo school collects its people's data as a real school does (docs/data-path.md, *One write path*).

Before 学生工作部 collects 民族 and bank card numbers, the data-protection officer files the Art. 51 paperwork: the
necessity, science and ethics assessment, the leadership's collective decision with its minutes, and every
student's separate consent (the forms signed at enrolment). Then the producer unit's data officer submits the
synthetic table as a batch, the unit's reviewer approves it and the office loads it (Art. 4(1), 22) — through
the same service functions as the upload page, the API, the CLI and the worker.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.access import datapath
from edudata.access.specs import load_spec
from edudata.audit import service as audit
from edudata.clock import today_in_china
from edudata.config import Settings
from edudata.db import Database
from edudata.identity.principal import Principal

MINUTES = b"%PDF-1.4\n% demo: minutes of the leadership meeting deciding the collection of sensitive PI\n"
PURPOSE = "学籍管理、奖助学金评定与发放（演示）"
NOTICE = "入学时书面告知收集该项信息的必要性及对个人权益的影响，本人签字同意（演示数据）"


def principal(session: Session, username: str) -> Principal:
    """The demo account as the platform sees it (roles held now), as the CLI signs in its ``--as`` account."""
    from edudata.identity.service import principal_for
    from edudata.org.models import Account

    account_id = session.scalar(select(Account.id).where(Account.username == username))
    who = principal_for(session, account_id, source_ip="127.0.0.1", via="cli") if account_id else None
    if who is None:
        raise RuntimeError(f"demo account {username} is missing or disabled")
    return who


def _audit(session: Session, who: Principal, operation: str, dataset: str, detail: dict) -> None:
    audit.record(
        session, operation=operation, account_id=who.account_id, username=who.username, unit_code=who.unit_code,
        source_ip="127.0.0.1", request_id="demo", dataset=dataset, detail=detail,
    )  # fmt: skip


def file_paperwork(
    session: Session, settings: Settings, dpo: Principal, dataset: str, frame: pl.DataFrame
) -> None:
    """Assessment and collective decision for each sensitive element the frame fills (once), and the separate
    consent of every person in the frame to each of them (Art. 51)."""
    from edudata.privacy import consent, sensitive
    from edudata.privacy.attachments import store_attachment

    statuses = {s.element_code: s for s in sensitive.sensitive_elements(session, dataset)}
    filled = [e for e in statuses if e in frame.columns and frame.get_column(e).drop_nulls().len() > 0]
    for element in filled:
        if statuses[element].collection_allowed:
            continue
        minutes = store_attachment(
            session, f"{dataset}-{element}-minutes.pdf", MINUTES, "application/pdf", dpo.username
        )
        assessment = sensitive.record_assessment(
            session, dataset_code=dataset, element_code=element,
            necessity="奖助学金评定与发放、少数民族学生政策落实须采集该项信息", scientific_basis="依据教育部学生资助与学籍管理规定",
            ethics="仅用于上述目的，不作他用，不对外提供", impact="泄露可能造成歧视或财产损失；加密存储、脱敏展示、按需授权",
            conclusion="necessary", assessed_on=today_in_china(), actor=dpo.username,
        )  # fmt: skip
        decision = sensitive.record_decision(
            session, assessment_id=assessment.id, body="学校网络安全和信息化领导小组", meeting="演示 第 1 次会议",
            meeting_date=today_in_china(), outcome="approved", attachment_id=minutes.id, attendees="组长、副组长、成员",
            actor=dpo.username,
        )  # fmt: skip
        _audit(session, dpo, "privacy_assessment", dataset, {"id": assessment.id, "element": element})
        _audit(session, dpo, "privacy_decision", dataset, {"id": decision.id, "outcome": decision.outcome})
    person = load_spec(session, dataset).person_element
    if not filled or person is None or person.code not in frame.columns:
        return
    ids = frame.get_column(person.code).drop_nulls().cast(pl.String).to_list()
    if ids:
        added = consent.record_consents(
            session, id_numbers=ids, dataset_code=dataset, element_codes=filled, purpose=PURPOSE, notice=NOTICE,
            actor=dpo.username, settings=settings,
        )  # fmt: skip
        _audit(
            session,
            dpo,
            "privacy_consent",
            dataset,
            {"consents": added, "people": len(ids), "elements": filled},
        )


def collect(
    database: Database,
    settings: Settings,
    dataset: str,
    frame: pl.DataFrame,
    *,
    officer: str,
    reviewer: str,
    office: str = "office",
    dpo: str = "dpo",
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Paperwork, submission, the unit's review and the office's approval (which loads the batch); one
    transaction each, as four people would do it. Returns the batch's counts."""
    from edudata.ingest import review, rows

    def step(name: str, work: Callable[[Session], object]) -> object:
        with database.session() as session:
            out = work(session)
            session.commit()
        if progress:
            progress(name)
        return out

    def ctx(session: Session) -> datapath.Context:
        return datapath.Context(session=session, settings=settings, database=database, request_id="demo")

    step("paperwork", lambda s: file_paperwork(s, settings, principal(s, dpo), dataset, frame))

    def submit(session: Session) -> tuple[str, int, int]:
        who = principal(session, officer)
        batch = rows.submit_frame(who, ctx(session), dataset, frame, source_kind="demo", filename="demo")
        return batch.code, batch.rows_good, batch.rows_quarantined

    code, good, quarantined = step("submit", submit)
    step("unit review", lambda s: review.review(principal(s, reviewer), ctx(s), code, approve=True))
    step("office review", lambda s: review.review(principal(s, office), ctx(s), code, approve=True))
    return {"good": good, "quarantined": quarantined}
