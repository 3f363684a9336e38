"""Words for the batch page (a data officer reads names, not ids): rules and elements in Chinese and English.

Element codes and rule ids stay available on hover (``title``), so the office can still find them in the API.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from edudata.store.spec import DatasetSpec

_TYPES = {
    "id_number": ("身份证件号", "ID number"), "mobile": ("手机号码", "mobile number"), "date": ("日期", "date"),
    "integer": ("整数", "integer"), "decimal": ("数值", "number"), "boolean": ("是/否", "yes/no"),
    "email": ("电子邮箱", "e-mail"), "bank_card": ("银行卡号", "bank card"), "name": ("姓名", "name"),
    "code": ("代码", "code"), "string": ("文本", "text"), "address": ("地址", "address"),
}  # fmt: skip
_FIXED = {
    "required": ("必填项不能为空", "required value present"),
    "max_length": ("长度不超过上限", "within the maximum length"),
    "unique": ("本批次内不重复（一人一号）", "unique within the batch"),
    "unique_store": ("不与权威库中其他记录重复", "unique against the store"),
    "unit_exists": ("单位代码须为本校现有单位（第二十二条）", "an existing unit (Art. 22)"),
    "excel": ("Excel 损坏的标识类数据（数字单元格、科学计数法）", "identifier damaged by Excel"),
    "identity": ("同一学号/工号不能属于不同的人", "one key, one person"),
    "privacy.sensitive_assessment": (
        "敏感个人信息未经论证和集体决策，不予采集（第五十一条）",
        "sensitive PI not collected before assessment (Art. 51)",
    ),
    "privacy.consent": (
        "敏感个人信息须取得本人单独同意（第五十一条）",
        "separate consent for sensitive PI (Art. 51)",
    ),
}
_CROSS = {
    "id_birth_date": ("出生日期须与身份证件号一致", "birth date agrees with the ID number"),
    "id_gender": ("性别须与身份证件号一致", "gender agrees with the ID number"),
}
_KINDS = {
    "regex": ("格式规则", "pattern rule"), "range": ("取值范围规则", "range rule"),
    "allowed": ("允许取值规则", "allowed-values rule"), "width": ("定长规则", "fixed-width rule"),
}  # fmt: skip


def rule_label(rule: str, rules: Sequence[Any] = ()) -> tuple[str, str]:
    """A rule id (``type:id_number``, ``rule:3``, ``privacy.consent``) in words."""
    if rule in _FIXED:
        return _FIXED[rule]
    if rule.startswith("type:"):
        zh, en = _TYPES.get(rule[5:], (rule[5:], rule[5:]))
        return f"符合{zh}的数据标准", f"a valid {en}"
    if rule.startswith("code_set:"):
        return f"取值须在代码集 {rule[9:]} 中", f"a code of code set {rule[9:]}"
    if rule.startswith("rule:"):
        rid = rule[5:]
        for r in rules:
            if str(getattr(r, "id", "")) == rid:
                if r.kind == "cross_field":
                    return _CROSS.get(str(r.params.get("check")), ("跨字段规则", "cross-field rule"))
                if r.message_zh or r.message_en:
                    return r.message_zh or r.message_en, r.message_en or r.message_zh
                zh, en = _KINDS.get(r.kind, ("自定义规则", "office rule"))
                return f"{zh}（网信办规则 {rid}）", f"{en} (office rule {rid})"
        if rid == "0":
            return "出生日期、性别须与身份证件号一致", "birth date and gender agree with the ID number"
        return f"网信办规则 {rid}", f"office rule {rid}"
    return rule, rule


def element_label(spec: DatasetSpec, code: str) -> str:
    element = spec.element(code)
    return element.name if element else code
