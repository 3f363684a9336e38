"""De-identified releases for statistics and research (去标识化, Art. 42, 54; GB/T 37964-2019).

The builder reads through the data path (an audited ``export`` decided on the caller's own rights, masked
as decided), drops nothing silently and releases no direct identifier. It generalises the chosen
quasi-identifiers one step at a time — always the one with the most distinct values, the greedy step of
Sweeney's Datafly — until the rows that still break k-anonymity (and l-diversity, when asked) fit in the
suppression budget; those rows are suppressed. It reports the achieved k and l, the generalisation levels and
the information loss:

- ``information_loss``: mean over the quasi-identifiers of level / top level (1 − Sweeney's precision);
- ``suppression_rate``, ``discernibility`` (Σ |class|², suppressed rows costing n each) and ``c_avg``
  (average class size over k; 1 is ideal).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from edudata.access import datapath, deidentify
from edudata.audit import service as audit
from edudata.errors import ValidationFailed
from edudata.privacy.models import DeidentifiedRelease
from edudata.secrecy.guard import refuse_secret

DIRECT_TYPES = frozenset({"id_number", "name", "mobile", "email", "bank_card"})
Step = Callable[[pl.Expr], pl.Expr]


def _text(e: pl.Expr) -> pl.Expr:
    return e.cast(pl.String)


def _band(width: int) -> Step:
    def step(e: pl.Expr) -> pl.Expr:
        start = (e.cast(pl.Float64) // width * width).cast(pl.Int64)
        return pl.format("{}-{}", start, start + width - 1)

    return step


def _year_band(width: int) -> Step:
    return lambda e: deidentify.year_band(e, width)


def _prefix(keep: int) -> Step:
    return lambda e: _text(e).str.slice(0, keep) + "*"


def _star(e: pl.Expr) -> pl.Expr:
    return pl.lit("*")


def ladder(data_type: str, sample: pl.Series) -> list[Step]:
    """Generalisation steps of one quasi-identifier, from as-is (level 0) to fully hidden ("*")."""
    if data_type == "date":
        return [
            lambda e: _text(e).str.slice(0, 10),
            lambda e: _text(e).str.slice(0, 7),
            lambda e: deidentify.birth_year(e).cast(pl.String),
            _year_band(5),
            _year_band(10),
            _star,
        ]
    if data_type in ("integer", "decimal"):
        return [_text, _band(5), _band(10), _band(20), _star]
    if data_type == "address":
        return [
            lambda e: deidentify.address_level(e, "district"),
            lambda e: deidentify.address_level(e, "city"),
            lambda e: deidentify.address_level(e, "province"),
            _star,
        ]
    longest = int(sample.cast(pl.String).str.len_chars().max() or 0)
    steps: list[Step] = [_text]
    keep = longest // 2
    while keep >= 1 and longest > 2:
        steps.append(_prefix(keep))
        keep //= 2
    steps.append(_star)
    return steps


@dataclass
class ReleaseResult:
    release: DeidentifiedRelease
    frame: pl.DataFrame
    csv: bytes


def _refuse_identifiers(ctx: datapath.Context, dataset_code: str, elements: Sequence[str]) -> dict[str, str]:
    from edudata.access.specs import load_spec

    spec = load_spec(ctx.session, dataset_code)
    types = {}
    for code in elements:
        element = spec.element(code)
        if element is None:
            raise ValidationFailed(
                f"数据集 {dataset_code} 没有数据元素 {code}", f"no element {code}", field="elements"
            )
        if element.data_type in DIRECT_TYPES or code == spec.subject_element:
            raise ValidationFailed(
                f"{code}（{element.name}）是直接标识符，不得出现在去标识化数据中（第五十四条）",
                f"{code} is a direct identifier and cannot be released de-identified (Art. 54)",
                field="elements",
            )
        types[code] = element.data_type
    return types


def _violations(
    df: pl.DataFrame, qis: list[str], k: int, sensitive: str | None, l_target: int | None
) -> pl.Expr:
    bad = pl.len().over(qis) < k
    if sensitive and l_target:
        bad = bad | (pl.col(sensitive).n_unique().over(qis) < l_target)
    return bad


def build_release(
    caller: datapath.Caller,
    ctx: datapath.Context,
    dataset_code: str,
    *,
    quasi_identifiers: Sequence[str],
    k: int,
    sensitive: str | None = None,
    l_target: int | None = None,
    extra: Sequence[str] = (),
    max_suppression: float = 0.05,
    purpose: str,
) -> ReleaseResult:
    """Build, measure and record a de-identified release; the caller receives the rows (through the path)."""
    qis = list(dict.fromkeys(quasi_identifiers))
    if not qis:
        raise ValidationFailed(
            "至少选择一个准标识符", "choose at least one quasi-identifier", field="quasi_identifiers"
        )
    if k < 2 or k > 1000:
        raise ValidationFailed("k 须在 2 到 1000 之间", "k must be between 2 and 1000", field="k")
    if l_target is not None and (l_target < 2 or not sensitive):
        raise ValidationFailed(
            "l 多样性须 ≥ 2 且指明敏感属性", "l needs l ≥ 2 and a sensitive element", field="l"
        )
    if not 0 <= max_suppression <= 0.5:
        raise ValidationFailed(
            "抑制比例须在 0 到 0.5 之间", "max_suppression: 0 to 0.5", field="max_suppression"
        )
    purpose = (purpose or "").strip()
    if not 4 <= len(purpose) <= 1000:
        raise ValidationFailed(
            "须写明用途（统计、科研……）", "state the purpose (statistics, research …)", field="purpose"
        )
    others = [e for e in (*([sensitive] if sensitive else []), *extra) if e not in qis]
    chosen = qis + list(dict.fromkeys(others))
    refuse_secret(ctx.session, dataset_code, chosen, "release")  # 涉密 never released (Art. 56-57)
    types = _refuse_identifiers(ctx, dataset_code, chosen)
    _page, frames = datapath.export_frames(caller, ctx, dataset_code, elements=chosen)
    raw = pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame({c: [] for c in chosen})
    n = raw.height
    ladders = {q: ladder(types[q], raw[q]) for q in qis}
    levels = dict.fromkeys(qis, 0)
    budget = int(max_suppression * n)
    while True:
        gen = raw.with_columns([ladders[q][levels[q]](pl.col(q)).alias(q) for q in qis])
        bad = gen.select(_violations(gen, qis, k, sensitive, l_target).alias("_bad"))["_bad"]
        if int(bad.sum() or 0) <= budget:
            break
        movable = [q for q in qis if levels[q] < len(ladders[q]) - 1]
        if not movable:
            break
        widest = max(movable, key=lambda q: (gen[q].n_unique(), -qis.index(q)))
        levels[widest] += 1
    released = gen.filter(~bad) if n else gen
    if released.height == 0:
        raise ValidationFailed(
            f"无法在 {n} 行数据上达到 k={k}" + (f"、l={l_target}" if l_target else ""),
            f"k={k}" + (f", l={l_target}" if l_target else "") + f" cannot be reached on {n} rows",
            field="k",
        )
    achieved_k = deidentify.k_anonymity(released, qis)
    achieved_l = deidentify.l_diversity(released, qis, sensitive) if sensitive else None
    sizes = deidentify.equivalence_classes(released, qis)["_size"]
    suppressed = n - released.height
    loss = sum(levels[q] / (len(ladders[q]) - 1) for q in qis) / len(qis)
    metrics: dict[str, Any] = {
        "suppressed": suppressed,
        "suppression_rate": round(suppressed / n, 6) if n else 0.0,
        "classes": int(sizes.len()),
        "discernibility": int((sizes**2).sum()) + suppressed * n,
        "c_avg": round(released.height / sizes.len() / k, 4),
        "top_levels": {q: len(ladders[q]) - 1 for q in qis},
    }
    buffer = io.BytesIO()
    released.write_csv(buffer)
    csv = b"\xef\xbb\xbf" + buffer.getvalue()  # BOM: Excel opens UTF-8 Chinese correctly
    row = DeidentifiedRelease(
        dataset_code=dataset_code,
        purpose=purpose,
        quasi_identifiers=qis,
        sensitive_element=sensitive,
        elements=chosen,
        k_target=k,
        l_target=l_target,
        achieved_k=achieved_k,
        achieved_l=achieved_l,
        rows_in=n,
        rows_out=released.height,
        levels=levels,
        information_loss=round(loss, 6),
        metrics=metrics,
        sha256=hashlib.sha256(csv).hexdigest(),
        created_by=caller.username,
    )
    ctx.session.add(row)
    ctx.session.flush()
    audit.record(
        ctx.session,
        operation="deidentified_release",
        dataset=dataset_code,
        elements=chosen,
        row_count=released.height,
        account_id=caller.account_id,
        username=caller.username,
        unit_code=caller.unit_code,
        source_ip=caller.source_ip,
        request_id=ctx.request_id,
        detail={
            "release_id": row.id,
            "k": achieved_k,
            "l": achieved_l,
            "suppressed": suppressed,
            "levels": levels,
        },
    )
    return ReleaseResult(row, released, csv)


def release_view(row: DeidentifiedRelease) -> dict[str, Any]:
    return {
        "id": row.id,
        "dataset": row.dataset_code,
        "purpose": row.purpose,
        "quasi_identifiers": row.quasi_identifiers,
        "sensitive": row.sensitive_element,
        "elements": row.elements,
        "k_target": row.k_target,
        "l_target": row.l_target,
        "achieved_k": row.achieved_k,
        "achieved_l": row.achieved_l,
        "rows_in": row.rows_in,
        "rows_out": row.rows_out,
        "levels": row.levels,
        "information_loss": row.information_loss,
        "metrics": row.metrics,
        "sha256": row.sha256,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat() if row.created_at else None,
    }
