"""Start-up wiring: grant-scoped credentials (``edg_…``) are recognised by the identity layer, for the data API
only (Art. 40: delivery through the platform's data path). The org listener that ends a holder's credentials is
registered by the package itself (``edudata.sharing``), so the command line has it too."""

from __future__ import annotations

from fastapi import FastAPI

from edudata.identity.deps import register_credential
from edudata.sharing.credentials import CREDENTIAL_PREFIX, resolve_credential


def install(app: FastAPI) -> None:  # noqa: ARG001 - the registry is process-wide
    register_credential(CREDENTIAL_PREFIX, resolve_credential)
