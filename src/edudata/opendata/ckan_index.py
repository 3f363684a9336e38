"""The open catalogue as CKAN sees it: one package per published view, its search document, and
``package_search`` over those documents (Art. 45 可机读; only published views are ever read here).

A package's resources are the view's three downloads (``<view>-csv``, ``-json``, ``-xlsx``); its organisation is the
producer unit, its group (our category) the subject area of the dataset it comes from (数据主题: 科研, 教学 …).
``metadata_modified`` is when the current version was published — a refresh whose content is unchanged adds no
version, so the stamp moves only when what a harvester would fetch has changed.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from edudata.catalog.bundled import bundled_code_set
from edudata.catalog.codesets import get_version
from edudata.catalog.models import Dataset
from edudata.errors import NotFound, ValidationFailed
from edudata.opendata import portal, search, solr
from edudata.opendata.definitions import LICENCES
from edudata.opendata.models import OpenVersion, OpenView
from edudata.opendata.views import FREQUENCY_LABELS, unit_names

FORMATS = ("csv", "json", "xlsx")
ROWS_MAX = 1000  # CKAN's ckan.search.rows_max: larger requests are cut to it, as CKAN does
FACET_LIMIT = 50  # CKAN's search.facets.limit
DEFAULT_SORT = "score desc, metadata_modified desc"
#: The fields a query may name, as CKAN's Solr schema indexes them (kind: string | text | date | int).
FIELDS = {
    "id": "string", "name": "string", "title_string": "string", "organization": "string", "owner_org": "string",
    "tags": "string", "groups": "string", "res_format": "string", "license_id": "string", "state": "string",
    "capacity": "string", "dataset_type": "string", "type": "string", "private": "string", "version": "string",
    "extras_open_category": "string", "extras_update_frequency": "string", "res_name": "text",
    "title": "text", "notes": "text", "text": "text", "metadata_modified": "date", "metadata_created": "date",
    "num_resources": "int", "num_tags": "int",
}  # fmt: skip
FACETABLE = {f for f, kind in FIELDS.items() if kind == "string"}
SORTABLE = {
    "score": lambda d: d["score"], "id": lambda d: d["id"], "name": lambda d: d["name"],
    "title": lambda d: d["title_string"], "title_string": lambda d: d["title_string"],
    "metadata_modified": lambda d: d["metadata_modified"], "metadata_created": lambda d: d["metadata_created"],
    "num_resources": lambda d: d["num_resources"], "num_tags": lambda d: d["num_tags"],
    "license_id": lambda d: d["license_id"], "organization": lambda d: d["organization"],
}  # fmt: skip
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ckan_time(value: datetime | None) -> str | None:
    """CKAN's timestamp: UTC without an offset, microseconds always shown (string order = time order)."""
    if value is None:
        return None
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _aware(value: datetime | None) -> datetime:
    if value is None:
        return _EPOCH
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass
class Entry:
    """A published view with what its package needs (no rows: metadata only)."""

    view: OpenView
    version: OpenVersion | None
    unit: tuple[str, str]
    group: tuple[str, str, str] | None  # subject area code, 中文, English
    doc: dict[str, Any]


def group_labels(session: Session) -> dict[str, tuple[str, str]]:
    """Subject areas (our CKAN groups) and their names, from the code set in effect (shipped one as fallback)."""
    try:
        codes = get_version(session, "subject_area").codes
    except NotFound:
        codes = bundled_code_set("subject_area").codes
    return {c.value: (c.label, c.label_en) for c in codes if c.active}


def catalogue(session: Session) -> list[Entry]:
    """Every published view, in a handful of queries (views, their current versions, units, subject areas)."""
    views = list(
        session.scalars(select(OpenView).where(OpenView.status == "published").order_by(OpenView.id))
    )
    versions = {
        v.view_id: v
        for v in session.scalars(
            select(OpenVersion)
            .join(
                OpenView,
                and_(OpenView.id == OpenVersion.view_id, OpenVersion.number == OpenView.current_version),
            )
            .where(OpenView.status == "published")
        )
    }
    units = unit_names(session, sorted({v.unit_code for v in views}))
    areas = dict(
        session.execute(
            select(Dataset.code, Dataset.subject_area).where(
                Dataset.code.in_({v.dataset_code for v in views})
            )
        ).all()
    )
    labels = group_labels(session)
    out = []
    for view in views:
        area = areas.get(view.dataset_code)
        group = (area, *labels.get(area, (area, area))) if area else None
        unit = units.get(view.unit_code, (view.unit_code, view.unit_code))
        entry = Entry(view, versions.get(view.id), unit, group, {})
        entry.doc = _document(entry)
        out.append(entry)
    return out


