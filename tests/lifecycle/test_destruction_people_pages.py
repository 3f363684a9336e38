"""A list of people destroyed through /lifecycle/destruction (Art. 30, 35-36), on both databases: ID numbers pasted
one a line and an uploaded CSV; an invalid one refuses the list by line, beside the field, nothing filed; the
requester sees no approval button on their own request, a second office member approves, the destruction officer
carries it out, and the certificate in words counts the people and the copy handed out before."""

from __future__ import annotations

import httpx

from support.lifecycle import governed_ids
from support.pages import csrf_field, page_login
from support.server import LiveServer

API = "/api/v1/lifecycle/destruction-requests"


def _row(page: str, rid: int) -> str:
    return page.split(f'id="request-{rid}"')[1].split("</tr>")[0]


def test_a_pasted_and_uploaded_list_of_people_is_requested_approved_destroyed_and_certified_on_the_page(
    world: dict, server: LiveServer, http: httpx.Client, db
) -> None:  # noqa: ANN001
    h, rows = world["h"], world["rows"]
    r = http.get("/api/v1/data/student_basic/export", params={"format": "csv"}, headers=h["xgb"])
    assert r.status_code == 200  # a copy handed out before the destruction
    typo = rows[5]["SFZJH"][:-1] + ("0" if rows[5]["SFZJH"][-1] != "0" else "1")
    with page_login(server.url, "office") as office:
        token = csrf_field(office.get("/lifecycle/destruction").text)
        form = {"csrf_token": token, "scope": "people", "reason": "毕业生个人信息到期删除",
                "id_numbers": f"{rows[1]['SFZJH']}\n{typo}\n"}  # fmt: skip
        r = office.post("/lifecycle/destruction", data=form)
        assert r.status_code == 422, r.text
        error = r.text.split('id="request-id_numbers-error">')[1].split("</p>")[0]
        assert error.startswith(
            "名单中有 1 个无效的身份证件号，未提交销毁申请：第 2 行：身份证件号码校验位错误"
        )
        assert (
            typo not in error and rows[1]["SFZJH"] in r.text
        )  # what was typed comes back, the message names lines
        assert http.get(API, headers=h["office"]).json()["items"] == []  # nothing filed

        upload = f"身份证件号,姓名\n{rows[4]['SFZJH']},{rows[4]['XM']}\n{rows[7]['SFZJH']},{rows[7]['XM']}\n"
        r = office.post("/lifecycle/destruction", data={**form, "id_numbers": rows[1]["SFZJH"]},
                        files={"id_file": ("名单.csv", upload.encode("gbk"), "text/csv")})  # fmt: skip
        assert r.status_code == 303, r.text
        rid = http.get(API, headers=h["office"]).json()["items"][0]["id"]
        page = office.get(r.headers["location"]).text
        assert f"已提出销毁申请 #{rid}（3 人，3 条记录）" in page
        row = _row(page, rid)
        assert "名单中的人员（3 人）" in row and "待审批" in row
        assert f'id="approve-{rid}"' not in row and "等待另一名网信办人员审批" in row  # not one's own request
    with page_login(server.url, "office2") as second:
        page = second.get("/lifecycle/destruction").text
        assert f'id="approve-{rid}"' in _row(page, rid)
        r = second.post(f"/lifecycle/destruction/{rid}/decision",
                        data={"csrf_token": csrf_field(page), "decision": "approve", "note": ""})  # fmt: skip
        assert r.status_code == 303
        assert (
            f'id="execute-{rid}"' not in second.get("/lifecycle/destruction").text
        )  # the office does not destroy
    with page_login(server.url, "destroyer") as destroyer:
        page = destroyer.get("/lifecycle/destruction").text
        assert f'id="execute-{rid}"' in _row(page, rid)
        r = destroyer.post(f"/lifecycle/destruction/{rid}/execute", data={"csrf_token": csrf_field(page)})
        assert r.status_code == 303
        cert = destroyer.get(r.headers["location"]).text
    assert "签名有效" in cert and '<dd id="certificate-people">3</dd>' in cert
    copies = cert.split("已发出的副本")[1].split("</dd>")[0]
    assert "学生基本信息" in copies and "已通知持有人删除" in copies
    left = governed_ids(db, "gd_student_basic")
    assert len(left) == 9 and not {world["ids"][i] for i in (1, 4, 7)} & set(left)
