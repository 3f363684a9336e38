"""The row scope on the application page reads in words (issue 18): element names, and unit names for the
dataset's unit element only — a value of another element that happens to equal a unit code stays as it is."""

from __future__ import annotations

from edudata.sharing.delivery import row_scope_text

ELEMENTS = {"YXDM": "院系", "NJ": "年级"}
VALUES = {"YXDM": {"0201": "会计学院"}}


def test_the_unit_element_reads_as_the_unit_and_other_elements_keep_their_value() -> None:
    scope = {
        "all": [
            {"element": "YXDM", "op": "eq", "value": "0201"},
            {"element": "NJ", "op": "eq", "value": "0201"},
        ]
    }
    assert row_scope_text(scope, ELEMENTS, VALUES) == "（院系 = 会计学院 且 年级 = 0201）"


def test_without_names_the_scope_reads_in_codes() -> None:
    scope = {"element": "YXDM", "op": "in", "value": ["0201", "0202"]}
    assert row_scope_text(scope) == "YXDM ∈ 0201、0202"
    assert row_scope_text(None) == "全部记录 / all records"
    assert row_scope_text(None, ELEMENTS, VALUES) == "全部记录"
