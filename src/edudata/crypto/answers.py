"""Typed answers of the recipient-key API (Art. 26), documented in /openapi.json, on the foundation
:class:`edudata.answers.Out` (crypto sits below ``api/``, ``.importlinter``)."""

from __future__ import annotations

from edudata.answers import Out


class PackageKeyOut(Out):
    """Whether this account has a registered recipient key, and which (the other keys are absent when not)."""

    registered: bool
    public_key: str | None = None
    key_id: str | None = None
    registered_at: str | None = None
