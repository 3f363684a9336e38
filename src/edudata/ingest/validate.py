"""Running the rules over a batch: good rows go on, bad rows are quarantined with one reason per failed rule.

A batch is never all-or-nothing (Art. 23): :func:`run` splits it into the normalised good rows, the
quarantined rows as they were typed, and the failures (row, element, rule, code, masked value, message in
Chinese and English). Everything is columnar; Python runs only once per distinct (element, rule, code).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from edudata.access.decision import sensitive_masking
from edudata.access.masking import OFFICE_DEFAULT, apply_masking
from edudata.catalog.messages import error_message
from edudata.ingest import merge, repair
from edudata.ingest.rules import (
    FAILURE_SCHEMA,
    CheckContext,
    N,
    builtin_checks,
    normalisation_report,
    normalise_expr,
    registered_checks,
)
from edudata.store.spec import DatasetSpec

_KINDS = {"id_number", "mobile", "email", "date", "bank_card", "name", "code"}
_OWN = {
    "empty": ("必填项为空", "required value is empty"),
    "bad_length": ("长度不正确", "has the wrong length"),
    "bad_check_digit": ("校验位错误（GB 11643 MOD 11-2）", "wrong check digit (GB 11643 MOD 11-2)"),
    "not_integer": ("应为整数", "must be an integer"),
    "not_number": ("应为数字", "must be a number"),
    "not_boolean": ("应为“是”或“否”", "must be yes or no"),
    "duplicate_in_batch": (
        "在本批次中重复（一人一号）",
        "repeats an earlier row of this batch (one person, one number)",
    ),
    "duplicate_in_store": (
        "已被权威库中的另一条记录使用",
        "is already used by another record in the authoritative store",
    ),
    "unknown_unit": (
        "不是本校现有单位的代码（第二十二条）",
        "is not the code of an existing unit of the school (Art. 22)",
    ),
    "regex_mismatch": ("不符合规定的格式", "does not match the required pattern"),
    "cannot_clear_required": ("是必填项，不能清空", "is required and cannot be cleared"),
    "bad_width": ("位数不符合规定的定长", "does not have the declared fixed number of digits"),
    "excel_scientific": (
        "是科学计数法（如 1.1E+17）：Excel 把该列当作数字，只保留 15 位有效数字，后面的数字已丢失；"
        "请在原表中把该列设为“文本”格式，从原系统重新导出后再上传",
        "is in scientific notation (like 1.1E+17): Excel treated the column as numbers and kept only 15 "
        "significant digits; set the column to Text and export again from the source system",
    ),
    "excel_precision": (
        "在 Excel 中是数字单元格，Excel 只保留 15 位有效数字，第 16 位起已变成 0；"
        "请把该列设为“文本”格式，从原系统重新导出后再上传",
        "is a number cell in Excel, which keeps 15 significant digits (the 16th on became 0); set the column "
        "to Text and export again from the source system",
    ),
    "excel_number_cell": (
        "在 Excel 中是数字单元格，Excel 会去掉开头的 0，无法判断原值是否完整；"
        "请把该列设为“文本”格式后重新导出（或请网信办为该数据项声明定长）",
        "is a number cell in Excel, which drops leading zeros, so the value cannot be trusted; set the column "
        "to Text and export again (or ask the office to declare the element's fixed width)",
    ),
    "out_of_range": ("超出允许范围", "is out of the allowed range"),
    "not_allowed": ("不在允许的取值中", "is not one of the allowed values"),
}


@dataclass
class Outcome:
    good: pl.DataFrame
    quarantined: pl.DataFrame
    failures: pl.DataFrame
    normalised: dict[str, dict] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


def message(spec: DatasetSpec, element: str, rule: str, code: str, ctx: CheckContext) -> tuple[str, str]:
    """The bilingual reason for one (element, rule, code)."""
    e = spec.element(element)
    name = e.name if e else element
    if rule.startswith("rule:"):
        for r in ctx.rules:
            if f"rule:{r.id}" == rule and (r.message_zh or r.message_en):
                return f"{name}：{r.message_zh or r.message_en}", f"{element}: {r.message_en or r.message_zh}"
    if code in _OWN and not (code == "empty" and rule != "required"):
        zh, en = _OWN[code]
    elif code == "too_long":
        limit = (e.max_length if e else None) or 255
        zh, en = f"超过 {limit} 个字符", f"longer than {limit} characters"
    elif code in ("gender_mismatch", "birth_date_mismatch"):
        zh, en = error_message("id_number", code)
    else:
        kind = e.data_type if e and e.data_type in _KINDS else "code"
        zh, en = error_message(kind, code, code_set=(e.code_set if e else "") or "")
    return f"{name}：{zh}", f"{element}: {en}"


def _shown(spec: DatasetSpec, work: pl.DataFrame, failures: pl.DataFrame) -> pl.DataFrame:
    """Attach each failure's value as typed, masked when the element is sensitive (Art. 51)."""
    masks = sensitive_masking(spec)
    for e in spec.elements:
        if e.encrypted and e.code not in masks:
            masks[e.code] = OFFICE_DEFAULT.profile_for(e.data_type)
    parts = []
    # One scan of the batch for the rows that failed anything; each element then looks only at those.
    failing = (
        work.lazy().filter(pl.col("_row").is_in(failures.get_column("_row").unique().implode())).collect()
    )
    for element in failures.get_column("element").unique().to_list():
        part = failures.filter(pl.col("element") == element)
        if element in work.columns:
            rows = part.get_column("_row").unique()
            values = failing.filter(pl.col("_row").is_in(rows.implode())).select(
                "_row", pl.col(element).cast(pl.String).alias("value_shown")
            )
            if element in masks:
                try:
                    values = apply_masking(
                        values.rename({"value_shown": element}), {element: masks[element]}
                    ).rename({element: "value_shown"})
                except Exception:  # noqa: BLE001 - an unknown profile: show nothing rather than the value
                    values = values.with_columns(pl.lit("***").alias("value_shown"))
            part = part.join(values, on="_row", how="left")
        else:
            part = part.with_columns(pl.lit("", dtype=pl.String).alias("value_shown"))
        parts.append(part.with_columns(pl.col("value_shown").fill_null("").str.slice(0, 200)))
    return (
        pl.concat(parts, how="diagonal_relaxed") if parts else failures.with_columns(value_shown=pl.lit(""))
    )


