"""Packages of important data are sealed to their recipient as well as signed (Art. 25–26)."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import select

from edudata.audit.models import AuditRecord
from edudata.config import Settings
from edudata.crypto.package import verify_package
from edudata.crypto.recipient import generate_private_key, is_sealed, load_private_key, open_sealed
from edudata.db import Database
from edudata.errors import PermissionDenied
from support.lifecycle import run_cli

EXPORT = "/api/v1/data/student_basic/export"


def _register(http: httpx.Client, headers: dict) -> tuple[bytes, bytes]:
    pem, public = generate_private_key()
    r = http.put("/api/v1/me/package-key", json={"public_key": public.hex()}, headers=headers)
    assert r.status_code == 200 and r.json()["registered"], r.text
    return pem, public


def test_a_package_of_important_data_without_a_recipient_key_is_refused_and_audited(
    http: httpx.Client, world: dict, db: Database
) -> None:
    r = http.get(EXPORT, params={"format": "package"}, headers=world["h"]["office"])
    assert r.status_code == 409 and r.json()["code"] == "recipient-key-missing"
    assert "第二十六条" in r.json()["detail_zh"] and "Art. 26" in r.json()["detail_en"]
    with db.session() as s:
        refused = s.scalars(select(AuditRecord).where(AuditRecord.username == "office")).all()
    assert [a.result for a in refused if a.operation == "export"] == []  # nothing left the platform
    assert any(a.result == "failed" for a in refused)


def test_an_encrypted_package_is_unreadable_without_the_recipients_key(
    http: httpx.Client, world: dict, tmp_path: Path
) -> None:
    pem, _ = _register(http, world["h"]["office"])
    r = http.get(EXPORT, params={"format": "package"}, headers=world["h"]["office"])
    assert r.status_code == 200, r.text
    assert is_sealed(r.content) and r.content[:2] != b"PK"
    assert world["rows"][0]["XH"].encode() not in r.content
    assert r.headers["content-disposition"].endswith('.zip.sealed"')
    other_pem, _ = generate_private_key()
    try:
        open_sealed(r.content, load_private_key(other_pem))
        raise AssertionError("opened with another key")
    except PermissionDenied:
        pass
    inner = tmp_path / "opened.zip"
    inner.write_bytes(open_sealed(r.content, load_private_key(pem)))
    check = verify_package(inner)
    assert check.ok and check.meta["dataset"] == "student_basic"


def test_package_open_decrypts_then_verifies_and_refuses_a_changed_byte(
    http: httpx.Client, world: dict, settings: Settings, tmp_path: Path
) -> None:
    pem, _ = _register(http, world["h"]["office"])
    sealed = tmp_path / "student_basic.zip.sealed"
    sealed.write_bytes(http.get(EXPORT, params={"format": "package"}, headers=world["h"]["office"]).content)
    key = tmp_path / "me.pem"
    key.write_bytes(pem)
    opened = run_cli(
        settings, "package", "open", str(sealed), "--key", str(key), "--out", str(tmp_path / "o.zip")
    )
    assert opened.returncode == 0, opened.stdout + opened.stderr
    assert "opened" in opened.stdout and verify_package(tmp_path / "o.zip").ok
    data = bytearray(sealed.read_bytes())
    data[-40] ^= 0x01
    sealed.write_bytes(bytes(data))
    bad = run_cli(
        settings, "package", "open", str(sealed), "--key", str(key), "--out", str(tmp_path / "b.zip")
    )
    assert bad.returncode == 1 and "cannot open" in bad.stdout and not (tmp_path / "b.zip").exists()


def test_the_package_key_page_registers_a_key(http: httpx.Client, world: dict) -> None:
    page = http.get("/account/package-key", headers=world["h"]["lib"])
    assert page.status_code == 200 and "数据包接收密钥" in page.text and "尚未登记" in page.text
    _, public = _register(http, world["h"]["lib"])
    page = http.get("/account/package-key", headers=world["h"]["lib"])
    assert "尚未登记" not in page.text and page.text.count("<code>") >= 1
