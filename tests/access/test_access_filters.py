"""Row filters are data: parsed, checked against visible elements, compiled to bound SQL (no injection)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, insert, select

from edudata.access import filters
from edudata.errors import ValidationFailed
from edudata.store.spec import DatasetSpec, ElementSpec
from edudata.store.tables import build_tables

SPEC = DatasetSpec(
    code="t",
    name="测试",
    owner_unit_code="0104",
    elements=(
        ElementSpec("XH", "学号", "string"),
        ElementSpec("NJ", "年级", "integer"),
        ElementSpec("CSRQ", "出生日期", "date"),
        ElementSpec("SFZJH", "身份证件号", "id_number", encrypted=True),
        ElementSpec("YXDM", "院系代码", "code"),
    ),
)
ALL = set(SPEC.element_codes)


def _index(element: ElementSpec, value: str) -> str:
    return f"bi:{value.upper()}"


@pytest.fixture
def table_rows():
    """A real (in-memory SQLite) table to run compiled filters against; the DB-backed path is tested elsewhere."""
    engine = create_engine("sqlite://")
    current, _ = build_tables(SPEC)
    current.metadata.create_all(engine)
    from datetime import UTC, date, datetime

    now = datetime.now(UTC)
    rows = [
        {"xh": "2021001", "nj": 2021, "csrq": date(2003, 5, 1), "sfzjh__bi": "bi:A", "yxdm": "0201"},
        {"xh": "2023002", "nj": 2023, "csrq": date(2005, 1, 2), "sfzjh__bi": "bi:B", "yxdm": "0201"},
        {"xh": "2024003", "nj": 2024, "csrq": date(2006, 7, 8), "sfzjh__bi": "bi:C", "yxdm": "0202"},
        {"xh": "x%_1", "nj": None, "csrq": None, "sfzjh__bi": None, "yxdm": None},
    ]
    with engine.begin() as conn:
        conn.execute(
            insert(current),
            [{**r, "_version": 1, "_created_at": now, "_updated_at": now} for r in rows],
        )

    def run(raw, visible=ALL):
        where = filters.compile_filter(filters.parse(raw), SPEC, current, visible, _index)
        with engine.connect() as conn:
            return sorted(conn.execute(select(current.c.xh).where(where)).scalars())

    return run


def test_and_of_conditions_selects_matching_rows(table_rows) -> None:
    f = {
        "all": [
            {"element": "YXDM", "op": "eq", "value": "0201"},
            {"element": "NJ", "op": "ge", "value": 2023},
        ]
    }
    assert table_rows(f) == ["2023002"]


def test_any_not_and_in(table_rows) -> None:
    assert table_rows(
        {
            "any": [
                {"element": "NJ", "op": "lt", "value": 2022},
                {"element": "YXDM", "op": "eq", "value": "0202"},
            ]
        }
    ) == ["2021001", "2024003"]
    assert table_rows({"not": {"element": "YXDM", "op": "in", "value": ["0201"]}}) == ["2024003"]


def test_ne_keeps_rows_with_missing_values(table_rows) -> None:
    assert table_rows({"element": "YXDM", "op": "ne", "value": "0201"}) == ["2024003", "x%_1"]


def test_dates_compare_as_dates(table_rows) -> None:
    assert table_rows({"element": "CSRQ", "op": "ge", "value": "2005-01-02"}) == ["2023002", "2024003"]


def test_prefix_treats_wildcards_literally(table_rows) -> None:
    assert table_rows({"element": "XH", "op": "prefix", "value": "x%"}) == ["x%_1"]
    assert table_rows({"element": "XH", "op": "prefix", "value": "%"}) == []


def test_encrypted_element_matches_through_blind_index(table_rows) -> None:
    assert table_rows({"element": "SFZJH", "op": "eq", "value": "b"}) == ["2023002"]


def test_injection_text_is_only_a_value(table_rows) -> None:
    assert table_rows({"element": "XH", "op": "eq", "value": "1=1; drop table gd_t;--"}) == []
    assert table_rows({"element": "XH", "op": "eq", "value": "' OR '1'='1"}) == []


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("{not json", "JSON"),
        ('{"element": "NJ", "op": "drop", "value": 1}', "operator"),
        ('{"element": "NJ", "op": "eq"', "JSON"),
        ('{"element": "NJ", "op": "eq", "value": 1, "sql": "x"}', "condition"),
        ('{"all": []}', "non-empty"),
        ('{"element": "NJ", "op": "eq", "value": "abc"}', "type"),
        ('{"element": "NOPE", "op": "eq", "value": "1"}', "unknown"),
        ('{"element": "SFZJH", "op": "gt", "value": "1"}', "encrypted"),
        ('{"element": "NJ", "op": "in", "value": []}', "values"),
        ('{"element": "XH", "op": "eq", "value": {"nested": 1}}', "text"),
    ],
)
def test_malformed_filters_are_refused_with_a_reason(table_rows, raw: str, fragment: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        table_rows(raw)
    assert fragment in info.value.en
    assert info.value.zh


def test_filter_on_a_hidden_element_is_refused(table_rows) -> None:
    """Filtering on an element you may not see would leak it one bit at a time."""
    with pytest.raises(ValidationFailed):
        table_rows({"element": "NJ", "op": "eq", "value": 2021}, visible={"XH", "YXDM"})


def test_deep_or_wide_filters_are_refused() -> None:
    deep: dict = {"element": "NJ", "op": "eq", "value": 1}
    for _ in range(8):
        deep = {"not": deep}
    with pytest.raises(ValidationFailed):
        filters.parse(deep)
    wide = {"any": [{"element": "NJ", "op": "eq", "value": i} for i in range(60)]}
    with pytest.raises(ValidationFailed):
        filters.parse(wide)


def test_conjoin_means_the_caller_can_only_narrow() -> None:
    grant = filters.parse({"element": "YXDM", "op": "eq", "value": "0201"})
    mine = filters.parse({"element": "NJ", "op": "ge", "value": 2023})
    both = filters.conjoin(grant, mine)
    assert filters.to_json(both) == {"all": [filters.to_json(grant), filters.to_json(mine)]}
    assert filters.conjoin(None, mine) is mine
