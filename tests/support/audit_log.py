"""Tampering with stored audit records the way someone with write access to the database would (tamper tests).

A record is its stored body; the searchable columns are generated from it and cannot be written apart from it
(:mod:`edudata.audit.models`), so an edit rewrites the body: the columns follow, the hash does not.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from edudata.audit import chain
from edudata.db import Database


def edited_body(stored: str, **fields: Any) -> str:
    """``stored`` with ``fields`` replaced, as the body holds them (text; integers as their decimal text)."""
    values = json.loads(stored)
    for name, value in fields.items():
        values[chain.POSITIONS[name]] = None if value is None else str(value)
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def edit_record(db: Database, seq: int, **fields: Any) -> None:
    """Rewrite record ``seq``'s fields in the database, leaving its leaf hash as it was."""
    with db.engine.begin() as conn:
        stored = conn.execute(text("SELECT body FROM audit_record WHERE seq = :s"), {"s": seq}).scalar_one()
        conn.execute(
            text("UPDATE audit_record SET body = :b WHERE seq = :s"),
            {"b": edited_body(stored, **fields), "s": seq},
        )
