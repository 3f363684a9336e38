"""Upload → quarantine → bottom-up review → version, over real HTTP on both databases."""

from __future__ import annotations

from ingest_support import csv_bytes, student_frame


def test_a_clean_csv_becomes_a_version_after_unit_and_office_approval(http, world) -> None:
    up = world["up"]
    r = up(csv_bytes(student_frame(50)))
    assert r.status_code == 201, r.text
    batch = r.json()
    assert (batch["good"], batch["quarantined"], batch["status"]) == (50, 0, "validated")
    assert up.review(batch["code"], "xgb_rev", comment="已核对").json()["status"] == "unit_approved"
    done = up.review(batch["code"], "office", comment="同意")
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["version"]) == ("approved", 1)
    rows = http.get(
        "/api/v1/data/student_basic", params={"limit": 100, "total": True}, headers=world["h"]["xgb"]
    ).json()
    assert rows["total"] == 50
