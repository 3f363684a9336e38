"""The data resource catalogue (数据资源目录, Art. 39, 52): create and change datasets and their elements.

Writing is the office's job (Art. 8(1)(4), 39: 网信办 … 对学校数据进行分类定级，编制数据资源目录); routes check
the role, these functions check the content: codes and names, grades and categories, code sets, Art. 56 (no
unconditional opening of important data or personal privacy) and 一数一源 (:mod:`edudata.catalog.sources`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from edudata.catalog import classification as cls
from edudata.catalog.codesets import get_code_set, member_values
from edudata.catalog.frequency import resolve_frequency
from edudata.catalog.inputs import (
    DATASET_CODE,
    ELEMENT_CODE,
    STANDARD_CODE,
    clean_code,
    clean_name,
    clean_text,
)
from edudata.catalog.models import DataElement, Dataset
from edudata.catalog.sources import ensure_source, registered_source, second_source_refused
from edudata.catalog.units import unit_by_code
from edudata.db import utcnow
from edudata.errors import Conflict, NotFound, ValidationFailed

DATASET_FIELDS = frozenset(
    {
        "name", "name_en", "description", "owner_unit_code", "subject_area", "nature", "grade",
        "share_category", "open_category", "update_frequency", "unit_element", "subject_element",
    }
)  # fmt: skip
ELEMENT_FIELDS = frozenset(
    {
        "code", "name", "name_en", "description", "data_type", "code_set", "required", "max_length", "grade",
        "share_category", "sensitive", "sensitive_type", "standard_code", "source_unit_code",
    }
)  # fmt: skip
MAX_TEXT_LENGTH = 4000
ART56_ZH = "《教育数据管理办法》第五十六条"


def _unknown_fields(given: Iterable[str], allowed: frozenset[str]) -> None:
    extra = sorted(set(given) - allowed)
    if extra:
        raise ValidationFailed(
            f"不允许的字段：{', '.join(extra)}", f"unknown fields: {', '.join(extra)}", field=extra[0]
        )


def _one_of(value: Any, allowed: Iterable[str], field: str) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValidationFailed(
            f"{field}：取值应为 {' / '.join(allowed)} 之一",
            f"{field}: must be one of {' / '.join(allowed)}",
            field=field,
        )
    return str(value)


def get_dataset(session: Session, code: str) -> Dataset:
    """A dataset with its elements (and their code sets) loaded."""
    found = session.scalar(
        select(Dataset)
        .where(Dataset.code == code)
        .options(selectinload(Dataset.elements).selectinload(DataElement.code_set))
    )
    if found is None:
        raise NotFound(f"数据集 {code} 不存在", f"dataset {code} does not exist", field="code")
    return found


def get_element(dataset: Dataset, code: str) -> DataElement:
    for element in dataset.elements:
        if element.code == code:
            return element
    raise NotFound(
        f"数据集 {dataset.code} 中没有数据项 {code}",
        f"dataset {dataset.code} has no element {code}",
        field="code",
    )


def _dataset_values(session: Session, values: Mapping[str, Any], current: Dataset | None) -> dict[str, Any]:
    """Checked dataset attributes (only those given, plus defaults when creating)."""
    out: dict[str, Any] = {}
    creating = current is None
    if creating or "name" in values:
        out["name"] = clean_name(values.get("name"), "name", max_length=100)
    if "name_en" in values:
        out["name_en"] = clean_name(values.get("name_en"), "name_en", max_length=200, required=False)
    if "description" in values:
        out["description"] = clean_text(values.get("description"), "description", max_length=2000)
    if creating or "owner_unit_code" in values:
        out["owner_unit_id"] = unit_by_code(session, values.get("owner_unit_code"), "owner_unit_code").id
    if creating or "subject_area" in values:
        out["subject_area"] = _one_of(
            values.get("subject_area"), member_values(session, "subject_area"), "subject_area"
        )
    if creating or "nature" in values:
        out["nature"] = _one_of(values.get("nature"), member_values(session, "data_nature"), "nature")
    if creating or values.get("grade") is not None:
        grade = values.get("grade") or cls.default_grade(out["nature"])
        out["grade"] = _one_of(grade, cls.GRADE_ORDER, "grade")
    if creating or values.get("share_category") is not None:
        share = values.get("share_category") or "conditional"
        out["share_category"] = _one_of(share, cls.SHARE_CATEGORIES, "share_category")
    if creating or values.get("open_category") is not None:
        opened = values.get("open_category") or "none"
        out["open_category"] = _one_of(opened, cls.OPEN_CATEGORIES, "open_category")
    if creating or values.get("update_frequency") is not None:
        out["update_frequency"], out["sync_interval_seconds"] = resolve_frequency(
            session, values.get("update_frequency")
        )
    for key in ("unit_element", "subject_element"):
        if key in values:
            given = values.get(key)
            out[key] = clean_code(given, key, ELEMENT_CODE, max_length=32, hint="大写字母") if given else None
    return out


def _check_open_category(dataset: Dataset) -> None:
    """Art. 56: important data and personal privacy are never opened unconditionally."""
    if dataset.open_category != "unconditional":
        return
    offending = [e for e in dataset.elements if e.sensitive or e.grade == "important"]
    if dataset.grade == "important" or offending:
        what = "、".join(e.name for e in offending) or "重要数据"
        what_en = ", ".join(e.code for e in offending) or "important data"
        raise ValidationFailed(
            f"open_category：含{what}的数据集不得无条件开放（{ART56_ZH}：涉及个人隐私等的教育数据不得对外开放；"
            "确需开放的须审查后有条件开放）",
            f"open_category: a dataset holding {what_en} cannot be open unconditionally (Art. 56: data touching "
            "personal privacy is not opened; where opening is needed it is conditional, after review)",
            field="open_category",
        )


def _check_key_elements(dataset: Dataset) -> None:
    codes = {e.code for e in dataset.elements}
    for key in ("unit_element", "subject_element"):
        value = getattr(dataset, key)
        if value and value not in codes:
            raise ValidationFailed(
                f"{key}：数据集中没有数据项 {value}", f"{key}: the dataset has no element {value}", field=key
            )


def _flush(session: Session) -> None:
    """Flush, turning a race lost to another writer (same code, same standard code) into a 409."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "与同时提交的修改冲突（代码重复或一数一源），请刷新后重试",
            "conflicts with a concurrent change (duplicate code or a second source); reload and retry",
        ) from exc


