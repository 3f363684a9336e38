"""Destruction of data (数据销毁, Art. 34-36): request → approval by the office → execution by the destruction officer.

- **Request** (office): the scope — one person (by ID number, followed to their student/staff numbers in every
  dataset), a whole dataset, or a dataset's records created before a date — is resolved to row ids and counts at
  once; the request stores only those ids, the person's pseudonymous ``subject_ref`` and a SHA-256 of the scope.
- **Approval** (office, not the requester: 不相容岗位 — the one who asks does not approve).
- **Execution** (``destruction_officer`` only, Art. 30): rows and every earlier version deleted through the data path,
  the person's own key destroyed (crypto-shredding), a signed certificate kept, the scope appended to the
  destruction ledger outside the database so no restore can bring it back (:mod:`edudata.lifecycle.ledger`).
The audit log records each step with ids, counts and the scope hash — never a destroyed value.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from edudata import transition
from edudata.access import copies
from edudata.access import destruction as datapath_destruction
from edudata.access.datapath import Caller, Context
from edudata.access.specs import load_spec
from edudata.audit.service import record
from edudata.crypto import signing
from edudata.crypto.errors import SubjectDataDestroyed
from edudata.crypto.subject_keys import ensure_subject_keys, prepare_subjects, subject_ref, subject_refs
from edudata.db import utcnow
from edudata.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from edudata.lifecycle import ledger, side_stores
from edudata.lifecycle.ledger import canonical
from edudata.lifecycle.models import DestructionCertificate, DestructionRequest
from edudata.policy import allowed, require
from edudata.store.guard import datapath_scope

SCOPES = ("person", "people", "dataset", "before")
MAX_PEOPLE = (
    40_000  # one request (its JSON body stays under the 1 MB limit); row ids and references kept in its row
)


def _who(caller: Caller, ctx: Context) -> dict[str, Any]:
    return {
        "account_id": caller.account_id,
        "username": caller.username,
        "unit_code": caller.unit_code,
        "source_ip": caller.source_ip,
        "request_id": ctx.request_id,
    }


def _cutoff_instant(cutoff: date) -> datetime:
    """Records 'older than' a date: created before 00:00 UTC of that day."""
    return datetime(cutoff.year, cutoff.month, cutoff.day, tzinfo=UTC)


def scope_of(req: DestructionRequest) -> dict[str, Any]:
    """The canonical scope of a request (what the scope hash covers and the ledger re-applies)."""
    return {
        "kind": req.scope_kind,
        "dataset": req.dataset_code if req.scope_kind != "person" else None,
        "cutoff": _cutoff_instant(req.cutoff).isoformat() if req.cutoff else None,
        "targets": {k: sorted(v) for k, v in sorted((req.targets or {}).items())},
        "subject_refs": list(req.subject_refs or ([req.subject_ref] if req.subject_ref else [])),
    }


SHOWN_INVALID = 20  # invalid ID numbers named one by one in a refusal; the rest are counted


def checked_id_numbers(values: Sequence[str]) -> list[str]:
    """The list's ID numbers, normalised (GB 11643: full-width digits, spaces, ``x`` → ``X``), blanks skipped and
    each named once; refused as a whole when any is not a valid ID number — nothing is filed (Art. 35).

    The refusal names each invalid entry by its line (1 = the first of the list) and what is wrong with it, never
    the entry itself: the message goes to the audit log, which holds no personal value (issue 17)."""
    from edudata.catalog.validators import check_id_number

    wanted: list[str] = []
    bad: list[tuple[int, str, str]] = []
    for line, raw in enumerate(values, start=1):
        if raw is None or not str(raw).strip():
            continue
        result = check_id_number(raw)
        if result.ok and result.value:
            wanted.append(result.value)
        else:
            bad.append((line, result.message_zh, result.message_en))
    if bad:
        shown = bad[:SHOWN_INVALID]
        more_zh = f"；另有 {len(bad) - len(shown)} 行无效" if len(bad) > len(shown) else ""
        more_en = f"; {len(bad) - len(shown)} more invalid lines" if len(bad) > len(shown) else ""
        raise ValidationFailed(
            f"名单中有 {len(bad)} 个无效的身份证件号，未提交销毁申请："
            + "；".join(f"第 {line} 行：{zh}" for line, zh, _ in shown)
            + more_zh,
            f"{len(bad)} ID number(s) in the list are not valid; nothing was filed: "
            + "; ".join(f"line {line}: {en}" for line, _, en in shown)
            + more_en,
            field="id_numbers",
            invalid_lines=[line for line, _, _ in bad],
        )
    return list(dict.fromkeys(wanted))


def request_destruction(
    caller: Caller,
    ctx: Context,
    *,
    scope_kind: str,
    reason: str,
    id_number: str | None = None,
    numbers: tuple[str, ...] = (),
    dataset_code: str | None = None,
    cutoff: date | None = None,
    id_numbers: Sequence[str] = (),
) -> DestructionRequest:
    """File a destruction request (office); the scope is resolved now, so the request holds no identifier.

    ``people`` names many people by their ID numbers (``id_numbers``): their rows are located set-wise (one
    pass over the datasets for all of them), and the request is approved and executed once for all."""
    if scope_kind not in SCOPES:
        raise ValidationFailed(
            "销毁范围须为 person、people、dataset 或 before",
            "scope must be person, people, dataset or before",
        )
    if not reason or not reason.strip():
        raise ValidationFailed("请说明销毁理由", "state the reason for the destruction", field="reason")
    targets: dict[str, list[int]] = {}
    ref = None
    refs: list[str] | None = None
    if scope_kind == "people":
        wanted = checked_id_numbers(id_numbers)
        if not wanted:
            raise ValidationFailed(
                "按人员名单销毁须给出身份证件号",
                "a list of people is named by ID numbers",
                field="id_numbers",
            )
        if len(wanted) > MAX_PEOPLE:
            raise ValidationFailed(
                f"一次销毁申请最多 {MAX_PEOPLE} 人，请分批提交",
                f"one request names at most {MAX_PEOPLE} people; split the list",
                field="id_numbers",
            )
        targets = datapath_destruction.locate_person(caller, ctx, wanted[0], wanted[1:])
        refs = sorted(set(subject_refs(ctx.field_crypto().keys, wanted)) - {None})
        count = sum(len(v) for v in targets.values())
        dataset_code = cutoff = None
    elif scope_kind == "person":
        if not id_number or not id_number.strip():
            raise ValidationFailed(
                "按人员销毁须给出身份证件号", "a person is named by ID number", field="id_number"
            )
        targets = datapath_destruction.locate_person(caller, ctx, id_number, numbers)
        ref = subject_ref(ctx.field_crypto().keys, id_number)
        count = sum(len(v) for v in targets.values())
        dataset_code = cutoff = None
    else:
        if not dataset_code:
            raise ValidationFailed("请指明数据集", "name the dataset", field="dataset_code")
        if scope_kind == "before" and cutoff is None:
            raise ValidationFailed("请给出截止日期", "give the cut-off date", field="cutoff")
        if scope_kind == "dataset":
            cutoff = None
        load_spec(ctx.session, dataset_code)
        count = datapath_destruction.count_scope(
            caller, ctx, dataset_code, _cutoff_instant(cutoff) if cutoff else None
        )
    req = DestructionRequest(
        scope_kind=scope_kind,
        dataset_code=dataset_code,
        cutoff=cutoff,
        subject_ref=ref,
        subject_refs=refs,
        targets=targets,
        row_count=count,
        reason=reason.strip()[:2000],
        requested_by=caller.username,
        requested_at=utcnow(),
        status="requested",
        scope_hash="",
    )
    req.scope_hash = hashlib.sha256(canonical(scope_of(req))).hexdigest()
    ctx.session.add(req)
    ctx.session.flush()
    record(
        ctx.session,
        operation="destruction_request",
        dataset=dataset_code,
        row_count=count,
        detail={"request": req.id, "scope": scope_kind, "scope_hash": req.scope_hash},
        **_who(caller, ctx),
    )
    return req


def get_request(session: Session, request_id: int) -> DestructionRequest:
    req = session.get(DestructionRequest, request_id)
    if req is None:
        raise NotFound(f"没有编号为 {request_id} 的销毁申请", f"no destruction request {request_id}")
    return req


_STATUS = {
    "requested": ("待审批", "requested"),
    "approved": ("已批准", "approved"),
    "rejected": ("已驳回", "rejected"),
    "executed": ("已执行", "executed"),
}


def _locked(session: Session, request_id: int, *allowed: str) -> DestructionRequest:
    """The request, locked for this transaction (compare-and-set, :mod:`edudata.transition`): a second
    approval or execution at the same moment finds it decided and gets 409 naming who did it."""
    get_request(session, request_id)
    req = transition.lock_row(
        session, DestructionRequest, request_id, what=("销毁申请", "destruction request")
    )
    by, at = (req.executed_by, req.executed_at) if req.executed_by else (req.decided_by, req.decided_at)
    transition.expect(
        req, allowed, what=(f"销毁申请 {req.id}", f"destruction request {req.id}"),
        state=_STATUS.get(req.status, req.status), by=by, at=at,
    )  # fmt: skip
    return req


def decide(
    caller: Caller, ctx: Context, request_id: int, *, approve: bool, note: str | None
) -> DestructionRequest:
    """Approve or reject (office, never the requester)."""
    require(caller, "lifecycle.destruction.approve")
    req = _locked(ctx.session, request_id, "requested")
    if req.requested_by == caller.username:
        raise PermissionDenied(
            "申请人不能审批本人的销毁申请（第三十条 权限分离）",
            "the requester cannot approve their own destruction request (Art. 30)",
        )
    if not approve and not (note or "").strip():
        raise ValidationFailed("驳回须说明理由", "a rejection states its reason", field="note")
    req.status = "approved" if approve else "rejected"
    req.decided_by, req.decided_at, req.decision_note = (
        caller.username,
        utcnow(),
        (note or "").strip() or None,
    )
    ctx.session.flush()
    record(
        ctx.session,
        operation="destruction_approve" if approve else "destruction_reject",
        dataset=req.dataset_code,
        detail={"request": req.id, "scope_hash": req.scope_hash},
        **_who(caller, ctx),
    )
    return req


def _tombstone(ctx: Context, refs: Sequence[str]) -> None:
    """Make sure each person has a key row, so destroying it leaves a tombstone that refuses new data (in bulk;
    one by one only when someone in the list was destroyed already)."""
    try:
        prepare_subjects(ctx.field_crypto().keys, refs)
    except SubjectDataDestroyed:
        for ref in refs:
            with contextlib.suppress(SubjectDataDestroyed):
                ensure_subject_keys(ctx.field_crypto().keys, [ref])


def execute(caller: Caller, ctx: Context, request_id: int) -> DestructionCertificate:
    """Destroy an approved request's scope (destruction officer); returns the signed certificate."""
    req = _locked(ctx.session, request_id, "approved", "requested")
    if allowed(caller, "lifecycle.destruction.execute") and req.status != "approved":
        raise Conflict(
            f"销毁申请 {req.id} 未获批准（状态：{req.status}），不能执行",
            f"destruction request {req.id} is not approved (status: {req.status})",
        )
    scope = scope_of(req)
    by_person = req.scope_kind in ("person", "people")
    if allowed(caller, "lifecycle.destruction.execute") and scope["subject_refs"]:
        _tombstone(ctx, scope["subject_refs"])
    numbers = side_stores.person_numbers(ctx, scope["targets"]) if by_person else set()
    done = datapath_destruction.destroy(
        caller, ctx, scope, request_id=req.id, subject_refs=scope["subject_refs"]
    )
    # After the data path allowed the destruction: staged batches, quarantine, snapshots and issue rows.
    side = side_stores.shred(ctx, scope["subject_refs"], numbers) if by_person else {}
    handed_out = [copies.describe(c) for c in copies.copies_of(ctx.session, scope["subject_refs"])]
    _ask_holders_to_delete(ctx, req, handed_out)
    now = utcnow()
    req.status, req.executed_by, req.executed_at = "executed", caller.username, now
    body = {
        "certificate": f"EDUDATA-DC-{req.id:06d}",
        "school": ctx.settings.school_name,
        "what": {
            "scope": req.scope_kind,
            "dataset": req.dataset_code,
            "cutoff": req.cutoff.isoformat() if req.cutoff else None,
            "tables": done["tables"],
            "subject_keys_destroyed": done["subject_keys"],
            # The people, by pseudonymous reference (the blind index of the ID number; no identifier).
            "people": scope["subject_refs"],
            "side_stores": side,
            # Copies handed out before (exports, packages, grant deliveries): their holders are told to delete
            # them; a copy outside the platform is destroyed by its holder (Art. 35 副本).
            "copies_handed_out": handed_out,
        },
        "why": req.reason,
        "requested_by": req.requested_by,
        "requested_at": req.requested_at.isoformat(),
        "approved_by": req.decided_by,
        "approved_at": req.decided_at.isoformat() if req.decided_at else None,
        "executed_by": caller.username,
        "executed_at": now.isoformat(),
        "scope_sha256": req.scope_hash,
    }
    raw = canonical(body)
    public = signing.public_key_bytes(ctx.settings)
    cert = DestructionCertificate(
        request_id=req.id,
        body=raw.decode(),
        signature=base64.b64encode(signing.sign(raw, ctx.settings)).decode(),
        key_id=signing.key_id(public),
        public_key=public.hex(),
        issued_at=now,
    )
    ctx.session.add(cert)
    ctx.session.flush()
    # Written before the commit: a destruction that commits is always in the ledger (re-applying is idempotent).
    ledger.append(
        ctx.settings,
        {"request": req.id, "certificate": body["certificate"], "at": now.isoformat(), "scope": scope,
         "scope_sha256": req.scope_hash},
    )  # fmt: skip
    return cert


