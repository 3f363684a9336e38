"""Office habits and Excel damage (Art. 20-23 accuracy): what a spreadsheet does to values, found by cause.

- **Labels for codes**: a code-set element given the code's label (``男``, ``汉族``, ``Male``) takes the code.
- **Short codes**: a code that lost its leading zeros (``1`` for 民族码 ``01``, ``104`` for unit ``0104``) is
  padded when exactly one width of the code set (or the units) makes it a valid code; under an office rule
  ``width`` (学号 of 12 digits) digits-only values are padded to that width. Anything else is left to the rules.
- **Excel damage of identifiers** (ID numbers, bank cards, codes, the dataset key, the unit, unique elements):
  a value in scientific notation (``1.10105E+17``) or a number cell of 16 digits or more has lost digits (Excel
  keeps 15 significant digits) and is quarantined saying so; any other number cell is quarantined unless the
  code set or the declared width confirms it (Excel drops leading zeros of number cells, so it cannot be told
  whether some were lost). The reason says what Excel did and how to fix it: set the column to Text, export
  again. These reasons replace the element's other failures (a truncated ID's "wrong check digit").

Every mapping is counted per element in the batch's normalisation summary (``label``, ``padded``).
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from edudata.catalog import patterns as p
from edudata.ingest.readers import NUMBER_COLUMN
from edudata.ingest.rules import Check, CheckContext, N

EXCEL_CODES = ("excel_scientific", "excel_precision", "excel_number_cell")
_SCIENTIFIC = r"^\s*[0-9](?:\.[0-9]+)?[eE]\+?[0-9]{1,3}\s*$"


def declared_width(ctx: CheckContext, element: str) -> int | None:
    for rule in ctx.rules:
        if rule.kind == "width" and rule.element == element:
            return int(rule.params.get("digits") or 0) or None
    return None


def value_set(ctx: CheckContext, element: str) -> set[str] | None:
    e = ctx.spec.element(element)
    if e is not None and e.code_set:
        return set(ctx.code_sets.get(e.code_set, set())) or None
    if element == ctx.spec.unit_element:
        return set(ctx.unit_codes) or None
    return None


def identifiers(ctx: CheckContext, elements: list[str]) -> list[str]:
    spec = ctx.spec
    out = []
    for code in elements:
        e = spec.element(code)
        if e is None:
            continue
        if (
            e.data_type in ("id_number", "bank_card", "code")
            or code in (ctx.key, spec.unit_element)
            or code in ctx.unique
            or declared_width(ctx, code)
        ):
            out.append(code)
    return out


def label_lookup(labels: Mapping[str, str]) -> dict[str, str]:
    """Label (lower case) → code; ``汉`` for ``汉族`` too when no other label shortens the same way."""
    out = {label.lower(): value for label, value in labels.items() if label}
    short: dict[str, set[str]] = {}
    for label, value in labels.items():
        if label.endswith("族") and len(label) > 2:
            short.setdefault(label[:-1], set()).add(value)
    for label, values in short.items():
        if len(values) == 1 and label not in out:
            out[label] = next(iter(values))
    return out


def _repair_values(values: pl.Series, allowed: set[str] | None, width: int | None, labels: dict[str, str]):  # noqa: ANN202
    """The few values not already valid: label → code, then lost leading zeros; (fixed, labelled, padded)."""
    frame = pl.DataFrame({"v": values})
    out = pl.col("v")
    labelled = pl.lit(False)
    if labels:
        mapped = out.str.to_lowercase().replace_strict(list(labels), list(labels.values()), default=None)
        labelled = mapped.is_not_null()
        out = pl.when(labelled).then(mapped).otherwise(out)
    digits = out.str.contains("^[0-9]+$").fill_null(False)
    if allowed:
        widths = sorted({len(v) for v in allowed if v.isdigit()})
        candidates = [pl.when(out.str.len_chars() < w).then(out.str.zfill(w)) for w in widths]
        matches = [c.is_in(list(allowed)).fill_null(False) for c in candidates]
        if matches:
            chosen = pl.coalesce([pl.when(m).then(c) for m, c in zip(matches, candidates, strict=True)])
            padded = ~labelled & digits & (pl.sum_horizontal(matches) == 1)
        else:
            chosen, padded = out, pl.lit(False)
    else:
        chosen = out.str.zfill(width or 0)
        padded = ~labelled & digits & (out.str.len_chars() < (width or 0))
    result = frame.select(
        pl.when(padded).then(chosen).otherwise(out).alias("v"), labelled.alias("l"), padded.alias("p")
    )
    return result.get_column("v"), int(result.get_column("l").sum()), int(result.get_column("p").sum())


def apply(work: pl.DataFrame, elements: list[str], ctx: CheckContext) -> tuple[pl.DataFrame, dict[str, dict]]:
    """Map labels to codes and restore lost leading zeros in the normalised columns; counts per element.

    Most values are valid already: one ``is_in`` (or length) pass per element finds the few that are not, and
    only those are looked at (a clean million-row batch costs a few scans, not a rewrite of every column)."""
    report: dict[str, dict] = {}
    fixed: list[pl.Series] = []
    for code in elements:
        e = ctx.spec.element(code)
        if e is None:
            continue
        allowed, width = value_set(ctx, code), declared_width(ctx, code)
        if not allowed and not width:
            continue
        column = work.get_column(f"n|{code}")
        if allowed:
            todo = column.is_not_null() & ~column.is_in(pl.Series(sorted(allowed), dtype=pl.String).implode())
        else:
            todo = column.is_not_null() & (column.str.len_chars() < width)
        if not todo.any():
            continue
        index = todo.arg_true()
        labels = (
            label_lookup((getattr(ctx, "code_labels", {}) or {}).get(e.code_set or "", {})) if allowed else {}
        )
        values, labelled, padded = _repair_values(column.gather(index), allowed, width, labels)
        fixed.append(column.scatter(index, values))
        counts = {k: v for k, v in (("label", labelled), ("padded", padded)) if v}
        if counts:
            report[code] = counts
    return (work.with_columns(fixed) if fixed else work), report


def excel_checks(work: pl.DataFrame, elements: list[str], ctx: CheckContext) -> list[Check]:
    """Identifier values Excel damaged: scientific notation, 15-digit precision, number cells unconfirmed."""
    checks = []
    for code in identifiers(ctx, elements):
        raw = pl.col(code).cast(pl.String)
        expr = pl.when(raw.str.contains(_SCIENTIFIC)).then(pl.lit("excel_scientific"))
        flag = f"{NUMBER_COLUMN}{code}"
        if flag in work.columns:
            number = pl.col(flag).fill_null(False)
            digits = raw.str.replace_all("[^0-9]", "").str.len_chars()
            allowed, width = value_set(ctx, code), declared_width(ctx, code)
            if allowed:
                confirmed = N(code).is_in(list(allowed)).fill_null(False)
            elif width:
                confirmed = (N(code).str.len_chars() == width).fill_null(False)
            else:
                confirmed = pl.lit(False)
            expr = (
                expr.when(number & (digits >= 16))
                .then(pl.lit("excel_precision"))
                .when(number & ~confirmed)
                .then(pl.lit("excel_number_cell"))
            )
        checks.append(Check("excel", code, "accuracy", expr))
    return checks


_FOLLOWING = (p.GENDER_MISMATCH, p.BIRTH_DATE_MISMATCH)  # cross-field checks against a damaged ID number


def without_masked_failures(built: pl.DataFrame) -> pl.DataFrame:
    """An Excel reason replaces the element's other failures in that row, and the cross-field failures of the
    row (gender and birth date against the ID's digits): they follow from the damage, not from the data."""
    damaged = pl.col("code").is_in(EXCEL_CODES)
    excel = built.filter(damaged).select("_row", "element").unique()
    if not excel.height:
        return built
    others = built.filter(~damaged).join(excel, on=["_row", "element"], how="anti")
    others = others.filter(
        ~(pl.col("code").is_in(_FOLLOWING) & pl.col("_row").is_in(excel["_row"].implode()))
    )
    return pl.concat([built.filter(damaged), others])
