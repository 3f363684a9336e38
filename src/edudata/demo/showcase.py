"""What a demo visitor should find on the first page: one published open dataset and one pending application.

Both go through the domains' own services with the demo accounts, exactly as staff would do it:

- 学术论文 (``research_output``, 科研处 0106, 无条件开放) is loaded by the unit's data officer through the data
  path, proposed by them and passes the three-level review (Art. 46, 58): the unit's reviewer, the office with
  its secrecy review (保密审查), the leadership group — then it is published on the portal (/open);
- the library's applicant asks for part of 学生基本信息 (有条件共享, Art. 37-41), signs the use commitment and
  submits, so the producer unit's officer (学生工作部) finds it in the review inbox.

Idempotent: what exists already is reported, never created twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.access import datapath
from edudata.config import Settings
from edudata.db import Database
from edudata.identity.principal import Principal

VIEW_CODE = "research-output"
PURPOSE = "图书馆为会计学院学生开通电子资源账号（演示申请）"
SECRECY = {
    "no_state_secret": True,
    "no_personal_privacy": True,
    "no_security_risk": True,
    "conclusion": "学术论文目录为已公开发表信息，不涉密，可开放",
}
#: status → the demo account that acts next (unit reviewer, office, leadership).
REVIEWERS = {"proposed": "kyc_reviewer", "unit_approved": "office", "office_approved": "leader"}
_TOPICS = ("数字经济", "财政政策", "绿色金融", "审计质量", "公司治理", "税收征管", "区域发展", "金融科技")
_ANGLES = ("实证研究", "机制分析", "理论与政策", "比较研究", "测度与评价")
_JOURNALS = ("经济研究", "会计研究", "金融研究", "管理世界", "财贸经济", "南开经济研究")
_AUTHORS = ("张伟", "王芳", "李强", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴丹", "徐明", "孙丽")


def papers(n: int = 40) -> list[dict[str, str]]:
    """Synthetic papers of the colleges (deterministic, so a second run finds the same ones)."""
    from edudata.synth.university import COLLEGE_CODES

    return [
        {
            "LWBH": f"LW2025{i:04d}",
            "LWTM": f"{_TOPICS[i % len(_TOPICS)]}的{_ANGLES[i % len(_ANGLES)]}（{i + 1}）",
            "DYZZ": _AUTHORS[i % len(_AUTHORS)],
            "KWMC": _JOURNALS[i % len(_JOURNALS)],
            "FBRQ": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "SSDWDM": COLLEGE_CODES[i % len(COLLEGE_CODES)],
        }
        for i in range(n)
    ]


def _who(session: Session, username: str) -> Principal:
    from edudata.identity.service import principal_for
    from edudata.org.models import Account

    account_id = session.scalar(select(Account.id).where(Account.username == username))
    principal = principal_for(session, account_id, source_ip="127.0.0.1", via="session")
    if principal is None:  # the demo accounts are made just before; a disabled one must not act
        raise RuntimeError(f"demo account {username} is missing or disabled")
    return principal


def _ctx(session: Session, settings: Settings, database: Database) -> datapath.Context:
    return datapath.Context(session=session, settings=settings, database=database, request_id="demo")


def open_dataset(session: Session, settings: Settings, database: Database) -> str:
    """Load the papers, propose and review them through the three levels; returns the report line."""
    from edudata.opendata import publish, review
    from edudata.opendata.models import OpenView

    officer = _who(session, "kyc_officer")
    ctx = _ctx(session, settings, database)
    rows = papers()
    have = datapath.query(officer, ctx, "research_output", page_size=1, with_total=True).total or 0
    session.commit()  # the count's audit record: the collection below runs in transactions of its own
    if have < len(rows):
        from edudata.demo.collection import collect

        frame = pl.DataFrame(rows[have:])
        collect(database, settings, "research_output", frame, officer="kyc_officer", reviewer="kyc_reviewer")
    view = session.scalar(select(OpenView).where(OpenView.code == VIEW_CODE))
    if view is not None and view.status in ("published", "refused"):
        return f"开放数据（已有）/ open data (already there): {VIEW_CODE} {view.status} → /open/datasets/{VIEW_CODE}"
    if view is None:
        view = review.propose(
            session,
            officer,
            {
                "dataset": "research_output",
                "code": VIEW_CODE,
                "description": "本校教师发表的学术论文目录（合成演示数据），按月更新",
                "keywords": ["学术论文", "科研成果"],
                "open_category": "unconditional",
                "licence": "CC-BY-4.0",
                "update_frequency": "monthly",
            },
            settings,
        )
    while view.status in REVIEWERS:
        who = _who(session, REVIEWERS[view.status])
        secrecy = SECRECY if view.status == "unit_approved" else None
        view = review.review(
            session, who, view.code, decision="approve", reason="演示：同意", secrecy=secrecy
        )
        if view.status == "published":
            publish.publish(session, view, settings, database)
    return (
        f"开放数据（已发布）/ open data (published after the three-level review): {VIEW_CODE} "
        f"v{view.current_version} → /open/datasets/{VIEW_CODE}"
    )


def share_application(session: Session, settings: Settings, database: Database) -> str:
    """The library's application for student_basic, signed and submitted; returns the report line."""
    from edudata.sharing import commitment, heads, review
    from edudata.sharing.models import ShareApplication
    from edudata.sharing.service import create_application, today_in_china

    applicant = _who(session, "lib_applicant")
    found = session.scalar(
        select(ShareApplication).where(
            ShareApplication.applicant_username == applicant.username, ShareApplication.purpose == PURPOSE
        )
    )
    if found is not None and found.status != "draft":
        return f"共享申请（已有）/ share application (already there): #{found.id} {found.status}"
    ctx = _ctx(session, settings, database)
    app = found or create_application(
        ctx,
        applicant,
        {
            "dataset_code": "student_basic",
            "elements": ["XH", "XM", "YXDM", "ZYMC", "NJ", "DZYX"],
            "row_filter": {"element": "YXDM", "op": "eq", "value": "0201"},
            "contact_name": "李老师",
            "contact_phone": "022-88186000",
            "purpose": PURPOSE,
            "business_basis": "《图书馆读者服务管理办法》第五条",
            "period_end": (today_in_china() + timedelta(days=180)).isoformat(),
            "delivery": "api",
            "security_measures": "专人负责，数据仅存于馆内服务器，访问留痕",
        },
    )
    # The library's applicant is also named its head: signing 附件2, it signs for the unit too (Art. 41).
    if heads.head_of(session, applicant.unit_code) is None:
        heads.set_head(session, applicant.unit_code, applicant.username, by="demo")
    if commitment.signature_of(session, app) is None:
        text = commitment.current_commitment(session)
        commitment.sign(session, applicant, app, text_sha256=text.body_sha256)
    review.submit(ctx, applicant, app)
    return f"共享申请（已提交，待学生工作部审核）/ share application (submitted, awaiting 0104): #{app.id} {app.status}"


def seed_showcase(
    settings: Settings, database: Database, report: Callable[[str], None] | None = None
) -> list[str]:
    """Seed both items, each in its own transaction; returns (and reports) one line per item."""
    lines = []
    for step in (open_dataset, share_application):
        with database.session() as session:
            line = step(session, settings, database)
            session.commit()
        lines.append(line)
        if report:
            report(line)
    return lines