def modified(entry: Entry) -> datetime:
    v = entry.view
    return _aware(entry.version.created_at if entry.version else (v.refreshed_at or v.published_at))


def _document(e: Entry) -> dict[str, Any]:
    v = e.view
    tags = list(v.keywords or [])
    columns = e.version.columns if e.version else []
    text = [v.title, v.title_en, v.description, *tags, e.unit[0], e.unit[1], v.code]
    text += [c.get("name", "") for c in columns] + list(e.group[1:] if e.group else [])
    return {
        "id": v.code, "name": v.code, "title": [v.title, v.title_en], "title_string": v.title, "notes": v.description,
        "organization": v.unit_code, "owner_org": v.unit_code, "tags": tags, "groups": [e.group[0]] if e.group else [],
        "res_format": [f.upper() for f in FORMATS], "res_name": [f"{v.title} ({f.upper()})" for f in FORMATS],
        "license_id": v.licence, "state": "active", "capacity": "public", "dataset_type": "dataset",
        "type": "dataset", "private": "false", "version": str(v.current_version),
        "extras_open_category": v.open_category, "extras_update_frequency": v.update_frequency,
        "text": text, "metadata_modified": modified(e), "metadata_created": _aware(v.published_at),
        "num_resources": len(FORMATS), "num_tags": len(tags), "score": 1.0,
    }  # fmt: skip


def organization(code: str, unit: tuple[str, str], created: datetime | None = None) -> dict[str, Any]:
    return {
        "id": code, "name": code, "title": unit[0], "display_name": unit[0], "description": unit[1],
        "type": "organization", "state": "active", "is_organization": True, "approval_status": "approved",
        "image_url": "", "created": ckan_time(created), "title_translated": {"zh": unit[0], "en": unit[1]},
    }  # fmt: skip


def group(code: str, zh: str, en: str) -> dict[str, Any]:
    return {
        "id": code, "name": code, "title": zh, "display_name": zh, "description": en, "type": "group",
        "state": "active", "is_organization": False, "approval_status": "approved", "image_url": "",
        "image_display_url": "", "title_translated": {"zh": zh, "en": en},
    }  # fmt: skip


def resources(e: Entry, base: str) -> list[dict[str, Any]]:
    v, when = e.view, ckan_time(modified(e))
    return [
        {
            "id": f"{v.code}-{fmt}", "package_id": v.code, "name": f"{v.title} ({fmt.upper()})",
            "description": f"{v.title_en or v.title} — {fmt.upper()}", "format": fmt.upper(),
            "url": f"{base}/api/v1/open/datasets/{v.code}/data.{fmt}",
            "mimetype": portal.DOWNLOADS[fmt][0].split(";")[0], "mimetype_inner": None, "datastore_active": True,
            "last_modified": when, "metadata_modified": when, "created": ckan_time(v.published_at), "position": i,
            "state": "active", "url_type": None, "resource_type": None, "hash": e.version.sha256 if e.version else "",
            "size": None, "cache_url": None, "cache_last_updated": None,
        }
        for i, fmt in enumerate(FORMATS)
    ]  # fmt: skip


def package(e: Entry, base: str) -> dict[str, Any]:
    """CKAN 2.10's package dictionary (``package_show``) of a published view."""
    v = e.view
    licence = LICENCES.get(v.licence, (v.licence, v.licence, ""))
    res = resources(e, base)
    tags = [
        {"id": t, "name": t, "display_name": t, "state": "active", "vocabulary_id": None}
        for t in v.keywords or []
    ]
    freq = FREQUENCY_LABELS.get(v.update_frequency, (v.update_frequency, v.update_frequency))
    return {
        "id": v.code, "name": v.code, "title": v.title, "notes": v.description, "type": "dataset", "state": "active",
        "private": False, "isopen": v.open_category == "unconditional", "license_id": v.licence,
        "license_title": licence[1], "license_url": licence[2], "author": e.unit[0], "author_email": None,
        "maintainer": e.unit[0], "maintainer_email": None, "creator_user_id": None,
        "metadata_created": ckan_time(v.published_at), "metadata_modified": ckan_time(modified(e)),
        "owner_org": v.unit_code, "organization": organization(v.unit_code, e.unit, v.published_at),
        "groups": [group(*e.group)] if e.group else [], "url": f"{base}/open/datasets/{v.code}",
        "version": str(v.current_version), "num_resources": len(res), "resources": res, "tags": tags,
        "num_tags": len(tags), "relationships_as_object": [], "relationships_as_subject": [],
        "title_translated": {"zh": v.title, "en": v.title_en or v.title},
        "extras": [
            {"key": "open_category", "value": v.open_category}, {"key": "update_frequency", "value": v.update_frequency},
            {"key": "update_frequency_label", "value": f"{freq[0]} / {freq[1]}"}, {"key": "title_en", "value": v.title_en},
            {"key": "row_count", "value": str(e.version.row_count if e.version else 0)},
        ],
    }  # fmt: skip


