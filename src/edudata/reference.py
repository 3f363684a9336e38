"""Reference data every installation needs (code sets, default separation-of-duties rules, roles).

Migrations make the schema only; ``seed_reference_data`` loads the data, idempotently, after each upgrade.
Domains contribute a ``seed(session)`` function in ``<domain>/seed.py``.
"""

from __future__ import annotations

import importlib
import importlib.util

from sqlalchemy.orm import Session

from edudata.schema import DOMAINS


def seed_reference_data(session: Session) -> None:
    for domain in DOMAINS:
        name = f"edudata.{domain}.seed"
        if importlib.util.find_spec(f"edudata.{domain}") and importlib.util.find_spec(name):
            importlib.import_module(name).seed(session)
    session.commit()