RECLAIMED = (
    "crypto_subject_key",
    "ingest_issue",
)  # tables every destruction changes besides the governed ones


def reclaimed_tables(cert: DestructionCertificate) -> list[str]:
    """The tables a destruction deleted from: each dataset's current and history table, and the key table."""
    import json

    from edudata.store.destruction import table_names

    codes = sorted(json.loads(cert.body)["what"]["tables"])
    return [t for code in codes for t in table_names(code)] + list(RECLAIMED)


def _ask_holders_to_delete(ctx: Context, req: DestructionRequest, handed_out: list[dict[str, Any]]) -> None:
    """Each holder of a copy that held the person gets an inbox note and a mail: delete that copy (Art. 35)."""
    from edudata.access.models import DataCopy
    from edudata.sharing import notify

    for item in handed_out:
        holder = ctx.session.get(DataCopy, item["copy"]).account_id
        if holder is None:
            continue
        made = (item["made_at"] or "")[:10]
        notify.send(
            ctx.session, [holder], kind="copy_delete",
            zh=f"请删除您于 {made} 取得的数据集 {item['dataset']} 的副本（副本编号 {item['copy']}，{item['rows']} 行）："
               f"其中的人员数据已按销毁申请 {req.id} 销毁（第三十五条），副本须一并销毁。",
            en=f"Delete the copy of dataset {item['dataset']} you obtained on {made} (copy {item['copy']}, "
               f"{item['rows']} rows): a person in it was destroyed under destruction request {req.id} "
               "(Art. 35); copies are destroyed with the data.",
        )  # fmt: skip


