"""From the catalogue to storage specs: which elements a dataset has and which are encrypted (Art. 27-28, 52).

An element is stored encrypted when it is graded 重要数据 (important) or flagged sensitive personal information
(Art. 51). In a dataset whose rows name their person by an ID number, every element that is personal
information (:func:`edudata.store.spec.is_personal_information`: names, ID numbers, mobiles, bank cards,
e-mail, addresses, birth date, sensitive PI) is encrypted under that person's own key (Art. 35-36,
crypto-shredding). Specs and code sets are cached on the policy epoch, which any catalogue change raises.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import column, select, table
from sqlalchemy.orm import Session, selectinload

from edudata.access.policy_cache import cached, watch
from edudata.catalog.models import AuthoritativeSource, Code, CodeSet, CodeSetVersion, DataElement, Dataset
from edudata.clock import today_in_china
from edudata.errors import NotFound
from edudata.store.spec import DatasetSpec, ElementSpec, is_personal_information

watch(Dataset, DataElement, CodeSet, CodeSetVersion, Code, AuthoritativeSource)

_unit = table("org_unit", column("id"), column("code"))
ENCRYPTED_GRADES = frozenset({"important"})


def _element_spec(
    e: DataElement, code_set: str | None, source: str | None = None, *, about_people: bool = False
) -> ElementSpec:
    personal = about_people and is_personal_information(e.code, e.data_type, e.sensitive)
    return ElementSpec(
        code=e.code,
        name=e.name,
        data_type=e.data_type,
        max_length=e.max_length,
        required=e.required,
        encrypted=e.grade in ENCRYPTED_GRADES or e.sensitive or personal,
        personal=personal,
        code_set=code_set,
        sensitive_type=e.sensitive_type if e.sensitive else None,
        share_category=e.share_category,
        source_unit_code=source,
    )


def load_spec(session: Session, dataset_code: str) -> DatasetSpec:
    """The storage spec of a catalogued dataset; :class:`NotFound` for a code not in the catalogue."""
    return cached(session, "spec", dataset_code, lambda: spec_from_catalogue(session, dataset_code))


def spec_from_catalogue(session: Session, dataset_code: str) -> DatasetSpec:
    """:func:`load_spec` without the cache (migrations read the catalogue on their own connection)."""
    ds = session.execute(
        select(Dataset)
        .where(Dataset.code == dataset_code)
        .options(selectinload(Dataset.elements).selectinload(DataElement.code_set))
    ).scalar_one_or_none()
    if ds is None:
        raise NotFound(
            f"数据资源目录中没有数据集“{dataset_code[:64]}”",
            f"no dataset '{dataset_code[:64]}' in the catalogue",
        )
    owner = session.execute(select(_unit.c.code).where(_unit.c.id == ds.owner_unit_id)).scalar_one()
    ids = {ds.owner_unit_id, *(e.source_unit_id for e in ds.elements)}
    unit_codes = dict(session.execute(select(_unit.c.id, _unit.c.code).where(_unit.c.id.in_(ids))).all())
    # Rows name their person by an ID number (the subject element, else any id_number element), as
    # DatasetSpec.person_element reads it: then the row's subject reference selects the person's key.
    about_people = any(e.data_type == "id_number" for e in ds.elements)
    return DatasetSpec(
        code=ds.code,
        name=ds.name,
        owner_unit_code=owner,
        elements=tuple(
            _element_spec(
                e,
                e.code_set.code if e.code_set else None,
                unit_codes.get(e.source_unit_id),
                about_people=about_people,
            )
            for e in ds.elements
        ),
        unit_element=ds.unit_element,
        subject_element=ds.subject_element,
    )


def current_code_values(session: Session, code_set: str, on: date | None = None) -> set[str]:
    """Active values of the version of ``code_set`` in effect ``on`` (today by default)."""
    on = on or today_in_china()

    def load() -> set[str]:
        version_id = session.execute(
            select(CodeSetVersion.id)
            .join(CodeSet, CodeSet.id == CodeSetVersion.code_set_id)
            .where(CodeSet.code == code_set, CodeSetVersion.effective_from <= on)
            .order_by(CodeSetVersion.effective_from.desc(), CodeSetVersion.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if version_id is None:
            return set()
        return set(
            session.execute(
                select(Code.value).where(Code.version_id == version_id, Code.active.is_(True))
            ).scalars()
        )

    return cached(session, "codes", f"{code_set}@{on.isoformat()}", load)
