"""The collection pages: submit through the form, review through the form, read the quality page's charts."""

from __future__ import annotations

import polars as pl
from ingest_support import HTML, csrf_field, csv_bytes, page_session, student_frame


def test_a_unit_submits_reviews_and_reads_quality_on_the_pages(server, world) -> None:
    frame = student_frame(30)
    ids = frame.get_column("SFZJH").to_list()
    ids[4] = ids[4][:17] + ("0" if ids[4][17] != "0" else "1")
    content = csv_bytes(frame.with_columns(pl.Series("SFZJH", ids)), chinese=True)
    with page_session(server, "xgb") as officer:
        page = officer.get("/ingest", headers=HTML)
        assert page.status_code == 200 and "提交数据文件" in page.text
        r = officer.post(
            "/ingest/upload",
            headers=HTML,
            data={"csrf_token": csrf_field(page.text), "dataset": "student_basic", "encoding": "auto"},
            files={"file": ("学生.csv", content)},
        )
        assert r.status_code == 303, r.text
        batch_url = r.headers["location"]
        detail = officer.get(batch_url, headers=HTML).text
        assert "合格 29 行，隔离 1 行" in detail and "<svg" in detail and "校验位" in detail
        assert "quarantine.xlsx" in detail and 'value="approve"' not in detail  # the uploader cannot review
    with page_session(server, "xgb_rev") as reviewer:
        detail = reviewer.get(batch_url, headers=HTML).text
        # Rejecting without a reason: the form again, the comment as typed, the message beside the reason field.
        r = reviewer.post(
            f"{batch_url}/review",
            headers=HTML,
            data={"csrf_token": csrf_field(detail), "decision": "reject", "comment": "第5行身份证号有误"},
        )
        assert r.status_code == 422
        assert '<textarea id="comment" name="comment" maxlength="2000">第5行身份证号有误</textarea>' in r.text
        assert '<p class="field-error" id="reason-error">驳回须说明理由</p>' in r.text
        assert 'aria-describedby="reason-error"' in r.text and "合格 29 行，隔离 1 行" in r.text
        assert "待单位审核" in reviewer.get(batch_url, headers=HTML).text  # nothing changed
        r = reviewer.post(
            f"{batch_url}/review",
            headers=HTML,
            data={"csrf_token": csrf_field(detail), "decision": "approve", "comment": "已核"},
        )
        assert r.status_code == 303
        assert "待网信办审核" in reviewer.get(batch_url, headers=HTML).text
        quality = reviewer.get("/ingest/quality/student_basic", headers=HTML)
        assert quality.status_code == 200 and quality.text.count("<svg") == 2
        assert "超过更新周期未更新" in quality.text  # nothing approved yet: timeliness is flagged


def test_the_upload_form_shows_a_refusal_in_both_languages(server, world) -> None:
    with page_session(server, "xgb") as officer:
        page = officer.get("/ingest", headers=HTML)
        r = officer.post(
            "/ingest/upload",
            headers=HTML,
            data={"csrf_token": csrf_field(page.text), "dataset": "student_basic", "encoding": "utf-8"},
            files={"file": ("学生.csv", csv_bytes(student_frame(3), encoding="gbk", chinese=True))},
        )
        assert r.status_code == 422
        assert "不是 UTF-8 编码" in r.text and "not UTF-8" in r.text
