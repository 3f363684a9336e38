"""Bad input: a clear message in Chinese and English, nothing stored, the attempt audited."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import httpx
from ingest_support import csv_bytes, student_frame
from sqlalchemy import func, select

from edudata.audit.models import AuditRecord
from edudata.db import Database
from edudata.ingest.models import Batch, Issue


def _nothing_stored(db: Database, settings) -> None:  # noqa: ANN001
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Batch)) == 0
        assert s.scalar(select(func.count()).select_from(Issue)) == 0
    root = Path(settings.data_dir) / "ingest"
    left = [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
    assert left == []


def _audited(db: Database, operation: str = "ingest_upload") -> AuditRecord:
    with db.session() as s:
        found = (
            s.execute(
                select(AuditRecord).where(AuditRecord.operation == operation, AuditRecord.result != "success")
            )
            .scalars()
            .all()
        )
    assert len(found) == 1
    return found[0]


def _refused(r: httpx.Response, status: int, zh: str, en: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert zh in body["detail_zh"] and en in body["detail_en"]


def test_a_binary_file_named_csv_is_refused(world, db: Database, settings) -> None:
    r = world["up"](b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, filename="students.csv")
    _refused(r, 422, "不是文本格式", "not a text CSV")
    _nothing_stored(db, settings)
    assert _audited(db).username == "xgb"


def test_a_zip_bomb_named_xlsx_is_refused(world, db: Database, settings) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr(
            "xl/worksheets/sheet1.xml", b"\0" * (300 * 1024 * 1024)
        )  # 300 MB of zeros, a few hundred KB packed
    r = world["up"](out.getvalue(), filename="students.xlsx")
    _refused(r, 422, "压缩炸弹", "ZIP bomb")
    _nothing_stored(db, settings)
    _audited(db)


def test_an_upload_over_the_limit_is_refused_while_streaming(
    http: httpx.Client, world, db: Database, settings
) -> None:
    chunk = b"x" * (1024 * 1024)

    def body():  # noqa: ANN202 - a 200 MB multipart body, streamed without a length
        yield b'--b\r\nContent-Disposition: form-data; name="unit"\r\n\r\n0104\r\n'
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
        for _ in range(200):
            yield chunk
        yield b"\r\n--b--\r\n"

    headers = {**world["h"]["xgb"], "Content-Type": "multipart/form-data; boundary=b"}
    try:
        r = http.post("/api/v1/ingest/student_basic/batches", content=body(), headers=headers)
        status, problem = r.status_code, r.json()
    except httpx.RemoteProtocolError:  # the server may close the connection while the client still sends
        status, problem = 413, None
    assert status == 413
    if problem is not None:
        assert "上限" in problem["detail_zh"] and "limit" in problem["detail_en"]
    _nothing_stored(db, settings)
    refused: list[AuditRecord] = []
    for _ in range(100):  # the platform writes a 413's record once the answer is out: wait for it (≤ 10 s)
        with db.session() as s:
            refused = [a for a in s.execute(select(AuditRecord)).scalars() if a.detail.get("status") == 413]
        if refused:
            break
        time.sleep(0.1)
    assert len(refused) == 1 and refused[0].result == "failed"


def test_the_ingest_limit_applies_below_the_request_limit(world, db: Database, settings) -> None:
    """The connector's own streaming check: a file over ``max_upload_bytes`` never lands whole on disk."""
    from edudata.access.datapath import Context
    from edudata.identity.service import principal_for
    from edudata.ingest import service

    data = io.BytesIO(b"XH,XM\n" + "2023020001,张三\n".encode() * 200_000)
    small = settings.model_copy(update={"max_upload_bytes": 1024 * 1024})
    with db.session() as s:
        who = principal_for(s, _account_id(db, "xgb"), source_ip="test", via="test")
        try:
            service.upload(
                who,
                Context(s, small, db),
                dataset_code="student_basic",
                unit_code="0104",
                read=data.read,
                filename="a.csv",
            )
        except Exception as err:  # noqa: BLE001 - the typed error is what we check
            assert type(err).__name__ == "PayloadTooLarge" and "1 MB" in err.zh
        else:
            raise AssertionError("an over-limit file was accepted")
    _nothing_stored(db, settings)
    _audited(db)


def _account_id(db: Database, username: str) -> int:
    from edudata.org.models import Account

    with db.session() as s:
        return s.execute(select(Account.id).where(Account.username == username)).scalar_one()


def test_a_csv_with_ten_thousand_columns_is_refused(world, db: Database, settings) -> None:
    header = ",".join(["XH", "XM"] + [f"c{i}" for i in range(9998)])
    r = world["up"]((header + "\n" + ",".join(["1"] * 10000) + "\n").encode(), filename="wide.csv")
    _refused(r, 422, "10000 列", "10000 columns")
    _nothing_stored(db, settings)
    _audited(db)


def test_a_gbk_file_sent_as_utf8_is_refused_as_the_wrong_encoding(world, db: Database, settings) -> None:
    r = world["up"](csv_bytes(student_frame(5), encoding="gbk", chinese=True), encoding="utf-8")
    _refused(r, 422, "不是 UTF-8 编码", "not UTF-8")
    _nothing_stored(db, settings)
    assert "not UTF-8" in _audited(db).detail["reason"]


def test_a_utf8_file_sent_as_gbk_is_refused_rather_than_garbled(world, db: Database, settings) -> None:
    r = world["up"](csv_bytes(student_frame(5), chinese=True), encoding="gbk")
    _refused(r, 422, "乱码", "garble")
    _nothing_stored(db, settings)