REWRITTEN = ("crypto_subject_key",)  # an old version of a key row is the person's key: no byte may stay
HORIZON_WAIT_SECONDS = 20.0  # within an HTTP client's patience; a later call may wait longer


def _wait_for_older_transactions(conn, timeout: float = HORIZON_WAIT_SECONDS) -> bool:  # noqa: ANN001
    """Wait until every transaction that began before now has ended, in any database of the cluster.

    A row version a running transaction might still see is "recently dead": ``VACUUM FULL`` copies it into the new
    file. PostgreSQL 15 keeps them for a transaction open in *another* database of the cluster too (seen: an open
    transaction in ``postgres`` keeps a row deleted in ``edudata``). ``False`` when one was still running at the
    deadline: the rewrite then keeps those versions until the next destruction or ``VACUUM``.
    """
    import time

    mark = conn.execute(text("SELECT txid_current()")).scalar_one()  # a transaction id after the commit
    deadline = time.monotonic() + timeout
    while conn.execute(text("SELECT txid_snapshot_xmin(txid_current_snapshot())")).scalar_one() <= mark:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def after_commit(
    ctx: Context, tables: list[str] | None = None, *, wait: float = HORIZON_WAIT_SECONDS
) -> bool:
    """Leave no destroyed row version readable in the database files (Art. 35 以不可逆方式销毁).

    PostgreSQL: every table the destruction deleted from gets a plain ``VACUUM (ANALYZE)`` (its TOAST with it):
    the dead versions are marked free, and their bytes stay in the pages until an insert reuses them — but every
    personal value in them is ciphertext under the person's own key (docs/crypto.md, issue 17), the rest blind
    indexes and values of other grades, so what stays is unreadable once the key is gone. The key table
    (``crypto_subject_key``) is the one that must leave no byte behind — an old version of the person's row still
    holds their wrapped key — so it alone is rewritten with ``VACUUM FULL``, after every transaction older than
    the destruction has ended (a version such a transaction might still see is copied into the new file). The
    rewrite's exclusive lock covers only that table (a few seconds per million people), not the dataset tables
    (about a second per 100,000 rows each, before). The WAL and any replica keep the old versions until the
    segments are recycled (docs/lifecycle.md). SQLite: ``secure_delete`` zeroed the freed pages; a ``TRUNCATE``
    checkpoint empties the ``-wal`` file.

    Returns ``False`` when an older transaction was still running after ``wait`` seconds (the rewrite ran, but may
    have kept versions it could still see): call again later, e.g. with a longer ``wait``.
    """
    engine = ctx.database.engine
    complete = True
    wanted = list(dict.fromkeys(tables or RECLAIMED))
    with datapath_scope("destruction: reclaim freed pages"):
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                present = set(
                    conn.execute(
                        text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
                    ).scalars()
                )
                for table in wanted:
                    if table in present and table not in REWRITTEN:
                        conn.execute(text(f'VACUUM (ANALYZE) "{table}"'))
                if any(table in present for table in REWRITTEN):
                    complete = _wait_for_older_transactions(conn, wait)
                for table in REWRITTEN:
                    if table in present:
                        conn.execute(text(f'VACUUM (FULL, ANALYZE) "{table}"'))
        else:
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return complete


