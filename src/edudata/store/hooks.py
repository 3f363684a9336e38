"""Install the data-path guard on the app's engine at start-up."""

from __future__ import annotations

from fastapi import FastAPI

from edudata.store.guard import install_guard


def install(app: FastAPI) -> None:
    install_guard(app.state.db.engine)
