"""THE data path (C3; DESIGN "one picture"): authenticate → decide → scope → mask → deliver → audit.

Every reader and writer of governed data — the data API, exports, web pages, CLI, sharing, open data — calls
these functions; nothing else may touch the governed tables (``store.guard`` refuses it). A refused attempt is
audited in its own transaction before the error leaves, so no rollback can erase it (Art. 30, 59).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import polars as pl
from sqlalchemy import and_
from sqlalchemy.orm import Session

from edudata.access import filters
from edudata.access.copies import record_copy
from edudata.access.crypto_bridge import StoreCrypto
from edudata.access.decision import Decision, GrantView, OpenView, decide, decide_open
from edudata.access.grants import active_grants
from edudata.access.masking import apply_masking
from edudata.access.specs import load_spec
from edudata.audit import service as audit
from edudata.audit.redact import recorded_filter
from edudata.config import Settings
from edudata.crypto.keys import KeyManager
from edudata.db import Database, utcnow
from edudata.errors import Conflict, EduDataError, PermissionDenied, ValidationFailed
from edudata.policy import allowed, may_attempt
from edudata.store import bulk, relayout
from edudata.store import service as store
from edudata.store.guard import datapath_scope
from edudata.store.spec import DatasetSpec
from edudata.store.uniqueness import is_unique_violation, unique_refusal

MAX_PAGE_SIZE = 1000


class Caller(Protocol):
    """Who asks: an authenticated principal (``edudata.identity.principal.Principal`` fits)."""

    account_id: int
    username: str
    unit_code: str
    roles: frozenset[str]
    source_ip: str


@dataclass
class Context:
    """The session, settings and database of one call, and the request id that ties it to its audit record."""

    session: Session
    settings: Settings
    database: Database
    request_id: str | None = None
    crypto: StoreCrypto | None = None

    def field_crypto(self) -> StoreCrypto:
        if self.crypto is None:
            self.crypto = StoreCrypto(self.session, self.settings)
        return self.crypto


@dataclass
class Page:
    dataset: str
    elements: list[str]
    rows: list[dict[str, Any]]
    next_after: int | None
    masking: dict[str, str]
    basis: str
    grant_id: int | None
    filter: dict | None = None
    total: int | None = None
    frame: pl.DataFrame | None = field(default=None, repr=False)


def _audit_fields(caller: Caller, ctx: Context) -> dict[str, Any]:
    return {
        "account_id": caller.account_id,
        "username": caller.username,
        "unit_code": caller.unit_code,
        "source_ip": caller.source_ip,
        "request_id": ctx.request_id,
    }


def _recorded_filter(ctx: Context, node: Any) -> str | None:
    """A filter as the audit log keeps it: element names and operators, every value a keyed hash (Art. 35):
    a sequenced record cannot be rewritten, so it must never hold a value a destruction would have to reach."""
    return recorded_filter(ctx.field_crypto().keys, node)


def _refuse(
    err: EduDataError, caller: Caller, ctx: Context, operation: str, dataset: str, **extra: Any
) -> EduDataError:
    """Record the refusal at once (own transaction) and mark the error so the HTTP layer does not record it twice."""
    result = "denied" if isinstance(err, PermissionDenied) else "failed"
    # The request fails whole: drop anything it began (no partial write), and free SQLite's single writer lock
    # so the refusal's own transaction can commit.
    ctx.session.rollback()
    recorded = None
    if "filter" in extra:  # the caller's filter as sent: hashed, under a key committed on its own
        with ctx.database.session() as session:
            recorded = recorded_filter(KeyManager(session, ctx.settings), extra.pop("filter"))
            session.commit()
    audit.record_now(
        ctx.database,
        operation=operation,
        result=result,
        dataset=dataset,
        detail={"reason": err.en, **extra},
        filter=recorded,
        **_audit_fields(caller, ctx),
    )
    err.audited = True  # type: ignore[attr-defined]
    return err


def _bound_grant(caller: Caller, operation: str, grant_id: int | None) -> int | None:
    """A grant-scoped credential (sharing, Art. 40) reads through its own grant only: never another grant,
    never a write, never the caller's own roles."""
    bound = getattr(caller, "grant_id", None)
    if bound is None:
        return grant_id
    if operation not in {"query", "export"} or (grant_id is not None and grant_id != bound):
        raise PermissionDenied(
            f"此共享凭证只能读取授权 {bound} 的数据（第四十条）",
            f"this grant credential reads grant {bound} only (Art. 40)",
            field="grant_id",
        )
    return bound


