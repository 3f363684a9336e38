"""Statistical snapshots (统计时点 and 口径, Art. 22): freeze a dataset so reports can be reproduced later.

The office names a snapshot, states its time point and caliber (a filter over the dataset plus a written
definition); the rows in scope are read through the data path (as the office may see them: sensitive PI stays
masked) and sealed on disk with their SHA-256. A report is a count grouped by elements of the frozen rows, so
it comes out the same however the live data changed since.
"""

from __future__ import annotations

import hashlib
import io
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import func, select

from edudata.access import datapath, side_store
from edudata.audit import service as audit
from edudata.db import utcnow
from edudata.errors import Conflict, NotFound, ValidationFailed
from edudata.ingest.models import Snapshot, Version
from edudata.ingest.service import actor
from edudata.policy import require

Caller = datapath.Caller


def _digest(frame: pl.DataFrame) -> str:
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def create(
    caller: Caller,
    ctx: datapath.Context,
    dataset_code: str,
    *,
    name: str,
    time_point: date,
    caliber: dict | None = None,
    definition: str = "",
    elements: list[str] | None = None,
) -> Snapshot:
    require(caller, "ingest.snapshot.create")
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed(
            "快照名称须为 1 到 100 个字符", "a snapshot name has 1 to 100 characters", field="name"
        )
    taken = ctx.session.execute(
        select(Snapshot.id).where(Snapshot.dataset_code == dataset_code, Snapshot.name == name)
    ).first()
    if taken:
        raise Conflict(f"快照“{name}”已存在", f"snapshot '{name}' exists already", field="name")
    refs: list[str | None] = []  # each frozen row's person: its row is sealed under their key
    page, frames = datapath.export_frames(
        caller, ctx, dataset_code, elements=elements, filter=caliber, subjects=refs
    )
    frame = (
        pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame({e: [] for e in page.elements})
    )
    frame = frame.select([pl.col(c).cast(pl.String) for c in frame.columns])
    version = ctx.session.execute(
        select(func.max(Version.version_no)).where(
            Version.dataset_code == dataset_code, Version.status == "active"
        )
    ).scalar()
    snap = Snapshot(
        dataset_code=dataset_code, name=name, time_point=time_point, caliber=caliber, definition=(definition or "")[:5000],
        elements=list(page.elements), version_no=version, row_count=frame.height, sha256=_digest(frame),
        created_by=caller.username, created_at=utcnow(),
    )  # fmt: skip
    ctx.session.add(snap)
    ctx.session.flush()
    side_store.write_frame(ctx.session, ctx.settings, f"snapshot-{snap.id}", "rows", frame, refs=refs)
    audit.record(
        ctx.session, operation="ingest_snapshot", dataset=dataset_code, row_count=frame.height,
        detail={"snapshot": snap.id, "name": name, "time_point": time_point.isoformat(), "sha256": snap.sha256}, **actor(caller, ctx),
    )  # fmt: skip
    return snap


def get(ctx: datapath.Context, snapshot_id: int) -> Snapshot:
    snap = ctx.session.get(Snapshot, snapshot_id)
    if snap is None:
        raise NotFound(f"没有编号为 {snapshot_id} 的快照", f"no snapshot {snapshot_id}")
    return snap


def report(caller: Caller, ctx: datapath.Context, snapshot_id: int, by: list[str]) -> dict[str, Any]:
    """Counts of the frozen rows grouped by ``by``; the snapshot's digest is checked first."""
    require(caller, "ingest.snapshot.read")
    snap = get(ctx, snapshot_id)
    frame = side_store.read(caller, ctx, f"snapshot-{snap.id}", "rows", action="ingest.snapshot.read",
                            dataset=snap.dataset_code, why="snapshot report")  # fmt: skip
    if _digest(frame) != snap.sha256:
        raise Conflict(
            "快照数据与其摘要不符，可能已被篡改", "the snapshot's rows do not match its digest: tampered?"
        )
    unknown = [b for b in by if b not in frame.columns]
    if unknown:
        raise ValidationFailed(
            f"快照中没有数据项 {', '.join(unknown)}",
            f"the snapshot has no element {', '.join(unknown)}",
            field="by",
        )
    groups = frame.group_by(by).len().sort(by) if by else pl.DataFrame({"len": [frame.height]})
    audit.record(
        ctx.session, operation="query", dataset=snap.dataset_code, row_count=frame.height,
        detail={"snapshot": snap.id, "by": by}, **actor(caller, ctx),
    )  # fmt: skip
    return {
        "snapshot": snap.id, "name": snap.name, "dataset": snap.dataset_code, "time_point": snap.time_point.isoformat(),
        "caliber": snap.caliber, "definition": snap.definition, "version": snap.version_no, "rows": snap.row_count,
        "sha256": snap.sha256, "by": by, "groups": groups.rename({"len": "count"}).to_dicts(),
    }  # fmt: skip
