"""The data path's destruction operations (Art. 30, 34-36): locate a person's rows, destroy rows irreversibly.

Same shape as every data-path call — authenticate (the caller) → decide → scope → store → audit — with rules of
their own (separation of duties, Art. 30): the office locates the rows a destruction request will cover (it sees
row ids and counts, never values); only the destruction officer (数据销毁岗位) destroys. Audit records name the
dataset, the counts and the request, never a destroyed value. :func:`reapply` re-runs recorded destructions with
no caller: ``edudata restore`` uses it so a database restored from an older backup is purged before use.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from edudata.access.datapath import Caller, Context, _audit_fields, _refuse
from edudata.access.specs import load_spec
from edudata.audit import service as audit
from edudata.errors import NotFound, PermissionDenied
from edudata.policy import allowed
from edudata.store import destruction as store
from edudata.store.guard import datapath_scope
from edudata.store.models import StoreTable
from edudata.store.spec import DatasetSpec

#: Elements that identify a person (JY/T 1006 codes): followed across datasets to find all of a person's rows.
IDENTIFIER_CODES = ("SFZJH", "XH", "GH", "XGH", "ZGH")


def _allow(
    caller: Caller, ctx: Context, operation: str, action: str, dataset: str, why: tuple[str, str]
) -> None:
    """Refuse (and record) unless the policy lets the caller take ``action`` (:mod:`edudata.policy.table`)."""
    if not allowed(caller, action):
        raise _refuse(PermissionDenied(*why), caller, ctx, operation, dataset)


def materialised_specs(ctx: Context) -> list[DatasetSpec]:
    """Specs of every dataset that has a governed table."""
    specs = []
    for code in ctx.session.execute(
        select(StoreTable.dataset_code).order_by(StoreTable.dataset_code)
    ).scalars():
        try:
            specs.append(load_spec(ctx.session, code))
        except NotFound:
            continue
    return specs


def locate_person(
    caller: Caller, ctx: Context, id_number: str, numbers: Sequence[str] = ()
) -> dict[str, list[int]]:
    """Row ids of one person in every dataset, for a destruction request (office only; no value leaves)."""
    _allow(
        caller, ctx, "destruction_locate", "lifecycle.destruction.request", "*",
        ("只有网信办可以确定销毁范围", "only the office determines the scope of a destruction"),
    )  # fmt: skip
    known = {v.strip() for v in (id_number, *numbers) if v and v.strip()}
    found: dict[str, set[int]] = {}
    specs = materialised_specs(ctx)
    with datapath_scope("destruction_locate"):
        for _round in range(3):  # ID number → student number → rows keyed by student number
            before = len(known)
            for spec in specs:
                for code in IDENTIFIER_CODES:
                    element = spec.element(code)
                    if element is None:
                        continue
                    ids = store.locate(ctx.session, spec, element, known, ctx.field_crypto())
                    if ids:
                        found.setdefault(spec.code, set()).update(ids)
                if spec.code in found:
                    known |= store.plain_values(ctx.session, spec, sorted(found[spec.code]), IDENTIFIER_CODES)
            if len(known) == before:
                break
    result = {code: sorted(ids) for code, ids in sorted(found.items())}
    audit.record(
        ctx.session,
        operation="destruction_locate",
        row_count=sum(len(v) for v in result.values()),
        detail={"datasets": {k: len(v) for k, v in result.items()}},
        **_audit_fields(caller, ctx),
    )
    return result


def count_scope(caller: Caller, ctx: Context, dataset_code: str, cutoff: datetime | None) -> int:
    """Rows (current) a dataset-wide or before-a-date destruction would remove (office only)."""
    _allow(
        caller, ctx, "destruction_locate", "lifecycle.destruction.request", dataset_code,
        ("只有网信办可以确定销毁范围", "only the office determines the scope of a destruction"),
    )  # fmt: skip
    spec = load_spec(ctx.session, dataset_code)
    with datapath_scope("destruction_locate"):
        count = store.count_current(ctx.session, spec, cutoff)
    audit.record(
        ctx.session,
        operation="destruction_locate",
        dataset=spec.code,
        row_count=count,
        detail={"cutoff": cutoff.isoformat() if cutoff else None},
        **_audit_fields(caller, ctx),
    )
    return count


def _apply(ctx: Context, scope: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """Destroy what ``scope`` names: ``targets`` {dataset: [row ids]}, ``dataset`` (whole), ``cutoff``."""
    out: dict[str, dict[str, int]] = {}
    with datapath_scope("destruction"):
        for code, ids in sorted((scope.get("targets") or {}).items()):
            try:
                spec = load_spec(ctx.session, code)
            except NotFound:
                continue
            done = store.destroy_rows(ctx.session, spec, ids)
            out[code] = {"current": done.current, "history": done.history}
        if scope.get("dataset"):
            spec = load_spec(ctx.session, scope["dataset"])
            cutoff = scope.get("cutoff")
            if cutoff is not None:
                when = cutoff if isinstance(cutoff, datetime) else datetime.fromisoformat(str(cutoff))
                done = store.destroy_before(ctx.session, spec, when)
            else:
                done = store.destroy_dataset(ctx.session, spec)
            out[spec.code] = {"current": done.current, "history": done.history}
    return out


def destroy(
    caller: Caller,
    ctx: Context,
    scope: Mapping[str, Any],
    *,
    request_id: int,
    subject_refs: Iterable[str] = (),
) -> dict[str, Any]:
    """Destroy the scope of an approved request (destruction officer only) and the people's own keys."""
    _allow(
        caller, ctx, "destroy", "lifecycle.destruction.execute", str(scope.get("dataset") or "*"),
        ("只有数据销毁专员可以执行销毁（第三十条 权限分离）",
         "only the destruction officer destroys data (Art. 30, separation of duties)"),
    )  # fmt: skip
    from edudata.crypto.subject_keys import destroy_subject_keys

    counts = _apply(ctx, scope)
    keys = destroy_subject_keys(ctx.session, list(subject_refs))
    audit.record(
        ctx.session,
        operation="destroy",
        dataset=str(scope.get("dataset") or ",".join(sorted(counts)))[:200] or None,
        row_count=sum(c["current"] for c in counts.values()),
        detail={"request": request_id, "tables": counts, "subject_keys": keys},
        **_audit_fields(caller, ctx),
    )
    return {"tables": counts, "subject_keys": keys}


def reapply(ctx: Context, scopes: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Re-run recorded destructions (idempotent) after a restore; the restore command audits the result."""
    from edudata.crypto.errors import SubjectDataDestroyed
    from edudata.crypto.subject_keys import destroy_subject_keys, ensure_subject_keys

    rows = 0
    keys = 0
    for scope in scopes:
        for counts in _apply(ctx, scope).values():
            rows += counts["current"] + counts["history"]
        refs = list(scope.get("subject_refs") or ())
        for ref in refs:  # a backup older than the person's key has none: make one so a tombstone is left
            with contextlib.suppress(SubjectDataDestroyed):
                ensure_subject_keys(ctx.field_crypto().keys, [ref])
        keys += destroy_subject_keys(ctx.session, refs)
    return {"rows": rows, "subject_keys": keys}
