"""Collecting a batch (Art. 20-24): receive → read → validate → quarantine → stage, audited at every end.

Only the producer unit's data officer submits its dataset (一数一源, Art. 8(4), 19). A refused or failed
submission stores nothing and leaves an audit record of its own (Art. 30). A resubmission names the batch it
corrects: rows the earlier batch already accepted are not taken twice, and the quarantine reasons its rows
fix are marked resolved, so nothing is lost and nothing is counted twice.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from edudata.access import datapath, side_store, write_rules
from edudata.access.specs import current_code_values, load_spec
from edudata.audit import service as audit
from edudata.catalog.models import DataElement, Dataset
from edudata.db import utcnow
from edudata.errors import EduDataError, NotFound, PermissionDenied
from edudata.ingest import corrections, files, incoming, readers
from edudata.ingest.models import Batch, HeaderMapping, Issue, Rule
from edudata.ingest.rules import CheckContext, RuleSpec, default_cross_rules, registered_checks
from edudata.ingest.validate import Outcome, run
from edudata.org.models import Unit
from edudata.policy import require
from edudata.store.spec import DatasetSpec

Caller = datapath.Caller


@dataclass
class Setup:
    spec: DatasetSpec
    names_en: dict[str, str]
    saved: dict[str, str]
    key: str
    unique: tuple[str, ...]
    rules: list[RuleSpec]


def actor(caller: Caller, ctx: datapath.Context) -> dict[str, Any]:
    return {
        "account_id": caller.account_id,
        "username": caller.username,
        "unit_code": caller.unit_code,
        "source_ip": caller.source_ip,
        "request_id": ctx.request_id,
    }


def refuse(
    err: EduDataError,
    caller: Caller,
    ctx: datapath.Context,
    operation: str,
    dataset: str | None,
    **detail: Any,
) -> EduDataError:
    """Record a refusal in its own transaction (the request's work is rolled back) and mark it audited."""
    ctx.session.rollback()
    audit.record_now(
        ctx.database,
        operation=operation,
        result="denied" if isinstance(err, PermissionDenied) else "failed",
        dataset=dataset,
        detail={"reason": err.en, **detail},
        **actor(caller, ctx),
    )
    err.audited = True  # type: ignore[attr-defined]
    return err


def setup(session: Session, dataset_code: str) -> Setup:
    """The dataset's spec, English names, saved header mappings, key and unique elements, and rules."""
    spec = load_spec(session, dataset_code)
    names_en = dict(
        session.execute(
            select(DataElement.code, DataElement.name_en)
            .join(Dataset, Dataset.id == DataElement.dataset_id)
            .where(Dataset.code == dataset_code)
        ).all()
    )
    saved = dict(
        session.execute(
            select(HeaderMapping.header, HeaderMapping.element).where(
                HeaderMapping.dataset_code == dataset_code
            )
        ).all()
    )
    key = spec.key_element.code
    unique = tuple(dict.fromkeys([key, *(e.code for e in spec.elements if e.data_type == "id_number")]))
    rows = session.execute(
        select(Rule).where(Rule.dataset_code == dataset_code, Rule.enabled.is_(True)).order_by(Rule.id)
    ).scalars()
    rules = default_cross_rules(spec) + [
        RuleSpec(r.id, r.element, r.kind, r.params or {}, r.message_zh, r.message_en) for r in rows
    ]
    return Setup(spec, names_en, saved, key, unique, rules)


def check_submitter(caller: Caller, spec: DatasetSpec, unit_code: str) -> None:
    require(caller, "ingest.batch.upload", unit_code=unit_code)
    if unit_code != spec.owner_unit_code:
        raise PermissionDenied(
            f"单位 {unit_code} 不是数据集“{spec.name}”的权威来源单位（一数一源，第十九条）",
            f"unit {unit_code} is not the authoritative source of dataset {spec.code} (one data, one source; Art. 19)",
        )


def _context(caller: Caller, ctx: datapath.Context, s: Setup, frame: pl.DataFrame) -> CheckContext:
    session, spec = ctx.session, s.spec
    code_sets = {e.code_set: current_code_values(session, e.code_set) for e in spec.elements if e.code_set}
    units = set(session.execute(select(Unit.code)).scalars())
    existing: dict[str, dict[str, str]] = {}
    for u in s.unique:
        if u == s.key or u not in frame.columns:
            continue  # the key itself: a stored key means an update, not a duplicate
        values = frame.get_column(u).drop_nulls().unique().to_list()
        found = datapath.existing_values(caller, ctx, spec.code, u, values, key=s.key) if values else {}
        if found:
            existing[u] = {k: v for k, v in found.items()}
    labels = {e.code_set: code_labels(session, e.code_set) for e in spec.elements if e.code_set}
    return CheckContext(
        spec, caller.unit_code, code_sets, units, s.unique, s.key, s.rules, existing, session, ctx.settings,
        labels,
    )  # fmt: skip


def code_labels(session: Session, code_set: str) -> dict[str, str]:
    """Label and English label → code in the version of ``code_set`` in effect today (男 → 1, 汉族 → 01)."""
    from edudata.catalog.models import Code, CodeSet, CodeSetVersion
    from edudata.clock import today_in_china

    version = session.execute(
        select(CodeSetVersion.id)
        .join(CodeSet, CodeSet.id == CodeSetVersion.code_set_id)
        .where(CodeSet.code == code_set, CodeSetVersion.effective_from <= today_in_china())
        .order_by(CodeSetVersion.effective_from.desc(), CodeSetVersion.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    out: dict[str, str] = {}
    if version is None:
        return out
    rows = session.execute(
        select(Code.value, Code.label, Code.label_en).where(Code.version_id == version, Code.active.is_(True))
    ).all()
    for value, label, label_en in rows:
        for text in (label, label_en):
            if text and text not in out:
                out[text] = value
    return out


def _unit_names(session: Session) -> dict[str, str]:
    """Unit code → name, for messages a person reads (issue 18: names, not codes)."""
    return {c: n for c, n in session.execute(select(Unit.code, Unit.name)).all()}


def new_code() -> str:
    return "B" + utcnow().strftime("%Y%m%d%H%M%S") + "-" + os.urandom(3).hex()


def _normalised_keys(frame: pl.DataFrame, s: Setup) -> pl.DataFrame:
    from edudata.ingest.rules import normalise_expr

    return frame.with_columns(normalise_expr(s.spec.element(s.key), pl.col(s.key)).alias("_key"))


def process(
    caller: Caller,
    ctx: datapath.Context,
    s: Setup,
    table: readers.Table,
    *,
    source_kind: str,
    filename: str = "",
    encoding: str = "",
    size: int = 0,
    sha256: str = "",
    parent: Batch | None = None,
    progress: Callable[[str], None] | None = None,
) -> Batch:
    """Validate a read table and keep it as a batch awaiting review (good rows staged, bad ones quarantined)."""
    session, spec = ctx.session, s.spec
    # 一数一源 on write: elements of another source are not collected from this unit (access/write_rules.py).
    foreign = write_rules.not_source(spec, caller.unit_code, table.frame.columns)
    frame = table.frame.drop([e.code for e in foreign])
    units = _unit_names(session) if foreign else {}
    not_source = [write_rules.notice(e, caller.unit_code, units) for e in foreign]
    already = 0
    extra: list = []
    if parent is not None:
        frame, already, conflict_check = corrections.split_repeats(caller, ctx, s, parent, frame)
        extra.append(conflict_check)
    checks = _context(caller, ctx, s, _normalised_keys(frame, s).with_columns(pl.col("_key").alias(s.key)))
    if progress:
        progress("validate")
    outcome: Outcome = run(frame, checks, registered_checks(spec.code) + extra)
    warnings = _same_file(session, spec.code, sha256) if sha256 else []
    batch = Batch(
        code=new_code(),
        dataset_code=spec.code,
        unit_code=caller.unit_code,
        source_kind=source_kind,
        filename=filename[:255],
        encoding=encoding,
        size_bytes=size,
        sha256=sha256,
        status="validated",
        parent_id=parent.id if parent else None,
        uploaded_by_id=caller.account_id,
        uploaded_by=caller.username,
        uploaded_at=utcnow(),
        rows_total=outcome.summary["rows"] + already,
        rows_good=outcome.good.height,
        rows_quarantined=outcome.quarantined.height,
        rows_blank=table.blank_rows,
        rows_already=already,
        report={
            **outcome.summary,
            "normalised": outcome.normalised,
            "ignored_columns": table.ignored,
            "mapping": table.mapping,
            "blank_rows": table.blank_rows,
            "already_received": already,
            "warnings": warnings + not_source,
            "not_source": [n["element"] for n in not_source],
        },
    )
    session.add(batch)
    session.flush()
    keys = _normalised_keys(outcome.quarantined, s).select("_row", "_key")
    issues = outcome.failures.join(keys, on="_row", how="left")
    rows = [
        {
            "batch_id": batch.id,
            "row_number": r["_row"],
            "row_key": None if r["_key"] is None else str(r["_key"])[:128],
            "element": r["element"][:64],
            "rule": r["rule"][:64],
            "code": (r["code"] or "")[:64],
            "value_shown": r["value_shown"] or "",
            "message_zh": (r["message_zh"] or "")[:500],
            "message_en": (r["message_en"] or "")[:500],
            "action": r["action"] or "quarantine",
        }
        for r in issues.iter_rows(named=True)
    ]
    for start in range(0, len(rows), 5000):
        session.execute(insert(Issue), rows[start : start + 5000])
    if parent is not None:
        corrections.resolve(session, parent, frame, outcome.good.get_column(s.key).to_list(), batch.id)
    if progress:
        progress("stage")
    try:
        side_store.write_frame(session, ctx.settings, batch.code, "good", outcome.good)
        side_store.write_frame(session, ctx.settings, batch.code, "quarantine", outcome.quarantined)
    except BaseException:  # the batch is not recorded: no staging file of it may stay behind
        side_store.remove_batch(ctx.settings, batch.code)
        raise
    audit.record(
        session,
        operation="ingest_upload",
        dataset=spec.code,
        elements=[c for c in frame.columns if not c.startswith("_")],
        row_count=batch.rows_total,
        detail={
            "batch": batch.code,
            "good": batch.rows_good,
            "quarantined": batch.rows_quarantined,
            "source": source_kind,
            "parent": parent.code if parent else None,
            **({"not_source": [n["element"] for n in not_source]} if not_source else {}),
        },
        **actor(caller, ctx),
    )
    return batch


def _same_file(session: Session, dataset_code: str, sha256: str) -> list[dict[str, Any]]:
    """A file submitted before (same SHA-256 of its bytes): the officer is told which batches it became."""
    earlier = list(
        session.execute(
            select(Batch.code, Batch.status)
            .where(Batch.dataset_code == dataset_code, Batch.sha256 == sha256)
            .order_by(Batch.id)
            .limit(20)
        ).all()
    )
    if not earlier:
        return []
    codes = [c for c, _ in earlier]
    return [
        {
            "code": "same_file",
            "batches": codes,
            "zh": f"同一文件（内容完全相同）此前已提交过：{'、'.join(codes[:5])}；请确认不是重复提交",
            "en": f"the same file (identical content) was submitted before as {', '.join(codes[:5])}; "
            "make sure this is not a repeat",
        }
    ]


def get_batch(session: Session, code: str) -> Batch:
    batch = session.execute(select(Batch).where(Batch.code == code)).scalar_one_or_none()
    if batch is None:
        raise NotFound(f"没有批次 {code[:40]}", f"no batch {code[:40]}")
    return batch


def upload(
    caller: Caller,
    ctx: datapath.Context,
    *,
    dataset_code: str,
    unit_code: str,
    read: Callable[[int], bytes],
    filename: str,
    encoding: str | None = None,
    parent_code: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> Batch:
    """Receive a CSV/XLSX file and process it; any refusal is audited and leaves nothing behind."""
    incoming_dir = incoming.directory(ctx.settings)
    received: files.Received | None = None
    cleanup: list[Path] = []
    try:
        s = setup(ctx.session, dataset_code)
        check_submitter(caller, s.spec, unit_code)
        parent = get_batch(ctx.session, parent_code) if parent_code else None
        if parent is not None and parent.dataset_code != dataset_code:
            raise NotFound(
                f"批次 {parent_code} 不属于该数据集", f"batch {parent_code} is not of this dataset"
            )
        if progress:
            progress("receive")
        received = files.receive(read, incoming_dir, filename, ctx.settings.max_upload_bytes)
        cleanup.append(received.path)
        data = received.clear()  # sealed on disk under a key in memory; checked and read from memory
        kind = files.sniff(data, received.filename)
        if progress:
            progress("read")
        lookup = readers.header_lookup(s.spec, s.saved, s.names_en)
        if kind in ("xlsx", "xls"):
            used = kind
            read_book = readers.read_xlsx if kind == "xlsx" else readers.read_xls
            table = read_book(data, lookup, s.spec, received.filename)
        else:
            used = files.detect_encoding(data, encoding, received.filename)
            table = readers.read_csv(
                files.to_utf8(data, used, received.filename), lookup, s.spec, received.filename
            )
        del data
        return process(
            caller, ctx, s, table, source_kind=kind, filename=received.filename, encoding=used,
            size=received.size, sha256=received.sha256, parent=parent, progress=progress,
        )  # fmt: skip
    except EduDataError as err:
        if getattr(err, "audited", False):
            raise
        raise refuse(
            err, caller, ctx, "ingest_upload", dataset_code, filename=(filename or "")[:200],
            size=received.size if received else None,
        ) from None  # fmt: skip
    finally:
        for path in cleanup:
            path.unlink(missing_ok=True)
