"""Providing or publishing data outside the school (Art. 42, 58): the written request goes through the unit head,
the producer unit, the office and the leadership group's secrecy review before the office records the release;
nothing goes out without the secrecy review, and 涉密 data never does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from edudata.audit.models import AuditRecord
from edudata.db import Database
from edudata.sharing.models import ExternalRelease
from support.sharing import granted

EXTERNAL = "/api/v1/sharing/external"


def _request(
    http: httpx.Client, world: dict, app_id: int, who: str = "lib2", **changes: Any
) -> httpx.Response:
    body = {"application_id": app_id, "kind": "provide", "recipient": "天津市教育科学研究院",
            "elements": ["XH", "NJ"], "purpose": "全市高校学生规模统计", "justification": "市教科院书面来函（津教科函〔2026〕12号）",
            "security_measures": "加密介质交付，专人签收", **changes}  # fmt: skip
    return http.post(EXTERNAL, json=body, headers=world["h"][who])


def _step(http: httpx.Client, world: dict, req_id: int, path: str, who: str, decision: str = "approved",
          comment: str = "同意对外提供") -> httpx.Response:  # fmt: skip
    return http.post(f"{EXTERNAL}/{req_id}/{path}", json={"decision": decision, "comment": comment},
                     headers=world["h"][who])  # fmt: skip


def _release(http: httpx.Client, world: dict, req_id: int) -> httpx.Response:
    return http.post(f"{EXTERNAL}/{req_id}/release", json={"channel": "加密U盘，专人交付", "document_sha256": "ab" * 32},
                     headers=world["h"]["office"])  # fmt: skip


def test_a_written_request_goes_through_every_stage_before_the_release_is_recorded(
    http: httpx.Client, world: dict, db: Database
) -> None:
    app = granted(http, world)
    r = _request(http, world, app["id"])
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["status"] == "pending_unit_head"
    # Out of order: the office cannot agree before the unit head and the producer.
    assert _step(http, world, req["id"], "approve-office", "office").status_code == 409
    # The requester cannot sign off their own request, nor can anyone but the unit's head.
    assert _step(http, world, req["id"], "approve-unit", "lib2").status_code == 403
    assert _step(http, world, req["id"], "approve-unit", "office").status_code == 403
    assert _step(http, world, req["id"], "approve-unit", "lib").json()["status"] == "pending_producer"
    assert (
        _step(http, world, req["id"], "approve-producer", "rsc").status_code == 403
    )  # another unit's officer
    assert _step(http, world, req["id"], "approve-producer", "xgb").json()["status"] == "pending_office"
    assert _step(http, world, req["id"], "approve-office", "office").json()["status"] == "pending_secrecy"
    # No release without the leadership group's secrecy review (Art. 58), and only the leadership reviews.
    r = _release(http, world, req["id"])
    assert (
        r.status_code == 409
        and "Art. 42, 58" in r.json()["detail_en"]
        and "第五十八条" in r.json()["detail_zh"]
    )
    assert _step(http, world, req["id"], "secrecy-review", "office").status_code == 403
    assert (
        _step(http, world, req["id"], "secrecy-review", "leader", comment="x").status_code == 422
    )  # an opinion
    passed = _step(
        http, world, req["id"], "secrecy-review", "leader", comment="经审查，不涉密，同意提供"
    ).json()
    assert passed["status"] == "approved" and passed["secrecy_review"]["decision"] == "approved"
    r = _release(http, world, req["id"])
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "released"
    assert done["release"]["secrecy_review_id"] == done["secrecy_review"]["id"]
    assert done["release"]["recipient"] == "天津市教育科学研究院" and done["release"]["elements"] == [
        "XH",
        "NJ",
    ]
    assert [d["stage"] for d in done["decisions"]] == ["unit_head", "producer", "office", "secrecy"]
    assert _release(http, world, req["id"]).status_code == 409  # recorded once
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ExternalRelease)) == 1
        ops = [a.operation for a in s.scalars(select(AuditRecord).where(AuditRecord.operation.like("share_external%"))
                                              .order_by(AuditRecord.seq))]  # fmt: skip
    assert ops == ["share_external_request", "share_external_decide", "share_external_decide",
                   "share_external_decide", "share_external_secrecy_review", "share_external_decide",
                   "share_external_release"]  # fmt: skip
    # The requester's unit and the producer see it; another unit's applicant does not.
    assert http.get(f"{EXTERNAL}/{req['id']}", headers=world["h"]["xgb"]).status_code == 200
    assert http.get(f"{EXTERNAL}/{req['id']}", headers=world["h"]["rsc"]).status_code == 404


def test_a_refused_secrecy_review_stops_the_release(http: httpx.Client, world: dict, settings) -> None:  # noqa: ANN001
    app = granted(http, world)
    req = _request(http, world, app["id"], who="lib").json()  # the head's own request carries its sign-off
    assert req["status"] == "pending_producer" and req["decisions"][0]["stage"] == "unit_head"
    _step(http, world, req["id"], "approve-producer", "xgb")
    _step(http, world, req["id"], "approve-office", "office")
    refused = _step(
        http, world, req["id"], "secrecy-review", "leader", "refused", "涉及学生个人信息，不同意对外提供"
    )
    assert refused.json()["status"] == "refused"
    assert _release(http, world, req["id"]).status_code == 409
    # The office's and inspection's list from the command line shows it refused.
    env = {**os.environ, "EDUDATA_DATABASE_URL": settings.resolved_database_url(),
           "EDUDATA_DATA_DIR": str(settings.data_dir), "COLUMNS": "250"}  # fmt: skip
    exe = Path(sys.executable).with_name("edudata")
    out = subprocess.run([str(exe), "sharing", "external", "--status", "refused"], capture_output=True, text=True,
                         env=env, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"#{req['id']}" in out.stdout and "refused" in out.stdout


def test_secret_data_is_refused_for_external_provision(http: httpx.Client, world: dict) -> None:
    h = world["h"]
    app = granted(http, world)
    early = _request(http, world, app["id"], who="lib").json()  # requested before the marking
    mark = {"dataset_code": "student_basic", "element_code": "NJ", "basis": "保密工作部门定密通知 2026-1 号"}
    assert http.post("/api/v1/secrecy/markings", json=mark, headers=h["office"]).status_code == 201
    r = _request(http, world, app["id"])
    assert r.status_code == 403 and r.json()["code"] == "state-secret"
    for path, who in (
        ("approve-producer", "xgb"),
        ("approve-office", "office"),
        ("secrecy-review", "leader"),
    ):
        assert _step(http, world, early["id"], path, who, comment="同意对外提供").status_code == 200
    r = _release(http, world, early["id"])
    assert r.status_code == 403 and r.json()["code"] == "state-secret"


def test_only_granted_data_of_ones_own_unit_can_be_requested(http: httpx.Client, world: dict) -> None:
    app = granted(http, world)
    assert (
        _request(http, world, app["id"], elements=["SFZJH", "CSRQ"]).status_code == 422
    )  # CSRQ never granted
    assert _request(http, world, app["id"], kind="sell").status_code == 422
    assert _request(http, world, app["id"], who="xgb").status_code == 403  # not an applicant of the unit


def test_a_third_party_release_of_a_share_application_needs_the_secrecy_review(
    http: httpx.Client, world: dict
) -> None:
    h = world["h"]
    app = granted(
        http, world, elements=["XH", "NJ"], row_filter=None, third_party=True, third_party_name="某研究机构"
    )
    http.put("/api/v1/sharing/policy", json={"min_k": 2}, headers=h["office"])
    assert (
        http.post(f"/api/v1/sharing/applications/{app['id']}/release-preview", headers=h["office"]).json()[
            "k"
        ]
        >= 2
    )
    r = http.post(f"/api/v1/sharing/applications/{app['id']}/release", headers=h["office"])
    assert r.status_code == 409 and "Art. 58" in r.json()["detail_en"]
    review = {"decision": "approved", "comment": "去标识化结果已审查，同意提供"}
    url = f"/api/v1/sharing/applications/{app['id']}/secrecy-review"
    assert http.post(url, json=review, headers=h["office"]).status_code == 403
    r = http.post(url, json=review, headers=h["leader"])
    assert r.status_code == 200 and r.json()["secrecy_review"]["reviewer"] == "leader"
    r = http.post(f"/api/v1/sharing/applications/{app['id']}/release", headers=h["office"])
    assert r.status_code == 200 and r.json()["status"] == "granted"
