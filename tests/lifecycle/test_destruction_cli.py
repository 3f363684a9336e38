"""``edudata destruction …`` (Art. 30, 34-36) with the real command line in a new process, on both databases: a
list of people from a CSV file is requested, refused to its requester and approved by a second office member,
refused to the office and carried out by the destruction officer; the certificate counts the people and the copy
handed out before. A list with invalid ID numbers is refused by line, in Chinese and English, and nothing is filed.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import func, select

from edudata.audit.models import AuditRecord
from edudata.db import Database
from edudata.lifecycle.models import DestructionRequest
from support.lifecycle import governed_ids, run_cli

API = "/api/v1/lifecycle/destruction-requests"


def _out(result) -> str:  # noqa: ANN001 - a CompletedProcess
    return " ".join((result.stdout + result.stderr).split())


def test_a_list_of_people_is_requested_approved_and_destroyed_on_the_command_line(
    http: httpx.Client, world: dict, db: Database, settings, tmp_path: Path
) -> None:  # noqa: ANN001
    h, rows = world["h"], world["rows"]
    r = http.get("/api/v1/data/student_basic/export", params={"format": "csv"}, headers=h["xgb"])
    assert r.status_code == 200, r.text  # a copy handed out before the destruction
    listing = tmp_path / "毕业生.csv"
    listing.write_text(
        "姓名,身份证件号\n" + "".join(f"{rows[i]['XM']},{rows[i]['SFZJH']}\n" for i in (1, 4)), encoding="gbk"
    )
    filed = run_cli(settings, "destruction", "request", "--as", "office", "--file", str(listing),
                    "--id-number", rows[7]["SFZJH"], "--reason", "毕业生个人信息到期删除")  # fmt: skip
    assert filed.returncode == 0, _out(filed)
    rid = http.get(API, headers=h["office"]).json()["items"][0]["id"]
    assert f"已提出销毁申请 #{rid}" in _out(filed) and "3 人 / people, 3 条记录 / rows" in _out(filed)

    own = run_cli(settings, "destruction", "approve", str(rid), "--as", "office")
    assert own.returncode == 2 and "申请人不能审批本人的销毁申请" in _out(own) and "Art. 30" in _out(own)
    approved = run_cli(settings, "destruction", "approve", str(rid), "--as", "office2", "--note", "核对无误")
    assert approved.returncode == 0 and "approved" in _out(approved), _out(approved)
    office = run_cli(settings, "destruction", "execute", str(rid), "--as", "office2")
    assert office.returncode == 2 and "只有数据销毁专员" in _out(office), _out(
        office
    )  # the office does not destroy
    assert len(governed_ids(db, "gd_student_basic")) == 12

    done = run_cli(settings, "destruction", "execute", str(rid), "--as", "destroyer")
    assert done.returncode == 0, _out(done)
    assert "人数 / people: 3; 行数 / rows: 3; 个人密钥 / subject keys destroyed: 3" in _out(done)
    assert "已交出的副本 / copies handed out: 1" in _out(done) and "export student_basic → xgb" in _out(done)
    left = governed_ids(db, "gd_student_basic")
    assert len(left) == 9 and not {world["ids"][i] for i in (1, 4, 7)} & set(left)
    cert = http.get(f"{API}/{rid}/certificate", headers=h["aud"]).json()
    assert cert["valid"] and len(cert["certificate"]["what"]["people"]) == 3
    shown = run_cli(settings, "destruction", "certificate", str(rid), "--as", "aud")
    assert shown.returncode == 0 and "签名有效 / signature valid" in _out(shown), _out(shown)
    with db.session() as s:
        steps = list(s.execute(
            select(AuditRecord.operation, AuditRecord.username, AuditRecord.result)
            .where(AuditRecord.operation.in_(("destruction_request", "destruction_approve", "destroy",
                                              "permission_denied")))
            .order_by(AuditRecord.seq)
        ).all())  # fmt: skip
    assert ("destruction_request", "office", "success") in steps and (
        "destroy",
        "destroyer",
        "success",
    ) in steps
    assert ("permission_denied", "office", "denied") in steps  # the requester's own approval, refused
    assert ("permission_denied", "office2", "denied") in steps  # the office's execution, refused


def test_invalid_id_numbers_are_named_by_line_in_both_languages_and_nothing_is_filed(
    world: dict, db: Database, settings, tmp_path: Path
) -> None:  # noqa: ANN001
    good, typo = world["rows"][2]["SFZJH"], world["rows"][5]["SFZJH"][:-1] + "0"
    if typo == world["rows"][5]["SFZJH"]:
        typo = typo[:-1] + "1"
    listing = tmp_path / "ids.txt"
    listing.write_text(f"{good}\n\n{typo}\n12010120030501\n", encoding="utf-8")
    r = run_cli(settings, "destruction", "request", "--as", "office", "--file", str(listing), "--reason", "x")
    text = _out(r)
    assert r.returncode == 2, text
    assert (
        "名单中有 2 个无效的身份证件号，未提交销毁申请" in text and "第 3 行：身份证件号码校验位错误" in text
    )
    assert "第 4 行：身份证件号码应为 18 位" in text and "line 3: wrong check digit" in text
    assert typo not in text and good not in text  # lines are named, the numbers are not repeated
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(DestructionRequest)) == 0
        failed = [
            r.detail for r in s.scalars(select(AuditRecord).where(AuditRecord.operation == "request_failed"))
        ]
    assert any(d.get("command") == "destruction request" and d.get("status") == 422 for d in failed)
    assert all(typo not in str(d) for d in failed)
