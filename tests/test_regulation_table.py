"""docs/regulation.md stays true: every article once, and every test it names for an article the platform
enforces (or partly enforces, or records) exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATUSES = {"enforced", "partly", "recorded", "people", "scope"}
NEEDS_TESTS = {"enforced", "partly", "recorded"}
ARTICLES = 69


def _rows() -> list[list[str]]:
    text = (ROOT / "docs" / "regulation.md").read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells and cells[0].isdigit():
            rows.append(cells)
    return rows


def test_every_article_is_listed_once_with_a_known_status() -> None:
    rows = _rows()
    assert [int(r[0]) for r in rows] == list(range(1, ARTICLES + 1))
    assert all(len(r) == 5 and r[2] in STATUSES for r in rows), [
        r[:3] for r in rows if len(r) != 5 or r[2] not in STATUSES
    ]


def test_an_enforced_article_names_tests_that_exist() -> None:
    missing = []
    for number, _duty, status, where, tests in _rows():
        if status not in NEEDS_TESTS:
            assert where, f"Art. {number}: say why no system holds it"
            continue
        named = [t.strip() for t in tests.split(";") if t.strip()]
        if not named:
            missing.append(f"Art. {number}: no test named")
        for ref in named:
            path, _, name = ref.partition("::")
            file = ROOT / path
            if not file.is_file() or not re.search(
                rf"^def {re.escape(name)}\(", file.read_text(encoding="utf-8"), re.M
            ):
                missing.append(f"Art. {number}: {ref}")
    assert missing == []
