"""The grant holder gets the granted data on the page (issue 18): CSV, XLSX and the signed package hold exactly the
granted, masked rows the API gives the grant's credential, and each download is an audited export; the credential
card shows the full address and a command to copy."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import openpyxl
from sqlalchemy import select

from edudata.audit.models import AuditRecord
from edudata.crypto.package import verify_package
from edudata.crypto.recipient import generate_private_key, load_private_key, open_sealed
from edudata.db import Database
from support.pages import csrf_field, page_login
from support.server import LiveServer
from support.sharing import apply, approve, credential, sign_and_submit

KEPT = ["XH", "XM", "SFZJH", "YXDM", "NJ"]


def _granted(http: httpx.Client, world: dict) -> dict:
    h = world["h"]
    app = apply(http, h["lib"])
    sign_and_submit(http, h["lib"], app["id"])
    r = approve(http, h["xgb"], app["id"], elements=KEPT, masking={"XM": "name"}, comment="不需要手机号")
    assert r.status_code == 200, r.text
    r = approve(http, h["office"], app["id"])
    assert r.status_code == 200 and r.json()["status"] == "granted", r.text
    return r.json()


def _exports(db: Database) -> list[AuditRecord]:
    with db.session() as s:
        return list(s.scalars(select(AuditRecord).where(AuditRecord.operation == "export")))


def test_the_applicant_downloads_exactly_the_granted_masked_rows_from_the_page(
    http: httpx.Client, world: dict, server: LiveServer, db: Database, tmp_path: Path
) -> None:
    app = _granted(http, world)
    via_api = http.get(
        "/api/v1/data/student_basic",
        params={"limit": 100},
        headers=credential(http, world["h"]["lib"], app["id"]),
    ).json()["items"]
    expected = [{k: str(v) for k, v in row.items() if k != "_id"} for row in via_api]
    assert len(expected) == 8  # 学院 0201 only, as applied
    with page_login(server.url, "lib") as lib:
        page = lib.get(f"/sharing/applications/{app['id']}")
        assert 'id="download-csv"' in page.text and 'id="download-xlsx"' in page.text
        before = len(_exports(db))

        got = lib.get(f"/sharing/applications/{app['id']}/download/csv")
        assert got.status_code == 200, got.text
        assert got.headers["content-disposition"].startswith("attachment")
        rows = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))
        assert list(rows[0]) == KEPT
        assert rows == expected
        assert all(
            r["XM"] != s["XM"] for r, s in zip(rows, world["rows"], strict=False)
        )  # masked, as approved

        sheet = lib.get(f"/sharing/applications/{app['id']}/download/xlsx")
        assert sheet.status_code == 200
        table = list(openpyxl.load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
        assert list(table[0]) == KEPT and len(table) == 9
        assert [str(r[0]) for r in table[1:]] == [r["XH"] for r in expected]

        refused = lib.get(
            f"/sharing/applications/{app['id']}/download/package"
        )  # important data: sealed only
        assert (
            refused.status_code == 409
            and "接收密钥" in refused.text
            and "text/html" in refused.headers["content-type"]
        )
        pem, public = generate_private_key()
        r = http.put("/api/v1/me/package-key", json={"public_key": public.hex()}, headers=world["h"]["lib"])
        assert r.status_code == 200, r.text
        package = lib.get(f"/sharing/applications/{app['id']}/download/package")
        assert package.status_code == 200
        inner = tmp_path / "package.zip"
        inner.write_bytes(open_sealed(package.content, load_private_key(pem)))
        check = verify_package(inner)
        assert check.ok and check.meta["elements"] == KEPT and check.meta["row_count"] == 8

        exports = _exports(db)[before:]
        assert [(e.username, e.row_count, e.result) for e in exports] == [("lib", 8, "success")] * 3


def test_a_download_without_an_active_grant_is_refused_on_a_page(
    http: httpx.Client, world: dict, server: LiveServer
) -> None:
    app = apply(http, world["h"]["lib"])
    with page_login(server.url, "lib") as lib:
        r = lib.get(f"/sharing/applications/{app['id']}/download/csv")
        assert r.status_code == 409 and "没有有效的授权" in r.text
        assert "text/html" in r.headers["content-type"]
        assert lib.get(f"/sharing/applications/{app['id']}/download/json").status_code == 404


def test_the_credential_card_shows_the_full_address_and_a_command_to_copy(
    http: httpx.Client, world: dict, server: LiveServer
) -> None:
    app = _granted(http, world)
    with page_login(server.url, "lib") as lib:
        page = lib.get(f"/sharing/applications/{app['id']}")
        r = lib.post(
            f"/sharing/applications/{app['id']}/credential",
            data={"csrf_token": csrf_field(page.text), "label": "馆内"},
        )
        assert r.status_code == 200
        assert f'<code id="data-url">{server.url}/api/v1/data/student_basic</code>' in r.text
        secret = r.text.split('<code id="secret-value">')[1].split("<")[0]
        command = r.text.split('<pre id="curl-example">')[1].split("</pre>")[0].replace("&amp;", "&")
        assert command.startswith(
            f'curl -H "Authorization: Bearer {secret}" "{server.url}/api/v1/data/student_basic?'
        )
        url = command.split('"')[3]
        used = httpx.get(url, headers={"Authorization": f"Bearer {secret}"})  # the command, as copied, works
        assert used.status_code == 200 and len(used.json()["items"]) == 8
