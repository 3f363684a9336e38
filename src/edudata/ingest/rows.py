"""Rows written through the data API become a reviewed batch (Art. 4(1), 22: data is authoritative after review).

``POST /api/v1/data/{dataset}/rows`` and ``PATCH …/rows/{id}`` are one more channel of collection, like a file
or a pull: the rows pass the same rules (一数一源, Art. 51, data standards, uniqueness, unit references), good rows
wait for the producer unit's reviewer and the office, bad ones are quarantined with their reasons, and the
answer is ``202`` with the batch. A change names the row by its id; it is collected as that row's key with the
changed values, so what it does not name keeps its stored value (``docs/ingest.md``, merge semantics).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from edudata.access import datapath
from edudata.errors import EduDataError, NotFound, ValidationFailed
from edudata.ingest import readers
from edudata.ingest.models import Batch
from edudata.ingest.service import Caller, check_submitter, process, refuse, setup

SOURCE_KIND = "api"


def _table(s: Any, rows: Sequence[Mapping[str, Any]], *, partial: bool) -> readers.Table:
    """The rows as text columns named by element code (the API names elements by code only)."""
    columns = list(dict.fromkeys(k for r in rows for k in r))
    unknown = [c for c in columns if s.spec.element(c) is None]
    if unknown:
        raise ValidationFailed(
            f"数据集 {s.spec.code} 没有数据元素 {', '.join(unknown[:10])}",
            f"dataset {s.spec.code} has no element {', '.join(unknown[:10])}",
            field="rows",
        )
    missing = [] if partial else [e.code for e in s.spec.elements if e.required and e.code not in columns]
    if missing:
        raise ValidationFailed(
            f"缺少必填数据项：{', '.join(missing[:10])}",
            f"required elements missing: {', '.join(missing[:10])}",
            field="rows",
            missing=missing,
        )
    frame = pl.DataFrame(
        {
            "_row": pl.Series(range(1, len(rows) + 1), dtype=pl.Int64),
            **{c: pl.Series([readers._cell(r.get(c)) for r in rows], dtype=pl.String) for c in columns},
        }
    )
    kept, blank = readers._finish(frame)
    return readers.Table(kept, {c: c for c in columns}, [], blank)


def submit_rows(
    caller: Caller,
    ctx: datapath.Context,
    dataset_code: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    partial: bool = False,
    filename: str = "api",
) -> Batch:
    """Collect ``rows`` as a batch of the caller's unit, awaiting review; a refusal is audited, nothing kept."""
    try:
        s = setup(ctx.session, dataset_code)
        check_submitter(caller, s.spec, caller.unit_code)
        return process(
            caller, ctx, s, _table(s, rows, partial=partial), source_kind=SOURCE_KIND, filename=filename
        )
    except EduDataError as err:
        if getattr(err, "audited", False):
            raise
        raise refuse(
            err, caller, ctx, "ingest_upload", dataset_code, source=SOURCE_KIND, rows=len(rows)
        ) from None


def submit_frame(
    caller: Caller,
    ctx: datapath.Context,
    dataset_code: str,
    frame: pl.DataFrame,
    *,
    source_kind: str,
    filename: str,
) -> Batch:
    """A table of typed columns named by element code (a loader's, the demo's) collected as a batch awaiting
    review — the same rules as every channel; a refusal is audited, nothing kept."""
    try:
        s = setup(ctx.session, dataset_code)
        check_submitter(caller, s.spec, caller.unit_code)
        unknown = [c for c in frame.columns if s.spec.element(c) is None]
        if unknown:
            raise ValidationFailed(
                f"数据集 {dataset_code} 没有数据元素 {', '.join(unknown[:10])}",
                f"dataset {dataset_code} has no element {', '.join(unknown[:10])}",
                field="columns",
            )
        text = frame.select(pl.all().cast(pl.String)).with_columns(
            pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias("_row")
        )
        kept, blank = readers._finish(text)
        table = readers.Table(kept, {c: c for c in frame.columns}, [], blank)
        return process(caller, ctx, s, table, source_kind=source_kind, filename=filename)
    except EduDataError as err:
        if getattr(err, "audited", False):
            raise
        raise refuse(err, caller, ctx, "ingest_upload", dataset_code, source=source_kind) from None


def submit_change(
    caller: Caller, ctx: datapath.Context, dataset_code: str, row_id: int, changes: Mapping[str, Any]
) -> Batch:
    """One stored row's change as a batch: its key (read through the data path) with the changed values."""
    s = setup(ctx.session, dataset_code)
    page = datapath.query(caller, ctx, dataset_code, elements=[s.key], page_size=1, after_id=row_id - 1)
    found = [r for r in page.rows if r.get("_id") == row_id]
    if not found:
        raise refuse(
            NotFound(f"没有记录 {row_id}", f"no record {row_id}"), caller, ctx, "ingest_upload", dataset_code
        )
    if s.key in changes and str(changes[s.key]) != str(found[0][s.key]):
        raise refuse(
            ValidationFailed(
                f"不能修改记录的主键 {s.key}",
                f"the key {s.key} of a record cannot be changed",
                field="changes",
            ),
            caller,
            ctx,
            "ingest_upload",
            dataset_code,
        )
    row = {**changes, s.key: found[0][s.key]}
    return submit_rows(caller, ctx, dataset_code, [row], partial=True, filename=f"api: record {row_id}")
