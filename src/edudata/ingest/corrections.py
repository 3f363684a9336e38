"""Corrections (Art. 23): a file that corrects an earlier batch, without losing or doubling a row.

- A row whose key the corrected batch already accepted, for the same person (same ID number, or name when the
  dataset has none), was received already and is not taken again (``already_received``).
- The same key for a *different* person is no repeat: it is quarantined (``identity_conflict``), and the reason
  names both rows — this file's and the corrected batch's — so the officer can tell which 学号 is wrong.
- Every quarantine reason of the corrected batch whose row came back (by the ``原行号 / row`` column of the
  quarantine download, or by its key among the accepted rows) is closed by the new batch: a fixed row no longer
  counts as open, and a row still wrong is counted once, under the new batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from edudata.access import side_store
from edudata.ingest.models import Batch, Issue
from edudata.ingest.readers import SOURCE_ROW
from edudata.ingest.rules import normalise_expr
from edudata.store.spec import DatasetSpec


def identity_element(spec: DatasetSpec) -> str | None:
    """What tells two people apart: the person's ID number, else the first name element."""
    person = spec.person_element
    if person is not None:
        return person.code
    return next((e.code for e in spec.elements if e.data_type == "name"), None)


def split_repeats(caller: Any, ctx: Any, s: Any, parent: Batch, frame: pl.DataFrame):  # noqa: ANN201
    """The frame without rows the parent already accepted for the same person, how many those were, and a
    batch check quarantining keys the parent accepted for someone else."""
    spec, key = s.spec, s.key
    good = side_store.read(caller, ctx, parent.code, "good", action="ingest.batch.read", unit_code=parent.unit_code,
                           dataset=parent.dataset_code, why="rows the corrected batch accepted")  # fmt: skip
    ident = identity_element(spec)
    has_ident = ident is not None and ident in good.columns and ident in frame.columns
    theirs = good.select(
        pl.col(key).cast(pl.String).alias("_key"),
        pl.col("_row").alias("_parent_row"),
        (pl.col(ident) if has_ident else pl.lit(None, pl.String)).cast(pl.String).alias("_their_id"),
    ).unique("_key", keep="first")
    mine = frame.with_columns(
        normalise_expr(spec.element(key), pl.col(key)).alias("_key"),
        (normalise_expr(spec.element(ident), pl.col(ident)) if has_ident else pl.lit(None, pl.String)).alias(
            "_my_id"
        ),
    ).join(theirs, on="_key", how="left", maintain_order="left")
    repeat = pl.col("_parent_row").is_not_null()
    same = repeat & (
        pl.col("_my_id").is_null() | pl.col("_their_id").is_null() | (pl.col("_my_id") == pl.col("_their_id"))
    )
    flags = mine.select(same.alias("same"), (repeat & ~same).alias("conflict"))
    conflicts = mine.filter(flags.get_column("conflict")).select("_row", "_parent_row", "_key")
    kept = frame.filter(~flags.get_column("same"))
    key_name = spec.element(key).name
    ident_name = spec.element(ident).name if ident else ""

    def check(_frame: pl.DataFrame, _ctx: Any) -> pl.DataFrame | None:
        if not conflicts.height:
            return None
        rows = conflicts.to_dicts()
        return pl.DataFrame(
            {
                "_row": pl.Series([r["_row"] for r in rows], dtype=pl.Int64),
                "element": [key] * len(rows),
                "rule": ["identity"] * len(rows),
                "code": ["identity_conflict"] * len(rows),
                "message_zh": [
                    f"{key_name}：{r['_key']} 已由批次 {parent.code} 第 {r['_parent_row']} 行的另一人使用"
                    f"（{ident_name}不同），与本文件第 {r['_row']} 行冲突；请核对两行，更正其中的{key_name}"
                    for r in rows
                ],
                "message_en": [
                    f"{key}: {r['_key']} was accepted in batch {parent.code} row {r['_parent_row']} for another "
                    f"person ({ident} differs); it conflicts with row {r['_row']} of this file — check both rows"
                    for r in rows
                ],
                "action": ["quarantine"] * len(rows),
            }
        )

    return kept, int(flags.get_column("same").sum()), ("ingest.identity", check)


def resolve(
    session: Session, parent: Batch, frame: pl.DataFrame, fixed_keys: Sequence[Any], batch_id: int
) -> int:
    """Close the parent's quarantine reasons whose row came back in ``frame`` (by the parent's row number) or
    was accepted (by key); returns how many were closed."""
    rows: list[int] = []
    if SOURCE_ROW in frame.columns:
        rows = frame.get_column(SOURCE_ROW).cast(pl.Int64, strict=False).drop_nulls().unique().to_list()
    keys = [str(k) for k in fixed_keys if k is not None]
    closed = 0
    for start in range(0, max(len(keys), len(rows), 1), 5000):
        part_keys, part_rows = keys[start : start + 5000], rows[start : start + 5000]
        if not part_keys and not part_rows:
            break
        matches = []
        if part_keys:
            matches.append(Issue.row_key.in_(part_keys))
        if part_rows:
            matches.append(Issue.row_number.in_(part_rows))
        for issue in session.execute(
            select(Issue).where(
                Issue.batch_id == parent.id, Issue.resolved_by_batch_id.is_(None), or_(*matches)
            )
        ).scalars():
            issue.resolved_by_batch_id = batch_id
            closed += 1
    return closed
