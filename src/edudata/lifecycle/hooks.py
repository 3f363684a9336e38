"""Start-up wiring: support staff need 附件3 on file before they can log in (Art. 12)."""

from __future__ import annotations

from fastapi import FastAPI

from edudata.identity.service import LOGIN_CONDITIONS
from edudata.lifecycle.people import agreement_condition


def install(app: FastAPI) -> None:
    if agreement_condition not in LOGIN_CONDITIONS:
        LOGIN_CONDITIONS.append(agreement_condition)
