"""CKAN's search syntax (Solr's standard parser with q.op=AND) evaluated over catalogue documents."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from edudata.opendata import solr
from edudata.opendata.ckan_index import FIELDS

DOCS = [
    {"id": "a", "organization": "0106", "tags": ["学术论文", "科研"], "res_format": ["CSV"], "title": "学术论文目录",
     "text": "学术论文目录 科研处", "metadata_modified": datetime(2026, 1, 10, tzinfo=UTC), "num_resources": 3},
    {"id": "b", "organization": "0103", "tags": ["课程"], "res_format": ["CSV", "JSON"], "title": "课程信息",
     "text": "课程信息 教务处", "metadata_modified": datetime(2026, 3, 1, tzinfo=UTC), "num_resources": 2},
    {"id": "c", "organization": "0104", "tags": [], "res_format": [], "title": "Student aid (资助)",
     "text": "学生资助", "metadata_modified": datetime(2025, 12, 1, tzinfo=UTC), "num_resources": 0},
]  # fmt: skip


def ids(query: str) -> list[str]:
    node, ev = solr.parse(query, FIELDS), solr.Evaluator(FIELDS)
    return [d["id"] for d in DOCS if ev.matches(node, d)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("organization:0106", ["a"]),
        ("organization:0106 res_format:CSV", ["a"]),  # q.op=AND
        ("organization:0106 AND res_format:JSON", []),
        ("organization:0106 OR organization:0103", ["a", "b"]),
        ("organization:0106 || organization:0104", ["a", "c"]),
        ("-organization:0106", ["b", "c"]),
        ("NOT organization:0106 NOT organization:0103", ["c"]),
        ("!organization:0106 AND res_format:*", ["b"]),
        ("organization:(0106 OR 0103) -tags:课程", ["a"]),
        ("+res_format:CSV +res_format:JSON", ["b"]),
        # Lucene's rule, not precedence: the OR pair becomes optional, res_format:CSV stays required.
        ("organization:0103 OR organization:0104 res_format:CSV", ["a", "b"]),
        ("(organization:0103 OR organization:0104) res_format:CSV", ["b"]),
        ('tags:"学术论文"', ["a"]),
        ("tags:学术*", ["a"]),
        ("tags:?程", ["b"]),
        ("tags:*", ["a", "b"]),
        ("title:论文", ["a"]),
        ("title:student", ["c"]),
        ('title:"aid (资"', ["c"]),
        ("资助", ["c"]),  # the default field is text
        ("*:*", ["a", "b", "c"]),
        ("metadata_modified:[2026-01-01T00:00:00Z TO *]", ["a", "b"]),
        ("metadata_modified:[2026-01-10T00:00:00.000000Z TO 2026-03-01T00:00:00Z}", ["a"]),
        ("metadata_modified:{2026-01-10T00:00:00Z TO NOW]", ["b"]),
        ("metadata_modified:[* TO NOW-100YEARS]", []),
        ("metadata_modified:[2026-01-10 TO 2026-01-10T00:00:00Z+1DAY]", ["a"]),
        ("num_resources:[1 TO 2]", ["b"]),
        ("num_resources:0", ["c"]),
        ("organization:0106^2", ["a"]),
        (r"organization:01\06", ["a"]),
    ],
)
def test_query_semantics(query: str, expected: list[str]) -> None:
    assert ids(query) == expected


@pytest.mark.parametrize(
    "query",
    ["nosuch:x", "organization:(0106", 'tags:"open', "metadata_modified:[yesterday TO *]", "num_resources:many",
     "organization:", "organization:0106)", "metadata_modified:[2026 TO]", "x:*:*", "*:x", "AND"],
)  # fmt: skip
def test_bad_queries_are_search_errors(query: str) -> None:
    with pytest.raises(solr.SearchError) as err:
        ids(query)
    assert err.value.status == 409 and err.value.zh and err.value.en


def test_date_math_and_sort() -> None:
    now = datetime(2026, 3, 31, 15, 30, tzinfo=UTC)
    assert solr.parse_date("NOW-1MONTH", now) == datetime(2026, 2, 28, 15, 30, tzinfo=UTC)
    assert solr.parse_date("NOW/DAY+1DAY", now) == datetime(2026, 4, 1, tzinfo=UTC)
    assert solr.parse_date("2026-01-01T08:00:00+08:00") == datetime(2026, 1, 1, tzinfo=UTC)
    assert solr.parse_sort("score desc, name asc", {"score": 1, "name": 1}) == [
        ("score", True),
        ("name", False),
    ]
    for bad in ("name", "name up", "views desc", ""):
        with pytest.raises(solr.SearchQueryError):
            solr.parse_sort(bad, {"name": 1})
