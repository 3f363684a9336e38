"""Backups over real HTTP (Art. 55, 60): schedules, a backup now to local and off-site folders, verification,
restore drills recorded, and retention."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx

from edudata.config import Settings
from edudata.db import Database, utcnow
from edudata.lifecycle import operations
from edudata.lifecycle.service import last_restore_drill, last_verified_backup
from support.lifecycle import manifests

API = "/api/v1/lifecycle"
ACTOR = {"username": "tests", "source_ip": "local"}


def _schedule(http: httpx.Client, world: dict, tmp_path: Path, **extra: object) -> None:
    body = {"name": "nightly", "every_hours": 24, "keep_last": 2, "keep_days": 0,
            "local_dir": str(tmp_path / "local"), "offsite_dir": str(tmp_path / "offsite"), **extra}  # fmt: skip
    r = http.post(f"{API}/backup-schedules", json=body, headers=world["h"]["office"])
    assert r.status_code == 201, r.text


def test_a_backup_run_now_lands_in_both_folders_and_is_listed(
    http: httpx.Client, world: dict, tmp_path: Path
) -> None:
    _schedule(http, world, tmp_path)
    r = http.post(f"{API}/backup-schedules/nightly/run", headers=world["h"]["office"])
    assert r.status_code == 201, r.text
    name = r.json()["name"]
    assert [m.name for m in manifests(tmp_path / "local")] == [f"{name}.manifest.json"]
    assert [m.name for m in manifests(tmp_path / "offsite")] == [f"{name}.manifest.json"]
    listed = http.get(f"{API}/backups", headers=world["h"]["aud"]).json()["items"]
    assert [b["name"] for b in listed] == [name] and listed[0]["offsite_path"]


def test_only_the_office_takes_backups(http: httpx.Client, world: dict, tmp_path: Path) -> None:
    _schedule(http, world, tmp_path)
    assert http.post(f"{API}/backup-schedules/nightly/run", headers=world["h"]["aud"]).status_code == 403
    assert manifests(tmp_path / "local") == []


def test_verification_is_remembered_and_answers_the_inspection(
    http: httpx.Client, world: dict, db: Database, tmp_path: Path
) -> None:
    _schedule(http, world, tmp_path)
    name = http.post(f"{API}/backup-schedules/nightly/run", headers=world["h"]["office"]).json()["name"]
    with db.session() as s:
        assert last_verified_backup(s) is None
    r = http.post(f"{API}/backups/{name}/verify", headers=world["h"]["office"])
    assert r.status_code == 200 and r.json()["ok"] is True and len(r.json()["copies"]) == 2
    with db.session() as s:
        assert last_verified_backup(s).name == name


def test_a_restore_drill_restores_into_a_scratch_database_and_is_recorded(
    http: httpx.Client, world: dict, db: Database, tmp_path: Path
) -> None:
    _schedule(http, world, tmp_path)
    name = http.post(f"{API}/backup-schedules/nightly/run", headers=world["h"]["office"]).json()["name"]
    r = http.post(f"{API}/backups/{name}/drill", headers=world["h"]["office"])
    assert r.status_code == 201, r.text
    drill = r.json()
    assert drill["ok"] is True and drill["detail"]["differ"] == [] and drill["detail"]["audit_chain"] is True
    assert http.get(f"{API}/restore-drills", headers=world["h"]["aud"]).json()["items"][0]["backup"] == name
    with db.session() as s:
        assert last_restore_drill(s).backup_name == name


def test_a_drill_of_a_damaged_backup_is_recorded_as_failed(
    http: httpx.Client, world: dict, db: Database, tmp_path: Path
) -> None:
    _schedule(http, world, tmp_path)
    name = http.post(f"{API}/backup-schedules/nightly/run", headers=world["h"]["office"]).json()["name"]
    archive = tmp_path / "local" / f"{name}.edbk"
    archive.write_bytes(archive.read_bytes()[:-10])
    drill = http.post(f"{API}/backups/{name}/drill", headers=world["h"]["office"]).json()
    assert drill["ok"] is False and "error" in drill["detail"]
    with db.session() as s:
        assert last_restore_drill(s) is None


def test_scheduled_backups_run_when_due_and_retention_keeps_the_newest(
    http: httpx.Client, world: dict, db: Database, settings: Settings, tmp_path: Path
) -> None:
    _schedule(http, world, tmp_path)
    start = utcnow()
    made = []
    for hours in (0, 1, 25, 50):  # the second run is not due yet
        made += operations.run_due(settings, db, actor=ACTOR, now=start + timedelta(hours=hours))
    assert len(made) == 3
    for folder in ("local", "offsite"):
        kept = [m.name.removesuffix(".manifest.json") for m in manifests(tmp_path / folder)]
        assert sorted(kept) == sorted(made[1:])
    listed = {
        b["name"]: b["pruned"]
        for b in http.get(f"{API}/backups", headers=world["h"]["office"]).json()["items"]
    }
    assert listed == {made[0]: True, made[1]: False, made[2]: False}


def test_a_schedule_outside_the_backup_root_is_refused_and_nothing_is_created(
    http: httpx.Client, world: dict, tmp_path: Path
) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    for i, (local, offsite) in enumerate([
        (str(outside), None), ("/etc/cron.d", None), ("../../x", None), ("ok/../../x", None),
        ("nightly", str(outside / "off")), ("a\x00b", None), ("a\u202eb", None),
    ]):  # fmt: skip
        body = {"name": f"bad{i}", "every_hours": 24, "keep_last": 2, "keep_days": 0, "local_dir": local}
        if offsite:
            body["offsite_dir"] = offsite
        r = http.post(f"{API}/backup-schedules", json=body, headers=world["h"]["office"])
        assert r.status_code == 422, (local, r.text)
        assert r.json()["field"] in ("local_dir", "offsite_dir")
    assert not outside.exists()


def test_backups_are_private_files_in_private_folders(
    http: httpx.Client, world: dict, tmp_path: Path
) -> None:
    body = {"name": "nightly", "every_hours": 24, "keep_last": 2, "keep_days": 0, "local_dir": "a/b",
            "offsite_dir": "off"}  # fmt: skip
    assert http.post(f"{API}/backup-schedules", json=body, headers=world["h"]["office"]).status_code == 201
    assert http.post(f"{API}/backup-schedules/nightly/run", headers=world["h"]["office"]).status_code == 201
    for folder in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "off"):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
        for f in folder.iterdir():
            if f.is_file():
                assert f.stat().st_mode & 0o777 == 0o600, f
    assert len(list((tmp_path / "off").iterdir())) == 2  # archive and manifest
