"""The rules every write of governed data obeys, whatever the channel (docs/data-path.md, *One write path*).

一数一源 on write (Art. 8(4), 19): a unit writes only the elements whose authoritative source it is. The elements
that say which row, person or unit a record is about — the dataset's key, its subject element and its unit
element — are identifiers, not facts the writer asserts: every unit holding the dataset names them (their
values are checked for uniqueness and against the unit register instead). Any other element whose source is
another unit is not the writer's to give: a reviewed batch does not collect it (reported per element); there is
no direct write (every channel submits a batch).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from edudata.store.spec import DatasetSpec, ElementSpec

ARTICLE_ZH = "一数一源，《教育数据管理办法》第八条第（四）项、第十九条"
ARTICLE_EN = "one data, one source; Art. 8(4) and 19"


def identifiers(spec: DatasetSpec) -> set[str]:
    """The elements naming the row, the person and the unit (written by every holder of the dataset)."""
    out = {spec.key_element.code} if spec.key_element else set()
    person = spec.person_element
    return out | {e for e in (spec.unit_element, spec.subject_element, person.code if person else None) if e}


def not_source(spec: DatasetSpec, unit_code: str, elements: Iterable[str]) -> list[ElementSpec]:
    """The elements among ``elements`` whose authoritative source is a unit other than ``unit_code``."""
    ids = identifiers(spec)
    out = []
    for code in elements:
        element = spec.element(code)
        if element is None or code in ids or element.source_unit_code in (None, unit_code):
            continue
        out.append(element)
    return out


def notice(element: ElementSpec, unit_code: str, units: Mapping[str, str] | None = None) -> dict[str, str]:
    """One element a batch did not collect, with the reason (the batch report and the audit record).

    The message names the element and the units in words (``units``: unit code → name); the codes stay in the
    notice's own keys, for the API and the audit record."""
    names = units or {}
    source = element.source_unit_code or ""
    return {
        "code": "not_source",
        "element": element.code,
        "source_unit": source,
        "zh": f"数据项“{element.name}”的权威来源单位是{names.get(source, source)}，"
        f"{names.get(unit_code, unit_code)}提交的该项值不予采集（{ARTICLE_ZH}）",
        "en": f"the authoritative source of element {element.name} is {names.get(source, source)}; "
        f"values of it submitted by {names.get(unit_code, unit_code)} are not collected ({ARTICLE_EN})",
    }
