"""Fixtures of the campus sign-on tests: a real CAS server (django-cas-server) and the platform configured for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from edudata.api.app import create_app
from edudata.config import Settings
from edudata.db import Database
from support.cas import CasServer
from support.server import LiveServer


@pytest.fixture(scope="module")
def cas_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CasServer]:
    server = CasServer(tmp_path_factory.mktemp("cas"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def sso(settings: Settings, database: Database, cas_server: CasServer) -> Iterator[LiveServer]:
    configured = settings.model_copy(
        update={
            "cas_url": cas_server.url,
            "sso_attr_number": "工号",
            "sso_attr_name": "姓名",
            "sso_attr_unit": "单位代码",
        }
    )
    live = LiveServer(create_app(configured, db=database))
    live.start()
    yield live
    live.stop()


@pytest.fixture
def configure(sso: LiveServer) -> Iterator:  # noqa: ANN001
    """Change the platform's settings for one test (they are read per request), then put them back."""
    app = sso.server.config.app
    original = app.state.settings

    def change(**values) -> None:  # noqa: ANN003
        app.state.settings = original.model_copy(update=values)

    yield change
    app.state.settings = original
