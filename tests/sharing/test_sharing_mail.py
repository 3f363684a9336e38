"""Notifications by e-mail (issue 5: "e-mail through an SMTP setting"), against a local aiosmtpd catcher: each kind
reaches the right people and nobody else, after the commit, with nothing from the data; an account without an
address is skipped; a relay that refuses or is not there leaves the workflow committed and the failure recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.message import Message

import httpx
import pytest
from sqlalchemy import select

from edudata.api.app import create_app
from edudata.audit.models import AuditRecord
from edudata.config import Settings
from edudata.db import Database
from edudata.sharing.models import Notification, ShareReview
from edudata.worker.outbox import send_due
from support import clock
from support.lifecycle import run_cli
from support.mail import Catcher, free_port
from support.server import LiveServer
from support.sharing import apply, approve, change_post, sign_and_submit

REMIND = "/api/v1/sharing/reviews/remind"

SENDER = "edudata@tjufe.edu.cn"
ADDRESS = {u: f"{u}@tjufe.edu.cn" for u in ("xgb", "office", "lib", "rsc")}  # lib2 and xgb2 have none


@pytest.fixture(scope="session")
def smtp() -> Iterator[Catcher]:
    catcher = Catcher()
    catcher.controller.start()
    yield catcher
    catcher.controller.stop()


def _server(settings: Settings, database: Database, port: int) -> LiveServer:
    return LiveServer(create_app(settings.model_copy(update={"smtp_port": port, "notify_mail_from": SENDER}),
                                 db=database))  # fmt: skip


@pytest.fixture(scope="session")
def mail_server(settings: Settings, database: Database, smtp: Catcher) -> Iterator[LiveServer]:
    live = _server(settings, database, smtp.port)
    live.start()
    yield live
    live.stop()


@pytest.fixture(scope="session")
def dead_mail_server(settings: Settings, database: Database) -> Iterator[LiveServer]:
    """Notification mail on, but nothing listens where the relay should be."""
    live = _server(settings, database, free_port())
    live.start()
    yield live
    live.stop()


@pytest.fixture
def people(world: dict, http: httpx.Client, accounts, smtp: Catcher) -> dict:  # noqa: ANN001
    """The sharing world with addresses (set by the office over the API) and a second producer officer without."""
    accounts.create(username="xgb2", roles=("unit_data_officer",), unit_code="0104")
    for user, address in ADDRESS.items():
        r = http.put(f"/api/v1/accounts/{user}/email", json={"email": address}, headers=world["h"]["office"])
        assert r.status_code == 200, r.text
    smtp.reset()
    return world


@pytest.fixture
def mailing(mail_server: LiveServer, db: Database, smtp: Catcher) -> Iterator[httpx.Client]:
    smtp.drain = lambda: send_due(db, mail_server.app.state.settings)  # the worker's sending step
    with httpx.Client(base_url=mail_server.url, timeout=30) as client:
        yield client
    smtp.drain = None


def _body(msg: Message) -> str:
    return msg.get_payload(decode=True).decode()


def _only(smtp: Catcher, *users: str) -> dict[str, Message]:
    """The mails of the last step went to exactly ``users``, one each."""
    assert smtp.recipients() == sorted(ADDRESS[u] for u in users)
    return {u: smtp.to(ADDRESS[u])[0] for u in users}


def _submitted(client: httpx.Client, world: dict, **changes: object) -> dict:
    app = apply(client, world["h"]["lib"], **changes)
    sign_and_submit(client, world["h"]["lib"], app["id"])
    return app


def _states(db: Database, kind: str) -> dict[int, str | None]:
    with db.session() as s:
        rows = s.execute(
            select(Notification.account_id, Notification.mail_state).where(Notification.kind == kind)
        )
        return dict(rows.all())


def test_a_submitted_application_is_mailed_to_the_producer_officers_only(
    mailing: httpx.Client, people: dict, smtp: Catcher, mail_server: LiveServer
) -> None:
    app = _submitted(mailing, people)
    mail = _only(smtp, "xgb")["xgb"]
    assert mail["From"] == SENDER
    assert f"共享申请 #{app['id']} 待您审核" in mail["Subject"] and "awaits your review" in mail["Subject"]
    body = _body(mail)
    assert body.index("待您审核") < body.index("awaits your review")  # Chinese first
    assert "学生基本信息（student_basic）" in body
    assert f"{mail_server.url}/sharing/applications/{app['id']}" in body


def test_a_mail_carries_nothing_from_the_data(mailing: httpx.Client, people: dict, smtp: Catcher) -> None:
    app = _submitted(mailing, people)
    approve(mailing, people["h"]["xgb"], app["id"])
    approve(mailing, people["h"]["office"], app["id"])
    text = "".join(_body(m) + m["Subject"] for m in smtp.sent())
    for row in people["rows"]:
        for element in ("XH", "XM", "SFZJH", "SJHM", "DZYX", "YHKH"):
            assert str(row[element]) not in text


def test_an_officer_without_an_address_is_skipped_and_recorded(
    mailing: httpx.Client, people: dict, smtp: Catcher, db: Database
) -> None:
    _submitted(mailing, people)
    assert _only(smtp, "xgb")
    assert sorted(_states(db, "review_waiting").values()) == ["no_address", "sent"]  # xgb2, xgb


def test_the_producers_approval_with_narrowing_tells_the_applicant_and_opens_the_office_review(
    mailing: httpx.Client, people: dict, smtp: Catcher
) -> None:
    app = _submitted(mailing, people)
    smtp.reset()
    kept = ["XH", "XM", "XBM", "YXDM", "NJ"]
    assert approve(mailing, people["h"]["xgb"], app["id"], elements=kept).status_code == 200
    mails = _only(smtp, "lib", "office")
    assert "审核通过" in mails["lib"]["Subject"]
    told = _body(mails["lib"])
    assert (
        "已通过数据生产单位审核" in told
        and "删减数据项 身份证件号、手机号码" in told
        and "现待网信办审核" in told
    )
    assert "dropped SFZJH (身份证件号), SJHM (手机号码)" in told
    assert "待您审核" in mails["office"]["Subject"]


def test_the_grant_is_mailed_to_the_applicant(mailing: httpx.Client, people: dict, smtp: Catcher) -> None:
    app = _submitted(mailing, people)
    approve(mailing, people["h"]["xgb"], app["id"])
    smtp.reset()
    assert approve(mailing, people["h"]["office"], app["id"]).json()["status"] == "granted"
    mail = _only(smtp, "lib")["lib"]
    assert "已授权" in mail["Subject"] and "请创建接口凭证" in _body(mail)


def test_a_refusal_is_mailed_to_the_applicant_with_its_reason(
    mailing: httpx.Client, people: dict, smtp: Catcher
) -> None:
    app = _submitted(mailing, people)
    smtp.reset()
    r = mailing.post(f"/api/v1/sharing/applications/{app['id']}/refuse",
                     json={"reason": "用途与所申请的身份证件号无关"}, headers=people["h"]["xgb"])  # fmt: skip
    assert r.status_code == 200
    mail = _only(smtp, "lib")["lib"]
    assert "已驳回" in mail["Subject"] and "用途与所申请的身份证件号无关" in _body(mail)


def test_a_revoked_grant_is_mailed_to_the_applicant(
    mailing: httpx.Client, people: dict, smtp: Catcher
) -> None:
    app = _submitted(mailing, people)
    approve(mailing, people["h"]["xgb"], app["id"])
    approve(mailing, people["h"]["office"], app["id"])
    smtp.reset()
    r = mailing.post(f"/api/v1/sharing/applications/{app['id']}/revoke", json={"reason": "检查发现超范围使用"},
                     headers=people["h"]["office"])  # fmt: skip
    assert r.status_code == 200
    mail = _only(smtp, "lib")["lib"]
    assert "授权已撤销" in mail["Subject"] and "检查发现超范围使用" in _body(mail)


def test_a_grant_about_to_end_is_mailed_to_the_applicant_once(
    mailing: httpx.Client, people: dict, smtp: Catcher
) -> None:
    end = clock.iso(3)
    app = _submitted(mailing, people, period_end=end)
    approve(mailing, people["h"]["xgb"], app["id"])
    approve(mailing, people["h"]["office"], app["id"])
    smtp.reset()
    mailing.get("/api/v1/sharing/inbox", headers=people["h"]["office"])
    assert smtp.sent() == []  # reading the inbox mails nobody
    assert mailing.post(REMIND, headers=people["h"]["office"]).status_code == 200
    mail = _only(smtp, "lib")["lib"]
    assert "授权即将到期" in mail["Subject"] and end in _body(mail)
    smtp.reset()
    mailing.post(REMIND, headers=people["h"]["office"])
    assert smtp.sent() == []


def test_a_grant_far_from_its_end_is_not_announced(
    mailing: httpx.Client, people: dict, smtp: Catcher
) -> None:
    app = _submitted(mailing, people)  # ends PERIOD_DAYS (90) from today: beyond the 7-day notice
    approve(mailing, people["h"]["xgb"], app["id"])
    approve(mailing, people["h"]["office"], app["id"])
    smtp.reset()
    mailing.post(REMIND, headers=people["h"]["office"])
    assert smtp.sent() == []


def test_an_overdue_review_is_mailed_to_the_office(
    mailing: httpx.Client, people: dict, smtp: Catcher, db: Database
) -> None:
    app = _submitted(mailing, people)
    with db.session() as s:  # the producer's five working days ran out last month
        s.scalar(select(ShareReview)).due_on = clock.days_from_today(-30)
        s.commit()
    smtp.reset()
    assert mailing.get("/api/v1/sharing/reviews/overdue", headers=people["h"]["office"]).status_code == 200
    assert smtp.sent() == []  # the list is read-only (Build 5: no GET sends mail)
    assert mailing.post(REMIND, headers=people["h"]["office"]).status_code == 200
    mail = _only(smtp, "office")["office"]
    assert f"#{app['id']}" in mail["Subject"] and "审核已超期" in mail["Subject"]
    assert "数据生产单位审核已超期" in _body(mail)


def test_the_art50_hold_is_mailed_to_the_office_and_the_approval_to_the_applicant(
    mailing: httpx.Client, people: dict, smtp: Catcher
) -> None:
    mailing.put("/api/v1/sharing/policy", json={"large_scale_threshold": 5}, headers=people["h"]["office"])
    app = _submitted(mailing, people)
    approve(mailing, people["h"]["xgb"], app["id"])
    smtp.reset()
    assert approve(mailing, people["h"]["office"], app["id"]).json()["status"] == "pending_commission"
    mails = _only(smtp, "lib", "office")
    assert "待上传市教委批准文件" in mails["office"]["Subject"]
    assert "现待市教委批准（第五十条）" in _body(mails["lib"])


def test_an_applicant_who_lost_the_role_is_not_told_about_the_application(
    mailing: httpx.Client, people: dict, smtp: Catcher, db: Database
) -> None:
    app = _submitted(mailing, people)
    assert change_post(mailing, people["h"]["office"]).status_code == 200  # lib moved on to another post
    smtp.reset()
    r = mailing.post(f"/api/v1/sharing/applications/{app['id']}/refuse", json={"reason": "申请人已离开岗位"},
                     headers=people["h"]["xgb"])  # fmt: skip
    assert r.status_code == 200
    assert smtp.sent() == []
    assert set(_states(db, "refused").values()) == {"skipped"}


def test_an_owner_who_clears_the_address_gets_no_more_mail(
    mailing: httpx.Client, people: dict, smtp: Catcher, db: Database
) -> None:
    assert (
        mailing.put("/api/v1/me/email", json={"email": None}, headers=people["h"]["lib"]).json()["email"]
        is None
    )
    app = _submitted(mailing, people)
    smtp.reset()
    mailing.post(f"/api/v1/sharing/applications/{app['id']}/refuse", json={"reason": "用途不明确，请补充"},
                 headers=people["h"]["xgb"])  # fmt: skip
    assert smtp.sent() == []
    assert set(_states(db, "refused").values()) == {"no_address"}


def _failure_recorded(db: Database) -> None:
    with db.session() as s:
        states = s.execute(select(Notification.kind, Notification.mail_state, Notification.mail_error)).all()
        audited = s.scalars(select(AuditRecord).where(AuditRecord.operation == "share_mail")).all()
    failed = [(k, e) for k, st, e in states if st == "failed"]
    assert {k for k, _e in failed} == {"approved", "review_waiting"} and all(e for _k, e in failed)
    assert audited[-1].result == "failed" and len(json.loads(audited[-1].detail_json)["failed"]) == 2


def test_a_refusing_relay_leaves_the_approval_committed_and_records_the_failure(
    mailing: httpx.Client, people: dict, smtp: Catcher, db: Database
) -> None:
    app = _submitted(mailing, people)
    before = len(smtp.sent())  # the submission's mail went out before the relay began refusing
    smtp.refusing = True
    r = approve(mailing, people["h"]["xgb"], app["id"])
    assert r.status_code == 200 and r.json()["status"] == "pending_office"
    assert len(smtp.sent()) == before  # the worker tried: refused
    _failure_recorded(db)
    with db.session() as s:
        errors = s.scalars(select(Notification.mail_error).where(Notification.mail_state == "failed")).all()
    assert all("554" in e for e in errors)
    seen = mailing.get(f"/api/v1/sharing/applications/{app['id']}", headers=people["h"]["lib"]).json()
    assert seen["status"] == "pending_office"


def test_a_missing_relay_leaves_the_approval_committed_and_records_the_failure(
    dead_mail_server: LiveServer, people: dict, smtp: Catcher, db: Database
) -> None:
    with httpx.Client(base_url=dead_mail_server.url, timeout=30) as client:
        app = apply(client, people["h"]["lib"])
        sign_and_submit(client, people["h"]["lib"], app["id"])
        send_due(db, dead_mail_server.app.state.settings)  # the submission mail: nobody listens
        r = approve(client, people["h"]["xgb"], app["id"])
        assert r.status_code == 200 and r.json()["status"] == "pending_office"
        inbox = client.get("/api/v1/sharing/inbox", headers=people["h"]["office"]).json()
    assert any(n["kind"] == "review_waiting" for n in inbox["notifications"])  # the inbox has it regardless
    send_due(db, dead_mail_server.app.state.settings)  # the worker tries: nobody listens
    _failure_recorded(db)
    assert smtp.sent() == []


def test_mail_is_off_by_default(http: httpx.Client, people: dict, smtp: Catcher, db: Database) -> None:
    """The default server has no sender configured: nothing is sent, nothing recorded, nothing fails."""
    app = _submitted(http, people)
    assert approve(http, people["h"]["xgb"], app["id"]).status_code == 200
    assert smtp.sent() == []
    with db.session() as s:
        assert set(s.scalars(select(Notification.mail_state))) == {None}
        assert s.scalar(select(AuditRecord).where(AuditRecord.operation == "share_mail")) is None


def test_the_daily_reminder_command_mails_the_overdue_review(
    http: httpx.Client, people: dict, smtp: Catcher, db: Database, settings: Settings
) -> None:
    app = _submitted(http, people)  # through the default server: no mail yet
    later = clock.iso(40)
    mail_on = {"EDUDATA_SMTP_PORT": str(smtp.port), "EDUDATA_NOTIFY_MAIL_FROM": SENDER,
               "EDUDATA_PUBLIC_BASE_URL": "https://data.tjufe.edu.cn"}  # fmt: skip
    done = run_cli(settings, "sharing", "remind", "--today", later, env=mail_on)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "overdue reviews: 1" in done.stdout
    send_due(db, settings.model_copy(update={"smtp_port": smtp.port}))  # the worker sends what was queued
    mail = _only(smtp, "office")["office"]
    assert f"https://data.tjufe.edu.cn/sharing/applications/{app['id']}" in _body(mail)
