"""Who may do what with which rows and elements (Art. 30 最小必要; C3). Default deny.

The rules, in order (the first that applies decides):

- **Office** (the office administrator, 网信办): reads and exports every element of every dataset; it does not insert,
  update or delete governed rows itself (least privilege, Art. 30 — a correction comes from the producer unit).
  Its writes are the review chain's: loading a batch it approved (``load``) and rolling back a version
  (``rollback``). Sensitive personal information (Art. 51) stays masked for the office too unless a grant says
  otherwise.
- **Producer unit** (数据生产单位): the unit that owns a dataset reads and writes it (``unit_data_officer``);
  its ``unit_reviewer`` reads it (to review submissions) but does not write.
- **Grant** (共享授权): any other unit reads only what an active grant gives it — the granted elements, the
  granted rows (a filter), masked as granted, until the grant expires or is revoked.
- **Verification** (用而不存, Art. 51; operation ``verify``): one bit — does this record hold that value? — is
  answered only on elements the caller may see unmasked (office, producer, a read grant's unmasked elements), or
  on the elements of a grant of the kind ``verify`` (a grant to check, never to read), within the grant's rows.
  A grant of the kind ``verify`` gives no read at all.
- Everyone else, including the auditor, the destruction officer and the leadership group, reads no records:
  separation of duties (Art. 30) — they see the audit log, destruction requests and reports instead.

A :class:`Decision` is plain data; the data path applies it (scope rows and columns, then mask).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from edudata.access import filters
from edudata.access.masking import OFFICE_DEFAULT
from edudata.errors import PermissionDenied
from edudata.policy import allowed
from edudata.store.spec import DatasetSpec

READ_OPS = frozenset({"query", "export"})
WRITE_OPS = frozenset({"insert", "update", "delete"})
# The review chain's writes (ingest): an approved batch loaded, a loaded version rolled back.
REVIEW_WRITE_OPS = frozenset({"load", "rollback"})


@dataclass(frozen=True)
class GrantView:
    """What the decision needs to know of a grant (the sharing domain owns the full object)."""

    id: int
    dataset_code: str
    grantee_unit_code: str
    elements: tuple[str, ...]
    row_filter: Mapping | None
    masking: Mapping[str, str]
    expires_at: datetime | None
    revoked: bool
    deidentified: bool = False
    grantee_account_id: int | None = None
    kind: str = "read"  # read | verify (用而不存: check values, never read them)


@dataclass(frozen=True)
class _Who:
    """The caller as the policy sees it (:func:`edudata.policy.allowed`): its roles and its unit."""

    roles: frozenset[str]
    unit_code: str


@dataclass(frozen=True)
class Decision:
    operation: str
    dataset: str
    basis: str
    elements: tuple[str, ...]
    row_filter: filters.Node | None = None
    masking: Mapping[str, str] = field(default_factory=dict)
    grant_id: int | None = None


def sensitive_masking(spec: DatasetSpec) -> dict[str, str]:
    """Mask every sensitive-PI element by its type's profile; sensitive codes without a profile are suppressed."""
    out: dict[str, str] = {}
    for e in spec.elements:
        if e.sensitive_type:
            out[e.code] = OFFICE_DEFAULT.profile_for(e.data_type)
    return out


def _deny(spec: DatasetSpec, operation: str, why_zh: str, why_en: str) -> PermissionDenied:
    return PermissionDenied(
        f"无权对数据集“{spec.name}”执行{_OP_ZH.get(operation, operation)}：{why_zh}（第三十条 最小必要）",
        f"not permitted to {operation} dataset {spec.code}: {why_en} (Art. 30, least privilege)",
        dataset=spec.code,
    )


_OP_ZH = {
    "query": "查询",
    "export": "导出",
    "insert": "录入",
    "update": "修改",
    "delete": "删除",
    "history": "查看历史版本",
    "verify": "核验",
    "load": "载入审核通过的批次",
    "rollback": "回滚版本",
}