def _decide(
    caller: Caller,
    ctx: Context,
    dataset_code: str,
    operation: str,
    grant_id: int | None,
    preview: GrantView | None = None,
    wanted: frozenset[str] = frozenset(),
) -> tuple[DatasetSpec, Decision]:
    try:
        spec = load_spec(ctx.session, dataset_code)
        bound = getattr(caller, "grant_id", None)
        grant_id = _bound_grant(caller, operation, grant_id)
        roles = frozenset() if bound is not None else frozenset(caller.roles)
        grants = (
            active_grants(ctx.session, dataset_code, caller.unit_code)
            if operation in {"query", "export", "verify"}
            else ()
        )
        unit_code, account_id = caller.unit_code, caller.account_id
        if preview is not None:
            # The office looks at what a grant not yet released would deliver (Art. 42: k-anonymity is
            # measured before release), decided exactly as the grantee's reads will be.
            if not allowed(caller, "sharing.release.prepare") or bound is not None:
                raise PermissionDenied(
                    "只有网信办可以预览待发布的授权", "only the office previews a grant before release"
                )
            roles, grants, grant_id = frozenset(), (preview,), preview.id
            unit_code = preview.grantee_unit_code
            account_id = preview.grantee_account_id or caller.account_id
        decision = decide(
            roles=roles,
            unit_code=unit_code,
            account_id=account_id,
            spec=spec,
            operation=operation,
            grants=grants,
            grant_id=grant_id,
            now=utcnow(),
            wanted=wanted,
        )
    except EduDataError as err:
        raise _refuse(err, caller, ctx, operation, dataset_code) from None
    return spec, decision


def _requested_elements(
    caller: Caller, ctx: Context, spec: DatasetSpec, decision: Decision, requested: Sequence[str] | None
) -> list[str]:
    if not requested:
        return list(decision.elements)
    unknown = [e for e in requested if spec.element(e) is None]
    if unknown:
        raise _refuse(
            ValidationFailed(
                f"数据集 {spec.code} 没有数据元素 {', '.join(unknown)[:100]}",
                f"dataset {spec.code} has no element {', '.join(unknown)[:100]}",
                field="elements",
            ),
            caller,
            ctx,
            decision.operation,
            spec.code,
        )
    hidden = [e for e in requested if e not in decision.elements]
    if hidden:
        raise _refuse(
            PermissionDenied(
                f"无权获取数据元素 {', '.join(hidden)}（不在授权范围内，第三十条 最小必要）",
                f"elements {', '.join(hidden)} are outside what you may see (Art. 30, least privilege)",
                field="elements",
            ),
            caller,
            ctx,
            decision.operation,
            spec.code,
            elements=list(hidden),
        )
    return [e for e in spec.element_codes if e in set(requested)]


def unmasked_elements(decision: Decision) -> set[str]:
    """The elements a caller may filter, sort or page on: granted and seen in the clear."""
    return set(decision.elements) - set(decision.masking)


def _where(caller: Caller, ctx: Context, spec: DatasetSpec, decision: Decision, user_filter: Any):  # noqa: ANN202
    """The rows in scope: the decision's filter (which may use any element — it is the approver's) AND the
    caller's own filter — only on elements the caller sees *unmasked*: filtering on a hidden or masked element
    would label every row with its value while the column itself stays masked (Art. 30, 51)."""
    crypto = ctx.field_crypto()
    try:
        mine = filters.parse(user_filter)
        with datapath_scope("compile"):
            current, _ = store.tables_for(ctx.session, spec)

        def index(el, v):  # noqa: ANN001, ANN202
            return crypto.blind_index_one(spec, el, v)

        granted = filters.compile_filter(decision.row_filter, spec, current, set(spec.element_codes), index)
        asked = filters.compile_filter(mine, spec, current, unmasked_elements(decision), index)
        node = filters.conjoin(decision.row_filter, mine)
    except EduDataError as err:
        raise _refuse(err, caller, ctx, decision.operation, spec.code, filter=user_filter) from None
    return node, and_(granted, asked)


