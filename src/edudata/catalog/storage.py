"""After a catalogue change: the stored values follow it (Art. 27-28, 52), through the data path.

Every channel that changes an element (API, pages, CLI) calls :func:`follow_catalogue` in the same transaction
as the change, so an element raised to 重要数据 is encrypted everywhere before the change commits, or the change
is refused.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from edudata.config import Settings
from edudata.db import Database


def follow_catalogue(
    session: Session,
    settings: Settings,
    database: Database,
    caller: Any,
    dataset_code: str,
    *,
    request_id: str | None = None,
    progress: Any = None,
) -> dict[str, Any]:
    """Migrate the dataset's stored values to the layout the catalogue now asks for (nothing when unchanged)."""
    from edudata.access import datapath

    ctx = datapath.Context(session=session, settings=settings, database=database, request_id=request_id)
    return datapath.migrate_storage(caller, ctx, dataset_code, progress=progress)
