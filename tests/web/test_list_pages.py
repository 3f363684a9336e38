"""Every list page of issue 18 (item 4) on the demo university: the catalogue, the ingest batches, the audit log,
the inspection findings and the sharing grants — server-side sorting, filtering by pickers with the total shown,
paging, the htmx fragment (``HX-Request``), bad parameters answered cleanly, and the row set each person sees
unchanged by the list (a refused person is refused as before). The quarantine list is in
tests/ingest/test_ingest_batch_page.py, accounts and applications in tests/web/test_lists.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from edudata.access.grants import create_grant
from edudata.access.models import AccessGrant
from edudata.audit.models import AuditRecord
from edudata.catalog.models import Dataset
from edudata.config import Settings
from edudata.db import Database
from edudata.ingest.models import Batch
from edudata.inspect.models import Finding, InspectionRun
from edudata.org.models import Unit
from support import clock
from support.server import LiveServer
from support.world import demo_world, log_in

HX = {"HX-Request": "true"}


@contextmanager
def _as(server: LiveServer, logins: dict, username: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        log_in(client, logins[username])
        yield client


def _world(settings: Settings) -> dict:
    return {login.username: login for login in demo_world(settings)}


def _cells(page: str, table: str, pattern: str) -> list[str]:
    body = page.split(f'<table id="{table}">')[1].split("</table>")[0]
    return re.findall(pattern, body)


def _fragment(answer: httpx.Response, region: str) -> str:
    """An htmx answer: the list's region alone, not the page around it."""
    assert answer.status_code == 200 and answer.headers["vary"] == "HX-Request"
    text = answer.text.lstrip()
    assert text.startswith(f'<div id="{region}"') and "<html" not in text and "<header" not in text
    return text


def test_the_catalogue_sorts_filters_by_unit_and_pages(
    db: Database, settings: Settings, server: LiveServer
) -> None:
    logins = _world(settings)
    with db.session() as s:
        codes = sorted(s.scalars(select(Dataset.code)))
        owned = sorted(
            s.scalars(
                select(Dataset.code).join(Unit, Unit.id == Dataset.owner_unit_id).where(Unit.code == "0104")
            )
        )
    assert len(codes) > 5 and 0 < len(owned) < len(codes)
    code = r"<td><code>([^<]+)</code></td>"
    with _as(server, logins, "lib_applicant") as person:
        first = person.get("/catalog", params={"size": 5}).text
        assert f"共 {len(codes)} 条" in first and _cells(first, "datasets", code) == codes[:5]
        second = person.get("/catalog", params={"size": 5, "page": 2}).text
        assert _cells(second, "datasets", code) == codes[5:10]
        turned = person.get("/catalog", params={"sort": "code", "dir": "desc", "size": 5}).text
        assert _cells(turned, "datasets", code) == codes[::-1][:5] and 'aria-sort="descending"' in turned
        mine = person.get("/catalog", params={"unit": "0104"}).text
        assert f"共 {len(owned)} 条" in mine and _cells(mine, "datasets", code) == owned
        assert '<option value="0104" selected>' in mine  # a picker of units by name, not a typed code
        # the links keep the filter
        link = re.search(r'href="([^"]*)"[^>]*>名称</a>', mine).group(1).replace("&amp;", "&")
        assert "unit=0104" in link and "sort=name" in link
        # unknown sort key → the default order; a page that is no number → the first; past the end → the last
        odd = person.get("/catalog", params={"sort": "secret", "page": "abc", "size": 5})
        assert odd.status_code == 200 and _cells(odd.text, "datasets", code) == codes[:5]
        far = person.get("/catalog", params={"page": 999_999, "size": 5})
        assert (
            far.status_code == 200 and _cells(far.text, "datasets", code) == codes[-(len(codes) % 5 or 5) :]
        )
        part = _fragment(person.get("/catalog", params={"unit": "0104"}, headers=HX), "datasets-region")
        assert f"共 {len(owned)} 条" in part and _cells(part, "datasets", code) == owned
    with httpx.Client(base_url=server.url, timeout=60) as nobody:  # not signed in: sent to log in, as before
        assert nobody.get("/catalog", headers=HX).status_code == nobody.get("/catalog").status_code