def create_dataset(
    session: Session,
    *,
    code: str,
    name: str,
    owner_unit_code: str,
    subject_area: str,
    nature: str,
    grade: str | None = None,
    share_category: str | None = None,
    open_category: str | None = None,
    update_frequency: str | None = None,
    name_en: str = "",
    description: str = "",
    unit_element: str | None = None,
    subject_element: str | None = None,
    elements: Iterable[Mapping[str, Any]] = (),
    created_by: str | None = None,
) -> Dataset:
    """Catalogue a dataset and (optionally) its elements in one step; ``grade`` defaults by nature (Art. 52)."""
    code = clean_code(code, "code", DATASET_CODE, max_length=48, hint="小写字母、数字、下划线")
    if session.scalar(select(Dataset.id).where(Dataset.code == code)) is not None:
        raise Conflict(f"数据集代码 {code} 已存在", f"dataset code {code} already exists", field="code")
    values = _dataset_values(
        session,
        {
            "name": name, "name_en": name_en, "description": description, "owner_unit_code": owner_unit_code,
            "subject_area": subject_area, "nature": nature, "grade": grade, "share_category": share_category,
            "open_category": open_category, "update_frequency": update_frequency, "unit_element": unit_element,
            "subject_element": subject_element,
        },
        None,
    )  # fmt: skip
    now = utcnow()
    dataset = Dataset(
        code=code, created_by=created_by, updated_by=created_by, created_at=now, updated_at=now, **values
    )
    session.add(dataset)
    _flush(session)
    for spec in elements:
        add_element(session, dataset, spec, created_by=created_by, check_dataset=False)
    _check_open_category(dataset)
    _check_key_elements(dataset)
    _flush(session)
    return dataset


