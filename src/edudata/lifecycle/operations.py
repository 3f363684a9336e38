"""Backup operations with their records (Art. 55, 60): run, verify, restore, drills, schedules with retention.

These take the :class:`~edudata.db.Database` because a backup reads the database from outside any request and a
restore writes a different, empty one. Every step is audited (``backup``, ``backup_verify``, ``restore``,
``restore_drill``) in the live database; a restore also records itself in the database it produced.
"""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from edudata import cache
from edudata.access import destruction as datapath_destruction
from edudata.access.datapath import Context
from edudata.audit.service import record, record_now
from edudata.audit.verify import verify_chain
from edudata.config import Settings
from edudata.db import Database, normalise_url, utcnow
from edudata.errors import Conflict, NotFound, ValidationFailed
from edudata.lifecycle import backup, ledger, snapshot
from edudata.lifecycle.models import BackupRecord, BackupSchedule, RestoreDrill
from edudata.store.destruction import table_names


@dataclass
class RestoreResult:
    name: str
    url: str
    tables: int
    rows: int
    reapplied: dict[str, Any]
    differ: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.differ


def run_backup(
    settings: Settings,
    database: Database,
    local_dir: Path,
    offsite_dir: Path | None = None,
    *,
    actor: dict[str, Any],
    kind: str = "manual",
    content_hashes: bool = True,
) -> backup.BackupSet:
    """Back up the database, then record the set and audit it (after the snapshot: the record is not in it)."""
    made = backup.create(settings, database.url, local_dir, offsite_dir, created_by=actor["username"],
                         content_hashes=content_hashes)  # fmt: skip
    m = made.manifest
    with database.session() as session:
        session.add(
            BackupRecord(
                name=made.name, backend=m["backend"], kind=kind[:16], local_path=str(made.local.resolve()),
                offsite_path=str(made.offsite.resolve()) if made.offsite else None, size=m["size"],
                sha256=m["sha256"], created_by=actor["username"], created_at=datetime.fromisoformat(m["created_at"]),
            )
        )  # fmt: skip
        record(
            session,
            operation="backup",
            row_count=sum(t["rows"] for t in m["tables"].values()),
            detail={
                "name": made.name,
                "sha256": m["sha256"],
                "offsite": made.offsite is not None,
                "kind": kind,
            },
            **actor,
        )
        session.commit()
    return made


def verify_and_record(
    settings: Settings, database: Database | None, manifest_path: Path, *, actor: dict[str, Any]
) -> backup.VerifyResult:
    """Verify a set; when the live database is at hand, remember the result on its record and audit it."""
    result = backup.verify(settings, manifest_path)
    if database is None:
        return result
    with database.session() as session:
        rec = session.execute(
            select(BackupRecord).where(BackupRecord.name == result.name)
        ).scalar_one_or_none()
        if rec is not None:
            rec.verified_at, rec.verified_ok = utcnow(), result.ok
        record(
            session,
            operation="backup_verify",
            result="success" if result.ok else "failed",
            detail={"name": result.name, "problems": result.problems[:10]},
            **actor,
        )
        session.commit()
    return result


def restore(settings: Settings, manifest_path: Path, url: str, *, actor: dict[str, Any]) -> RestoreResult:
    """Restore a set into the empty database at ``url``, re-apply the destruction ledger, compare, audit."""
    entries = ledger.entries(settings)  # a forged ledger stops the restore before anything is written
    manifest = backup.restore_payload(settings, manifest_path, url)
    cache.clear_all()  # the restored database is new to this process: no cached table, spec or key
    target = Database(url)
    try:
        with target.session() as session:
            ctx = Context(session=session, settings=settings, database=target, request_id=None)
            reapplied = datapath_destruction.reapply(ctx, [e["scope"] for e in entries])
            session.commit()
        changed: set[str] = set()
        if reapplied["rows"] or reapplied["subject_keys"]:
            changed = _touched(entries)
        now = snapshot.current_stats(url, backup.has_hashes(manifest))
        differ = backup.compare(manifest, now, changed)
        record_now(
            target,
            operation="restore",
            result="success" if not differ else "failed",
            row_count=sum(t["rows"] for t in now.values()),
            detail={"name": manifest["name"], "reapplied": reapplied, "differ": differ[:20]},
            **actor,
        )
    finally:
        target.dispose()
    return RestoreResult(
        name=manifest["name"],
        url=url,
        tables=len(now),
        rows=sum(t["rows"] for t in now.values()),
        reapplied=reapplied,
        differ=differ,
    )


