"""Alembic driven from code, so ``edudata db upgrade`` works from an installed package.

Every domain has its own branch in ``migrations/versions`` (``branch_labels`` = the domain; cross-domain
foreign keys use ``depends_on``), and an upgrade goes to all ``heads``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from edudata.db import normalise_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, target: str = "heads") -> None:
    """Create or upgrade the schema at ``url`` to the newest revision of every domain."""
    command.upgrade(alembic_config(url), target)


def current_heads(url: str) -> set[str]:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            return set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()


def expected_heads(url: str) -> set[str]:
    """The heads a fully upgraded database records: a branch head that another branch ``depends_on`` (e.g.
    ``org_0001`` under ``identity_0001``) is implied by the dependent revision, and Alembic drops its row."""
    script = ScriptDirectory.from_config(alembic_config(url))
    heads = set(script.get_heads())
    implied: set[str] = set()
    pending = list(heads)
    while pending:
        rev = script.get_revision(pending.pop())
        for parent in (*_as_tuple(rev.down_revision), *_as_tuple(rev.dependencies)):
            name = script.get_revision(parent).revision
            if name not in implied:
                implied.add(name)
                pending.append(name)
    return heads - implied


def _as_tuple(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)