def _batches(db: Database) -> None:
    statuses = ("validated", "unit_approved", "approved", "rejected")
    with db.session() as s:
        for i in range(30):
            s.add(Batch(code=f"T104-{i:03d}", dataset_code="student_basic", unit_code="0104", source_kind="csv",
                        status=statuses[i % 4], uploaded_by="xgb_officer", rows_total=100,
                        rows_quarantined=i, rows_good=100 - i))  # fmt: skip
        for i in range(3):
            s.add(Batch(code=f"T102-{i:03d}", dataset_code="staff_basic", unit_code="0102", source_kind="csv",
                        status="validated", uploaded_by="rsc_officer", rows_total=10))  # fmt: skip
        s.commit()


def test_the_batches_list_keeps_each_unit_to_its_own_and_sorts_filters_pages(
    db: Database, settings: Settings, server: LiveServer
) -> None:
    logins = _world(settings)
    _batches(db)
    with db.session() as s:
        own = s.scalar(select(func.count()).select_from(Batch).where(Batch.unit_code == "0104"))
        everyone = s.scalar(select(func.count()).select_from(Batch))
        staff = s.scalar(select(func.count()).select_from(Batch).where(Batch.unit_code == "0102"))
        rejected = s.scalar(select(func.count()).select_from(Batch).where(Batch.unit_code == "0104",
                                                                        Batch.status == "rejected"))  # fmt: skip
    batch = r'<a href="/ingest/batches/([^"]+)">'
    with _as(server, logins, "xgb_officer") as officer:
        page = officer.get("/ingest").text
        assert f"共 {own} 条" in page and not any(
            c.startswith("T102") for c in _cells(page, "batches", batch)
        )
        assert 'id="f-unit"' not in page  # no unit picker for a person who sees one unit
        other = officer.get("/ingest", params={"unit": "0102"}).text  # a filter cannot widen the row set
        assert "共 0 条" in other
        most = officer.get("/ingest", params={"sort": "quarantined", "dir": "desc", "size": 5}).text
        assert _cells(most, "batches", batch) == [f"T104-{i:03d}" for i in range(29, 24, -1)]
        second = officer.get(
            "/ingest", params={"sort": "quarantined", "dir": "desc", "size": 5, "page": 2}
        ).text
        assert _cells(second, "batches", batch) == [f"T104-{i:03d}" for i in range(24, 19, -1)]
        only = officer.get("/ingest", params={"status": "rejected"}).text
        assert f"共 {rejected} 条" in only and '<option value="rejected" selected>已驳回</option>' in only
        today = clock.today().isoformat()
        days = officer.get("/ingest", params={"since": today, "until": today}).text
        assert f"共 {own} 条" in days  # uploaded today, Beijing time
        before = officer.get(
            "/ingest", params={"until": (clock.today() - timedelta(days=1)).isoformat()}
        ).text
        assert "共 0 条" in before
        bad = officer.get("/ingest", params={"since": "not-a-day", "sort": "sha256", "page": "-3"})
        assert bad.status_code == 200 and f"共 {own} 条" in bad.text
        part = _fragment(officer.get("/ingest", params={"status": "rejected"}, headers=HX), "batches-region")
        assert f"共 {rejected} 条" in part
    with _as(server, logins, "office") as office:
        assert f"共 {everyone} 条" in office.get("/ingest").text
        theirs = office.get("/ingest", params={"unit": "0102"}).text
        assert staff > 3 and f"共 {staff} 条" in theirs and '<option value="0102" selected>' in theirs
    with _as(server, logins, "leader") as leader:  # leadership reads quality reports, never batches
        assert (
            "共 0 条" in leader.get("/ingest").text and "T104" not in leader.get("/ingest", headers=HX).text
        )