def _decrypt_and_mask(
    ctx: Context, spec: DatasetSpec, decision: Decision, ids: list[int], columns: Mapping[str, list]
) -> pl.DataFrame:
    crypto = ctx.field_crypto()
    data: dict[str, list] = {"_id": ids}
    encrypted = {code: values for code, values in columns.items() if spec.element(code).encrypted}
    clear = crypto.decrypt_columns(spec, encrypted) if encrypted else {}
    for code, values in columns.items():
        data[code] = clear[code] if code in clear else [store.jsonable(v) for v in values]
    frame = pl.DataFrame(data, strict=False)
    masking = {k: v for k, v in decision.masking.items() if k in columns}
    if masking:
        frame = apply_masking(frame, masking, pseudonym_key=_pseudonym_key(ctx, spec, decision))
    return frame


def _pseudonym_key(ctx: Context, spec: DatasetSpec, decision: Decision) -> bytes:
    # One key per grant: stable within a grant (joins work), unlinkable across grants (Art. 42 脱敏).
    return ctx.field_crypto().keys.active(f"pseudonym:{decision.basis}").derive(b"pseudonym")


def query(
    caller: Caller,
    ctx: Context,
    dataset_code: str,
    *,
    elements: Sequence[str] | None = None,
    filter: Any = None,
    page_size: int = 100,
    after_id: int | None = None,
    grant_id: int | None = None,
    with_total: bool = False,
    operation: str = "query",
) -> Page:
    """One page of rows the caller may see, scoped, masked and audited."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise _refuse(
            ValidationFailed(
                f"每页条数须在 1 到 {MAX_PAGE_SIZE} 之间",
                f"page_size must be between 1 and {MAX_PAGE_SIZE}",
                field="page_size",
            ),
            caller,
            ctx,
            operation,
            dataset_code,
        )
    spec, decision = _decide(caller, ctx, dataset_code, operation, grant_id)
    chosen = _requested_elements(caller, ctx, spec, decision, elements)
    node, where = _where(caller, ctx, spec, decision, filter)
    with datapath_scope(operation):
        # one id more than served: it only says whether a next page exists (no cursor to an empty page)
        ids, columns = store.select_rows(
            ctx.session, spec, chosen, where, limit=page_size + 1, after_id=after_id
        )
        more = len(ids) > page_size
        ids, columns = ids[:page_size], {e: values[:page_size] for e, values in columns.items()}
        total = store.count_rows(ctx.session, spec, where) if with_total else None
    frame = _decrypt_and_mask(ctx, spec, decision, ids, columns)
    audit.record(
        ctx.session,
        operation=operation,
        dataset=spec.code,
        elements=chosen,
        row_count=len(ids),
        filter=_recorded_filter(ctx, filters.to_json(node)),
        # The page's first and last row id (keyset order): the access trace of one record (Art. 30 行为追溯)
        # tells a page that could have shown it from one that could not.
        detail={
            "basis": decision.basis,
            "masking": decision.masking,
            "after_id": after_id,
            **({"ids": [ids[0], ids[-1]]} if ids else {}),
        },  # fmt: skip
        **_audit_fields(caller, ctx),
    )
    if decision.grant_id is not None and ids:  # a page delivered to a grant holder is a copy (Art. 35 副本)
        record_copy(ctx.session, spec, ids, kind="grant_delivery", who=_audit_fields(caller, ctx),
                    grant_id=decision.grant_id)  # fmt: skip
    return Page(
        dataset=spec.code,
        elements=chosen,
        rows=frame.to_dicts(),
        next_after=ids[-1] if more else None,
        masking={k: v for k, v in decision.masking.items() if k in chosen},
        basis=decision.basis,
        grant_id=decision.grant_id,
        filter=filters.to_json(node),
        total=total,
        frame=frame,
    )


def export_frames(
    caller: Caller,
    ctx: Context,
    dataset_code: str,
    *,
    elements: Sequence[str] | None = None,
    filter: Any = None,
    grant_id: int | None = None,
    chunk: int = 10_000,
    max_rows: int = 2_000_000,
    preview: GrantView | None = None,
    copy: str | None = None,
    subjects: list[str | None] | None = None,
) -> tuple[Page, list[pl.DataFrame]]:
    """Every row in scope, in masked chunks, recorded as one ``export`` (Art. 30 导出 is audited).

    ``subjects`` (a list to fill): the subject reference of each row delivered, in order — a statistical
    snapshot seals each frozen row under its person's key (``access.side_store``).

    ``preview`` (office only): decide as that grant would, to measure a release before it happens.
    ``copy`` (``export``, ``package``): the rows leave the platform, so the copy and its people are registered
    (``edudata.access.copies``, Art. 35 副本); a grant holder's export is always a ``grant_delivery``."""
    spec, decision = _decide(caller, ctx, dataset_code, "export", grant_id, preview)
    chosen = _requested_elements(caller, ctx, spec, decision, elements)
    node, where = _where(caller, ctx, spec, decision, filter)
    frames: list[pl.DataFrame] = []
    delivered: list[int] = []
    after: int | None = None
    count = 0
    while True:
        with datapath_scope("export"):
            ids, columns = store.select_rows(ctx.session, spec, chosen, where, limit=chunk, after_id=after)
        if not ids:
            break
        frames.append(_decrypt_and_mask(ctx, spec, decision, ids, columns).drop("_id"))
        delivered.extend(ids)
        if subjects is not None:
            with datapath_scope("export: the people of the rows"):
                subjects.extend(store.subjects_of(ctx.session, spec, ids))
        count += len(ids)
        after = ids[-1]
        if len(ids) < chunk or count >= max_rows:
            break
    audit.record(
        ctx.session,
        operation="export",
        dataset=spec.code,
        elements=chosen,
        row_count=count,
        filter=_recorded_filter(ctx, filters.to_json(node)),
        detail={
            "basis": decision.basis,
            "masking": decision.masking,
            **({"preview": True} if preview is not None else {}),
            **({"ids": [delivered[0], delivered[-1]]} if delivered else {}),
        },
        **_audit_fields(caller, ctx),
    )
    kind = copy or ("grant_delivery" if decision.grant_id is not None else None)
    if kind is not None and preview is None and delivered:
        record_copy(ctx.session, spec, delivered, kind=kind, who=_audit_fields(caller, ctx),
                    grant_id=decision.grant_id)  # fmt: skip
    page = Page(
        spec.code,
        chosen,
        [],
        None,
        {k: v for k, v in decision.masking.items() if k in chosen},
        decision.basis,
        decision.grant_id,
        filters.to_json(node),
        count,
    )
    return page, frames


