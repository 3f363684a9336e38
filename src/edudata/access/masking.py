"""Masking (脱敏) of governed data on its way out (Art. 42, 54), vectorised over Polars columns.

A *masking profile* is a named function ``pl.Expr -> pl.Expr`` (``id_number``, ``name``, ``mobile`` …); the data
path looks profiles up by name through :func:`apply_masking`. Rules every profile keeps:

- null stays null and an empty string stays empty (nothing to hide, and "missing" must still read as missing);
- a value the profile cannot parse is replaced by stars of its length — a malformed value is never passed
  through, so masking fails closed. Only white space at the ends is trimmed: values were normalised at ingest,
  so a full-width digit or a ``+86`` prefix still present counts as malformed;
- an unknown profile name is refused (:class:`~edudata.errors.ValidationFailed`), never treated as "no masking".

Conventions differ between products (STANDARDS.md: ID first 6 + last 4 or first 1 + last 2; bank card last 4
or first 4 + last 4), so both are registered and a :class:`MaskingProfile` set maps each element type to the
profile the office chose; :data:`OFFICE_DEFAULT` is the default. ``birth_date`` generalises to the year, as
text (``"2003"``): a date cut to 1 January would look like a real birthday.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import polars as pl

from edudata.catalog import patterns as p
from edudata.errors import ValidationFailed

MaskFn = Callable[[pl.Expr], pl.Expr]

# 复姓 (compound surnames): the name profile keeps both characters of these.
COMPOUND_SURNAMES: tuple[str, ...] = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "慕容", "尉迟", "公孙", "司徒", "夏侯", "端木",
    "长孙", "宇文", "轩辕", "南宫", "独孤", "呼延", "澹台", "申屠", "太史", "万俟", "闻人", "赫连", "西门",
)  # fmt: skip

PROFILES: dict[str, MaskFn] = {}
KEYED_PROFILES: dict[str, Callable[[bytes], MaskFn]] = {}
PSEUDONYM_LENGTH = 16  # hex characters of HMAC-SHA256 kept: 64 bits, collisions negligible below 10^8 values


def register_profile(name: str) -> Callable[[MaskFn], MaskFn]:
    """Register a masking profile under ``name`` (decorator); other domains may add their own."""

    def add(fn: MaskFn) -> MaskFn:
        PROFILES[name] = fn
        return fn

    return add


def stars(length: pl.Expr | int) -> pl.Expr:
    """``length`` asterisks (0 or more)."""
    return pl.lit("").str.pad_end(length, "*")


def _text(value: pl.Expr) -> pl.Expr:
    return value.cast(pl.String)


def _trim(value: pl.Expr) -> pl.Expr:
    """Stray white space at either end removed. Nothing else is normalised: stored values were normalised at
    ingest (full-width digits, inner spaces), so anything still irregular is treated as malformed → stars."""
    return _text(value).str.strip_chars(p.WHITESPACE_CHARS)


def _hide_all(value: pl.Expr) -> pl.Expr:
    return stars(_text(value).str.len_chars())


def _keep_ends(value: pl.Expr, clean: pl.Expr, valid: pl.Expr, head: int, tail: int) -> pl.Expr:
    """First ``head`` and last ``tail`` characters of a well-formed value, stars between; else all stars."""
    n = clean.str.len_chars()
    kept = pl.concat_str(clean.str.slice(0, head), stars(n - head - tail), clean.str.tail(tail))
    return pl.when(valid).then(kept).otherwise(_hide_all(value))


def _id(value: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    clean = _trim(value)
    return clean, clean.str.contains(r"^(?:[0-9]{17}[0-9Xx]|[0-9]{15})$")


@register_profile("id_number")
def mask_id_number(value: pl.Expr) -> pl.Expr:
    """公民身份号码: first 6 (region) and last 4 kept — 18 digits → 6 + 8* + 4, a 15-digit legacy number
    → 6 + 5* + 4; anything else (passport numbers, typos, short values) → all stars."""
    clean, valid = _id(value)
    return _keep_ends(value, clean, valid, 6, 4)


@register_profile("id_number_1_2")
def mask_id_number_1_2(value: pl.Expr) -> pl.Expr:
    """The stricter convention: first 1 and last 2 characters of a well-formed ID number."""
    clean, valid = _id(value)
    return _keep_ends(value, clean, valid, 1, 2)


@register_profile("name")
def mask_name(value: pl.Expr) -> pl.Expr:
    """姓名: the surname and a star per remaining character (张三丰 → 张**); a compound surname keeps both
    characters (欧阳娜娜 → 欧阳**) when a given name follows; a one-character name → *."""
    name = _text(value).str.strip_chars(p.WHITESPACE_CHARS)
    n = name.str.len_chars()
    compound = name.str.slice(0, 2).is_in(list(COMPOUND_SURNAMES)) & (n >= 3)
    keep = pl.when(n <= 1).then(0).when(compound).then(2).otherwise(1)
    return name.str.slice(0, keep) + stars(n - keep)


@register_profile("mobile")
def mask_mobile(value: pl.Expr) -> pl.Expr:
    """手机号码: 3 + **** + 4 (138****1234); any other form (+86 prefixes, dashes, typos) → stars."""
    number = _trim(value)
    return _keep_ends(value, number, number.str.contains(p.MOBILE_RE), 3, 4)


def _card(value: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    number = _trim(value)
    return number, number.str.contains(r"^[0-9]{12,19}$")


@register_profile("bank_card")
def mask_bank_card(value: pl.Expr) -> pl.Expr:
    """银行卡号 (a financial account, Art. 51): stars and the last 4 digits; malformed → stars."""
    number, valid = _card(value)
    return _keep_ends(value, number, valid, 0, 4)


@register_profile("bank_card_4_4")
def mask_bank_card_4_4(value: pl.Expr) -> pl.Expr:
    """The other common convention: first 4 and last 4 digits of a bank card."""
    number, valid = _card(value)
    return _keep_ends(value, number, valid, 4, 4)


@register_profile("email")
def mask_email(value: pl.Expr) -> pl.Expr:
    """电子邮箱: first character + *** + @domain (z***@stu.tjufe.edu.cn); not an address → stars."""
    email = _text(value).str.strip_chars(p.WHITESPACE_CHARS)
    parts = email.str.extract_groups(r"^([^@\s])[^@\s]*@([^@\s]+\.[^@\s]+)$")
    local, domain = parts.struct.field("1"), parts.struct.field("2")
    return pl.when(local.is_not_null()).then(local + pl.lit("***@") + domain).otherwise(_hide_all(value))


# Province (…省 / …自治区 / …特别行政区), prefecture (…市 / …自治州 / …地区 / …盟), county (…区 / …县 / …市 / …旗).
# A level may be missing (天津市河西区 has no province part). A place name may begin with 路 (唐山市路南区) but
# holds no street word, number or further level inside, so streets and 小区 never pass for a county.
ADDRESS_LEVEL_RE = "[^省市区县街巷号弄0-9０-９][^省市区县路街巷号弄0-9０-９]{0,8}?"
_PROVINCE = f"(?:{ADDRESS_LEVEL_RE}(?:省|自治区|特别行政区))?"
_CITY = f"(?:{ADDRESS_LEVEL_RE}(?:市|自治州|地区|盟))?"
_COUNTY = (
    "(?:[^省区县街巷号弄0-9０-９][^省区县路街巷号弄0-9０-９]{0,8}?(?:旗区|区|县|市|旗))?"  # 红旗区 before 旗
)
ADDRESS_DISTRICT_RE = f"^{_PROVINCE}{_CITY}{_COUNTY}"


@register_profile("address")
def mask_address(value: pl.Expr) -> pl.Expr:
    """地址: kept down to the county level (天津市河西区友谊路35号 → 天津市河西区), the rest dropped; an address
    in which no level can be recognised → stars."""
    address = _trim(value)
    kept = address.str.extract(f"({ADDRESS_DISTRICT_RE})", 1)
    return pl.when(kept.str.len_chars() > 0).then(kept).otherwise(_hide_all(value))


@register_profile("birth_date")
def mask_birth_date(value: pl.Expr) -> pl.Expr:
    """出生日期 generalised to the year, as text: 2003-05-01, 2003/5/1, 20030501, 2003年5月1日 → "2003";
    a Date column likewise; anything else → stars."""
    text = _trim(value)
    year = text.str.extract(r"^([12][0-9]{3})(?:[-/.年]|[0-9]{4}(?:$|[ T])|$)", 1)
    return pl.when(year.is_not_null()).then(year).otherwise(_hide_all(value))


@register_profile("suppress")
def suppress(value: pl.Expr) -> pl.Expr:
    """隐藏: the element is delivered as null (its column stays, so the shape of the data is kept)."""
    return pl.when(pl.lit(False)).then(value)


@register_profile("none")
def clear(value: pl.Expr) -> pl.Expr:
    """No masking (明文): for elements a grant explicitly gives in the clear."""
    return value


def pseudonym_normal_form(value: pl.Expr) -> pl.Expr:
    """The form hashed for a pseudonym: trimmed, full-width made ASCII, upper-case (so 11010…x = 11010…X)."""
    return (
        _text(value)
        .str.strip_chars(p.WHITESPACE_CHARS)
        .str.replace_many(list(p.FULLWIDTH_FROM), list(p.FULLWIDTH_TO))
        .str.to_uppercase()
    )


def _hmac_states(key: bytes) -> tuple[hashlib._Hash, hashlib._Hash]:
    """HMAC-SHA256 (RFC 2104) with its keyed inner and outer states computed once: each value then costs two
    hash copies instead of a fresh key schedule, about twice as fast as ``hmac.digest`` per value."""
    block = 64
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    return (
        hashlib.sha256(bytes(b ^ 0x36 for b in key)),
        hashlib.sha256(bytes(b ^ 0x5C for b in key)),
    )


def pseudonym(key: bytes) -> MaskFn:
    """假名化 (GB/T 37964 pseudonymisation): HMAC-SHA256 of the normalised value under ``key``, 16 hex
    characters. The same key gives the same pseudonym, so records still join; another key (another grant)
    gives unlinkable ones; without the key the value cannot be recovered or confirmed by guessing."""
    if not isinstance(key, bytes | bytearray) or len(key) < 16:
        raise ValidationFailed("假名化密钥至少 16 字节", "a pseudonym key must be at least 16 bytes")
    inner, outer = _hmac_states(bytes(key))
    half = PSEUDONYM_LENGTH // 2

    def one(data: bytes) -> str:
        i = inner.copy()
        i.update(data)
        o = outer.copy()
        o.update(i.digest())
        return o.digest()[:half].hex()

    def batch(values: pl.Series) -> pl.Series:
        out = [None if v is None else one(v.encode()) for v in values.to_list()]
        return pl.Series(values.name, out, dtype=pl.String)

    def mask(value: pl.Expr) -> pl.Expr:
        return pseudonym_normal_form(value).map_batches(batch, return_dtype=pl.String)

    return mask


KEYED_PROFILES["pseudonym"] = pseudonym


def profile_names() -> list[str]:
    return sorted([*PROFILES, *KEYED_PROFILES])


def masking_expr(column: str, profile: str, *, pseudonym_key: bytes | None = None) -> pl.Expr:
    """The expression masking ``column`` with ``profile``; null and empty values pass unchanged."""
    if profile == "none":
        return pl.col(column)
    if profile in KEYED_PROFILES:
        if pseudonym_key is None:
            raise ValidationFailed(
                f"元素 {column} 的脱敏方式“{profile}”需要密钥", f"masking {column} as {profile} needs a key"
            )
        fn = KEYED_PROFILES[profile](pseudonym_key)
    elif profile in PROFILES:
        fn = PROFILES[profile]
    else:
        raise ValidationFailed(
            f"未知的脱敏方式“{profile}”（元素 {column}）；可用：{', '.join(profile_names())}",
            f"unknown masking profile {profile!r} for {column}; known: {', '.join(profile_names())}",
            field="masking",
        )
    if profile == "suppress":
        return fn(pl.col(column)).alias(column)
    text = pl.col(column).cast(pl.String)
    return (
        pl.when(text.is_null())
        .then(pl.lit(None, dtype=pl.String))
        .when(text == "")
        .then(pl.lit(""))
        .otherwise(fn(pl.col(column)))
        .alias(column)
    )


def apply_masking(
    df: pl.DataFrame, profiles: Mapping[str, str], *, pseudonym_key: bytes | None = None
) -> pl.DataFrame:
    """Mask each column named in ``profiles`` (column → profile name) in one vectorised pass (Art. 54).

    Columns not in ``df`` are ignored (a caller may pass a grant's whole mapping for a narrower query); every
    profile name is checked first, so an unknown one refuses the whole call rather than leak one column.
    """
    exprs = [
        masking_expr(column, profile, pseudonym_key=pseudonym_key)
        for column, profile in profiles.items()
        if column in df.columns or _check(profile)
    ]
    return df.with_columns(exprs) if exprs else df


def _check(profile: str) -> bool:
    """Refuse an unknown profile even for a column that is absent (a typo must not pass unnoticed)."""
    if profile not in PROFILES and profile not in KEYED_PROFILES:
        masking_expr("_", profile)
    return False


@dataclass(frozen=True)
class MaskingProfile:
    """A masking profile set (脱敏策略): element type → profile name, ``fallback`` for sensitive elements of
    any other type. The office keeps one as default (Art. 54); a grant may name another per element."""

    name: str
    by_type: Mapping[str, str] = field(default_factory=dict)
    fallback: str = "suppress"

    def __post_init__(self) -> None:
        for profile in [*self.by_type.values(), self.fallback]:
            _check(profile)

    def profile_for(self, element_type: str | None) -> str:
        return self.by_type.get(element_type or "", self.fallback)

    def for_columns(self, element_types: Mapping[str, str | None]) -> dict[str, str]:
        """Column → profile name for columns of the given element types (pass only those to be masked)."""
        return {column: self.profile_for(t) for column, t in element_types.items()}


OFFICE_DEFAULT = MaskingProfile(
    "office_default",
    {
        "id_number": "id_number",
        "name": "name",
        "mobile": "mobile",
        "bank_card": "bank_card",
        "email": "email",
        "address": "address",
    },
)
# For third-party analysis (Art. 42: de-identified data only): direct identifiers become pseudonyms or go.
RESEARCH = MaskingProfile(
    "research",
    {
        "id_number": "pseudonym",
        "name": "suppress",
        "mobile": "suppress",
        "bank_card": "suppress",
        "email": "suppress",
        "address": "address",
        "date": "birth_date",
    },
)
STRICT = MaskingProfile(
    "strict",
    {**OFFICE_DEFAULT.by_type, "id_number": "id_number_1_2", "bank_card": "bank_card", "address": "suppress"},
)