def run(frame: pl.DataFrame, ctx: CheckContext, checks: list | None = None) -> Outcome:
    """Normalise, check every rule, and split the batch (Art. 20-23). ``checks`` replaces the registered batch
    checks of other domains (``None``: every one registered for the dataset)."""
    spec = ctx.spec
    elements = [c for c in frame.columns if not c.startswith("_")]  # _row, _num|… (number cells) are not data
    # The clearing marker ([清空], ingest/merge.py) is no value to the rules: it is checked as an empty cell,
    # and put back on the good rows at the end so the load clears the stored value.
    # Lazy, then collected: the query optimiser shares the work common to several rules (the ID number's
    # shape, birth date and gender serve three of them), which eager evaluation repeats for each. The look for
    # the marker runs beside it, in the same collection.
    normalised = [normalise_expr(spec.element(e), pl.col(e)).alias(f"n|{e}") for e in elements]
    maybe_frame, work = pl.collect_all(
        [
            frame.lazy().select([merge.may_clear(pl.col(e)).alias(e) for e in elements]),
            frame.lazy().with_columns(normalised),
        ]
    )
    maybe = maybe_frame.row(0) if elements else ()
    candidates = [e for e, hit in zip(elements, maybe, strict=True) if hit]
    exact = frame.select([merge.is_clear(pl.col(e)).any() for e in candidates]).row(0) if candidates else ()
    marked = [e for e, hit in zip(candidates, exact, strict=True) if hit]
    if marked:  # rare: normalise again with the marker taken out
        frame = frame.with_columns(
            [merge.is_clear(pl.col(e)).alias(merge.clear_column(e)) for e in marked]
            + [pl.when(merge.is_clear(pl.col(e))).then(None).otherwise(pl.col(e)).alias(e) for e in marked]
        )
        work = frame.lazy().with_columns(normalised).collect()
    work, habits = repair.apply(work, elements, ctx)
    registered = registered_checks(spec.code) if checks is None else checks
    built_in = builtin_checks(work, ctx) + repair.excel_checks(work, elements, ctx)
    results = (
        work.lazy().select(pl.col("_row"), *[c.expr.alias(f"c{i}") for i, c in enumerate(built_in)]).collect()
    )
    # Each rule's failures: its two columns only (filtering the whole result would copy every rule's column).
    hits = pl.collect_all(
        [
            results.lazy()
            .select("_row", pl.col(f"c{i}").cast(pl.String).alias("code"))
            .filter(pl.col("code").is_not_null())
            .with_columns(element=pl.lit(c.element), rule=pl.lit(c.rule), dimension=pl.lit(c.dimension))
            for i, c in enumerate(built_in)
        ]
    )
    parts = [hit for hit in hits if hit.height]
    built = (
        pl.concat(parts)
        if parts
        else pl.DataFrame(
            schema={
                "_row": pl.Int64,
                "code": pl.String,
                "element": pl.String,
                "rule": pl.String,
                "dimension": pl.String,
            }
        )
    )
    built = repair.without_masked_failures(built)
    combos = built.select("element", "rule", "code").unique()
    texts = [message(spec, el, rule, code, ctx) for el, rule, code in combos.iter_rows()]
    combos = combos.with_columns(
        message_zh=pl.Series([t[0] for t in texts], dtype=pl.String),
        message_en=pl.Series([t[1] for t in texts], dtype=pl.String),
    )
    failures = built.join(combos, on=["element", "rule", "code"], how="left").with_columns(
        action=pl.lit("quarantine")
    )
    clean_view = work.select("_row", *[N(e).alias(e) for e in elements])
    extra = [failures]
    for name, check in registered:
        found = check(clean_view, ctx)
        if found is not None and found.height:
            found = found.with_columns(
                rule=pl.col("rule") if "rule" in found.columns else pl.lit(name),
                code=pl.col("code") if "code" in found.columns else pl.lit(name),
                action=pl.col("action") if "action" in found.columns else pl.lit("quarantine"),
                dimension=pl.lit("custom"),
            )
            extra.append(
                found.select([pl.col(k).cast(v) for k, v in FAILURE_SCHEMA.items()] + [pl.col("dimension")])
            )
    failures = pl.concat([f.select([*FAILURE_SCHEMA, "dimension"]) for f in extra], how="vertical_relaxed")
    failures = _shown(spec, work, failures).sort("_row", "element")
    bad_rows = failures.filter(pl.col("action") == "quarantine").get_column("_row").unique()
    dropped = failures.filter(pl.col("action") == "drop_value")
    good = clean_view.lazy().filter(~pl.col("_row").is_in(bad_rows.implode()))
    for element in dropped.get_column("element").unique().to_list():
        rows = dropped.filter(pl.col("element") == element).get_column("_row")
        if element in clean_view.columns:
            good = good.with_columns(
                pl.when(pl.col("_row").is_in(rows.implode()))
                .then(None)
                .otherwise(pl.col(element))
                .alias(element)
            )
    if marked:
        flags = work.select("_row", *[merge.clear_column(e) for e in marked])
        good = good.join(flags.lazy(), on="_row", how="left").with_columns(
            pl.when(pl.col(merge.clear_column(e))).then(pl.lit(merge.CLEAR)).otherwise(pl.col(e)).alias(e)
            for e in marked
        )
        good = good.drop([merge.clear_column(e) for e in marked])
    quarantined = work.lazy().filter(pl.col("_row").is_in(bad_rows.implode())).select("_row", *elements)
    if marked:  # the file as typed: the marker where the officer wrote it
        quarantined = quarantined.join(flags.lazy(), on="_row", how="left").with_columns(
            pl.when(pl.col(merge.clear_column(e))).then(pl.lit(merge.CLEAR)).otherwise(pl.col(e)).alias(e)
            for e in marked
        )
        quarantined = quarantined.drop([merge.clear_column(e) for e in marked])
    good, quarantined = pl.collect_all([good, quarantined])
    dropped_counts = dict(dropped.group_by("element").agg(pl.col("_row").n_unique()).iter_rows())
    summary = _summary(work, elements, failures, good.height, dropped_counts)
    summary["not_collected"] = [e.code for e in spec.elements if e.code not in elements]
    if marked:
        counts = good.select([(pl.col(e) == merge.CLEAR).sum().alias(e) for e in marked]).row(0, named=True)
        summary["cleared"] = {e: int(n) for e, n in counts.items() if n}
    report = normalisation_report(work, elements)
    for element, counts in habits.items():
        report.setdefault(element, {"changed": 0, "whitespace": 0, "fullwidth": 0, "format": 0}).update(
            counts
        )
    return Outcome(good, quarantined, failures, report, summary)