def delete(caller: Caller, ctx: Context, dataset_code: str, row_ids: Sequence[int]) -> int:
    spec, decision = _decide(caller, ctx, dataset_code, "delete", None)
    _node, where = _where(caller, ctx, spec, decision, None)
    try:
        with datapath_scope("delete"):
            count = store.delete_rows(ctx.session, spec, row_ids, actor=caller.username, scope=and_(where))
    except EduDataError as err:
        raise _refuse(err, caller, ctx, "delete", spec.code, row_ids=list(row_ids)[:20]) from None
    audit.record(
        ctx.session,
        operation="delete",
        dataset=spec.code,
        row_count=count,
        detail={"row_ids": list(row_ids)[:100]},
        **_audit_fields(caller, ctx),
    )
    return count


def history(caller: Caller, ctx: Context, dataset_code: str, row_id: int) -> list[dict[str, Any]]:
    """Earlier versions of one row, for the office (decrypted, sensitive PI still masked)."""
    spec, decision = _decide(caller, ctx, dataset_code, "history", None)
    with datapath_scope("history"):
        raw = store.history_rows(ctx.session, spec, row_id)
    # Recorded even when the row has no earlier version: the read was of that row (Art. 30 行为追溯).
    audit.record(
        ctx.session,
        operation="history",
        dataset=spec.code,
        row_count=len(raw),
        detail={"row_id": row_id},
        **_audit_fields(caller, ctx),
    )
    if not raw:
        return []
    columns = {e.code: [r.get(e.column) for r in raw] for e in spec.elements}
    frame = _decrypt_and_mask(ctx, spec, decision, [r["_id"] for r in raw], columns)
    meta = [{k: store.jsonable(r[k]) for k in ("_version", "_op", "_changed_at", "_changed_by")} for r in raw]
    return [
        {**m, **{k: v for k, v in d.items() if k != "_id"}}
        for m, d in zip(meta, frame.to_dicts(), strict=True)
    ]


ESTIMATE_OPS = frozenset({"eq", "in"})