def update_dataset(
    session: Session, code: str, changes: Mapping[str, Any], *, updated_by: str | None = None
) -> Dataset:
    """Change a dataset's attributes (not its code, which other domains use as its name). Making the dataset's
    share category stricter tightens elements that were more open than the new category."""
    _unknown_fields(changes, DATASET_FIELDS)
    dataset = get_dataset(session, code)
    values = _dataset_values(session, changes, dataset)
    for key, value in values.items():
        setattr(dataset, key, value)
    if "share_category" in values:
        for element in dataset.elements:
            if cls.share_rank(element.share_category) < cls.share_rank(dataset.share_category):
                element.share_category, element.updated_by, element.updated_at = (
                    dataset.share_category, updated_by, utcnow(),
                )  # fmt: skip
    _check_open_category(dataset)
    _check_key_elements(dataset)
    dataset.updated_by, dataset.updated_at = updated_by, utcnow()
    _flush(session)
    return dataset


def _element_values(
    session: Session, dataset: Dataset, values: Mapping[str, Any], current: DataElement | None
) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    if current is not None:
        merged = {
            "data_type": current.data_type, "code_set": current.code_set.code if current.code_set else None,
            "max_length": current.max_length, "sensitive": current.sensitive, "sensitive_type": current.sensitive_type,
            "grade": current.grade, "share_category": current.share_category,
        }  # fmt: skip
    merged.update({k: v for k, v in values.items() if k != "code"})
    out: dict[str, Any] = {}
    if current is None or "name" in values:
        out["name"] = clean_name(values.get("name"), "name", max_length=100)
    if "name_en" in values:
        out["name_en"] = clean_name(values.get("name_en"), "name_en", max_length=200, required=False)
    if "description" in values:
        out["description"] = clean_text(values.get("description"), "description", max_length=1000)
    if "required" in values:
        out["required"] = bool(values.get("required"))
    data_type = out["data_type"] = _one_of(merged.get("data_type") or "string", cls.DATA_TYPES, "data_type")
    code_set = merged.get("code_set")
    if data_type == "code" and not code_set:
        raise ValidationFailed(
            "code_set：代码型数据项须指定代码集",
            "code_set: a code element needs a code set",
            field="code_set",
        )
    if code_set and data_type != "code":
        raise ValidationFailed(
            "code_set：只有代码型（code）数据项可引用代码集",
            "code_set: only elements of type code use a code set",
            field="code_set",
        )
    if code_set:
        try:
            out["code_set_id"] = get_code_set(session, str(code_set)).id
        except NotFound as exc:
            raise ValidationFailed(exc.zh, exc.en, field="code_set") from exc
    else:
        out["code_set_id"] = None
    max_length = merged.get("max_length")
    if max_length is not None and (
        data_type not in cls.TEXT_TYPES
        or not isinstance(max_length, int)
        or not 1 <= max_length <= MAX_TEXT_LENGTH
    ):
        raise ValidationFailed(
            f"max_length：仅文本类数据项可设长度，且应在 1–{MAX_TEXT_LENGTH} 之间",
            f"max_length: only text elements have one, between 1 and {MAX_TEXT_LENGTH}",
            field="max_length",
        )
    out["max_length"] = max_length
    sensitive_type = merged.get("sensitive_type") or None
    sensitive = bool(merged.get("sensitive")) or sensitive_type is not None
    if sensitive and sensitive_type is None:
        raise ValidationFailed(
            "sensitive_type：敏感个人信息须注明类型（第五十一条）",
            "sensitive_type: sensitive personal information needs its type (Art. 51)",
            field="sensitive_type",
        )
    if sensitive_type is not None:
        _one_of(sensitive_type, member_values(session, "sensitive_pi_type"), "sensitive_type")
    out["sensitive"], out["sensitive_type"] = sensitive, sensitive_type
    default_grade = "important" if sensitive else dataset.grade
    out["grade"] = _one_of(merged.get("grade") or default_grade, cls.GRADE_ORDER, "grade")
    share = _one_of(
        merged.get("share_category") or dataset.share_category, cls.SHARE_CATEGORIES, "share_category"
    )
    if cls.share_rank(share) < cls.share_rank(dataset.share_category):
        raise ValidationFailed(
            f"share_category：数据项不能比所属数据集（{cls.SHARE_LABELS[dataset.share_category][0]}）更开放",
            f"share_category: an element cannot be more open than its dataset ({dataset.share_category})",
            field="share_category",
        )
    out["share_category"] = share
    return out


