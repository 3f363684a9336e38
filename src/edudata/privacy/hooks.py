"""Start-up of the privacy domain: register the Art. 51 batch checks with the ingest domain."""

from __future__ import annotations

from fastapi import FastAPI

from edudata.privacy.collection import install as install_checks


def install(app: FastAPI) -> None:
    install_checks()