def certificate_valid(cert: DestructionCertificate) -> bool:
    return signing.verify(
        bytes.fromhex(cert.public_key), cert.body.encode(), base64.b64decode(cert.signature)
    )


def list_requests(session: Session) -> list[DestructionRequest]:
    return list(session.execute(select(DestructionRequest).order_by(DestructionRequest.id.desc())).scalars())


def waiting(session: Session) -> dict[str, int]:
    """How many requests wait for a decision (``requested``) and for execution (``approved``), Art. 34."""
    from sqlalchemy import func

    rows = session.execute(
        select(DestructionRequest.status, func.count())
        .where(DestructionRequest.status.in_(("requested", "approved")))
        .group_by(DestructionRequest.status)
    ).all()
    return {"requested": 0, "approved": 0, **{status: n for status, n in rows}}


def certificate_for(session: Session, request_id: int) -> DestructionCertificate:
    cert = session.execute(
        select(DestructionCertificate).where(DestructionCertificate.request_id == request_id)
    ).scalar_one_or_none()
    if cert is None:
        raise NotFound(f"销毁申请 {request_id} 尚无销毁证明", f"request {request_id} has no certificate yet")
    return cert


def request_view(req: DestructionRequest) -> dict[str, Any]:
    return {
        "id": req.id,
        "scope": req.scope_kind,
        "dataset": req.dataset_code,
        "cutoff": req.cutoff.isoformat() if req.cutoff else None,
        "datasets": {k: len(v) for k, v in (req.targets or {}).items()},
        "people": len(req.subject_refs or ([req.subject_ref] if req.subject_ref else [])),
        "row_count": req.row_count,
        "reason": req.reason,
        "scope_sha256": req.scope_hash,
        "status": req.status,
        "requested_by": req.requested_by,
        "requested_at": req.requested_at.isoformat(),
        "decided_by": req.decided_by,
        "decided_at": req.decided_at.isoformat() if req.decided_at else None,
        "decision_note": req.decision_note,
        "executed_by": req.executed_by,
        "executed_at": req.executed_at.isoformat() if req.executed_at else None,
    }