def decide(
    *,
    roles: frozenset[str],
    unit_code: str,
    account_id: int,
    spec: DatasetSpec,
    operation: str,
    grants: Sequence[GrantView] = (),
    grant_id: int | None = None,
    now: datetime,
    wanted: frozenset[str] = frozenset(),
) -> Decision:
    """Decide or raise :class:`PermissionDenied` with a reason a person can act on (``wanted``: the elements a
    verification checks, so the grant that covers them all is chosen)."""
    all_elements = spec.element_codes
    who = _Who(roles, unit_code)
    owner = spec.owner_unit_code
    if operation == "history":
        if allowed(who, "data.history.read"):
            return Decision(operation, spec.code, "office", all_elements, masking=sensitive_masking(spec))
        raise _deny(spec, operation, "历史版本仅网信办可查看", "earlier versions are for the office only")
    if operation == "verify":
        return _decide_verify(who, account_id, spec, grants, now, wanted)
    if operation in REVIEW_WRITE_OPS:
        if allowed(who, "data.load.any_unit") and grant_id is None:
            return Decision(operation, spec.code, "office", all_elements)
        if operation == "load" and grant_id is None and allowed(who, "data.load.own_unit", unit_code=owner):
            return Decision(operation, spec.code, "producer", all_elements)
        raise _deny(
            spec,
            operation,
            "只有网信办可以执行审核链的写入",
            "only the office writes through the review chain",
        )
    if allowed(who, "data.read.any_unit") and grant_id is None and operation not in WRITE_OPS:
        return Decision(operation, spec.code, "office", all_elements, masking=sensitive_masking(spec))
    if grant_id is None:
        if operation in WRITE_OPS and allowed(who, "data.write.own_unit", unit_code=owner):
            return Decision(operation, spec.code, "producer", all_elements)
        if operation in READ_OPS and allowed(who, "data.read.own_unit", unit_code=owner):
            return Decision(operation, spec.code, "producer", all_elements)
    if operation in WRITE_OPS:
        if allowed(
            who, "data.read.any_unit"
        ):  # the office: it reads, and writes only through the review chain
            raise _deny(
                spec,
                operation,
                "网信办只读取和导出数据，不直接录入、修改或删除；更正请由数据生产单位提交",
                "the office reads and exports; it does not insert, update or delete rows — the producer unit "
                "submits corrections",
            )
        raise _deny(
            spec,
            operation,
            "只有数据生产单位的数据专员可以写入",
            "only the producer unit's data officer writes",
        )
    usable = [g for g in _usable(grants, spec, unit_code, account_id, now) if g.kind == "read"]
    if grant_id is not None:
        usable = [g for g in usable if g.id == grant_id]
        if not usable:
            raise _deny(
                spec,
                operation,
                f"授权 {grant_id} 不存在、已过期或已撤销",
                f"grant {grant_id} is absent, expired or revoked",
            )
    if not usable:
        raise _deny(
            spec,
            operation,
            "本单位没有有效的共享授权，请先提交共享申请",
            "your unit holds no active grant; apply first",
        )
    if len(usable) > 1:
        raise _deny(
            spec,
            operation,
            "本单位有多个有效授权，请用 grant_id 指明使用哪一个",
            "several grants apply; name one with grant_id",
        )
    g = usable[0]
    elements, masking = _granted(spec, g)
    return Decision(
        operation, spec.code, f"grant:{g.id}", elements, filters.parse(g.row_filter), masking, g.id
    )


def _usable(
    grants: Sequence[GrantView], spec: DatasetSpec, unit_code: str, account_id: int, now: datetime
) -> list[GrantView]:
    return [
        g
        for g in grants
        if g.dataset_code == spec.code
        and g.grantee_unit_code == unit_code
        and (g.grantee_account_id is None or g.grantee_account_id == account_id)
        and not g.revoked
        and (g.expires_at is None or g.expires_at > now)
    ]


