"""What may be proposed for opening, and how a view is derived from its dataset (Art. 44, 45, 56; C5, C6).

A view is one of three kinds:

- ``dataset``: chosen elements of the dataset, as they are;
- ``deidentified`` (去标识化): chosen elements, quasi-identifiers generalised (birth date → year, address →
  district …), then rows whose quasi-identifier group has fewer than k members suppressed (GB/T 37964);
- ``aggregate`` (统计汇总): counts (people, not rows, when the dataset names its subject element), sums and
  means per group; groups of fewer than k people are suppressed (small-cell suppression).

Art. 56 is enforced before anything is stored: a dataset that is 不予开放, graded 重要数据 (the grade that covers
national-security relevance; secret data is never catalogued for opening) or that holds sensitive personal
information (个人隐私, Art. 51) cannot even be proposed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import polars as pl

from edudata.access import deidentify
from edudata.catalog.models import Dataset
from edudata.errors import ValidationFailed

KINDS = ("dataset", "deidentified", "aggregate")
OPEN_RANK = {"unconditional": 0, "conditional": 1, "none": 2}
#: Licences the office offers (code → 中文, English, URL).
LICENCES: dict[str, tuple[str, str, str]] = {
    "CC-BY-4.0": (
        "知识共享署名 4.0 国际",
        "Creative Commons Attribution 4.0",
        "https://creativecommons.org/licenses/by/4.0/",
    ),
    "CC-BY-SA-4.0": (
        "知识共享署名-相同方式共享 4.0",
        "Creative Commons Attribution-ShareAlike 4.0",
        "https://creativecommons.org/licenses/by-sa/4.0/",
    ),
    "CC0-1.0": (
        "CC0 公共领域贡献",
        "CC0 1.0 Public Domain Dedication",
        "https://creativecommons.org/publicdomain/zero/1.0/",
    ),
    "ODbL-1.0": (
        "开放数据库许可 1.0",
        "Open Database License 1.0",
        "https://opendatacommons.org/licenses/odbl/1-0/",
    ),
}
GENERALISERS = ("birth_year", "year_band", "age_band", "district", "city", "province", "postcode")
MEASURES = ("count", "sum", "mean")


def _bad(field: str, zh: str, en: str) -> ValidationFailed:
    return ValidationFailed(f"{field}：{zh}", f"{field}: {en}", field=field)


def check_openable(dataset: Dataset, open_category: str) -> None:
    """Art. 44, 56: refuse a proposal that could open what must stay closed."""
    if open_category not in ("unconditional", "conditional"):
        raise _bad("open_category", "应为无条件开放或有条件开放", "must be unconditional or conditional")
    if dataset.open_category == "none":
        raise ValidationFailed(
            f"数据集“{dataset.name}”在数据资源目录中为不予开放类，不能提出开放（第四十四条）",
            f"dataset {dataset.code} is catalogued as not open and cannot be proposed (Art. 44)",
            field="dataset",
        )
    if dataset.grade == "important":
        raise ValidationFailed(
            f"数据集“{dataset.name}”为重要数据，涉及国家秘密、国家安全的数据不得开放（第五十六条）",
            f"dataset {dataset.code} is graded important: data touching state secrets or national security "
            "is never opened (Art. 56)",
            field="dataset",
        )
    private = [e.name for e in dataset.elements if e.sensitive or e.grade == "important"]
    if private:
        raise ValidationFailed(
            f"数据集“{dataset.name}”含个人隐私或重要数据（{'、'.join(private)}），不得开放（第五十六条）",
            f"dataset {dataset.code} holds personal privacy or important data and is never opened (Art. 56)",
            field="dataset",
        )
    if OPEN_RANK[open_category] < OPEN_RANK[dataset.open_category]:
        raise _bad(
            "open_category",
            "不得比数据资源目录中的开放类别更宽松（目录为有条件开放）",
            "may not be more open than the catalogue's open category (conditional)",
        )


def _codes(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 100 or not all(isinstance(v, str) for v in value):
        raise _bad(field, "应为数据项代码列表", "must be a list of element codes")
    return list(dict.fromkeys(value))


def clean_definition(
    dataset: Dataset, kind: str, raw: Mapping[str, Any] | None, min_cell: int
) -> dict[str, Any]:
    """The stored definition: every element named must be one of the dataset's; k never below ``min_cell``."""
    if kind not in KINDS:
        raise _bad(
            "kind", "应为 dataset、deidentified 或 aggregate", "must be dataset, deidentified or aggregate"
        )
    raw = dict(raw or {})
    codes = [e.code for e in dataset.elements]

    def known(names: Sequence[str], field: str) -> list[str]:
        unknown = [n for n in names if n not in codes]
        if unknown:
            raise _bad(
                field,
                f"数据集中没有数据项 {', '.join(unknown)[:80]}",
                f"no element {', '.join(unknown)[:80]}",
            )
        return list(names)

    k = raw.get("k", min_cell)
    if not isinstance(k, int) or isinstance(k, bool) or not min_cell <= k <= 1000:
        raise _bad("k", f"应为 {min_cell} 到 1000 之间的整数", f"must be an integer from {min_cell} to 1000")
    if kind == "aggregate":
        group_by = known(_codes(raw.get("group_by"), "group_by"), "group_by")
        if not group_by:
            raise _bad(
                "group_by", "汇总视图至少需要一个分组数据项", "an aggregate view needs a group-by element"
            )
        measures = []
        for m in raw.get("measures") or [{"op": "count"}]:
            if not isinstance(m, Mapping) or m.get("op") not in MEASURES:
                raise _bad("measures", "统计方式应为 count、sum 或 mean", "measures are count, sum or mean")
            if m["op"] != "count":
                known([str(m.get("element"))], "measures")
            measures.append({"op": m["op"], **({"element": m["element"]} if m["op"] != "count" else {})})
        if not any(m["op"] == "count" for m in measures):
            measures.insert(0, {"op": "count"})
        return {"group_by": group_by, "measures": measures, "k": k}
    elements = known(_codes(raw.get("elements"), "elements"), "elements") or codes
    if kind == "dataset":
        return {"elements": elements}
    generalise = raw.get("generalise") or {}
    if not isinstance(generalise, Mapping) or any(v not in GENERALISERS for v in generalise.values()):
        raise _bad(
            "generalise", f"泛化方式应为 {', '.join(GENERALISERS)}", f"use one of {', '.join(GENERALISERS)}"
        )
    known(list(generalise), "generalise")
    quasi = known(_codes(raw.get("quasi_identifiers"), "quasi_identifiers"), "quasi_identifiers")
    if not quasi:
        raise _bad(
            "quasi_identifiers",
            "去标识化视图需要列出准标识符",
            "a de-identified view names its quasi-identifiers",
        )
    missing = [q for q in [*quasi, *generalise] if q not in elements]
    if missing:
        raise _bad(
            "elements", "准标识符和泛化数据项须在所选数据项中", "quasi-identifiers must be among the elements"
        )
    return {"elements": elements, "generalise": dict(generalise), "quasi_identifiers": quasi, "k": k}