def _touched(entries: list[dict[str, Any]]) -> set[str]:
    """Tables a re-applied destruction may have changed: the datasets' tables and the person keys."""
    out = {"crypto_subject_key", "crypto_data_key"}
    for entry in entries:
        scope = entry["scope"]
        for code in [*(scope.get("targets") or {}), *([scope["dataset"]] if scope.get("dataset") else [])]:
            out |= set(table_names(code))
    return out


@contextlib.contextmanager
def scratch_database(url: str):  # noqa: ANN201 - yields the URL of an empty database of the same backend
    """An empty database beside ``url`` for a drill: a temporary SQLite file, or a new PostgreSQL database."""
    if snapshot.backend_of(url) == "sqlite":
        with tempfile.TemporaryDirectory(prefix="edudata-drill-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'drill.db'}"
        return
    name = f"edudata_drill_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        base = normalise_url(url).rsplit("/", 1)[0]
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def drill(
    settings: Settings, database: Database, manifest_path: Path, *, actor: dict[str, Any]
) -> RestoreDrill:
    """A restore drill (恢复演练): restore into a scratch database, compare, verify its audit chain, record it."""
    started = utcnow()
    detail: dict[str, Any] = {}
    ok = False
    try:
        with scratch_database(database.url) as url:
            result = restore(settings, manifest_path, url, actor=actor)
            scratch = Database(url)
            try:
                with scratch.session() as session:
                    chain = verify_chain(session, settings)
            finally:
                scratch.dispose()
            detail = {"tables": result.tables, "rows": result.rows, "differ": result.differ,
                      "reapplied": result.reapplied, "audit_chain": chain.ok}  # fmt: skip
            ok = result.identical and chain.ok
    except (Conflict, NotFound, ValidationFailed, backup.BackupInvalid, snapshot.BackupFailed) as err:
        detail = {"error": err.en}
    name = (
        str(backup.load_manifest(manifest_path).get("name", manifest_path.name))
        if manifest_path.exists()
        else ""
    )
    with database.session() as session:
        row = RestoreDrill(
            backup_name=name[:100] or manifest_path.name[:100], performed_by=actor["username"],
            started_at=started, finished_at=utcnow(), ok=ok, detail=detail,
        )  # fmt: skip
        session.add(row)
        record(session, operation="restore_drill", result="success" if ok else "failed",
               detail={"name": name, **detail}, **actor)  # fmt: skip
        session.commit()
    return row


# ------------------------------------------------------------------ schedules and retention


def holds_important_data(session: Session) -> bool:
    """Whether any dataset or element of the catalogue is graded 重要数据 (a backup then carries it, Art. 60)."""
    from edudata.catalog.models import DataElement, Dataset

    return (
        session.scalar(select(Dataset.id).where(Dataset.grade == "important").limit(1)) is not None
        or session.scalar(select(DataElement.id).where(DataElement.grade == "important").limit(1)) is not None
    )


def add_schedule(
    session: Session,
    *,
    name: str,
    every_hours: int,
    keep_last: int,
    keep_days: int,
    local_dir: str,
    offsite_dir: str | None,
    created_by: str,
) -> BackupSchedule:
    if every_hours < 1 or keep_last < 1 or keep_days < 0:
        raise ValidationFailed(
            "间隔至少 1 小时，至少保留 1 份", "interval ≥ 1 hour, keep at least 1 set, keep_days ≥ 0"
        )
    if session.execute(select(BackupSchedule).where(BackupSchedule.name == name)).scalar_one_or_none():
        raise Conflict(f"备份计划 {name} 已存在", f"backup schedule {name} exists")
    if not offsite_dir and holds_important_data(session):
        raise ValidationFailed(
            "数据库存有重要数据，备份计划须设置异地备份目标（第六十条）",
            "the database holds important data: a backup schedule needs an off-site target (Art. 60)",
            field="offsite_dir",
        )
    row = BackupSchedule(
        name=name, every_hours=every_hours, keep_last=keep_last, keep_days=keep_days, local_dir=local_dir,
        offsite_dir=offsite_dir, enabled=True, created_by=created_by, created_at=utcnow(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def configure_schedule(
    session: Session, settings: Settings, values: dict[str, Any], *, created_by: str, new: bool
) -> BackupSchedule:
    """Add (``new``) or change a schedule from the API's or the page's values: the folders are resolved under the
    backup root first (``backup.target_dir`` refuses anything outside it), then the checks of a schedule."""
    values = dict(values)
    values["local_dir"] = str(backup.target_dir(settings, values["local_dir"]))
    if values.get("offsite_dir"):
        values["offsite_dir"] = str(backup.target_dir(settings, values["offsite_dir"], offsite=True))
    if new:
        values.pop("enabled", None)
        return add_schedule(session, **values, created_by=created_by)
    return update_schedule(session, **values)


def update_schedule(
    session: Session,
    *,
    name: str,
    every_hours: int,
    keep_last: int,
    keep_days: int,
    local_dir: str,
    offsite_dir: str | None,
    enabled: bool = True,
) -> BackupSchedule:
    """Change a schedule's interval, retention or folders (the office, Art. 55); the same checks as a new one."""
    row = session.execute(select(BackupSchedule).where(BackupSchedule.name == name)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"没有名为 {name[:64]} 的备份计划", f"no backup schedule {name[:64]}")
    if every_hours < 1 or keep_last < 1 or keep_days < 0:
        raise ValidationFailed(
            "间隔至少 1 小时，至少保留 1 份", "interval ≥ 1 hour, keep at least 1 set, keep_days ≥ 0"
        )
    if not offsite_dir and holds_important_data(session):
        raise ValidationFailed(
            "数据库存有重要数据，备份计划须设置异地备份目标（第六十条）",
            "the database holds important data: a backup schedule needs an off-site target (Art. 60)",
            field="offsite_dir",
        )
    row.every_hours, row.keep_last, row.keep_days = every_hours, keep_last, keep_days
    row.local_dir, row.offsite_dir, row.enabled = local_dir, offsite_dir, enabled
    session.flush()
    return row


def prune(folder: Path, keep_last: int, keep_days: int, now: datetime) -> list[str]:
    """Remove sets beyond the newest ``keep_last`` that are also older than ``keep_days`` (保留策略)."""
    removed = []
    for index, (created, path) in enumerate(backup.sets_in(folder)):
        if index >= keep_last and now - created > timedelta(days=keep_days):
            removed.append(path.name.removesuffix(backup.SUFFIX_MANIFEST))
            backup.remove_set(path)
    return removed


def run_due(
    settings: Settings, database: Database, *, actor: dict[str, Any], now: datetime | None = None
) -> list[str]:
    """Run every schedule that is due, then apply its retention; returns the names of the sets made."""
    now = now or utcnow()
    with database.session() as session:
        due = [
            (s.id, s.name, s.local_dir, s.offsite_dir, s.keep_last, s.keep_days)
            for s in session.execute(select(BackupSchedule).where(BackupSchedule.enabled.is_(True))).scalars()
            if s.last_run_at is None or now - _aware(s.last_run_at) >= timedelta(hours=s.every_hours)
        ]
    made = []
    for sid, name, local, offsite, keep_last, keep_days in due:
        result = run_backup(settings, database, Path(local), Path(offsite) if offsite else None,
                            actor=actor, kind="scheduled")  # fmt: skip
        made.append(result.name)
        removed = prune(Path(local), keep_last, keep_days, now)
        if offsite:
            removed += prune(Path(offsite), keep_last, keep_days, now)
        with database.session() as session:
            schedule = session.get(BackupSchedule, sid)
            schedule.last_run_at = now
            for rec in session.execute(select(BackupRecord).where(BackupRecord.name.in_(removed))).scalars():
                rec.pruned_at = now
            record(session, operation="backup_prune", detail={"schedule": name, "removed": sorted(set(removed))},
                   **actor)  # fmt: skip
            session.commit()
    return made


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)
