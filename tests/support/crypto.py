"""Helpers for the crypto tests: private key settings, a probe table holding ciphertext, raw SQL scans."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Integer, LargeBinary, MetaData, String, Table, inspect, text

from edudata.config import Settings
from edudata.db import Database


def key_settings(db: Database, directory: Path) -> Settings:
    """Settings whose master key ring lives in ``directory`` (a test's own tmp_path)."""
    return Settings(
        database_url=db.url, data_dir=directory, master_key_file=directory / "keys" / "master.key"
    )


def probe_table(db: Database) -> Table:
    """A run-time table like a governed one: an encrypted element and its blind index (dropped by ``db``)."""
    table = Table(
        "crypto_probe",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("sfzjh", LargeBinary),
        Column("sfzjh__bi", String(32), index=True),
    )
    table.create(db.engine, checkfirst=True)
    return table


def raw_cells(db: Database) -> Iterator[tuple[str, str, Any]]:
    """Every non-null cell of every table, read with plain SQL: (table, column, value as the driver gives it)."""
    with db.engine.connect() as conn:
        for name in inspect(conn).get_table_names():
            result = conn.execute(text(f'SELECT * FROM "{name}"'))
            columns = list(result.keys())
            for row in result:
                for column, value in zip(columns, row, strict=True):
                    if value is not None:
                        yield name, column, value


def contains(value: Any, needles: list[bytes]) -> bool:
    """Whether any needle occurs in the cell (bytes compared raw, text compared as UTF-8)."""
    data = bytes(value) if isinstance(value, bytes | bytearray | memoryview) else str(value).encode()
    return any(needle in data for needle in needles)
