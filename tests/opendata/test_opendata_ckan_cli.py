"""The ``ckanapi`` command line against the live portal, as a user would type it: ``ckanapi action …`` for each
read action (POST and ``-g`` GET), and ``ckanapi dump datasets --all`` (its worker processes call package_show
and, with ``-d``, datastore_search)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from opendata import ckan_shapes as shape
from opendata.conftest import proposal, publish
from support.server import LiveServer

BIN = Path(sys.executable).parent


def ckanapi(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }  # dump's workers run `ckanapi`
    done = subprocess.run([str(BIN / "ckanapi"), *args], capture_output=True, text=True, env=env, timeout=120)
    if check:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def site(od: httpx.Client, staff: dict, courses: str, portal_server: LiveServer) -> str:
    publish(od, staff, proposal())
    return portal_server.url


def action(site: str, name: str, *params: str, get: bool = False) -> object:
    return json.loads(ckanapi("action", name, *params, "-r", site, *(["-g"] if get else [])).stdout)


def test_ckanapi_action_for_every_read_action(site: str) -> None:
    assert action(site, "package_list") == ["course-info", "research-output"]
    shape.package(action(site, "package_show", "id=research-output", get=True))
    found = action(site, "package_search", "q=论文", 'facet.field:["organization","groups"]', "rows:1")
    shape.has(shape.SEARCH, found)
    assert found["count"] == 1 and found["facets"]["groups"] == {"research": 1}
    assert action(site, "package_search", "fq=organization:0103 OR organization:0106", get=True)["count"] == 2
    assert [p["name"] for p in action(site, "current_package_list_with_resources")] == [
        "research-output", "course-info"
    ]  # fmt: skip
    assert {"research", "teaching"} <= set(action(site, "group_list"))
    assert action(site, "group_show", "id=research")["package_count"] == 1
    assert action(site, "organization_list", get=True) == ["0103", "0106"]
    assert action(site, "organization_show", "id=0103")["title"] == "教务处"
    assert action(site, "tag_list") == ["学术论文", "科研成果", "课程"]
    assert {x["id"] for x in action(site, "license_list")} >= {"CC-BY-4.0"}
    assert action(site, "package_autocomplete", "q=course")[0]["name"] == "course-info"
    shape.has(shape.RESOURCE, action(site, "resource_show", "id=course-info-xlsx"))
    rows = action(site, "datastore_search", "resource_id=research-output-csv", 'filters:{"DYZZ":"王芳"}')
    assert rows["total"] == 1 and rows["records"][0]["LWTM"] == "财政政策的传导机制"
    assert action(site, "datastore_info", "id=research-output-csv")["meta"]["count"] == 5
    assert "2.10" in action(site, "status_show")["ckan_version"]


def test_ckanapi_search_datasets_pages_through_package_search(site: str) -> None:
    lines = ckanapi("search", "datasets", "fq=res_format:CSV", "-r", site).stdout.splitlines()
    assert sorted(json.loads(line)["name"] for line in lines) == ["course-info", "research-output"]
    assert httpx.get(f"{site}/api/3").json() == {"version": 3}


def test_ckanapi_action_shows_ckans_errors(site: str) -> None:
    refused = ckanapi("action", "package_create", "name=x", "-r", site, check=False)
    assert refused.returncode != 0 and "NotAuthorized" in refused.stderr
    missing = ckanapi("action", "package_show", "id=nothing", "-r", site, check=False)
    assert missing.returncode != 0 and "NotFound" in missing.stderr


def test_ckanapi_dump_datasets_all(site: str, tmp_path: Path) -> None:
    out = tmp_path / "datasets.jsonl"
    ckanapi("dump", "datasets", "--all", "-q", "-d", "-O", str(out), "-r", site)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["name"] for r in records] == ["course-info", "research-output"]
    for r in records:
        shape.package(r)
    papers = next(r for r in records if r["name"] == "research-output")
    # -d: each datastore-active resource carries its fields, read by datastore_search (limit 0)
    assert [f["id"] for f in papers["resources"][0]["datastore_fields"]][:2] == ["_id", "LWBH"]
    courses = next(r for r in records if r["name"] == "course-info")
    assert "datastore_fields" not in courses["resources"][0]  # conditional: refused without a key
