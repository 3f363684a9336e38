"""Nothing reaches governed data except through the data path (a test that fails when a route bypasses it)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from edudata.db import Database
from edudata.store.guard import BypassAttempt, datapath_scope

SRC = Path(__file__).resolve().parents[2] / "src" / "edudata"
# The only modules allowed to touch the store's tables: the store itself and the data path (the path proper and
# its register of the copies it hands out, which reads each copy's subjects from the same tables).
ALLOWED = {"store", "access/datapath.py", "access/copies.py"}
STORE_INTERNALS = {"edudata.store.service", "edudata.store.tables"}


def _allowed(path: Path) -> bool:
    rel = path.relative_to(SRC).as_posix()
    return rel.split("/")[0] == "store" or rel in ALLOWED


def test_no_module_outside_the_data_path_imports_the_store_internals() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        if _allowed(path):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            if STORE_INTERNALS & set(names):
                offenders.append(path.relative_to(SRC).as_posix())
        if re.search(r"[\"']gd_", path.read_text(encoding="utf-8")):
            offenders.append(path.relative_to(SRC).as_posix() + " (names a gd_ table)")
    assert offenders == []


def test_sql_on_a_governed_table_outside_the_path_is_refused(world: dict, db: Database) -> None:
    with db.session() as s, pytest.raises(BypassAttempt):
        s.execute(text("SELECT sfzjh FROM gd_student_basic"))
    with db.session() as s, datapath_scope("test"):
        assert s.execute(text("SELECT count(*) FROM gd_student_basic")).scalar_one() == 12


def test_no_route_reaches_governed_data_around_the_path(http: httpx.Client, world: dict, app) -> None:
    """Call every GET route of the app as the office; none may trip the guard (code datapath-bypass)."""
    h = world["h"]["office"]
    tripped = []
    for route in app.routes:
        path = getattr(route, "path", "")
        if "GET" not in getattr(route, "methods", set()) or path.startswith(
            ("/docs", "/static", "/api/openapi")
        ):
            continue
        url = re.sub(r"\{[^}]*id[^}]*\}", "1", path)
        url = re.sub(r"\{[^}]+\}", "student_basic", url)
        r = http.get(url, headers=h)
        if "datapath-bypass" in r.text or r.status_code >= 500:
            tripped.append((url, r.status_code))
    assert tripped == []