def add_element(
    session: Session,
    dataset: Dataset | str,
    spec: Mapping[str, Any],
    *,
    created_by: str | None = None,
    check_dataset: bool = True,
) -> DataElement:
    """Add an element to a dataset. Its standard code defaults to ``<subject prefix>.<code>`` (``student.XM``);
    its source unit defaults to the registered source, else the dataset's owner. Naming another source than the
    registered one is refused with 409 (一数一源)."""
    _unknown_fields(spec, ELEMENT_FIELDS)
    if isinstance(dataset, str):
        dataset = get_dataset(session, dataset)
    code = clean_code(spec.get("code"), "code", ELEMENT_CODE, max_length=32, hint="大写字母、数字，如 SFZJH")
    if any(e.code == code for e in dataset.elements):
        raise Conflict(
            f"数据集 {dataset.code} 已有数据项 {code}",
            f"dataset {dataset.code} already has element {code}",
            field="code",
        )
    values = _element_values(session, dataset, spec, None)
    standard = (
        spec.get("standard_code")
        or f"{cls.STANDARD_PREFIX.get(dataset.subject_area, dataset.subject_area)}.{code}"
    )
    standard = clean_code(
        standard, "standard_code", STANDARD_CODE, max_length=128, hint="主题.数据项代码，如 student.SFZJH"
    )
    given_unit = spec.get("source_unit_code")
    unit_id = unit_by_code(session, given_unit, "source_unit_code").id if given_unit else None
    values["source_unit_id"] = ensure_source(
        session, standard_code=standard, element_name=values["name"], unit_id=unit_id,
        default_unit_id=dataset.owner_unit_id, assigned_by=created_by,
    )  # fmt: skip
    now = utcnow()
    element = DataElement(
        dataset=dataset, code=code, standard_code=standard, position=len(dataset.elements),
        created_by=created_by, updated_by=created_by, created_at=now, updated_at=now, **values,
    )  # fmt: skip
    session.add(element)
    if check_dataset:
        _check_open_category(dataset)
    _flush(session)
    return element


def update_element(
    session: Session,
    dataset_code: str,
    element_code: str,
    changes: Mapping[str, Any],
    *,
    updated_by: str | None = None,
) -> DataElement:
    """Change an element's attributes. Its source unit can only be the registered one: changing the source of
    a standard element is the office's reassignment (:func:`edudata.catalog.sources.assign_source`)."""
    _unknown_fields(changes, ELEMENT_FIELDS - {"code", "standard_code"})
    dataset = get_dataset(session, dataset_code)
    element = get_element(dataset, element_code)
    values = _element_values(session, dataset, changes, element)
    if changes.get("source_unit_code"):
        unit = unit_by_code(session, changes["source_unit_code"], "source_unit_code")
        registered = registered_source(session, element.standard_code)
        if registered is not None and unit.id != registered.source_unit_id:
            raise second_source_refused(
                session, element_name=element.name, standard_code=element.standard_code,
                existing_unit_id=registered.source_unit_id, other_unit_id=unit.id,
            )  # fmt: skip
    for key, value in values.items():
        setattr(element, key, value)
    element.updated_by, element.updated_at = updated_by, utcnow()
    _check_open_category(dataset)
    _flush(session)
    return element
