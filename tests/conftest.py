"""Shared fixtures: every database test runs on SQLite and on PostgreSQL, against a real HTTP server.

- ``backend_url`` (session, parametrised): a freshly migrated database per backend. PostgreSQL gets a database of
  its own (``edudata_t_<random>``) so parallel runs never collide; a server that cannot be reached fails the run.
- ``db`` (per test): that database emptied, reference data re-seeded, caches cleared.
- ``server`` / ``http``: the real app served by uvicorn on a loopback port, and an httpx client for it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from edudata import cache
from edudata.api.app import create_app
from edudata.config import Settings
from edudata.db import Database, normalise_url
from edudata.migrate import upgrade
from edudata.reference import seed_reference_data
from support.reset import reset_database
from support.server import LiveServer

PG_ADMIN_URL = os.environ.get("EDUDATA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = [b for b in os.environ.get("EDUDATA_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]

pytest_plugins = ["support.org", "support.catalog", "support.clock"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A ``postgresql_only`` test is not collected for SQLite (deselected, not skipped: nothing to count as
    passing), e.g. several app servers on one database, which SQLite as one process cannot be."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        sqlite = params.get("backend_url") == "sqlite"
        (drop if sqlite and item.get_closest_marker("postgresql_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _create_pg_database() -> tuple[str, str]:
    name = f"edudata_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    base = normalise_url(PG_ADMIN_URL).rsplit("/", 1)[0]
    return name, f"{base}/{name}"


def _drop_pg_database(name: str) -> None:
    admin = create_engine(normalise_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'edudata.db'}"
        upgrade(url)
        yield url
        return
    name, url = _create_pg_database()
    try:
        upgrade(url)
        yield url
    finally:
        _drop_pg_database(name)


@pytest.fixture(scope="session")
def settings(backend_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("data")
    return Settings(
        database_url=backend_url, data_dir=data_dir, master_key_file=data_dir / "keys" / "master.key"
    )


@pytest.fixture(scope="session")
def database(settings: Settings) -> Iterator[Database]:
    database = Database(settings.resolved_database_url())
    yield database
    database.dispose()


@pytest.fixture
def db(database: Database, settings: Settings) -> Database:
    reset_database(database, settings)
    with database.session() as session:
        seed_reference_data(session)
    cache.clear_all()
    return database


@pytest.fixture(scope="session")
def app(settings: Settings, database: Database):  # noqa: ANN201 - FastAPI app
    return create_app(settings, db=database)


@pytest.fixture(scope="session")
def server(app) -> Iterator[LiveServer]:  # noqa: ANN001
    live = LiveServer(app)
    live.start()
    yield live
    live.stop()


@pytest.fixture
def http(server: LiveServer, db: Database) -> Iterator[httpx.Client]:
    """A client of the live server, on an emptied database."""
    with httpx.Client(base_url=server.url, timeout=30, follow_redirects=False) as client:
        yield client


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Where tests leave artefacts a person may want to look at (screenshots, reports)."""
    path = Path(os.environ.get("EDUDATA_TEST_OUTPUT", "test-output"))
    path.mkdir(parents=True, exist_ok=True)
    return path
