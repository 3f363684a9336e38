"""Typed answers of the data API (C3, Art. 40, 54), documented in /openapi.json.

They live with the data path rather than in ``api/`` (which the data path may not import, ``.importlinter``),
on the foundation :class:`edudata.answers.Out`.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field

from edudata.access import formats
from edudata.answers import Out, file_answer


class DeletedOut(Out):
    """Records deleted by the producer unit (each one kept as an earlier version, Art. 26)."""

    dataset: str
    deleted: int


class RecordVersionOut(Out):
    """One earlier version of a record: its version number, the change that ended it, when and by whom; the
    element values (keyed by element code, sensitive ones masked) follow."""

    model_config = ConfigDict(populate_by_name=True)

    version: int = Field(alias="_version")
    op: str = Field(alias="_op", description="insert | update | delete")
    changed_at: str | None = Field(alias="_changed_at")
    changed_by: str | None = Field(alias="_changed_by")


class HistoryOut(Out):
    """The earlier versions of one record (office only, Art. 26, 30)."""

    dataset: str
    id: int
    versions: list[RecordVersionOut]


#: The export's downloads: one per ``format`` (an export sealed to the caller's recipient key is opaque bytes, ``….sealed``).
EXPORT_FILES = file_answer(
    "按 format 导出的文件 / the export in the format asked for (csv, xlsx, json, signed package; sealed when the "
    "data is important, Art. 26)",
    *(media for media, _ext in formats.FORMATS.values()),
    "application/octet-stream",
)
