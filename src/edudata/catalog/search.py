"""Browsing the catalogue (Art. 39: 编制数据资源目录 … 通过校级数据共享平台实现分级共享): search and filters.

Every signed-in user may read catalogue metadata — units must see what exists before they can apply for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from edudata.catalog.models import DataElement, Dataset
from edudata.org.models import Unit

MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Page:
    items: list[Dataset]
    total: int
    page: int
    page_size: int


def datasets_query(
    *,
    q: str | None = None,
    unit_code: str | None = None,
    subject_area: str | None = None,
    nature: str | None = None,
    grade: str | None = None,
    share_category: str | None = None,
    open_category: str | None = None,
    sensitive: bool | None = None,
) -> Select[tuple[Dataset]]:
    """The datasets matching ``q`` (name, code, description or an element's name/code, case-insensitive, ``%``
    and ``_`` taken literally) and the filters, unordered: the API pages it by code, the catalogue page by the
    column a person sorts on (``edudata.web.lists``)."""
    query = select(Dataset)
    text = (q or "").strip()
    if text:
        in_elements = select(DataElement.dataset_id).where(
            or_(
                DataElement.name.icontains(text, autoescape=True),
                DataElement.code.icontains(text, autoescape=True),
            )
        )
        query = query.where(
            or_(
                Dataset.name.icontains(text, autoescape=True),
                Dataset.name_en.icontains(text, autoescape=True),
                Dataset.code.icontains(text, autoescape=True),
                Dataset.description.icontains(text, autoescape=True),
                Dataset.id.in_(in_elements),
            )
        )
    if unit_code:
        query = query.where(Dataset.owner_unit_id.in_(select(Unit.id).where(Unit.code == unit_code)))
    for column, value in (
        (Dataset.subject_area, subject_area),
        (Dataset.nature, nature),
        (Dataset.grade, grade),
        (Dataset.share_category, share_category),
        (Dataset.open_category, open_category),
    ):
        if value:
            query = query.where(column == value)
    if sensitive is not None:
        with_sensitive = select(DataElement.dataset_id).where(DataElement.sensitive.is_(True))
        query = query.where(
            Dataset.id.in_(with_sensitive) if sensitive else Dataset.id.not_in(with_sensitive)
        )
    return query


def search_datasets(
    session: Session,
    *,
    q: str | None = None,
    unit_code: str | None = None,
    subject_area: str | None = None,
    nature: str | None = None,
    grade: str | None = None,
    share_category: str | None = None,
    open_category: str | None = None,
    sensitive: bool | None = None,
    page: int = 1,
    page_size: int = 20,
    offset: int | None = None,
) -> Page:
    """Datasets matching the filters of :func:`datasets_query`, ordered by code; ``offset`` (an API cursor's
    position) takes the place of ``page``."""
    page, page_size = max(page, 1), min(max(page_size, 1), MAX_PAGE_SIZE)
    query = datasets_query(
        q=q, unit_code=unit_code, subject_area=subject_area, nature=nature, grade=grade,
        share_category=share_category, open_category=open_category, sensitive=sensitive,
    )  # fmt: skip
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = list(
        session.scalars(
            query.options(selectinload(Dataset.elements))
            .order_by(Dataset.code)
            .offset((page - 1) * page_size if offset is None else offset)
            .limit(page_size)
        )
    )
    return Page(items, total, page, page_size)