@dataclass(frozen=True)
class Coverage:
    """Rows and people a row scope covers, as far as the caller may know them (see docs/privacy.md).

    ``exact`` for the office and the producer unit; otherwise both numbers are rounded down to a multiple of
    the small-cell threshold k (``bucket``), and a scope of fewer than k people is ``suppressed`` (reported as 0).
    """

    rows: int
    people: int
    exact: bool = True
    suppressed: bool = False
    bucket: int = 1

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows, "people": self.people, "exact": self.exact, "suppressed": self.suppressed,
            "people_range": [self.people, self.people + self.bucket - 1] if not self.exact else [self.people] * 2,
        }  # fmt: skip


def _estimate_filter_allowed(spec: DatasetSpec, node: filters.Node | None) -> set[str]:
    """An estimate's scope for a caller who gets no exact count: only ``eq`` / ``in`` (under ``all`` / ``any``)
    on coded (or unit), clear, non-sensitive, shareable elements — no operator that narrows to one person (prefix,
    ranges, ``ne`` / ``not``), no identifier (Art. 30, 51)."""

    def walk(n: filters.Node) -> None:
        if isinstance(n, filters.Group):
            if n.kind == "not":
                raise ValidationFailed(
                    "覆盖范围估算不支持“not”", "an estimate's scope cannot use 'not'", field="row_filter"
                )
            for i in n.items:
                walk(i)
        elif n.op not in ESTIMATE_OPS:
            raise ValidationFailed(
                f"覆盖范围估算只支持 eq、in，不支持 {n.op}（防止逐步缩小到个人）",
                f"an estimate's scope uses eq or in only, not {n.op} (no narrowing to one person)",
                field="row_filter",
            )

    if node is not None:
        walk(node)
    return {
        e.code
        for e in spec.elements
        if (e.code_set or e.code == spec.unit_element)
        and not e.encrypted
        and not e.sensitive_type
        and e.share_category != "none"
    }


def estimable(filter: Any, spec: DatasetSpec) -> bool:
    """Whether a row scope is one an estimate answers for everyone (no side effect, no audit)."""
    try:
        node = filters.parse(filter)
        allowed = _estimate_filter_allowed(spec, node)
    except ValidationFailed:
        return False
    return filters.elements_used(node) <= allowed


def count_people(caller: Caller, ctx: Context, dataset_code: str, *, filter: Any = None) -> Coverage:
    """Rows and distinct people (by the dataset's subject element) a row scope covers: an aggregate, no record
    leaves. For the 最小化 nudge of a share application and the Art. 50 threshold (200,000 people).

    The office and the producer unit get exact counts on any scope. Anyone else (an applicant) may scope only by
    ``eq`` / ``in`` on coded elements and the unit element, and gets counts rounded down to a multiple of k (the open-data small-cell
    threshold) with fewer than k people suppressed, so neither a prefix nor repeated narrowing rebuilds a value
    (docs/privacy.md, the inference model). Audited as ``count``."""
    k = int(ctx.settings.opendata_min_cell)
    try:
        spec = load_spec(ctx.session, dataset_code)
        if getattr(caller, "grant_id", None) is not None or not may_attempt(caller, "data.count"):
            raise PermissionDenied(
                f"无权统计数据集“{spec.name}”的覆盖人数", f"not permitted to count dataset {spec.code}"
            )
        exact = allowed(caller, "data.read.any_unit") or allowed(
            caller, "data.read.own_unit", unit_code=spec.owner_unit_code
        )
        node = filters.parse(filter)
        visible = set(spec.element_codes) if exact else _estimate_filter_allowed(spec, node)
        crypto = ctx.field_crypto()
        with datapath_scope("compile"):
            current, _ = store.tables_for(ctx.session, spec)
        where = filters.compile_filter(
            node, spec, current, visible, lambda el, v: crypto.blind_index_one(spec, el, v)
        )
    except EduDataError as err:
        raise _refuse(err, caller, ctx, "count", dataset_code, filter=filter) from None
    with datapath_scope("count"):
        rows = store.count_rows(ctx.session, spec, where)
        subject = spec.element(spec.subject_element) if spec.subject_element else None
        people = store.count_distinct(ctx.session, spec, where, subject) if subject else rows
    if exact:
        result = Coverage(rows, people)
    elif people < k or rows < k:
        result = Coverage(0, 0, exact=False, suppressed=True, bucket=k)
    else:
        result = Coverage(rows - rows % k, people - people % k, exact=False, bucket=k)
    audit.record(
        ctx.session,
        operation="count",
        dataset=spec.code,
        row_count=rows,
        filter=_recorded_filter(ctx, filters.to_json(node)),
        detail={"people": people, "exact": exact, "suppressed": result.suppressed},
        **_audit_fields(caller, ctx),
    )
    return result