def test_the_audit_log_sorts_filters_by_pickers_and_pages(
    db: Database, settings: Settings, server: LiveServer
) -> None:
    logins = _world(settings)
    seq = r"<tr>\s*<td>(\d+)</td>"
    with _as(server, logins, "auditor") as auditor:
        newest = [int(n) for n in _cells(auditor.get("/audit", params={"size": 10}).text, "records", seq)]
        assert len(newest) == 10 and newest == sorted(newest, reverse=True)
        oldest = [int(n) for n in _cells(auditor.get("/audit", params={"sort": "seq", "dir": "asc",
                                                                      "size": 10}).text, "records", seq)]  # fmt: skip
        assert oldest == sorted(oldest) and oldest[0] < newest[-1]
        window = auditor.get("/audit", params={"sort": "seq", "dir": "asc", "size": 10, "page": 2}).text
        assert [int(n) for n in _cells(window, "records", seq)][0] > oldest[-1]
        with db.session() as s:
            logins_by_office = s.scalar(select(func.count()).select_from(AuditRecord).where(
                AuditRecord.operation == "login", AuditRecord.username == "office"))  # fmt: skip
        picked = auditor.get("/audit", params={"operation": "login", "account": "office"}).text
        assert f"共 {logins_by_office} 条" in picked
        assert '<option value="office" selected>' in picked and '<option value="login" selected>' in picked
        today = clock.today().isoformat()
        assert "共 0 条" in auditor.get("/audit", params={"until": (clock.today() - timedelta(days=1)).isoformat(),
                                                          "since": "2000-01-01"}).text  # fmt: skip
        assert f"共 {logins_by_office} 条" in auditor.get("/audit", params={
            "operation": "login", "account": "office", "since": today, "until": today}).text  # fmt: skip
        odd = auditor.get("/audit", params={"sort": "detail", "page": "zero", "size": 10})
        assert odd.status_code == 200 and "第 1 / " in odd.text
        part = _fragment(auditor.get("/audit", params={"operation": "login", "account": "office"}, headers=HX),
                         "records-region")  # fmt: skip
        assert f"共 {logins_by_office} 条" in part
    with _as(server, logins, "office") as office:  # separation of duties: refused as before, fragment or not
        assert office.get("/audit").status_code == office.get("/audit", headers=HX).status_code == 403


def _findings(db: Database) -> None:
    with db.session() as s:
        run = InspectionRun(mode="routine", checks=["org.sod_conflict"], started_by="office")
        s.add(run)
        s.flush()
        for i in range(24):
            unit = "0104" if i < 20 else "0102"
            s.add(Finding(fingerprint=f"fp{i}", check_code="org.sod_conflict", article="30",
                          severity=("high", "medium", "low")[i % 3], unit_code=unit, subject=f"s{i}",
                          title_zh=f"问题{i:02d}", title_en=f"finding {i:02d}", evidence={}, status="open",
                          first_run_id=run.id, last_run_id=run.id,
                          deadline=clock.today() + timedelta(days=i - 5)))  # fmt: skip
        s.commit()


def test_the_findings_list_sorts_filters_by_unit_and_overdue_and_pages(
    db: Database, settings: Settings, server: LiveServer
) -> None:
    logins = _world(settings)
    _findings(db)
    title = r'<a href="/inspect/findings/\d+">(问题\d\d)</a>'
    with _as(server, logins, "office") as office:
        page = office.get("/inspect/findings", params={"size": 10}).text
        assert "共 24 条" in page and _cells(page, "findings", title) == [f"问题{i:02d}" for i in range(10)]
        later = office.get("/inspect/findings", params={"size": 10, "page": 3}).text
        assert _cells(later, "findings", title) == [f"问题{i:02d}" for i in range(20, 24)]
        last = office.get("/inspect/findings", params={"sort": "deadline", "dir": "desc", "size": 3}).text
        assert _cells(last, "findings", title) == ["问题23", "问题22", "问题21"]
        high = _cells(
            office.get("/inspect/findings", params={"sort": "severity", "size": 8}).text, "findings", title
        )
        assert high == [f"问题{i:02d}" for i in range(0, 24, 3)]  # every high one first
        theirs = office.get("/inspect/findings", params={"unit": "0102"}).text
        assert "共 4 条" in theirs and '<option value="0102" selected>' in theirs
        late = office.get("/inspect/findings", params={"overdue": "1"}).text
        assert "共 5 条" in late and _cells(late, "findings", title) == [f"问题{i:02d}" for i in range(5)]
        odd = office.get("/inspect/findings", params={"sort": "evidence", "page": "2x", "status": "nonsense"})
        assert odd.status_code == 200 and "共 24 条" in odd.text
        part = _fragment(
            office.get("/inspect/findings", params={"unit": "0102"}, headers=HX), "findings-region"
        )
        assert "共 4 条" in part
    with _as(server, logins, "rsc_officer") as officer:  # a unit sees its own findings, whatever it asks for
        own = officer.get("/inspect/findings").text
        assert "共 4 条" in own and 'id="f-unit"' not in own
        assert "共 0 条" in officer.get("/inspect/findings", params={"unit": "0104"}).text
    with _as(server, logins, "lib_applicant") as applicant:  # no finding to read: refused as before
        assert applicant.get("/inspect/findings").status_code == 403
        assert applicant.get("/inspect/findings", headers=HX).status_code == 403


