"""Bottom-up review (Art. 4(1), 22): the producer unit's reviewer, then the office, make a batch authoritative.

Each step carries a comment; a rejection needs a reason. Separation of duties (Art. 30): whoever uploaded a
batch cannot approve it at either step, and the office approver cannot be the unit reviewer. The office's
approval loads the good rows through the data path (encrypted, blind-indexed, audited) as the dataset's next
version; the office can diff two versions and roll the newest back.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edudata import transition
from edudata.access import datapath, side_store
from edudata.access.decision import sensitive_masking
from edudata.access.masking import apply_masking
from edudata.audit import service as audit
from edudata.db import utcnow
from edudata.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from edudata.ingest import merge
from edudata.ingest.models import Batch, Version
from edudata.ingest.service import actor, get_batch, setup
from edudata.policy import allowed, require
from edudata.store.spec import DatasetSpec

Caller = datapath.Caller


def _sod(caller: Caller, batch: Batch) -> None:
    if caller.account_id == batch.uploaded_by_id:
        raise PermissionDenied(
            "不能审核自己上传的批次（职责分离，第三十条）",
            "you cannot approve a batch you uploaded (separation of duties, Art. 30)",
        )


def review(
    caller: Caller, ctx: datapath.Context, code: str, *, approve: bool, comment: str = "", reason: str = ""
) -> Batch:
    """The unit reviewer's step on a validated batch, or the office's on a unit-approved one."""
    session = ctx.session
    batch = get_batch(session, code)
    comment, reason = (comment or "").strip()[:2000], (reason or "").strip()[:2000]
    if not approve and not reason:
        raise ValidationFailed("驳回须说明理由", "a rejection needs a reason", field="reason")
    batch = _locked(session, caller, batch)
    office = allowed(caller, "ingest.batch.approve_office") and batch.status == "unit_approved"
    if batch.status == "validated":
        if not allowed(caller, "ingest.batch.approve_unit", unit_code=batch.unit_code):
            if allowed(caller, "ingest.batch.approve_office"):
                raise Conflict(
                    "须先经数据生产单位审核人审核通过，网信办方可审核（自下而上，第二十二条）",
                    "the producer unit's reviewer must approve first, then the office (bottom-up review, Art. 22)",
                )
            raise PermissionDenied(
                "只有本单位审核人可以审核该批次", "only the unit's reviewer reviews this batch"
            )
        _sod(caller, batch)
        batch.unit_reviewed_by, batch.unit_reviewed_at, batch.unit_comment = (
            caller.username,
            utcnow(),
            comment,
        )
        batch.status = "unit_approved" if approve else "rejected"
    elif office:
        _sod(caller, batch)
        if caller.username == batch.unit_reviewed_by:
            raise PermissionDenied(
                "单位审核人不能再以网信办身份审核同一批次",
                "the unit reviewer cannot also give the office's approval",
            )
        batch.office_reviewed_by, batch.office_reviewed_at, batch.office_comment = (
            caller.username,
            utcnow(),
            comment,
        )
        if approve:
            _load(caller, ctx, batch)
        else:
            batch.status = "rejected"
    else:
        raise Conflict(
            f"批次当前状态为 {batch.status}，不能执行此审核",
            f"the batch is {batch.status}; this review step does not apply",
        )
    if not approve:
        batch.reject_reason = reason
    audit.record(
        session,
        operation="ingest_review",
        dataset=batch.dataset_code,
        row_count=batch.rows_good,
        detail={
            "batch": batch.code,
            "step": "office" if office else "unit",
            "approve": approve,
            "comment": comment[:200],
            "reason": reason[:200],
        },
        **actor(caller, ctx),
    )
    return batch


# The states past each step: a second review of the same step at the same moment finds one of them (409).
_PAST = {
    "unit": {"unit_approved", "approved", "rejected", "rolled_back"},
    "office": {"approved", "rolled_back"},
}


def _locked(session: Session, caller: Caller, batch: Batch) -> Batch:
    """Lock the batch (compare-and-set, :mod:`edudata.transition`); 409 when the caller's step was decided."""
    batch = transition.lock_row(session, Batch, batch.id, what=("批次", "batch"))
    step = "unit" if allowed(caller, "ingest.batch.approve_unit", unit_code=batch.unit_code) else None
    step = step or ("office" if allowed(caller, "ingest.batch.approve_office") else None)
    past = _PAST.get(step or "", set())
    if step == "office" and batch.status == "rejected" and batch.office_reviewed_by:
        past = past | {"rejected"}
    if batch.status in past:
        by, at = (
            (batch.office_reviewed_by, batch.office_reviewed_at)
            if batch.office_reviewed_by
            else (batch.unit_reviewed_by, batch.unit_reviewed_at)
        )
        raise transition.conflict(
            (f"批次 {batch.code}", f"batch {batch.code}"),
            _STATUS.get(batch.status, batch.status),
            by=by,
            at=at,
        )
    return batch


