"""Shared pieces of the API's typed response models (documented in /openapi.json).

``Out`` is the base of every answer model: it names and types the keys a client may rely on, and keeps any other
key the service adds (``extra="allow"``) — a new key reaches clients at once, and the model is where it gets
documented. Lists answer :class:`edudata.api.paging.Page` of such a model.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Out(BaseModel):
    """Base of the API's response models."""

    model_config = ConfigDict(extra="allow")


class Done(Out):
    """A change acknowledged without a body of its own."""

    ok: bool