def count_people_across(
    caller: Caller, ctx: Context, dataset_codes: Sequence[str]
) -> tuple[dict[str, int], int]:
    """The PI register's count (Art. 50): distinct people per dataset and across the given datasets, a person
    counted once by the subject reference of their ID number (a blind index; nothing decrypted, no record
    leaves). Office and data-protection officers only; audited as ``count_people``."""
    label = ",".join(dataset_codes)[:200]
    try:
        if getattr(caller, "grant_id", None) is not None or not allowed(caller, "privacy.register.keep"):
            raise PermissionDenied(
                "只有网信办或个人信息保护负责人可以统计个人信息人数（第五十条）",
                "only the office or a data-protection officer counts people (Art. 50)",
            )
        specs = [load_spec(ctx.session, code) for code in dataset_codes]
    except EduDataError as err:
        raise _refuse(err, caller, ctx, "count_people", label) from None
    with datapath_scope("count_people"):
        per, total = store.count_subjects(ctx.session, specs)
    audit.record(
        ctx.session,
        operation="count_people",
        dataset=label,
        row_count=total,
        detail={"per_dataset": per},
        **_audit_fields(caller, ctx),
    )
    return per, total


def verify_pair(
    caller: Caller,
    ctx: Context,
    dataset_code: str,
    key: tuple[str, str],
    check: tuple[str, str],
) -> bool:
    """用而不存 (Art. 51): does a record whose ``key`` element equals the given value also hold the ``check``
    value? The answer is one bit; no value of any element leaves this function, and neither value asked is
    recorded (the audit names the elements and the answer only)."""
    from edudata.crypto.blind_index import normalise

    (key_el, key_value), (check_el, check_value) = key, check
    if getattr(caller, "grant_id", None) is not None:
        raise _refuse(
            PermissionDenied("共享凭证不能用于核验服务", "a grant credential cannot use the verification service"),
            caller, ctx, "verify", dataset_code, elements=[key_el, check_el],
        )  # fmt: skip
    try:
        spec = load_spec(ctx.session, dataset_code)
        missing = [e for e in (key_el, check_el) if spec.element(e) is None]
        if missing or key_el == check_el:
            raise ValidationFailed(
                f"数据集 {spec.code} 不能按 {key_el} 核验 {check_el}",
                f"dataset {spec.code} cannot verify {check_el} by {key_el}",
                field="elements",
            )
    except EduDataError as err:
        raise _refuse(err, caller, ctx, "verify", dataset_code, elements=[key_el, check_el]) from None
    spec, decision = _decide(caller, ctx, dataset_code, "verify", None, wanted=frozenset({key_el, check_el}))
    try:
        hidden = [e for e in (key_el, check_el) if e not in decision.elements]
        if hidden:
            raise PermissionDenied(
                f"无权核验数据项 {', '.join(hidden)}：不在核验授权内，或对您仅以脱敏形式可见（第五十一条）",
                f"you may not verify {', '.join(hidden)}: outside your verification grant, or seen masked only "
                "(Art. 51)",
                dataset=spec.code,
                field="elements",
            )
        crypto = ctx.field_crypto()
        node = filters.parse({"element": key_el, "op": "eq", "value": key_value})
        with datapath_scope("compile"):
            current, _ = store.tables_for(ctx.session, spec)

        def index(el, v):  # noqa: ANN001, ANN202
            return crypto.blind_index_one(spec, el, v)

        where = and_(
            filters.compile_filter(decision.row_filter, spec, current, set(spec.element_codes), index),
            filters.compile_filter(node, spec, current, set(spec.element_codes), index),
        )
    except EduDataError as err:
        raise _refuse(err, caller, ctx, "verify", dataset_code, elements=[key_el, check_el]) from None
    with datapath_scope("verify"):
        _ids, columns = store.select_rows(ctx.session, spec, [check_el], where, limit=10)
    element = spec.element(check_el)
    stored = columns[check_el]
    if element.encrypted:
        stored = crypto.decrypt(spec, element, stored)
    wanted = normalise(str(check_value))
    matched = bool(wanted) and any(v is not None and normalise(str(v)) == wanted for v in stored)
    audit.record(
        ctx.session,
        operation="verify",
        dataset=spec.code,
        elements=[key_el, check_el],
        row_count=0,
        detail={"matched": matched, "basis": decision.basis},
        **_audit_fields(caller, ctx),
    )
    return matched


