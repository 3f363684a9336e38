"""Typed answers of the open-data API (Art. 40–43: opening public data, conditional views, keys), in /openapi.json.

The view shapes are those of :mod:`edudata.opendata.views`, which the portal pages render too.
"""

from __future__ import annotations

from typing import Any

from edudata.answers import Out


class OpenUnitOut(Out):
    """The unit that provides a view."""

    code: str
    name: str
    name_en: str


class OpenVersionOut(Out):
    """A published version of a view."""

    number: int
    created_at: str | None
    row_count: int


class OpenViewSummaryOut(Out):
    """A view opened (or proposed for opening), as the catalogue lists it: metadata, licence, current version."""

    code: str
    title: str
    title_en: str
    description: str
    keywords: list[str]
    dataset: str
    kind: str
    unit: OpenUnitOut
    open_category: str
    licence: dict[str, Any]
    update_frequency: str
    status: str
    published_at: str | None
    updated_at: str | None
    refreshed_at: str | None
    next_refresh_at: str | None
    version: int
    row_count: int
    columns: list[Any]
    conditions: list[dict[str, Any]]


class OpenViewOut(OpenViewSummaryOut):
    """A view with its versions; staff also see its review trail."""

    versions: list[OpenVersionOut]


class RefreshOut(Out):
    """A published view refreshed; ``new_version`` is null when the content had not changed."""

    code: str
    new_version: int | None
    version: int


class ApplicationDecisionOut(Out):
    """The office's decision on an application for a conditional view."""

    id: int
    status: str
    reason: str | None
    checks: dict[str, bool] | None


class ApplicationOut(Out):
    """An application for a conditional view, filed."""

    id: int
    status: str


class OpenApplicationOut(Out):
    """An application for a conditional view, as its applicant and the office list it (Art. 44(2))."""

    id: int
    view: str
    title: str
    applicant: str
    email: str
    organisation: str | None
    purpose: str
    usage: str
    status: str
    reason: str | None
    decided_by: str | None
    created_at: str
    conditions: list[dict[str, Any]]


class RegisteredOut(Out):
    """A public account registered or verified."""

    email: str
    verified: bool


class LoginOut(Out):
    """A public user's bearer token."""

    access_token: str
    token_type: str
    email: str


class IssuedKeyOut(Out):
    """An open-data key, shown this once."""

    key: str
    view: str
    expires_at: str | None


class OpenKeyOut(Out):
    """A key as its holder and the office see it (never the secret)."""

    id: int
    prefix: str
    view: str
    application: int
    state: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None
    revoked_by: str | None
    revoke_reason: str | None
