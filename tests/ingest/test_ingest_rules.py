"""Each rule type on messy real-world input, through the vectorised pipeline itself (no database needed)."""

from __future__ import annotations

import polars as pl
import pytest

from edudata.ingest import rules
from edudata.ingest.rules import CheckContext, RuleSpec, default_cross_rules
from edudata.ingest.validate import run
from edudata.store.spec import DatasetSpec, ElementSpec
from support.students import id_number

SPEC = DatasetSpec(
    code="people",
    name="测试人员",
    owner_unit_code="0104",
    elements=(
        ElementSpec("XH", "学号", "string", max_length=12, required=True),
        ElementSpec("XM", "姓名", "name", max_length=50, required=True),
        ElementSpec("XBM", "性别码", "code", code_set="gender", required=True),
        ElementSpec(
            "SFZJH",
            "身份证件号",
            "id_number",
            max_length=18,
            required=True,
            encrypted=True,
            sensitive_type="id",
        ),
        ElementSpec("CSRQ", "出生日期", "date"),
        ElementSpec("YXDM", "院系代码", "string", max_length=16),
        ElementSpec("NJ", "年级", "integer"),
        ElementSpec("SJHM", "手机号码", "mobile", max_length=11),
    ),
    unit_element="YXDM",
)


def person(i: int, **over: str) -> dict:
    row = {
        "XH": f"2023020{i:05d}", "XM": "张伟", "XBM": "1", "SFZJH": id_number(100 + 2 * i + 1), "CSRQ": "2003-05-01",
        "YXDM": "0201", "NJ": "2023", "SJHM": f"1380013{i:04d}",
    }  # fmt: skip
    row.update(over)
    return row


def check(rows: list[dict], extra: list[RuleSpec] | None = None, registered: list | None = None):  # noqa: ANN201
    frame = pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String)).with_row_index("_row", offset=2)
    frame = frame.with_columns(pl.col("_row").cast(pl.Int64))
    ctx = CheckContext(
        SPEC, "0104", {"gender": {"0", "1", "2", "9"}}, {"0201", "0202"}, ("XH", "SFZJH"), "XH",
        default_cross_rules(SPEC) + (extra or []),
    )  # fmt: skip
    return run(frame, ctx, checks=registered or [])  # other domains' checks are tested in their own tests


def reasons(outcome, row: int = 2) -> set[tuple[str, str]]:  # noqa: ANN001
    return {
        (r["element"], r["code"])
        for r in outcome.failures.filter(pl.col("_row") == row).iter_rows(named=True)
    }


@pytest.mark.parametrize(
    "typed", ["2003-05-01", "2003/5/1", "2003.5.1", "2003年5月1日", "20030501", "37742", " 2003-5-1 "]
)
def test_dates_in_the_forms_people_type_are_normalised_to_iso(typed: str) -> None:
    outcome = check([person(1, CSRQ=typed)])
    assert outcome.failures.height == 0
    assert outcome.good.get_column("CSRQ").to_list() == ["2003-05-01"]


def test_changed_dates_are_reported_as_normalised() -> None:
    outcome = check([person(1, CSRQ="2003/5/1"), person(2, CSRQ="2003-05-01")])
    assert outcome.normalised["CSRQ"]["changed"] == 1


@pytest.mark.parametrize(
    ("typed", "code"), [("2003-02-30", "bad_date"), ("五月一日", "bad_format"), ("1234", "bad_format")]
)
def test_impossible_or_unreadable_dates_are_quarantined(typed: str, code: str) -> None:
    assert ("CSRQ", code) in reasons(check([person(1, CSRQ=typed)]))


def test_full_width_digits_and_stray_spaces_are_normalised_and_reported() -> None:
    wide = id_number(103).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    outcome = check([person(1, SFZJH=f" {wide}\u3000", SJHM="138 0013 0001", NJ="２０２３")])
    assert outcome.failures.height == 0
    good = outcome.good.row(0, named=True)
    assert (good["SFZJH"], good["SJHM"], good["NJ"]) == (id_number(103), "13800130001", "2023")
    assert outcome.normalised["SFZJH"]["fullwidth"] == 1 and outcome.normalised["SFZJH"]["whitespace"] == 1


def test_a_wrong_gb11643_check_digit_is_quarantined_with_a_bilingual_reason() -> None:
    good = id_number(105)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    outcome = check([person(1, SFZJH=wrong)])
    row = outcome.failures.row(0, named=True)
    assert (row["element"], row["code"]) == ("SFZJH", "bad_check_digit")
    assert "校验位" in row["message_zh"] and "check digit" in row["message_en"]
    assert wrong not in row["value_shown"]  # a sensitive value is shown masked


def test_a_missing_required_value_fails_completeness() -> None:
    outcome = check([person(1, XM="  ")])
    assert ("XM", "empty") in reasons(outcome)
    assert outcome.summary["completeness"]["XM"] == 0.0


def test_a_code_outside_its_code_set_is_quarantined() -> None:
    assert ("XBM", "not_in_code_set") in reasons(check([person(1, XBM="3")]))


def test_a_repeated_student_number_quarantines_the_later_row_only() -> None:
    outcome = check([person(1), person(2, XH="202302000001")])
    assert outcome.good.get_column("_row").to_list() == [2]
    assert reasons(outcome, 3) == {("XH", "duplicate_in_batch")}