def find(entries: list[Entry], code: str) -> Entry:
    for e in entries:
        if e.view.code == code:
            return e
    raise NotFound(f"没有已发布的开放数据“{code[:64]}”", f"no published open-data view '{code[:64]}'")


# ---- package_search -------------------------------------------------------------------------------------------


def natural(data: dict[str, Any], name: str, default: int | None = None) -> int | None:
    """CKAN's ``natural_number_validator``: an integer ≥ 0 (a JSON number or its text)."""
    raw = data.get(name)
    if raw is None or raw == "":
        return default
    try:
        if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
            raise ValueError
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationFailed(f"{name}：应为整数", f"{name}: Invalid integer", field=name) from None
    if value < 0:
        raise ValidationFailed(f"{name}：应为非负整数", f"{name}: Must be a natural number", field=name)
    return value


def flag(data: dict[str, Any], name: str, default: bool = False) -> bool:
    raw = data.get(name, default)
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off", ""):
        return False
    raise ValidationFailed(
        f"{name}：应为 true 或 false", f"{name}: Not a boolean (true or false)", field=name
    )


def strings(data: dict[str, Any], name: str) -> list[str]:
    """CKAN's ``convert_to_json_if_string`` + ``list_of_strings`` (``facet.field=["tags","groups"]``)."""
    raw = data.get(name)
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ValidationFailed(
                f"{name}：不是合法的 JSON 列表", f"{name}: Could not parse as valid JSON", field=name
            ) from None
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw) or len(raw) > 50:
        raise ValidationFailed(f"{name}：应为字符串列表", f"{name}: Not a list of strings", field=name)
    return raw


def _text(data: dict[str, Any], name: str) -> str:
    raw = data.get(name)
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise ValidationFailed(f"{name}：应为字符串", f"{name}: Must be a string", field=name)
    return raw


def matching(session: Session, entries: list[Entry], data: dict[str, Any]) -> list[Entry]:
    """The entries matching ``q`` and every ``fq``/``fq_list`` filter, each doc's ``score`` set."""
    q = _text(data, "q").strip()
    fqs = [_text(data, "fq")] + (strings(data, "fq_list") if data.get("fq_list") else [])
    evaluator = solr.Evaluator(FIELDS)
    nodes = [solr.parse(f, FIELDS) for f in fqs if f.strip()]
    found = []
    if q and q not in ("*:*", '""', "''") and ":" not in q:
        # Free text (CKAN's dismax over name, title, tags, groups, text): the portal's Chinese n-gram search.
        ranked = search.matching_view_ids(session, q[: search.MAX_QUERY]) or []
        score = {vid: float(len(ranked) - i) for i, vid in enumerate(ranked)}
        entries = [e for e in entries if e.view.id in score]
        for e in entries:
            e.doc["score"] = score[e.view.id]
    elif q and q != "*:*":
        nodes.append(solr.parse(q, FIELDS))
    for e in entries:
        if all(evaluator.matches(n, e.doc) for n in nodes):
            found.append(e)
    return found


def facets(found: list[Entry], names: list[str], limit: int, mincount: int) -> dict[str, dict[str, int]]:
    """Solr's field facets: values by count, ties in index order; ``limit`` < 0 means all."""
    out: dict[str, dict[str, int]] = {}
    for name in names:
        if name not in FACETABLE:
            raise solr.SearchError(
                f"facet.field：不能按 {name[:40]} 分面（可用：{', '.join(sorted(FACETABLE))}）",
                f"facet.field: cannot facet on {name[:40]} (fields: {', '.join(sorted(FACETABLE))})",
                field="facet.field",
            )
        counts = Counter(v for e in found for v in set(solr._values(e.doc.get(name))))
        ordered = sorted(((v, c) for v, c in counts.items() if c >= mincount), key=lambda vc: (-vc[1], vc[0]))
        out[name] = dict(ordered if limit < 0 else ordered[:limit])
    return out


def sort_entries(found: list[Entry], raw: str) -> list[Entry]:
    keys = solr.parse_sort(raw, SORTABLE)
    ordered = sorted(found, key=lambda e: e.doc["id"])  # Solr's last tie-break: index order
    for name, desc in reversed(keys):
        ordered.sort(key=lambda e, f=SORTABLE[name]: f(e.doc), reverse=desc)
    return ordered
