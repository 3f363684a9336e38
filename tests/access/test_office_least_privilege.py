"""The office reads and exports; it does not insert, update or delete governed rows (Art. 30, least
privilege; docs/data-path.md). Its writes are the review chain's (an approved batch, a rollback)."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from edudata.audit.models import AuditRecord
from edudata.db import Database
from support.students import student


def test_the_office_cannot_insert_update_or_delete_rows(
    http: httpx.Client, world: dict, db: Database
) -> None:
    office = world["h"]["office"]
    rows = http.get("/api/v1/data/student_basic", params={"elements": "XH"}, headers=office)
    assert rows.status_code == 200  # it reads
    row_id = rows.json()["items"][0]["_id"]
    tries = [
        http.post("/api/v1/data/student_basic/rows", json={"rows": [student(50)]}, headers=office),
        http.patch(
            f"/api/v1/data/student_basic/rows/{row_id}", json={"changes": {"ZYMC": "审计学"}}, headers=office
        ),
        http.delete(f"/api/v1/data/student_basic/rows/{row_id}", headers=office),
    ]
    for r in tries[:2]:  # inserting and changing are collection: only the producer unit's officer submits
        assert r.status_code == 403 and "ingest.batch.upload" in r.json()["detail_en"], r.text
    assert tries[2].status_code == 403 and "the office reads and exports" in tries[2].json()["detail_en"]
    with db.session() as s:
        denied = (
            s.execute(
                select(AuditRecord.operation).where(
                    AuditRecord.username == "office", AuditRecord.result == "denied"
                )
            )
            .scalars()
            .all()
        )
    assert len(denied) == 3 and "delete" in denied  # each refusal recorded
    after = http.get(
        "/api/v1/data/student_basic", params={"elements": "XH,ZYMC", "total": "true"}, headers=office
    )
    assert after.json()["total"] == 12 and all(
        r["ZYMC"] != "审计学" or r["_id"] != row_id for r in after.json()["items"]
    )
    # The producer unit's data officer still writes.
    ok = http.patch(
        f"/api/v1/data/student_basic/rows/{row_id}",
        json={"changes": {"ZYMC": "审计学"}},
        headers=world["h"]["xgb"],
    )
    assert ok.status_code == 202, ok.text
