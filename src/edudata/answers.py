"""The base of every typed answer (documented in /openapi.json): a foundation every layer may import.

``Out`` names and types the keys a client may rely on, and keeps any other key the service adds
(``extra="allow"``) — a new key reaches clients at once, and the model is where it gets documented. It lives here,
below the data path, so the answer models of ``access`` and ``crypto`` live with their domain
(``access/answers.py``, ``crypto/answers.py``) like every other domain's, without a layer crossing
(docs/architecture.md, "Layers"). Lists answer :class:`edudata.api.paging.Page` of such a model.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Out(BaseModel):
    """Base of the API's response models."""

    model_config = ConfigDict(extra="allow")


class Done(Out):
    """A change acknowledged without a body of its own."""

    ok: bool


def file_answer(description: str, *media_types: str, status: int = 200) -> dict[int | str, dict[str, object]]:
    """The ``responses=`` of a route answering a file: its media types, each a binary body, in /openapi.json (so a
    download is documented like a JSON answer is by its model)."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {status: {"description": description, "content": {m.split(";")[0]: binary for m in media_types}}}