def _granted(spec: DatasetSpec, g: GrantView) -> tuple[tuple[str, ...], dict[str, str]]:
    elements = tuple(c for c in spec.element_codes if c in set(g.elements))
    masking = dict(sensitive_masking(spec))
    masking.update({k: v for k, v in g.masking.items() if k in elements})
    return elements, {k: v for k, v in masking.items() if k in elements}


def _decide_verify(
    who: _Who,
    account_id: int,
    spec: DatasetSpec,
    grants: Sequence[GrantView],
    now: datetime,
    wanted: frozenset[str],
) -> Decision:
    """The elements a caller may check one value of (Art. 51 用而不存): never one it only sees masked.

    A verify decision's ``elements`` are exactly the verifiable ones (``masking`` is empty: nothing is read).
    """

    def unmasked(elements: Sequence[str], masking: Mapping[str, str]) -> tuple[str, ...]:
        return tuple(e for e in elements if e not in masking)

    if allowed(who, "data.verify.any_unit"):
        return Decision("verify", spec.code, "office", unmasked(spec.element_codes, sensitive_masking(spec)))
    if allowed(who, "data.read.own_unit", unit_code=spec.owner_unit_code):
        return Decision("verify", spec.code, "producer", spec.element_codes)
    usable = _usable(grants, spec, who.unit_code, account_id, now)
    for g in sorted(usable, key=lambda g: (g.kind != "verify", g.id)):
        elements, masking = _granted(spec, g)
        checkable = elements if g.kind == "verify" else unmasked(elements, masking)
        if checkable and wanted <= set(checkable):
            return Decision(
                "verify", spec.code, f"grant:{g.id}", checkable, filters.parse(g.row_filter), {}, g.id
            )
    raise _deny(
        spec,
        "verify",
        "本单位没有该数据集的核验授权（用而不存，第五十一条），请先申请交付方式为“核验”的共享",
        "your unit holds no verification grant on this dataset (Art. 51); apply for one with delivery verify",
    )


@dataclass(frozen=True)
class OpenView:
    """What the decision needs to know of an open-data view (the opendata domain owns the full object)."""

    code: str
    dataset_code: str
    open_category: str
    published: bool
    elements: tuple[str, ...]


def decide_open(
    *, roles: frozenset[str], key_scope: frozenset[str], view: OpenView, operation: str
) -> Decision:
    """The open-data portal's rule (Art. 44-45, 56): only a *published* view, never the governed table itself.

    - unconditional (无条件开放): anyone, with or without a key;
    - conditional (有条件开放): only a key approved for this view (Art. 44(2) 限定对象、用途);
    - anything else, or a view not (or no longer) published: refused.
    """
    if not view.published:
        raise PermissionDenied(
            f"开放数据“{view.code}”尚未发布或已撤回（第五十八条）",
            f"open-data view {view.code} is not published (Art. 58)",
            dataset=view.code,
        )
    if view.open_category == "unconditional" and "public" in roles:
        return Decision(operation, view.dataset_code, "open:public", view.elements)
    if view.open_category == "conditional" and "open_data_key" in roles:
        if view.code in key_scope:
            return Decision(operation, view.dataset_code, "open:key", view.elements)
        raise PermissionDenied(
            f"该开放数据密钥未获准使用“{view.code}”，请另行申请（第四十四条）",
            f"this open-data key is not approved for {view.code}; apply for it (Art. 44)",
            dataset=view.code,
        )
    if view.open_category == "conditional":
        raise PermissionDenied(
            f"“{view.code}”为有条件开放数据：请注册、申请并经网信办批准后使用开放数据密钥访问（第四十四条）",
            f"{view.code} is open on conditions: register, apply, and use the key the office approves (Art. 44)",
            dataset=view.code,
        )
    raise PermissionDenied(
        f"“{view.code}”不予开放（第四十四条、第五十六条）",
        f"{view.code} is not open (Art. 44, 56)",
        dataset=view.code,
    )