def element_codes(ctx: Context, dataset_code: str) -> tuple[str, ...]:
    """The element codes of a dataset (catalogue metadata, not governed data: no decision needed)."""
    return load_spec(ctx.session, dataset_code).element_codes


def open_read(
    caller: Caller,
    ctx: Context,
    view: OpenView,
    fetch: Callable[[filters.Node | None], pl.DataFrame],
    *,
    filter: Any = None,
    operation: str = "open_query",
    detail: Mapping[str, Any] | None = None,
) -> tuple[Decision, pl.DataFrame]:
    """The open-data portal's read (Art. 44-45, 58): decide on the *published view* (anonymous callers see
    unconditional views, keys their approved ones), check the caller's filter against the view's elements,
    let ``fetch`` deliver the published rows, audit as ``anonymous`` or by key. Never reads a governed table:
    published views are materialised (de-identified, small cells suppressed) when they are refreshed."""
    key_scope = frozenset(getattr(caller, "scope", frozenset()))
    audit_extra = {"view": view.code, **(detail or {})}
    if getattr(caller, "key_id", None) is not None:
        audit_extra["key_id"] = caller.key_id  # type: ignore[attr-defined]
    try:
        decision = decide_open(
            roles=frozenset(caller.roles), key_scope=key_scope, view=view, operation=operation
        )
        node = filters.parse(filter)
        unknown = sorted(filters.elements_used(node) - set(view.elements))
        if unknown:
            raise ValidationFailed(
                f"筛选条件有误：开放数据中没有数据项 {', '.join(unknown)[:100]}",
                f"invalid filter: the open view has no element {', '.join(unknown)[:100]}",
                field="filter",
            )
        frame = fetch(node)
    except EduDataError as err:
        if getattr(err, "audited", False):
            raise
        raise _refuse(err, caller, ctx, operation, view.dataset_code, **audit_extra) from None
    audit.record(
        ctx.session,
        operation=operation,
        dataset=view.dataset_code,
        elements=list(frame.columns),
        row_count=frame.height,
        filter=_recorded_filter(ctx, filters.to_json(node)),
        detail={"basis": decision.basis, **audit_extra},
        **_audit_fields(caller, ctx),
    )
    return decision, frame


# -- bulk collection (ingest, Art. 20-24) ---------------------------------------------------------------------
def bulk_load(
    caller: Caller,
    ctx: Context,
    dataset_code: str,
    columns: pl.DataFrame,
    *,
    batch: str,
    key: str | None = None,
    cleared: Mapping[str, Sequence[str]] | None = None,
    checked_at: datetime | None = None,
) -> dict[str, int]:
    """Load a batch ingest has validated (one typed column per element): rows whose ``key`` is stored already
    are updated with history, the rest inserted in bulk; encrypted as the store always does. Decided as the
    review chain's ``load`` (the office loads the batch it approved). A load that would break the table's
    uniqueness is refused whole (409, the conflicting keys listed, audited).

    An update never erases a stored value by saying nothing: a null (absent, empty, dropped by a rule) keeps
    it; only ``cleared`` (element → keys whose value the officer cleared explicitly) sets it to null."""
    spec, _decision = _decide(caller, ctx, dataset_code, "load", None)
    unknown = [c for c in columns.columns if spec.element(c) is None]
    if unknown or (key is not None and key not in columns.columns):
        raise _refuse(
            ValidationFailed(
                f"数据集 {spec.code} 没有数据元素 {', '.join(unknown or [str(key)])[:100]}",
                f"dataset {spec.code} has no element {', '.join(unknown or [str(key)])[:100]}",
                field="elements",
            ),
            caller,
            ctx,
            "insert",
            spec.code,
        )
    try:
        with datapath_scope("insert"):
            counts = bulk.load_columns(
                ctx.session, spec, columns, actor=caller.username, crypto=ctx.field_crypto(), batch=batch,
                key=key, cleared=cleared, checked_at=checked_at,
            )  # fmt: skip
    except Conflict as err:
        raise _refuse(err, caller, ctx, "insert", spec.code, batch=batch) from None
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        raise _refuse(unique_refusal(spec, exc), caller, ctx, "insert", spec.code, batch=batch) from None
    audit.record(
        ctx.session,
        operation="insert",
        dataset=spec.code,
        elements=sorted(columns.columns),
        row_count=counts["inserted"] + counts["updated"],
        detail={
            "batch": batch,
            "bulk": True,
            **counts,
            **({"cleared": {e: len(k) for e, k in cleared.items()}} if cleared else {}),
        },
        **_audit_fields(caller, ctx),
    )
    return counts


