"""Backups and drills (Art. 55, 60): important data is never scheduled without an off-site target, and the
dashboard and the inspection agree on when drills are due (one definition: each calendar year in Beijing)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from edudata.db import Database
from edudata.inspect.runs import run_inspection
from edudata.lifecycle.models import Drill, RestoreDrill
from support import clock

API = "/api/v1/lifecycle"


def test_a_schedule_of_important_data_without_an_off_site_target_is_refused(
    http: httpx.Client, world: dict, tmp_path: Path
) -> None:
    body = {
        "name": "nightly",
        "every_hours": 24,
        "keep_last": 2,
        "keep_days": 0,
        "local_dir": str(tmp_path / "l"),
    }
    r = http.post(f"{API}/backup-schedules", json=body, headers=world["h"]["office"])
    assert r.status_code == 422 and r.json()["field"] == "offsite_dir" and "Art. 60" in r.json()["detail_en"]
    r = http.post(
        f"{API}/backup-schedules",
        json={**body, "offsite_dir": str(tmp_path / "o")},
        headers=world["h"]["office"],
    )
    assert r.status_code == 201, r.text


def _due(http: httpx.Client, world: dict, db: Database, settings) -> tuple[set[str], set[str]]:  # noqa: ANN001
    owed = {o["code"] for o in http.get(f"{API}/obligations", headers=world["h"]["office"]).json()["items"]}
    with db.session() as s:
        run = run_inspection(s, "year_end", started_by="tests", settings=settings)
        s.commit()
        from edudata.inspect.models import Finding

        found = {f.check_code for f in s.query(Finding).filter(Finding.last_run_id == run.id)}
    dashboard = {c for c in owed if c in ("restore_drill_due", "emergency_drill_due")}
    inspection = {c for c in found if c in ("lifecycle.restore_drill", "lifecycle.emergency_drill")}
    return dashboard, inspection


@pytest.mark.frozen_clock(clock.beijing(2026, 7, 20))
def test_drills_early_in_the_year_count_for_the_dashboard_as_for_the_inspection(
    http: httpx.Client,
    world: dict,
    db: Database,
    settings,  # noqa: ANN001
) -> None:
    with db.session() as s:  # 196 days ago: more than half a year, but this year
        s.add(RestoreDrill(backup_name="b", performed_by="office", started_at=clock.beijing(2026, 1, 5),
                           finished_at=clock.beijing(2026, 1, 5, 11), ok=True, detail={}))  # fmt: skip
        s.add(Drill(scenario="数据泄露应急", held_on=clock.beijing(2026, 1, 6).date(), participants="网信办",
                    created_by="office"))  # fmt: skip
        s.commit()
    assert _due(http, world, db, settings) == (set(), set())


@pytest.mark.frozen_clock(clock.beijing(2027, 1, 1, 9))
def test_drills_of_last_december_are_due_again_on_new_year_for_both(
    http: httpx.Client,
    world: dict,
    db: Database,
    settings,  # noqa: ANN001
) -> None:
    with db.session() as s:
        s.add(RestoreDrill(backup_name="b", performed_by="office", started_at=clock.beijing(2026, 12, 31, 9),
                           finished_at=clock.beijing(2026, 12, 31, 10), ok=True, detail={}))  # fmt: skip
        s.add(Drill(scenario="数据泄露应急", held_on=clock.beijing(2026, 12, 31).date(), participants="网信办",
                    created_by="office"))  # fmt: skip
        s.commit()
    assert _due(http, world, db, settings) == (
        {"restore_drill_due", "emergency_drill_due"},
        {"lifecycle.restore_drill", "lifecycle.emergency_drill"},
    )
