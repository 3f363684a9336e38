"""The platform's shell: health, problem responses, request limits, migrations on both backends."""

from __future__ import annotations

import httpx
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from edudata.db import Database
from edudata.migrate import current_heads, expected_heads
from edudata.schema import load_all_models


def test_health_answers_over_real_http(http: httpx.Client) -> None:
    r = http.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert len(r.headers["x-request-id"]) == 32


def test_unknown_api_path_is_a_bilingual_problem(http: httpx.Client) -> None:
    r = http.get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["detail_zh"] and body["detail_en"]
    assert "Traceback" not in r.text


def test_unknown_page_is_a_readable_html_page(http: httpx.Client) -> None:
    r = http.get("/no-such-page", headers={"accept": "text/html"})
    assert r.status_code == 404
    assert "text/html" in r.headers["content-type"]
    assert "未找到" in r.text


def test_oversized_json_body_is_refused_with_413(http: httpx.Client) -> None:
    r = http.post("/api/v1/health", content=b"x" * 2_000_000, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["code"] == "payload-too-large"


def test_oversized_chunked_body_is_refused_with_413(http: httpx.Client) -> None:
    def chunks():  # no Content-Length: the limit must count what arrives
        for _ in range(40):
            yield b"y" * 100_000

    r = http.post("/api/v1/auth/token", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_language_switch_sets_cookie_and_never_redirects_off_site(http: httpx.Client) -> None:
    r = http.get("/lang/en", headers={"referer": "https://evil.example/steal"})
    assert r.status_code == 303
    assert r.headers["location"] == "/steal"
    assert "lang=en" in r.headers["set-cookie"]


def test_migrations_reach_every_head(backend_url: str) -> None:
    assert current_heads(backend_url) == expected_heads(backend_url)


def test_migrated_schema_matches_the_models(db: Database) -> None:
    """A model changed without a migration (or the reverse) fails here, on both backends."""
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), load_all_models())
    assert diff == []
