"""Helpers of the ingest tests: synthetic student files and an uploader over the live server."""

from __future__ import annotations

import io

import httpx
import polars as pl

from edudata.synth.people import students


def student_frame(n: int, seed: int = 0) -> pl.DataFrame:
    """``n`` synthetic students (valid), every value as text, as a producer system exports them."""
    frame = students(n, seed=seed)
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
    "JTDZ": "家庭地址", "XJZT": "学籍状态",
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

    def review(self, code: str, user: str, decision: str = "approve", **body) -> httpx.Response:
        return self.http.post(
            f"/api/v1/ingest/batches/{code}/review", json={"decision": decision, **body}, headers=self.h[user]
        )
