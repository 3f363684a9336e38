"""Plain descriptions of a dataset's storage, derived from the catalogue (no ORM objects cross this line)."""

from __future__ import annotations

from dataclasses import dataclass, field

# Element data types whose values are text in storage (validated by the data standards).
TEXT_TYPES = frozenset({"string", "code", "id_number", "mobile", "bank_card", "email", "address", "name"})
# Types worth an equality lookup when encrypted (find a student by ID number): they get a blind index.
LOOKUP_TYPES = frozenset({"id_number", "mobile", "bank_card", "email", "name", "string", "code"})
# Personal information (个人信息, Art. 50-51) by the catalogue's element types: in a dataset whose rows name their
# person by an ID number, values of these types, sensitive PI and the birth date are encrypted under that
# person's own key (crypto-shredding, Art. 35-36), not the dataset's.
PERSONAL_TYPES = frozenset({"name", "id_number", "mobile", "bank_card", "email", "address"})
BIRTH_DATE_CODES = frozenset(
    {"CSRQ"}
)  # 出生日期 in JY/T 1006; a date like 入职日期 is not about the person alone


def is_personal_information(code: str, data_type: str, sensitive: bool) -> bool:
    """Whether the catalogue's element is personal information kept under the person's key (Art. 35, 51)."""
    return sensitive or data_type in PERSONAL_TYPES or code in BIRTH_DATE_CODES


@dataclass(frozen=True)
class ElementSpec:
    """One data element as stored: ``encrypted`` for 重要数据 and sensitive PI (Art. 27-28, 51)."""

    code: str
    name: str
    data_type: str
    max_length: int | None = None
    required: bool = False
    encrypted: bool = False
    code_set: str | None = None
    sensitive_type: str | None = None
    share_category: str = "conditional"
    # 一数一源 (Art. 8(4), 19): the one unit whose values of this element are authoritative; writes of any
    # other unit are refused (docs/data-path.md). None for specs built outside the catalogue.
    source_unit_code: str | None = None
    # Encrypted under the key of the row's person (crypto-shredding, Art. 35-36), not the dataset's key: set
    # for personal information in a dataset whose rows name their person (``DatasetSpec.person_element``).
    personal: bool = False

    @property
    def column(self) -> str:
        return self.code.lower()

    @property
    def blind_index(self) -> bool:
        return self.encrypted and self.data_type in LOOKUP_TYPES

    @property
    def index_column(self) -> str:
        return f"{self.column}__bi"


@dataclass(frozen=True)
class DatasetSpec:
    code: str
    name: str
    owner_unit_code: str
    elements: tuple[ElementSpec, ...]
    # The element naming the unit a row belongs to (YXDM for students, DWDM for staff): scopes rows per unit.
    unit_element: str | None = None
    # The element identifying the person a row is about (SFZJH): per-subject keys and PI counts use it.
    subject_element: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def table_name(self) -> str:
        return f"gd_{self.code.lower()}"

    @property
    def history_table_name(self) -> str:
        return f"gd_{self.code.lower()}__history"

    def element(self, code: str) -> ElementSpec | None:
        for element in self.elements:
            if element.code == code:
                return element
        return None

    @property
    def element_codes(self) -> tuple[str, ...]:
        return tuple(e.code for e in self.elements)

    @property
    def key_element(self) -> ElementSpec | None:
        """The element naming a row (学号, 工号, 资产编号): the first required text element, else the first.
        A load updates the row holding a key already stored; the table holds each key once (unique index)."""
        required = [e for e in self.elements if e.required and e.data_type in ("string", "code")]
        return (required or list(self.elements) or [None])[0]

    @property
    def one_row_per_person(self) -> bool:
        """The catalogue names the row's person by an ID number (subject element SFZJH of 学生/教职工基本信息):
        one person, one row — the table holds each ID number's blind index once."""
        subject = self.element(self.subject_element) if self.subject_element else None
        return subject is not None and subject.data_type == "id_number" and subject is not self.key_element

    @property
    def person_element(self) -> ElementSpec | None:
        """The ID number naming the person a row is about: the subject element when it is one, else the first
        ``id_number`` element. Its subject reference (blind index, purpose ``subject``) is kept in ``_subject``,
        so people are counted once across datasets without decrypting anything (Art. 50)."""
        subject = self.element(self.subject_element) if self.subject_element else None
        if subject is not None and subject.data_type == "id_number":
            return subject
        return next((e for e in self.elements if e.data_type == "id_number"), None)
