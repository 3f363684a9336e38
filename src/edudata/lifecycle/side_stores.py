"""A destroyed person's copies outside the governed tables (Art. 35 销毁敏感数据及其副本): the staging files of
batches (good and quarantined rows — what the quarantine download is made of), statistical snapshots, and the
``ingest_issue`` rows that name the person's rows.

The person is recognised by their ``subject_ref`` (the blind index of the ID number, computed over each staged
frame's ID-number column, vectorised) and by the identifier numbers (学号, 工号 …) their governed rows held before
the destruction deleted them. Each sealed file holding them is written again without them (the old file replaced,
so no file the platform owns keeps them); a snapshot's digest and row count follow, so its reports no longer
count the person. Runs in the destruction's transaction: issue rows go with the commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl
from cryptography.exceptions import InvalidTag
from sqlalchemy import delete, select

from edudata.access.datapath import Context
from edudata.access.destruction import IDENTIFIER_CODES
from edudata.access.specs import load_spec
from edudata.crypto.subject_keys import subject_refs
from edudata.errors import EduDataError, NotFound
from edudata.ingest import staging
from edudata.ingest.models import Batch, Issue, Snapshot
from edudata.store import destruction as store
from edudata.store.guard import datapath_scope

SNAPSHOT = "snapshot-"
CHUNK = 5000


def person_numbers(ctx: Context, targets: Mapping[str, Sequence[int]]) -> set[str]:
    """The clear identifier numbers of the rows about to be destroyed (read before they go)."""
    numbers: set[str] = set()
    with datapath_scope("destruction: copies of the person"):
        for code, ids in sorted(targets.items()):
            try:
                spec = load_spec(ctx.session, code)
            except NotFound:
                continue
            numbers |= store.plain_values(ctx.session, spec, list(ids), IDENTIFIER_CODES)
    return numbers


def _matches(ctx: Context, frame: pl.DataFrame, refs: set[str], numbers: set[str]) -> pl.Series:
    hit = pl.Series([False] * frame.height, dtype=pl.Boolean)
    if not frame.height:
        return hit
    for code in IDENTIFIER_CODES:
        if code not in frame.columns:
            continue
        column = frame.get_column(code).cast(pl.String)
        if numbers:
            hit = hit | column.is_in(sorted(numbers)).cast(pl.Boolean).fill_null(False)
        if code == "SFZJH" and refs:
            found = subject_refs(ctx.field_crypto().keys, column.to_list())
            hit = hit | pl.Series(found, dtype=pl.String).is_in(sorted(refs)).cast(pl.Boolean).fill_null(
                False
            )
    return hit


def _parts(folder: Path) -> list[str]:
    return sorted(p.name.removesuffix(".parquet.enc") for p in folder.glob("*.parquet.enc"))


def shred(ctx: Context, refs: Iterable[str], numbers: Iterable[str]) -> dict[str, Any]:
    """Remove the person from every staged batch, snapshot and issue list; returns counts (no value)."""
    refs, numbers = set(refs), set(numbers)
    done: dict[str, Any] = {
        "staged_rows": 0,
        "snapshot_rows": 0,
        "issue_rows": 0,
        "files": 0,
        "unreadable_files": 0,
    }
    if not refs and not numbers:
        return done
    from edudata.ingest.snapshots import _digest

    root = staging.directory(ctx.settings) / "batches"
    folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.exists() else []
    session, settings = ctx.session, ctx.settings
    for folder in folders:
        code = folder.name
        for part in _parts(folder):
            try:
                frame = staging.read_frame(session, settings, code, part)
            except (InvalidTag, EduDataError):  # not openable with the key ring: no one can read it either
                done["unreadable_files"] += 1
                continue
            hit = _matches(ctx, frame, refs, numbers)
            if not hit.any():
                continue
            kept = frame.filter(~hit)
            staging.write_frame(session, settings, code, part, kept)
            done["files"] += 1
            if code.startswith(SNAPSHOT) and code[len(SNAPSHOT) :].isdigit():
                done["snapshot_rows"] += frame.height - kept.height
                snap = session.get(Snapshot, int(code[len(SNAPSHOT) :]))
                if snap is not None:
                    snap.row_count, snap.sha256 = kept.height, _digest(kept)
                continue
            done["staged_rows"] += frame.height - kept.height
            batch = session.execute(select(Batch).where(Batch.code == code)).scalar_one_or_none()
            if batch is not None and "_row" in frame.columns:
                rows = frame.filter(hit).get_column("_row").to_list()
                for start in range(0, len(rows), CHUNK):
                    done["issue_rows"] += session.execute(
                        delete(Issue).where(Issue.batch_id == batch.id, Issue.row_number.in_(rows[start : start + CHUNK]))
                    ).rowcount or 0  # fmt: skip
    keys = sorted(numbers)
    for start in range(0, len(keys), CHUNK):  # issue rows of batches whose staging is gone already
        done["issue_rows"] += session.execute(delete(Issue).where(Issue.row_key.in_(keys[start : start + CHUNK]))).rowcount or 0  # fmt: skip
    session.flush()
    return done