_STATUS = {
    "unit_approved": ("单位已审核通过", "unit_approved"),
    "approved": ("已入库", "approved"),
    "rejected": ("已驳回", "rejected"),
    "rolled_back": ("已回滚", "rolled_back"),
}


def typed_columns(spec: DatasetSpec, frame: pl.DataFrame) -> pl.DataFrame:
    """Normalised text → the store's types (integers, dates, numbers, booleans), still column-wise."""
    out: list[pl.Series] = []
    for code in frame.columns:
        element = spec.element(code)
        if element is None:
            continue
        col = frame.get_column(code)
        t = None if element.encrypted else element.data_type  # encrypted elements stay text
        if t == "integer":
            col = col.cast(pl.Int64, strict=False)
        elif t == "decimal":
            col = col.cast(pl.Float64, strict=False)
        elif t == "date":
            col = col.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        elif t == "boolean":  # an absent value stays absent (it keeps the stored one), not "false"
            col = (
                pl.select(
                    pl.when(col.is_not_null()).then(
                        col.str.to_lowercase().is_in(["true", "1", "y", "yes", "是", "t"])
                    )
                )
                .to_series()
                .alias(code)
            )
        out.append(col)
    return pl.DataFrame(out)


def _load(caller: Caller, ctx: datapath.Context, batch: Batch) -> None:
    session = ctx.session
    # One load per dataset at a time (both backends), so the uniqueness check below sees every row stored.
    transition.lock_name(session, f"ingest-load:{batch.dataset_code}")
    s = setup(session, batch.dataset_code)
    good = side_store.read(
        caller,
        ctx,
        batch.code,
        "good",
        action="ingest.batch.approve_office",
        dataset=batch.dataset_code,
        why="load the approved batch",
    ).drop("_row")
    good, cleared = merge.split_cleared(good, s.key)
    counts = datapath.bulk_load(
        caller, ctx, batch.dataset_code, typed_columns(s.spec, good), batch=batch.code, key=s.key,
        cleared=cleared,
        checked_at=batch.uploaded_at,
    )  # fmt: skip
    latest = session.execute(
        select(func.max(Version.version_no)).where(Version.dataset_code == batch.dataset_code)
    ).scalar()
    version = Version(
        dataset_code=batch.dataset_code,
        version_no=(latest or 0) + 1,
        batch_id=batch.id,
        rows_inserted=counts["inserted"],
        rows_updated=counts["updated"],
        approved_by=caller.username,
        approved_at=utcnow(),
    )
    session.add(version)
    batch.status, batch.version_no = "approved", version.version_no


def versions(session, dataset_code: str) -> list[Version]:  # noqa: ANN001
    return list(
        session.execute(
            select(Version).where(Version.dataset_code == dataset_code).order_by(Version.version_no)
        ).scalars()
    )


def _office(caller: Caller) -> None:
    require(caller, "ingest.version.manage")