def test_a_number_already_used_by_another_stored_record_is_a_duplicate() -> None:
    rows = [person(1), person(2)]
    frame = pl.DataFrame(rows).with_row_index("_row", offset=2).with_columns(pl.col("_row").cast(pl.Int64))
    stored = {rows[0]["SFZJH"]: "other-student", rows[1]["SFZJH"]: rows[1]["XH"]}
    ctx = CheckContext(
        SPEC, "0104", {"gender": {"1", "2"}}, {"0201"}, ("XH", "SFZJH"), "XH", existing={"SFZJH": stored}
    )
    outcome = run(frame, ctx, checks=[])
    assert reasons(outcome, 2) == {("SFZJH", "duplicate_in_store")}
    assert reasons(outcome, 3) == set()  # the same person's own record: an update, not a duplicate


def test_a_unit_that_does_not_exist_breaks_referential_integrity() -> None:
    row = check([person(1, YXDM="0299")]).failures.row(0, named=True)
    assert (row["element"], row["code"]) == ("YXDM", "unknown_unit") and "Art. 22" in row["message_en"]


def test_birth_date_must_equal_digits_7_to_14_of_the_id_number() -> None:
    outcome = check([person(1, CSRQ="2003-05-02")])
    assert ("CSRQ", "birth_date_mismatch") in reasons(outcome)


def test_gender_must_match_the_parity_of_the_id_number() -> None:
    assert ("XBM", "gender_mismatch") in reasons(check([person(1, XBM="2")]))


def test_office_rules_regex_range_and_allowed_values() -> None:
    extra = [
        RuleSpec(1, "XH", "regex", {"pattern": "^2023"}, "学号须以 2023 开头", "must start with 2023"),
        RuleSpec(2, "NJ", "range", {"min": 2015, "max": 2025}),
        RuleSpec(3, "YXDM", "allowed", {"values": ["0201"]}),
    ]
    outcome = check([person(1), person(2, XH="202202000002", NJ="2030", YXDM="0202")], extra)
    assert reasons(outcome, 2) == set()
    assert reasons(outcome, 3) == {("XH", "regex_mismatch"), ("NJ", "out_of_range"), ("YXDM", "not_allowed")}
    messages = outcome.failures.filter(pl.col("element") == "XH").get_column("message_zh").to_list()
    assert messages == ["学号：学号须以 2023 开头"]


def test_each_failed_rule_of_a_row_is_its_own_reason() -> None:
    outcome = check([person(1, XBM="7", SJHM="123", CSRQ="2003-13-01")])
    assert reasons(outcome) == {("XBM", "not_in_code_set"), ("SJHM", "bad_length"), ("CSRQ", "bad_date")}
    assert outcome.quarantined.height == 1 and outcome.good.height == 0


def test_a_batch_with_ten_percent_bad_rows_keeps_exactly_the_ninety_percent_good() -> None:
    rows = [person(i) for i in range(200)]
    bad = set(range(0, 200, 10))
    for i in bad:
        rows[i]["SFZJH"] = rows[i]["SFZJH"][:17] + ("0" if rows[i]["SFZJH"][17] != "0" else "1")
    outcome = check(rows)
    assert outcome.good.height == 180 and outcome.quarantined.height == 20
    assert set(outcome.quarantined.get_column("_row").to_list()) == {i + 2 for i in bad}
    assert set(outcome.good.get_column("XH").to_list()) == {rows[i]["XH"] for i in range(200) if i not in bad}


def test_a_registered_check_of_another_domain_can_quarantine_rows_or_drop_values() -> None:
    def no_consent(frame: pl.DataFrame, ctx: CheckContext) -> pl.DataFrame:
        hit = frame.filter(pl.col("XH").str.ends_with("1"))
        return hit.select(
            "_row",
            element=pl.lit("SJHM"),
            message_zh=pl.lit("未同意"),
            message_en=pl.lit("no consent"),
            action=pl.lit("drop_value"),
        )

    def blocked(frame: pl.DataFrame, ctx: CheckContext) -> pl.DataFrame:
        return frame.filter(pl.col("XH").str.ends_with("2")).select(
            "_row", element=pl.lit("XH"), message_zh=pl.lit("已封存"), message_en=pl.lit("blocked")
        )

    rules.register_check("test_consent", no_consent, datasets=["people"])
    rules.register_check("test_blocked", blocked)
    try:
        mine = [(n, fn) for n, fn in rules.registered_checks("people") if n.startswith("test_")]
        assert [n for n, _ in mine] == ["test_consent", "test_blocked"]
        assert "test_consent" not in {n for n, _ in rules.registered_checks("other")}
        outcome = check([person(1), person(2), person(3)], registered=mine)
    finally:
        rules.unregister_check("test_consent")
        rules.unregister_check("test_blocked")
    good = {r["XH"]: r for r in outcome.good.iter_rows(named=True)}
    assert set(good) == {"202302000001", "202302000003"}
    assert good["202302000001"]["SJHM"] is None and good["202302000003"]["SJHM"] == "13800130003"
    assert ("XH", "test_blocked") in reasons(outcome, 3)


def test_the_batch_id_check_agrees_with_the_scalar_validator_for_every_check_character() -> None:
    """Every last character 0-9 and X on each of 300 numbers: the vectorised MOD 11-2 and GB 11643's scalar
    check give the same verdict (only one of the eleven is right for each number)."""
    from edudata.catalog.validators import check_id_number
    from edudata.synth.people import students

    bases = [n[:17] for n in students(300, seed=11).get_column("SFZJH").to_list()]
    numbers = [b + c for b in bases for c in "0123456789X"]
    frame = pl.DataFrame({"v": numbers})
    codes = frame.select(rules.id_number_error_expr(pl.col("v"))).to_series().to_list()
    scalar = [None if check_id_number(n).ok else check_id_number(n).error_code for n in numbers]
    assert codes == scalar
    assert codes.count(None) == len(bases)