def source_elements(definition: Mapping[str, Any], subject_element: str | None) -> list[str]:
    """The dataset elements a refresh reads (through the data path)."""
    if "group_by" in definition:
        wanted = [*definition["group_by"], *(m["element"] for m in definition["measures"] if "element" in m)]
    else:
        wanted = list(definition["elements"])
    counts_people = "group_by" in definition or "quasi_identifiers" in definition
    if subject_element and counts_people:
        wanted.append(subject_element)  # to count people (read, never published unless chosen)
    return list(dict.fromkeys(wanted))


def _generalised(frame: pl.DataFrame, generalise: Mapping[str, str], today: date) -> pl.DataFrame:
    exprs = []
    for code, how in generalise.items():
        col = pl.col(code)
        expr = {
            "birth_year": lambda c: deidentify.birth_year(c).cast(pl.String),
            "year_band": deidentify.year_band,
            "age_band": lambda c: deidentify.age_band(c, today),
            "district": lambda c: deidentify.address_level(c, "district"),
            "city": lambda c: deidentify.address_level(c, "city"),
            "province": lambda c: deidentify.address_level(c, "province"),
            "postcode": deidentify.postcode_prefix,
        }[how](col)
        exprs.append(expr.alias(code))
    return frame.with_columns(exprs) if exprs else frame


def derive(
    kind: str, definition: Mapping[str, Any], frame: pl.DataFrame, subject_element: str | None, today: date
) -> tuple[pl.DataFrame, int]:
    """The published rows of a view from the dataset's rows, and how many rows or groups were suppressed."""
    if kind == "dataset":
        return frame.select(definition["elements"]), 0
    if kind == "deidentified":
        elements = definition["elements"]
        subject = subject_element if subject_element and subject_element in frame.columns else None
        keep = [*elements, *([subject] if subject and subject not in elements else [])]
        out = _generalised(frame.select(keep), definition.get("generalise", {}), today)
        quasi = definition["quasi_identifiers"]
        if subject is None:
            return deidentify.suppress_small_groups(out, quasi, definition["k"])
        # k counts people, not rows: three records of one person do not hide that person (GB/T 37964).
        kept = out.filter(pl.col(subject).n_unique().over(quasi) >= definition["k"])
        return kept.select(elements), out.height - kept.height
    group_by = definition["group_by"]
    people = (
        pl.col(subject_element).n_unique()
        if subject_element and subject_element in frame.columns
        else pl.len()
    )
    aggs = [people.cast(pl.Int64).alias("count")]
    for m in definition["measures"]:
        if m["op"] == "count":
            continue
        value = pl.col(m["element"]).cast(pl.Float64, strict=False)
        agg = value.sum() if m["op"] == "sum" else value.mean()
        aggs.append(agg.round(4).alias(f"{m['op']}_{m['element']}"))
    if frame.height == 0:
        empty = {c: pl.String for c in group_by} | {"count": pl.Int64}
        return pl.DataFrame(schema=empty), 0
    grouped = frame.with_columns(pl.col(group_by).cast(pl.String)).group_by(group_by).agg(aggs).sort(group_by)
    kept = grouped.filter(pl.col("count") >= definition["k"])
    return kept, grouped.height - kept.height


def column_labels(kind: str, definition: Mapping[str, Any], dataset: Dataset) -> dict[str, tuple[str, str]]:
    """(中文, English) name of each published column (the element dictionary of the portal)."""
    names = {e.code: (e.name, e.name_en or e.code) for e in dataset.elements}
    labels = dict(names)
    labels["count"] = (
        "人数" if dataset.subject_element else "记录数",
        "people" if dataset.subject_element else "records",
    )
    for m in definition.get("measures", []):
        if "element" in m:
            zh, en = names[m["element"]]
            labels[f"{m['op']}_{m['element']}"] = (
                f"{zh}（{'合计' if m['op'] == 'sum' else '平均'}）",
                f"{en} ({'total' if m['op'] == 'sum' else 'mean'})",
            )
    return labels
