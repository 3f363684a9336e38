"""The front-end parts are served by the app, never a CDN (campuses run it on internal networks), and the committed
copies are the versions locked in package-lock.json (`make vendor` reproduces them from the npm registry)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from support.server import LiveServer

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "src" / "edudata" / "web" / "static" / "vendor"
FILES = {"htmx.org": VENDOR / "htmx.min.js", "echarts": VENDOR / "echarts.common.min.js",
         "axe-core": ROOT / "tests" / "support" / "vendor" / "axe.min.js"}  # fmt: skip


def test_the_committed_copies_are_the_locked_versions_with_their_licences() -> None:
    locked = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    pinned = json.loads((ROOT / "package.json").read_text())
    for name, path in FILES.items():
        version = locked[f"node_modules/{name}"]["version"]
        assert (
            version == {**pinned["dependencies"], **pinned["devDependencies"]}[name]
        )  # exact pins, no ranges
        assert (
            f'"{version}"' in path.read_text(encoding="utf-8")[:2_000_000]
            or f"v{version}" in path.read_text()
        )
    for licence in ("htmx.LICENSE.txt", "echarts.LICENSE.txt", "echarts.NOTICE.txt"):
        assert (VENDOR / licence).stat().st_size > 100
    assert (ROOT / "tests" / "support" / "vendor" / "axe.LICENSE.txt").stat().st_size > 100


def test_the_app_serves_them_and_no_page_loads_a_script_from_elsewhere(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for name in ("htmx.min.js", "echarts.common.min.js"):
            answer = client.get(f"/static/vendor/{name}")
            assert answer.status_code == 200 and len(answer.content) > 10_000
        login = client.get("/login")
    assert (
        "https://" not in login.text.split("<main")[0]
    )  # the head and header reference nothing off the site
    assert "script-src 'self'" in login.headers["content-security-policy"]
