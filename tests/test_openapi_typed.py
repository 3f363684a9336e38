"""Every JSON success answer of /api/v1 has a typed response model (issue #13, build item 2).

Built from the app's own OpenAPI document (``create_app`` over an in-memory SQLite database, nothing is called): a
route whose 2xx JSON response has no schema, or only a bare object without properties (``dict[str, Any]``), fails.
``PENDING`` lists the routes not typed yet; it may only shrink — a route typed since must leave the list, so the list
stays true, and a new untyped route fails at once.
"""

from __future__ import annotations

from typing import Any

import pytest

from edudata.api.app import create_app
from edudata.db import Database

# Routes still answering ``dict[str, Any]`` (or a file without a declared media type); remove a line when typing it.
PENDING: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/api/v1/health"),
        ("POST", "/api/v1/standards/validate"),
        ("GET", "/api/v1/me/package-key"),
        ("PUT", "/api/v1/me/package-key"),
        ("GET", "/api/v1/data/{dataset}/export"),
        ("DELETE", "/api/v1/data/{dataset}/rows/{row_id}"),
        ("GET", "/api/v1/data/{dataset}/rows/{row_id}/history"),
        ("GET", "/api/v1/ingest/batches/{code}/quarantine.xlsx"),
        ("GET", "/api/v1/ingest/{dataset}/diff"),
        ("GET", "/api/v1/ingest/snapshots/{snapshot_id}/report"),
        ("GET", "/api/v1/open/datasets/{code}/data.{fmt}"),
        ("POST", "/api/v1/privacy/releases"),
    }
)


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return create_app(db=Database("sqlite://")).openapi()


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _untyped(spec: dict[str, Any]) -> set[tuple[str, str]]:
    """The (METHOD, path) of every /api/v1 operation with a 2xx JSON answer that names no property."""
    out: set[tuple[str, str]] = set()
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, op in operations.items():
            for status, answer in op.get("responses", {}).items():
                media = answer.get("content", {}).get("application/json")
                if not status.startswith("2") or media is None:
                    continue
                schema = _resolve(spec, media.get("schema") or {})
                composed = any(k in schema for k in ("anyOf", "oneOf", "allOf"))
                typed_scalar = schema.get("type") not in (None, "object")
                if not schema.get("properties") and not composed and not typed_scalar:
                    out.add((method.upper(), path))
    return out


def test_every_json_answer_of_the_api_has_a_typed_model(spec: dict[str, Any]) -> None:
    new = sorted(_untyped(spec) - PENDING)
    assert not new, f"API routes answering an untyped object (give them a response model built on Out): {new}"


def test_the_pending_list_only_names_routes_still_untyped(spec: dict[str, Any]) -> None:
    done = sorted(PENDING - _untyped(spec))
    assert not done, f"these routes are typed now; remove them from PENDING: {done}"


def test_a_typed_answer_keeps_its_properties_in_the_document(spec: dict[str, Any]) -> None:
    # The check itself must see a real model: the secrecy marking names its fields.
    answer = spec["paths"]["/api/v1/secrecy/markings"]["post"]["responses"]["201"]
    schema = _resolve(spec, answer["content"]["application/json"]["schema"])
    assert {"id", "dataset_code", "basis", "marked_at", "lifted_at"} <= set(schema["properties"])
