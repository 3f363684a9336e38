"""Build the demo university (天津财经大学) through the platform's own services and data path.

Units, one account per role, the demo catalogue, and synthetic students and staff collected by their producer
units through the real path (``demo/collection.py``: Art. 51 paperwork, a batch, the unit's and the office's
review) — so the demo holds encrypted, audited, governed data exactly like production.
Passwords are random and printed at each start; nothing secret is fixed in the code.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from edudata.access import datapath
from edudata.config import Settings
from edudata.db import Database
from edudata.demo import collection
from edudata.migrate import upgrade
from edudata.policy.roles import Role
from edudata.reference import seed_reference_data


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    unit_code: str
    display_name: str


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    role: str
    unit_code: str
    display_name: str


ACCOUNTS = (
    DemoAccount("office", Role.OFFICE_ADMIN, "0002", "网信办管理员"),
    DemoAccount("leader", Role.LEADERSHIP, "0001", "网信领导小组成员"),
    DemoAccount("xgb_officer", Role.UNIT_DATA_OFFICER, "0104", "学生工作部数据专员"),
    DemoAccount("xgb_reviewer", Role.UNIT_REVIEWER, "0104", "学生工作部审核员"),
    DemoAccount("rsc_officer", Role.UNIT_DATA_OFFICER, "0102", "人事处数据专员"),
    DemoAccount("rsc_reviewer", Role.UNIT_REVIEWER, "0102", "人事处审核员"),
    DemoAccount("kyc_officer", Role.UNIT_DATA_OFFICER, "0106", "科研处数据专员"),
    DemoAccount("kyc_reviewer", Role.UNIT_REVIEWER, "0106", "科研处审核员"),
    DemoAccount("lib_applicant", Role.APPLICANT, "0110", "图书馆数据申请人"),
    DemoAccount(Role.AUDITOR, Role.AUDITOR, "0002", "安全审计员"),
    DemoAccount("destroyer", Role.DESTRUCTION_OFFICER, "0002", "数据销毁专员"),
    DemoAccount("dpo", Role.DATA_PROTECTION_OFFICER, "0002", "数据保护负责人"),
    DemoAccount("support", Role.TECH_SUPPORT, "0301", "技术支持工程师"),
)

# Which producer unit's officer submits which synthetic table, and its reviewer approves it (Art. 22).
LOADS = (("student_basic", "xgb_officer", "xgb_reviewer"), ("staff_basic", "rsc_officer", "rsc_reviewer"))


def new_password() -> str:
    """A random password that meets the platform's policy (length, letters, digits, a symbol)."""
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"{core[:4]}-{core[4:8]}-{core[8:]}!7a"


def build_demo(
    settings: Settings,
    *,
    students: int = 30_000,
    staff: int = 3_000,
    seed: int = 2026,
    progress: Callable[[str, int, int], None] | None = None,
    report: Callable[[str], None] | None = None,
) -> list[Login]:
    """Create or refresh the demo; returns the logins (passwords reset at every call). ``report`` receives one
    line per showcase item (the published open dataset, the pending share application)."""
    from edudata.catalog.demo import load_demo_catalogue
    from edudata.identity.service import set_password
    from edudata.org.models import Account
    from edudata.org.service import create_account, ensure_demo_units
    from edudata.synth import people

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url()
    upgrade(url)
    database = Database(url)
    logins: list[Login] = []
    try:
        with database.session() as session:
            seed_reference_data(session)
            ensure_demo_units(session)
            for a in ACCOUNTS:
                password = new_password()
                account = session.execute(
                    select(Account).where(Account.username == a.username)
                ).scalar_one_or_none()
                if account is None:
                    create_account(
                        session,
                        username=a.username,
                        password=password,
                        unit_code=a.unit_code,
                        roles=(a.role,),
                        display_name=a.display_name,
                        granted_by="demo",
                    )
                else:
                    set_password(session, account, password)
                logins.append(Login(a.username, password, a.role, a.unit_code, a.display_name))
            load_demo_catalogue(session, created_by="office")
            session.commit()

        sizes = {"student_basic": students, "staff_basic": staff}
        makers = {"student_basic": people.students, "staff_basic": people.staff}
        for dataset, officer, reviewer in LOADS:
            with database.session() as session:
                caller = collection.principal(session, officer)
                ctx = datapath.Context(
                    session=session, settings=settings, database=database, request_id="demo"
                )
                have = datapath.query(caller, ctx, dataset, page_size=1, with_total=True).total or 0
                spec_codes = datapath.element_codes(ctx, dataset)
                session.commit()
            want = sizes[dataset]
            if have < want:
                frame = makers[dataset](want, seed)
                frame = frame.select([c for c in frame.columns if c in spec_codes]).slice(have)
                collection.collect(database, settings, dataset, frame, officer=officer, reviewer=reviewer)
            if progress:
                progress(dataset, want, want)
        from edudata.demo.showcase import seed_showcase

        seed_showcase(settings, database, report)
    finally:
        database.dispose()
    return logins
