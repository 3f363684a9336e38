"""Every JSON success answer of /api/v1 has a typed response model (issue #13, build item 2).

Built from the app's own OpenAPI document (``create_app`` over an in-memory SQLite database, nothing is called): a
route whose 2xx JSON response has no schema, or only a bare object without properties (``dict[str, Any]``), fails.
A file download declares its media types (``edudata.answers.file_answer``), so a 2xx answer with no content at all
fails too. Every operation id is unique (generated clients name a method after it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from edudata.api.app import create_app
from edudata.db import Database


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return create_app(db=Database("sqlite://")).openapi()


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _answers(spec: dict[str, Any]) -> Iterator[tuple[tuple[str, str], str, dict[str, Any]]]:
    """Every 2xx answer of every /api/v1 operation: ((METHOD, path), status, answer)."""
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, op in operations.items():
            for status, answer in op.get("responses", {}).items():
                if status.startswith("2"):
                    yield (method.upper(), path), status, answer


def _json_schemas(spec: dict[str, Any]) -> Iterator[tuple[tuple[str, str], dict[str, Any]]]:
    """The resolved schema of every 2xx JSON answer of /api/v1."""
    for route, _status, answer in _answers(spec):
        media = answer.get("content", {}).get("application/json")
        if media is not None:
            yield route, _resolve(spec, media.get("schema") or {})


def _named(schema: dict[str, Any]) -> bool:
    """Does the schema name a shape: properties, or a composition of shapes?"""
    return bool(schema.get("properties")) or any(k in schema for k in ("anyOf", "oneOf", "allOf"))


def _untyped(spec: dict[str, Any]) -> set[tuple[str, str]]:
    """The (METHOD, path) of every /api/v1 operation with a 2xx JSON answer that names no property."""
    return {
        route
        for route, schema in _json_schemas(spec)
        if not _named(schema) and schema.get("type") in (None, "object")  # a typed scalar is typed
    }


def _undeclared(spec: dict[str, Any]) -> set[tuple[str, str]]:
    """The (METHOD, path) of every /api/v1 operation whose 2xx answer (other than 204) declares no content."""
    return {
        route for route, status, answer in _answers(spec) if status != "204" and not answer.get("content")
    }


def _untyped_items(spec: dict[str, Any]) -> set[tuple[str, str]]:
    """The (METHOD, path) of every /api/v1 list whose ``items`` are bare objects (``Page[dict[str, Any]]``)."""
    out: set[tuple[str, str]] = set()
    for route, schema in _json_schemas(spec):
        items = schema.get("properties", {}).get("items")
        if (
            items is not None
            and items.get("type") == "array"
            and not _named(_resolve(spec, items.get("items") or {}))
        ):
            out.add(route)
    return out


def test_every_json_answer_of_the_api_has_a_typed_model(spec: dict[str, Any]) -> None:
    untyped = sorted(_untyped(spec))
    assert not untyped, (
        f"API routes answering an untyped object (give them a response model built on Out): {untyped}"
    )


#: Lists whose items are governed records: keyed by their dataset's element codes (the catalogue's shape, not the
#: API's), so an item is an object by design; the envelope beside them is typed.
RECORD_LISTS = frozenset(
    {
        ("GET", "/api/v1/data/{dataset}"),
        ("POST", "/api/v1/data/{dataset}/query"),
        ("GET", "/api/v1/open/datasets/{code}/rows"),
    }
)


def test_every_list_names_the_shape_of_its_items(spec: dict[str, Any]) -> None:
    untyped = sorted(_untyped_items(spec) - RECORD_LISTS)
    assert not untyped, f"lists paging bare objects (give the items a model built on Out): {untyped}"


def test_the_record_lists_are_lists_of_records(spec: dict[str, Any]) -> None:
    # The exemption names only routes that exist and still page records (a typed one must leave RECORD_LISTS).
    assert _untyped_items(spec) >= RECORD_LISTS


def test_every_file_answer_declares_its_media_types(spec: dict[str, Any]) -> None:
    undeclared = sorted(_undeclared(spec))
    assert not undeclared, (
        f"API routes answering a body of no declared type (responses=file_answer(...)): {undeclared}"
    )


def test_every_file_download_names_a_binary_body(spec: dict[str, Any]) -> None:
    # The export offers each of its formats, and the check above must see them: CSV, XLSX and the sealed package.
    content = spec["paths"]["/api/v1/data/{dataset}/export"]["get"]["responses"]["200"]["content"]
    assert {"text/csv", "application/zip", "application/octet-stream"} <= set(content)
    assert content["text/csv"]["schema"] == {"type": "string", "format": "binary"}


def test_every_operation_id_is_unique(spec: dict[str, Any]) -> None:
    seen: dict[str, list[str]] = {}
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            seen.setdefault(op["operationId"], []).append(f"{method.upper()} {path}")
    repeated = {op_id: where for op_id, where in seen.items() if len(where) > 1}
    assert not repeated, f"operation ids used by more than one operation: {repeated}"


def test_the_ckan_action_api_has_one_operation_per_method(spec: dict[str, Any]) -> None:
    ops = spec["paths"]["/api/3/action/{action}"]
    assert {m: op["operationId"] for m, op in ops.items()} == {
        "get": "ckan_action_get",
        "post": "ckan_action_post",
    }


def test_a_typed_answer_keeps_its_properties_in_the_document(spec: dict[str, Any]) -> None:
    # The check itself must see a real model: the secrecy marking names its fields.
    answer = spec["paths"]["/api/v1/secrecy/markings"]["post"]["responses"]["201"]
    schema = _resolve(spec, answer["content"]["application/json"]["schema"])
    assert {"id", "dataset_code", "basis", "marked_at", "lifted_at"} <= set(schema["properties"])
