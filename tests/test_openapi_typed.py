"""Every JSON success answer of /api/v1 has a typed response model (issue #13, build item 2).

Built from the app's own OpenAPI document (``create_app`` over an in-memory SQLite database, nothing is called): a
route whose 2xx JSON response has no schema, or only a bare object without properties (``dict[str, Any]``), fails.
A file download declares its media types (``edudata.answers.file_answer``), so a 2xx answer with no content at all
fails too. Every operation id is unique (generated clients name a method after it).
"""

from __future__ import annotations

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


def _undeclared(spec: dict[str, Any]) -> set[tuple[str, str]]:
    """The (METHOD, path) of every /api/v1 operation whose 2xx answer (other than 204) declares no content."""
    out: set[tuple[str, str]] = set()
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, op in operations.items():
            for status, answer in op.get("responses", {}).items():
                if status.startswith("2") and status != "204" and not answer.get("content"):
                    out.add((method.upper(), path))
    return out


def _untyped_items(spec: dict[str, Any]) -> set[tuple[str, str]]:
    """The (METHOD, path) of every /api/v1 list whose ``items`` are bare objects (``Page[dict[str, Any]]``)."""
    out: set[tuple[str, str]] = set()
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, op in operations.items():
            for status, answer in op.get("responses", {}).items():
                media = answer.get("content", {}).get("application/json")
                if not status.startswith("2") or media is None:
                    continue
                items = _resolve(spec, media.get("schema") or {}).get("properties", {}).get("items")
                if items is None or items.get("type") != "array":
                    continue
                item = _resolve(spec, items.get("items") or {})
                if not item.get("properties") and not any(k in item for k in ("anyOf", "oneOf", "allOf")):
                    out.add((method.upper(), path))
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
