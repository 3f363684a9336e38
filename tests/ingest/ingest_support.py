"""Helpers of the ingest tests: synthetic student files and an uploader over the live server."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import polars as pl
from sqlalchemy import create_engine, text

from edudata.db import normalise_url
from edudata.synth.people import students
from support.students import PASSWORD


def student_frame(n: int, seed: int = 0) -> pl.DataFrame:
    """``n`` synthetic students (valid), every value as text, as 学生工作部's system exports them: without 学籍状态,
    whose authoritative source is 教务处 (一数一源, Art. 19)."""
    frame = students(n, seed=seed).drop("XJZT")
    return frame.with_columns(pl.col("CSRQ").dt.to_string("%Y-%m-%d"), pl.col("NJ").cast(pl.String))


def csv_bytes(
    frame: pl.DataFrame, *, encoding: str = "utf-8", bom: bool = False, chinese: bool = False
) -> bytes:
    if chinese:
        frame = frame.rename(HEADERS_ZH, strict=False)
    text = frame.write_csv()
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


HEADERS_ZH = {
    "XH": "学号", "XM": "姓名", "XBM": "性别码", "MZM": "民族码", "SFZJH": "身份证件号", "CSRQ": "出生日期",
    "YXDM": "院系代码", "ZYMC": "专业名称", "NJ": "年级", "SJHM": "手机号码", "YHKH": "银行卡号", "DZYX": "电子邮箱",
    "JTDZ": "家庭地址",
}  # fmt: skip


class Uploader:
    def __init__(self, http: httpx.Client, headers: dict) -> None:
        self.http, self.h = http, headers

    def __call__(
        self,
        content: bytes,
        filename: str = "students.csv",
        user: str = "xgb",
        dataset: str = "student_basic",
        **form,
    ) -> httpx.Response:
        data = {"unit": "0104", **form}
        return self.http.post(
            f"/api/v1/ingest/{dataset}/batches",
            data=data,
            files={"file": (filename, io.BytesIO(content))},
            headers=self.h[user],
        )

    def approved(self, content: bytes, reviewer: str = "xgb_rev", office: str = "office", **form) -> dict:
        """Upload ``content`` and take it through the unit's and the office's approval; the loaded batch."""
        batch = self(content, **form)
        assert batch.status_code == 201, batch.text
        assert self.review(batch.json()["code"], reviewer).status_code == 200
        done = self.review(batch.json()["code"], office)
        assert done.status_code == 200, done.text
        return {**batch.json(), **done.json()}

    def review(self, code: str, user: str, decision: str = "approve", **body) -> httpx.Response:
        return self.http.post(
            f"/api/v1/ingest/batches/{code}/review", json={"decision": decision, **body}, headers=self.h[user]
        )


def run_cli(settings, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:  # noqa: ANN001
    """``edudata …`` in a process of its own, on the test's database and data directory."""
    full = {
        **os.environ,
        "EDUDATA_DATABASE_URL": settings.resolved_database_url(),
        "EDUDATA_DATA_DIR": str(settings.data_dir),
        "COLUMNS": "200",
        **(env or {}),
    }
    exe = Path(sys.executable).with_name("edudata")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=full, timeout=300)


def business_table(url: str, frame: pl.DataFrame, name: str = "xs_jbxx") -> None:
    """A producer's business table with Chinese column names (学生信息), as a 学工 system keeps it."""
    engine = create_engine(normalise_url(url))
    zh = frame.rename(HEADERS_ZH, strict=False)
    cols = ", ".join(f'"{c}" VARCHAR(200)' for c in zh.columns)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE {name} ({cols})"))
        names = ", ".join(f'"{c}"' for c in zh.columns)
        marks = ", ".join(f":p{i}" for i in range(len(zh.columns)))
        conn.execute(
            text(f"INSERT INTO {name} ({names}) VALUES ({marks})"),
            [{f"p{i}": v for i, v in enumerate(r)} for r in zh.iter_rows()],
        )
    engine.dispose()


def pull_source(http: httpx.Client, h: dict, connection: str, table: str = "xs_jbxx") -> int:
    """Register a pull source as the office and map it as 学生工作部's officer; returns its id."""
    r = http.post(
        "/api/v1/ingest/student_basic/sources",
        json={"name": "学工系统", "unit": "0104", "connection": connection},
        headers=h["office"],
    )
    assert r.status_code == 201, r.text
    source = r.json()["id"]
    r = http.put(
        f"/api/v1/ingest/sources/{source}/mapping", json={"table": table, "columns": {}}, headers=h["xgb"]
    )
    assert r.status_code == 200, r.text
    return source


HTML = {"accept": "text/html"}


def csrf_field(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


def page_login(server, username: str) -> httpx.Client:  # noqa: ANN001
    client = httpx.Client(base_url=server.url, timeout=30, follow_redirects=False)
    page = client.get("/login", headers=HTML)
    r = client.post(
        "/login",
        headers=HTML,
        data={
            "csrf_token": csrf_field(page.text),
            "username": username,
            "password": PASSWORD,
            "next": "/ingest",
        },
    )
    assert r.status_code == 303, r.text
    return client


@contextmanager
def page_session(server, username: str) -> Iterator[httpx.Client]:  # noqa: ANN001
    client = page_login(server, username)
    try:
        yield client
    finally:
        client.close()
