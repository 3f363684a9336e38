"""A destroyed person's copies outside the governed tables (Art. 35 销毁敏感数据及其副本): the staging files of
batches (good and quarantined rows — what the quarantine download is made of), statistical snapshots, and the
``ingest_issue`` rows that name the person's rows.

Every row of these files that names its person is sealed under that person's key (``access.side_store``), so
once the destruction has destroyed the key those rows are unreadable in every copy of the file; the person is
also recognised by their ``subject_ref`` and by the identifier numbers (学号, 工号 …) their governed rows held
before the destruction deleted them (rows without an ID number). Each sealed file holding them is written again without them (the old file replaced,
so no file the platform owns keeps them); a snapshot's digest and row count follow, so its reports no longer
count the person. Runs in the destruction's transaction: issue rows go with the commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl
from sqlalchemy import delete, select

from edudata.access import side_store
from edudata.access.datapath import Context
from edudata.access.destruction import IDENTIFIER_CODES
from edudata.access.specs import load_spec
from edudata.crypto.subject_keys import subject_refs
from edudata.errors import NotFound
from edudata.ingest.models import Batch, Issue, Snapshot
from edudata.store import destruction as store
from edudata.store.guard import datapath_scope
from edudata.store.sets import chunks, one_of

SNAPSHOT = "snapshot-"
SUBJECT = side_store.SUBJECT


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


def shred(ctx: Context, refs: Iterable[str], numbers: Iterable[str]) -> dict[str, Any]:
    """Remove the person from every staged batch, snapshot and issue list; returns counts (no value).

    Their rows in the side stores are sealed under their key, which the destruction has just destroyed, so
    they read as destroyed (``side_store.scan``); rows without a person (no ID number) are matched by the
    identifier numbers. Each file holding either is rewritten without them."""
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

    session, settings = ctx.session, ctx.settings
    for code, part, frame, destroyed in side_store.scan(session, settings):
        if frame is None:  # not openable with the key ring: no one can read it either
            done["unreadable_files"] += 1
            continue
        hit = _matches(ctx, frame, refs, numbers)
        if SUBJECT in frame.columns and refs:
            hit = hit | frame.get_column(SUBJECT).is_in(sorted(refs)).fill_null(False)
        if not hit.any() and not destroyed:
            continue
        kept = frame.filter(~hit)
        side_store.rewrite(session, settings, code, part, kept)
        done["files"] += 1
        removed = frame.height - kept.height + len(destroyed)
        if code.startswith(SNAPSHOT) and code[len(SNAPSHOT) :].isdigit():
            done["snapshot_rows"] += removed
            snap = session.get(Snapshot, int(code[len(SNAPSHOT) :]))
            if snap is not None:  # the report no longer counts the person: the frozen rows and digest follow
                snap.row_count, snap.sha256 = kept.height, _digest(kept.drop(SUBJECT, strict=False))
            continue
        done["staged_rows"] += removed
        batch = session.execute(select(Batch).where(Batch.code == code)).scalar_one_or_none()
        if batch is not None and "_row" in frame.columns:
            rows = frame.filter(hit).get_column("_row").to_list() + [r for r in destroyed if r is not None]
            for part in chunks(session, rows):
                done["issue_rows"] += session.execute(
                    delete(Issue).where(Issue.batch_id == batch.id, one_of(session, Issue.row_number, part))
                ).rowcount or 0  # fmt: skip
    for part in chunks(session, sorted(numbers)):  # issue rows of batches whose staging is gone already
        done["issue_rows"] += session.execute(delete(Issue).where(one_of(session, Issue.row_key, part))).rowcount or 0  # fmt: skip
    session.flush()
    return done
