"""The OpenAPI document as the app really answers: every operation declares its error answers as RFC 9457
problems (``application/problem+json``, :mod:`edudata.api.problems`), and date-times as timezone-aware.

FastAPI's own 422 entry (``HTTPValidationError``, ``application/json``) is replaced: a refused request body is a
bilingual problem here like every other error. Tested by schemathesis against the live app
(``tests/test_openapi_schemathesis.py``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem, in Chinese and English",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "detail_zh": {"type": "string"},
        "detail_en": {"type": "string"},
        "field": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": ["string", "null"]},
    },
    "additionalProperties": True,
}
_ERROR = {
    "description": "问题说明 / a problem (RFC 9457)",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}
ERROR_STATUSES = ("4XX", "5XX")
# The CKAN-compatible action API answers errors the way CKAN clients expect ({"success": false, "error": …}).
_CKAN_ERROR = {
    "description": "CKAN error envelope",
    "content": {"application/json": {"schema": {}}},  # CKAN's own shapes: an envelope, or a message
}
CKAN_PREFIX = "/api/3/"


def _tz_aware(node: Any) -> None:
    """Every ``format: date-time`` is an RFC 3339 date-time with its offset (the app writes UTC, ``+00:00``)."""
    if isinstance(node, dict):
        if node.get("format") == "date-time":
            node.setdefault("description", "RFC 3339 date-time with a UTC offset")
            node["pattern"] = r"(Z|[+-]\d{2}:\d{2})$"
        for v in node.values():
            _tz_aware(v)
    elif isinstance(node, list):
        for v in node:
            _tz_aware(v)


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM
        for path, item in schema.get("paths", {}).items():
            error = _CKAN_ERROR if path.startswith(CKAN_PREFIX) else _ERROR
            for op in item.values():
                if not isinstance(op, dict) or "responses" not in op:
                    continue
                responses = op["responses"]
                responses.pop("422", None)
                for status in ERROR_STATUSES:
                    responses.setdefault(status, error)
        schema["components"]["schemas"].pop("HTTPValidationError", None)
        schema["components"]["schemas"].pop("ValidationError", None)
        _tz_aware(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