def _state(caller: Caller, ctx: datapath.Context, dataset_code: str, upto: int, key: str) -> pl.DataFrame:
    """The dataset as versions 1..upto left it (active versions only), from their sealed good rows."""
    frames = []
    for v in versions(ctx.session, dataset_code):
        if v.version_no <= upto and v.status == "active":
            batch = ctx.session.get(Batch, v.batch_id)
            good = side_store.read(caller, ctx, batch.code, "good", action="ingest.version.manage",
                                   dataset=dataset_code, why="version diff")  # fmt: skip
            frames.append(good.drop("_row"))
    if not frames:
        return pl.DataFrame(schema={key: pl.String})
    # As the store merges (ingest/merge.py): per key, each element's last value a batch gave; a batch that
    # said nothing keeps it, the marker [清空] clears it.
    both = pl.concat(frames, how="diagonal_relaxed")
    others = [c for c in both.columns if c != key]
    return both.group_by(key, maintain_order=True).agg(pl.col(c).drop_nulls().last() for c in others)


def diff(
    caller: Caller, ctx: datapath.Context, dataset_code: str, a: int, b: int, limit: int = 200
) -> dict[str, Any]:
    """Rows added, removed and changed between versions ``a`` and ``b`` (sensitive values masked)."""
    _office(caller)
    known = {v.version_no for v in versions(ctx.session, dataset_code)}
    for n in (a, b):
        if n not in known and n != 0:
            raise NotFound(f"数据集没有版本 {n}", f"the dataset has no version {n}")
    s = setup(ctx.session, dataset_code)
    old, new = _state(caller, ctx, dataset_code, a, s.key), _state(caller, ctx, dataset_code, b, s.key)
    added = new.join(old.select(s.key), on=s.key, how="anti")
    removed = old.join(new.select(s.key), on=s.key, how="anti")
    common = [c for c in new.columns if c in old.columns and c != s.key]
    both = new.join(old, on=s.key, how="inner", suffix="__old")
    changes = []
    if common and both.height:
        flags = both.select(s.key, *[(pl.col(c).ne_missing(pl.col(f"{c}__old"))).alias(c) for c in common])
        changed = flags.filter(pl.any_horizontal(common))
        cleared = both.select(
            s.key,
            *[
                (pl.col(c).eq_missing(merge.CLEAR) & pl.col(f"{c}__old").ne_missing(merge.CLEAR)).alias(c)
                for c in common
            ],
        )
        shown_clear = {
            r[s.key]: [c for c in common if r[c]]
            for r in cleared.filter(pl.any_horizontal(common)).iter_rows(named=True)
        }
        for row in changed.head(limit).iter_rows(named=True):
            changes.append({"key": row[s.key], "elements": [c for c in common if row[c]],
                            "cleared": shown_clear.get(row[s.key], [])})  # fmt: skip
        n_changed = changed.height
    else:
        n_changed = 0
    masks = {k: v for k, v in sensitive_masking(s.spec).items() if k in added.columns}
    shown = apply_masking(added.head(limit), masks) if masks else added.head(limit)
    audit.record(
        ctx.session, operation="ingest_diff", dataset=dataset_code, row_count=added.height + removed.height + n_changed,
        detail={"a": a, "b": b}, **actor(caller, ctx),
    )  # fmt: skip
    return {
        "dataset": dataset_code, "a": a, "b": b, "key": s.key,
        "added": added.height, "removed": removed.height, "changed": n_changed,
        "added_rows": shown.to_dicts(), "removed_keys": removed.get_column(s.key).head(limit).to_list(), "changed_rows": changes,
    }  # fmt: skip


def rollback(caller: Caller, ctx: datapath.Context, dataset_code: str, version_no: int) -> Version:
    """Undo the newest active version: the store returns to what the version before it left (Art. 22)."""
    _office(caller)
    transition.lock_name(ctx.session, f"ingest-load:{dataset_code}")
    active = [v for v in versions(ctx.session, dataset_code) if v.status == "active"]
    if not active or active[-1].version_no != version_no:
        raise Conflict(
            "只能回滚当前最新的有效版本；更早的版本请依次回滚",
            "only the newest active version can be rolled back; roll back later ones first",
        )
    version = active[-1]
    batch = ctx.session.get(Batch, version.batch_id)
    datapath.revert_batch(caller, ctx, dataset_code, batch.code)
    version.status, version.rolled_back_by, version.rolled_back_at = "rolled_back", caller.username, utcnow()
    batch.status = "rolled_back"
    return version