def existing_values(
    caller: Caller, ctx: Context, dataset_code: str, element: str, values: Sequence[str], *, key: str
) -> dict[str, str | None]:
    """Which ``values`` of ``element`` are stored already, each with the ``key`` of its row (uniqueness
    against the store, 一人一号); the caller must be allowed to read the dataset, and the lookup is audited."""
    spec, _decision = _decide(caller, ctx, dataset_code, "query", None)
    target, key_element = spec.element(element), spec.element(key)
    if target is None or key_element is None:
        raise _refuse(
            ValidationFailed(
                f"数据集 {spec.code} 没有数据元素 {element}", f"dataset {spec.code} has no element {element}"
            ),
            caller,
            ctx,
            "query",
            spec.code,
        )
    crypto = ctx.field_crypto()
    with datapath_scope("query"):
        found = bulk.find_existing(ctx.session, spec, target, values, key=key_element, crypto=crypto)
    if key_element.encrypted and found:
        clear = crypto.decrypt(spec, key_element, list(found.values()))
        found = dict(zip(found, clear, strict=True))
    else:
        found = {k: None if v is None else str(v) for k, v in found.items()}
    audit.record(
        ctx.session,
        operation="query",
        dataset=spec.code,
        elements=[element, key],
        row_count=len(found),
        detail={"purpose": "uniqueness check of a collected batch", "looked_up": len(values)},
        **_audit_fields(caller, ctx),
    )
    return found


def revert_batch(caller: Caller, ctx: Context, dataset_code: str, batch: str) -> dict[str, int]:
    """Roll back one loaded batch (the office only): its new rows deleted, its changed rows restored."""
    spec, decision = _decide(caller, ctx, dataset_code, "rollback", None)
    if decision.basis != "office":
        raise _refuse(
            PermissionDenied("只有网信办可以回滚数据版本", "only the office rolls back a version"),
            caller,
            ctx,
            "rollback",
            spec.code,
        )
    with datapath_scope("delete"):
        counts = bulk.revert_batch(ctx.session, spec, batch, actor=caller.username)
    audit.record(
        ctx.session,
        operation="rollback",
        dataset=spec.code,
        row_count=counts["deleted"] + counts["restored"],
        detail={"batch": batch, **counts},
        **_audit_fields(caller, ctx),
    )
    return counts


# -- storage migration (a catalogue change of grade, sensitivity or type, Art. 27-28, 52) ---------------------
def migrate_storage(
    caller: Caller, ctx: Context, dataset_code: str, *, progress: relayout.Progress | None = None
) -> dict[str, Any]:
    """Re-write the stored values (current rows and history) of every element of ``dataset_code`` whose
    catalogue entry now asks for another layout: plaintext ↔ field-encrypted with blind index, or another type.

    Runs in the caller's transaction, so the catalogue change and the migration commit or fail together.
    The office only (the catalogue is the office's, Art. 8)."""
    try:
        if not allowed(caller, "catalog.element.edit") or getattr(caller, "grant_id", None) is not None:
            raise PermissionDenied(
                "只有网信办可以迁移数据集的存储方式", "only the office migrates how a dataset is stored"
            )
        spec = load_spec(ctx.session, dataset_code)
        with datapath_scope("migrate_storage"):
            result = relayout.migrate(ctx.session, spec, ctx.field_crypto(), progress=progress)
            store.tables_for(ctx.session, spec)  # the registry takes the new layout
    except EduDataError as err:
        if getattr(err, "audited", False):
            raise
        raise _refuse(err, caller, ctx, "migrate_storage", dataset_code) from None
    if result["elements"]:
        audit.record(
            ctx.session,
            operation="migrate_storage",
            dataset=spec.code,
            elements=[c["element"] for c in result["elements"]],
            row_count=result["values"],
            detail={"changes": result["elements"]},
            **_audit_fields(caller, ctx),
        )
    return result
