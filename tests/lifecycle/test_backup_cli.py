"""``edudata backup`` → wipe → ``edudata restore`` → ``edudata audit verify``, with the real command line in a new
process, on both databases: the data come back identical (row counts and a content hash computed here)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
from sqlalchemy import create_engine, inspect, text

from edudata.config import Settings
from edudata.db import Database, normalise_url
from edudata.store.guard import datapath_scope
from support.lifecycle import manifests, run_cli

AUDIT = {"audit_record", "audit_tree", "audit_tile", "audit_checkpoint", "audit_cosignature", "audit_epoch"}


def fingerprint(url: str, upto_seq: int | None = None) -> dict[str, tuple[int, str]]:
    """Row count and SHA-256 over the sorted rows of every table (audit records up to ``upto_seq``)."""
    engine = create_engine(normalise_url(url))
    out = {}
    try:
        with datapath_scope("test fingerprint"), engine.connect() as conn:
            for name in sorted(inspect(conn).get_table_names()):
                if name in AUDIT - {"audit_record"}:
                    continue
                sql = f'SELECT * FROM "{name}"'  # noqa: S608 - names from the inspector
                if name == "audit_record" and upto_seq is not None:
                    sql += f" WHERE seq <= {int(upto_seq)}"
                rows = sorted(repr(tuple(r)) for r in conn.execute(text(sql)))
                out[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    finally:
        engine.dispose()
    return out


def wipe(url: str) -> None:
    """Lose the database: the SQLite file is deleted, the PostgreSQL schema dropped."""
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    engine = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def test_backup_wipe_restore_and_the_audit_chain_verifies_with_identical_data(
    http: httpx.Client, world: dict, db: Database, settings: Settings, tmp_path: Path
) -> None:
    url = settings.resolved_database_url()
    with db.engine.connect() as conn:
        last_seq = conn.execute(text("SELECT max(seq) FROM audit_record")).scalar_one()
    before = fingerprint(url)
    made = run_cli(
        settings, "backup", "--to", str(tmp_path / "local"), "--offsite", str(tmp_path / "offsite")
    )
    assert made.returncode == 0, made.stdout + made.stderr
    (manifest,) = manifests(tmp_path / "local")
    assert manifests(tmp_path / "offsite")[0].name == manifest.name

    wipe(url)
    restored = run_cli(settings, "restore", str(manifest))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    verified = run_cli(settings, "audit", "verify", "--read-only")  # sequencing would change what is compared
    assert verified.returncode == 0, verified.stdout + verified.stderr

    after = fingerprint(url, upto_seq=last_seq)
    assert after == before
    assert after["gd_student_basic"][0] == 12 and after["gd_student_basic__history"][0] == 1
    office = http.get("/api/v1/data/student_basic", params={"total": "true"}, headers=world["h"]["office"])
    assert office.status_code == 200 and office.json()["total"] == 12


def test_the_backup_is_encrypted_and_its_manifest_signed(
    world: dict, settings: Settings, tmp_path: Path
) -> None:
    assert run_cli(settings, "backup", "--to", str(tmp_path)).returncode == 0
    (manifest,) = manifests(tmp_path)
    data = json.loads(manifest.read_text())
    archive = (tmp_path / data["archive"]).read_bytes()
    for value in (world["rows"][0]["XH"], "学生基本信息", "CREATE TABLE", "SQLite format"):
        assert value.encode() not in archive
    assert data["signature"] and data["tables"]["gd_student_basic"]["rows"] == 12
    assert run_cli(settings, "backup", "verify", str(manifest)).returncode == 0


def test_a_changed_byte_in_the_archive_fails_verification(
    world: dict, settings: Settings, tmp_path: Path
) -> None:
    assert run_cli(settings, "backup", "--to", str(tmp_path)).returncode == 0
    (manifest,) = manifests(tmp_path)
    archive = tmp_path / json.loads(manifest.read_text())["archive"]
    raw = bytearray(archive.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    archive.write_bytes(bytes(raw))
    checked = run_cli(settings, "backup", "verify", str(manifest))
    assert checked.returncode == 1 and "digest" in checked.stdout


def test_a_changed_manifest_fails_its_signature(world: dict, settings: Settings, tmp_path: Path) -> None:
    assert run_cli(settings, "backup", "--to", str(tmp_path)).returncode == 0
    (manifest,) = manifests(tmp_path)
    data = json.loads(manifest.read_text())
    data["tables"]["gd_student_basic"]["rows"] = 13
    manifest.write_text(json.dumps(data))
    checked = run_cli(settings, "backup", "verify", str(manifest))
    assert checked.returncode == 1 and "signature" in checked.stdout


def test_restore_refuses_a_database_that_is_not_empty(
    world: dict, db: Database, settings: Settings, tmp_path: Path
) -> None:
    assert run_cli(settings, "backup", "--to", str(tmp_path)).returncode == 0
    (manifest,) = manifests(tmp_path)
    refused = run_cli(settings, "restore", str(manifest))
    assert refused.returncode == 2 and "not empty" in refused.stdout
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM lifecycle_backup")).scalar_one() == 1


def test_a_counts_only_backup_restores_and_is_compared_by_row_counts(
    world: dict, db: Database, settings: Settings, tmp_path: Path
) -> None:
    assert run_cli(settings, "backup", "--to", str(tmp_path), "--no-content-hashes").returncode == 0
    (manifest,) = manifests(tmp_path)
    tables = json.loads(manifest.read_text())["tables"]
    assert tables["gd_student_basic"] == {"rows": 12}
    from edudata.lifecycle import operations

    with operations.scratch_database(db.url) as url:
        result = operations.restore(
            settings, manifest, url, actor={"username": "tests", "source_ip": "local"}
        )
    assert result.identical and result.rows >= 12