def _summary(
    work: pl.DataFrame,
    elements: list[str],
    failures: pl.DataFrame,
    good: int,
    dropped: dict[str, int] | None = None,
) -> dict[str, Any]:
    total = work.height
    filled = (
        work.select([N(e).is_not_null().sum().alias(e) for e in elements]).row(0, named=True)
        if elements
        else {}
    )
    # Honest completeness: a value a rule dropped (Art. 51) was not collected, whatever the file held.
    filled = {e: max(0, n - (dropped or {}).get(e, 0)) for e, n in filled.items()}
    by_rule = failures.group_by("element", "rule", "dimension").len().sort("element", "rule").to_dicts()
    by_dimension = failures.group_by("dimension").agg(pl.col("_row").n_unique().alias("rows")).to_dicts()
    return {
        "rows": total,
        "good": good,
        "quarantined": total - good,
        "validity_rate": round(good / total, 4) if total else 1.0,
        "completeness": {e: round(filled[e] / total, 4) if total else 1.0 for e in elements},
        "completeness_rate": round(sum(filled.values()) / (total * len(elements)), 4)
        if total and elements
        else 1.0,
        "by_rule": [
            {"element": r["element"], "rule": r["rule"], "dimension": r["dimension"], "count": r["len"]}
            for r in by_rule
        ],
        "by_dimension": {r["dimension"]: r["rows"] for r in by_dimension},
        "failures": failures.height,
    }
