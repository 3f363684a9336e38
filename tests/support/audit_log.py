"""Tampering with stored audit records the way someone with write access to the database would (tamper tests).

A record is its stored body, and no field can be written apart from it (:mod:`edudata.audit.models`: generated
columns on SQLite, a CHECK on PostgreSQL), so an edit rewrites the body and the fields with it; the leaf hash
stays what the sequencer integrated.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
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


def _typed(name: str, value: Any) -> Any:
    if name == "at" and isinstance(value, str):
        return datetime.strptime(value, chain.AT_FORMAT).replace(tzinfo=UTC)
    return value


def edit_record(db: Database, seq: int, **fields: Any) -> None:
    """Rewrite record ``seq``'s fields in the database, leaving its leaf hash as it was."""
    with db.engine.begin() as conn:
        stored = conn.execute(text("SELECT body FROM audit_record WHERE seq = :s"), {"s": seq}).scalar_one()
        params: dict[str, Any] = {"b": edited_body(stored, **fields), "s": seq}
        sets = ["body = :b"]
        if (
            not db.is_sqlite
        ):  # PostgreSQL keeps the fields beside the body: both must change, or the CHECK refuses
            for name, value in fields.items():
                sets.append(f'"{name}" = :f_{name}')
                params[f"f_{name}"] = _typed(name, value)
        conn.execute(text(f"UPDATE audit_record SET {', '.join(sets)} WHERE seq = :s"), params)  # noqa: S608
