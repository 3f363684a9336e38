"""Feedback on the sharing pages (issue 18): signing 附件2 says so and the status shows it; a refusal without a
reason comes back with the message beside the field and what the reviewer typed kept."""

from __future__ import annotations

import httpx

from support import clock
from support.pages import csrf_field, page_login
from support.server import LiveServer
from support.sharing import apply, approve, sign_and_submit


def _flash(page: str) -> str:
    return page.split('id="flash">')[1].split("<")[0]


def test_after_signing_the_status_and_the_message_show_the_new_state(
    http: httpx.Client, world: dict, server: LiveServer
) -> None:
    app = apply(http, world["h"]["lib"])
    with page_login(server.url, "lib") as lib:
        page = lib.get(f"/sharing/applications/{app['id']}")
        sha = page.text.split('name="text_sha256" value="')[1].split('"')[0]
        r = lib.post(
            f"/sharing/applications/{app['id']}/sign",
            data={"csrf_token": csrf_field(page.text), "text_sha256": sha, "agree": "1"},
        )
        assert r.status_code == 303
        after = lib.get(f"/sharing/applications/{app['id']}").text
        assert _flash(after) == "承诺书已签署。当前状态：草稿（承诺书已签署，待提交）"
        status = after.split('id="status">')[1].split("</p>")[0]
        assert "承诺书已签署，待提交" in status and "待签署" not in status
        r = lib.post(f"/sharing/applications/{app['id']}/submit", data={"csrf_token": csrf_field(after)})
        assert _flash(lib.get(f"/sharing/applications/{app['id']}").text) == (
            "申请已提交，等待审核。当前状态：待数据生产单位审核"
        )


def test_a_refusal_without_a_reason_keeps_the_typed_comment_beside_the_error(
    http: httpx.Client, world: dict, server: LiveServer
) -> None:
    app = apply(http, world["h"]["lib"])
    sign_and_submit(http, world["h"]["lib"], app["id"])
    with page_login(server.url, "xgb") as xgb:
        page = xgb.get(f"/sharing/applications/{app['id']}")
        r = xgb.post(
            f"/sharing/applications/{app['id']}/refuse",
            data={"csrf_token": csrf_field(page.text), "comment": "用途与读者服务无关", "reason": "无"},
        )
        assert r.status_code == 422
        assert '<textarea id="comment" name="comment" rows="2">用途与读者服务无关</textarea>' in r.text
        assert 'aria-invalid="true" aria-describedby="reason-error">无</textarea>' in r.text
        assert '<p class="field-error" id="reason-error">驳回须写明理由' in r.text
        assert 'id="flash"' not in r.text
        assert http.get(f"/api/v1/sharing/applications/{app['id']}", headers=world["h"]["lib"]).json()[
            "status"
        ] == ("pending_producer")


def test_an_application_missing_a_required_field_comes_back_as_typed_with_the_error_beside_it(
    http: httpx.Client, world: dict, server: LiveServer
) -> None:
    with page_login(server.url, "lib") as lib:
        page = lib.get("/sharing/apply/student_basic")
        assert page.text.count('<span class="required-mark" aria-hidden="true">*</span>') == 6
        r = lib.post("/sharing/apply/student_basic", data={
            "csrf_token": csrf_field(page.text), "elements": ["XH", "XM"], "contact_name": "李老师",
            "contact_phone": "022-88186000", "purpose": "", "business_basis": "读者服务管理办法第五条",
            "period_end": clock.iso(60), "delivery": "export", "security_measures": "专人负责", "action": "save",
        })  # fmt: skip
        assert r.status_code == 422
        assert '<p class="field-error" id="purpose-error">请填写用途</p>' in r.text
        assert 'aria-invalid="true" aria-describedby="purpose-error"' in r.text
        assert 'value="李老师"' in r.text and '<option value="export" selected>' in r.text
    assert http.get("/api/v1/sharing/applications", headers=world["h"]["lib"]).json()["total"] == 0


def test_a_narrowing_review_reads_in_words_on_the_application_page(
    http: httpx.Client, world: dict, server: LiveServer
) -> None:
    app = apply(http, world["h"]["lib"])
    sign_and_submit(http, world["h"]["lib"], app["id"])
    r = approve(
        http,
        world["h"]["xgb"],
        app["id"],
        elements=["XH", "XM", "SFZJH", "YXDM", "NJ"],
        masking={"SFZJH": "id_number"},
        row_filter={"element": "NJ", "op": "ge", "value": "2023"},
        period_end=clock.iso(30),
        comment="不需要手机号",
    )
    assert r.status_code == 200, r.text
    with page_login(server.url, "lib") as lib:
        page = lib.get(f"/sharing/applications/{app['id']}").text
    reviews = page.split('id="reviews"')[1].split("</table>")[0]
    assert "删减数据项：性别码、手机号码" in reviews
    assert "附加脱敏：身份证件号 身份证件号：保留前 6 位和后 4 位" in reviews
    assert "增加记录范围条件：年级 ≥ 2023" in reviews
    assert f"使用期限缩短至：{clock.iso(30)}" in reviews
    for raw in ("dropped_elements", "row_filter", "period_end", "SJHM", "id_number", "{"):
        assert raw not in reviews
    # The applicant's message (inbox and mail) says the same in words.
    inbox = http.get("/api/v1/sharing/inbox", headers=world["h"]["lib"]).json()["notifications"]
    said = next(n for n in inbox if n["kind"] == "approved" and n["application_id"] == app["id"])
    assert "删减数据项 性别码、手机号码" in said["message_zh"]
    assert "增加脱敏 身份证件号（身份证件号：保留前 6 位和后 4 位）" in said["message_zh"]
    assert (
        "SJHM (手机号码)" in said["message_en"]
        and "SFZJH (身份证件号): ID number: first 6" in said["message_en"]
    )
    assert "id_number" not in said["message_zh"] and "SJHM" not in said["message_zh"]