def test_the_grants_list_shows_the_office_all_and_a_holder_its_own(
    db: Database, settings: Settings, server: LiveServer
) -> None:
    logins = _world(settings)
    with db.session() as s:
        for i in range(28):
            create_grant(s, dataset_code="student_basic", grantee_unit_code="0110", elements=["XH", "XM"][: 1 + i % 2],
                         purpose="教学评估", expires_at=clock.now() + timedelta(days=10 + i))  # fmt: skip
        for _ in range(2):
            create_grant(
                s, dataset_code="staff_basic", grantee_unit_code="0106", elements=["GH"], purpose="科研"
            )
        ended = s.scalars(select(AccessGrant).where(AccessGrant.grantee_unit_code == "0110")).first()
        ended.revoked_at, ended.revoked_by = clock.now(), "office"
        ended_id = ended.id
        s.commit()
        mine = sorted(
            s.scalars(select(AccessGrant.id).where(AccessGrant.grantee_unit_code == "0110")), reverse=True
        )
    grant = r"<tr><td>(\d+)</td>"
    with _as(server, logins, "office") as office:
        page = office.get("/sharing/grants").text
        assert "共 30 条" in page and "第 1 / 2 页" in page
        assert "/sharing/grants" in office.get("/sharing").text  # reachable from the sharing page
        theirs = office.get("/sharing/grants", params={"unit": "0106"}).text
        assert "共 2 条" in theirs and '<option value="0106" selected>' in theirs
        revoked = office.get("/sharing/grants", params={"state": "revoked"}).text
        assert "共 1 条" in revoked and _cells(revoked, "grants", grant) == [str(ended_id)]
        soon = (
            clock.today() + timedelta(days=14)
        ).isoformat()  # grants ending within 14 days: 10-14 days out
        assert "共 5 条" in office.get("/sharing/grants", params={"unit": "0110", "ends_before": soon}).text
        first = _cells(office.get("/sharing/grants", params={"sort": "expires", "dir": "asc", "unit": "0110", "size": 3}).text,
                       "grants", grant)  # fmt: skip
        assert first == [str(i) for i in sorted(mine)[:3]]  # the earliest ends first: created in that order
        part = _fragment(
            office.get("/sharing/grants", params={"state": "revoked"}, headers=HX), "grants-region"
        )
        assert "共 1 条" in part
    with _as(server, logins, "lib_applicant") as holder:
        own = holder.get("/sharing/grants").text
        assert "共 28 条" in own and _cells(own, "grants", grant) == [str(i) for i in mine[:25]]
        second = holder.get("/sharing/grants", params={"page": 2}).text
        assert _cells(second, "grants", grant) == [str(i) for i in mine[25:]]
        assert (
            "共 0 条" in holder.get("/sharing/grants", params={"unit": "0106"}).text
        )  # not widened by a filter
        odd = holder.get("/sharing/grants", params={"sort": "purpose", "page": "?", "ends_before": "someday"})
        assert odd.status_code == 200 and "共 28 条" in odd.text
    with _as(server, logins, "leader") as leader:  # no grant of an application it may open: sees none
        assert "共 0 条" in leader.get("/sharing/grants").text
