"""Classification and grading rules of the catalogue (分类分级, Art. 39, 44, 51, 52, 56).

The grades, share and open categories have fixed meanings the rest of the platform relies on, so they are
constants here (their labels also live in the ``data_grade`` / ``share_category`` / ``open_category`` code sets);
subject areas, natures, update frequencies and sensitive-PI types are checked against the current version of
their code sets, which the office may extend.
"""

from __future__ import annotations

from dataclasses import dataclass

from edudata.catalog.bundled import bundled_code_set


@dataclass(frozen=True)
class Grade:
    """A grade of Art. 52 and the GB/T 43697-2024 level it maps to, so a report to the city can use either."""

    code: str
    label: str
    label_en: str
    gbt43697_level: str
    art52_examples: str


GRADES: dict[str, Grade] = {
    c.value: Grade(
        c.value, c.label, c.label_en, c.attributes["gbt43697_level"], c.attributes["art52_examples"]
    )
    for c in bundled_code_set("data_grade").codes
}
# From most to least protected; an element's grade may be stricter than its dataset's, never looser.
GRADE_ORDER = ("important", "general", "internal", "public")

# Art. 39 / Art. 44: from open to closed.
SHARE_CATEGORIES = ("unconditional", "conditional", "none")
OPEN_CATEGORIES = ("unconditional", "conditional", "none")
SHARE_LABELS = {c.value: (c.label, c.label_en) for c in bundled_code_set("share_category").codes}
OPEN_LABELS = {c.value: (c.label, c.label_en) for c in bundled_code_set("open_category").codes}

DATA_TYPES = (
    "string",
    "integer",
    "decimal",
    "date",
    "code",
    "id_number",
    "mobile",
    "bank_card",
    "email",
    "address",
    "name",
    "boolean",
)
TEXT_TYPES = frozenset({"string", "code", "id_number", "mobile", "bank_card", "email", "address", "name"})
DATA_TYPE_LABELS = {
    "string": ("字符串", "text"),
    "integer": ("整数", "integer"),
    "decimal": ("小数", "decimal"),
    "date": ("日期", "date"),
    "code": ("代码", "code"),
    "id_number": ("身份证件号", "ID number"),
    "mobile": ("手机号码", "mobile number"),
    "bank_card": ("银行卡号", "bank card number"),
    "email": ("电子邮箱", "e-mail"),
    "address": ("地址", "address"),
    "name": ("姓名", "person name"),
    "boolean": ("是否", "yes/no"),
}

# Art. 52's examples as defaults: a dataset of this nature gets this grade unless the office says otherwise
# (students' and staff's personal information → 重要数据, after 学工系统、教务系统、教职工薪酬).
DEFAULT_GRADE_BY_NATURE = {
    c.value: c.attributes["default_grade"] for c in bundled_code_set("data_nature").codes
}
# Subject area → prefix of an element's default standard code (``student.SFZJH``).
STANDARD_PREFIX = {c.value: c.attributes["standard_prefix"] for c in bundled_code_set("subject_area").codes}


def stricter_grade(a: str, b: str) -> str:
    return a if GRADE_ORDER.index(a) <= GRADE_ORDER.index(b) else b


def share_rank(category: str) -> int:
    return SHARE_CATEGORIES.index(category)


def default_grade(nature: str) -> str:
    return DEFAULT_GRADE_BY_NATURE.get(nature, "general")


def may_open_unconditionally(grade: str, sensitive: bool) -> bool:
    """Art. 56: 个人隐私 and important data are never opened to everyone; conditional opening needs review."""
    return grade not in ("important",) and not sensitive
