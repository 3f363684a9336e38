"""Materialising published views: read the dataset through the data path, derive, keep versions (Art. 45, 48).

A refresh reads the dataset's rows with :func:`edudata.access.datapath.export_frames` as the *producer unit's
publication* (audited as ``opendata-publisher:<view>``, only the elements the view needs), derives the view
(de-identification, aggregation, small-cell suppression) and stores the result as a new version when its
content changed — earlier versions stay downloadable. ``refresh_due`` runs every view whose schedule is due
(``edudata opendata refresh``, e.g. from cron or a systemd timer on one app server).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edudata import transition
from edudata.access import datapath, formats
from edudata.clock import today_in_china
from edudata.config import Settings
from edudata.db import Database, utcnow
from edudata.opendata import definitions, search
from edudata.opendata.models import OpenVersion, OpenView
from edudata.opendata.review import dataset_of
from edudata.policy.roles import Role
from edudata.secrecy.guard import refuse_secret


@dataclass(frozen=True)
class PublisherCaller:
    """The producer unit publishing its own data (reads as the unit's reviewer would, never writes)."""

    username: str
    unit_code: str
    source_ip: str = "system"
    account_id: int | None = None
    roles: frozenset[str] = field(default_factory=lambda: frozenset({Role.UNIT_REVIEWER}))


def _as_text_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Stored columns are text, integers, floats or booleans (what CSV, JSON and XLSX all show the same way)."""
    out = []
    for name, dtype in frame.schema.items():
        if dtype.is_numeric() or dtype == pl.Boolean or dtype == pl.String:
            out.append(pl.col(name))
        else:
            out.append(pl.col(name).cast(pl.String))
    return frame.select(out) if out else frame


def _derive(
    session: Session, view: OpenView, settings: Settings, database: Database, today: date | None
) -> tuple[pl.DataFrame, int]:
    dataset = dataset_of(session, view.dataset_code)
    wanted = definitions.source_elements(view.definition, dataset.subject_element)
    refuse_secret(session, view.dataset_code, wanted, "opendata")  # marked after publication: stop (Art. 57)
    caller = PublisherCaller(username=f"opendata-publisher:{view.code}", unit_code=view.unit_code)
    ctx = datapath.Context(session=session, settings=settings, database=database)
    page, frames = datapath.export_frames(caller, ctx, view.dataset_code, elements=wanted)
    source = formats.concat(frames, page.elements)
    for code in wanted:
        if code not in source.columns:
            source = source.with_columns(pl.lit(None, dtype=pl.String).alias(code))
    rows, suppressed = definitions.derive(
        view.kind, view.definition, source, dataset.subject_element, today or today_in_china()
    )
    return _as_text_frame(rows), suppressed


def _ipc(frame: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.write_ipc(buf)
    return buf.getvalue()


def _digest(frame: pl.DataFrame) -> str:
    return hashlib.sha256(frame.write_csv().encode("utf-8")).hexdigest()


def refresh(
    session: Session, view: OpenView, settings: Settings, database: Database, now: datetime | None = None
) -> OpenVersion | None:
    """Refresh a published view: a new version when the content changed, else ``None``; reschedules it.

    The view is locked first, so two refreshes at the same moment never make the same version twice."""
    transition.lock_row(session, OpenView, view.id, what=("开放数据", "open-data view"))
    now = now or utcnow()
    rows, suppressed = _derive(session, view, settings, database, today_in_china(now))
    digest = _digest(rows)
    latest = current_version(session, view)
    view.refreshed_at = now
    view.next_refresh_at = now + timedelta(seconds=view.refresh_seconds)
    if latest is not None and latest.sha256 == digest:
        session.flush()
        return None
    dataset = dataset_of(session, view.dataset_code)
    labels = definitions.column_labels(view.kind, view.definition, dataset)
    columns = [
        {
            "code": c,
            "name": labels.get(c, (c, c))[0],
            "name_en": labels.get(c, (c, c))[1],
            "type": _type_name(rows.schema[c]),
        }
        for c in rows.columns
    ]
    number = (
        session.scalar(select(func.max(OpenVersion.number)).where(OpenVersion.view_id == view.id)) or 0
    ) + 1
    version = OpenVersion(
        view_id=view.id, number=number, columns=columns, row_count=rows.height, suppressed=suppressed,
        sha256=digest, data=_ipc(rows), created_at=now,
    )  # fmt: skip
    session.add(version)
    view.current_version = number
    session.flush()
    return version


def _type_name(dtype: pl.DataType) -> str:
    if dtype.is_integer():
        return "int"
    if dtype.is_float():
        return "numeric"
    if dtype == pl.Boolean:
        return "bool"
    return "text"


def publish(session: Session, view: OpenView, settings: Settings, database: Database) -> OpenVersion | None:
    """After the leadership's approval: first version, search index, schedule (Art. 58)."""
    now = utcnow()
    view.published_at = now
    version = refresh(session, view, settings, database, now)
    reindex(session, view)
    return version


def reindex(session: Session, view: OpenView) -> None:
    dataset = dataset_of(session, view.dataset_code)
    body = [view.description, *view.keywords, dataset.name, *(e.name for e in dataset.elements), view.code]
    search.reindex(session, view.id, [view.title, view.title_en], body)


def refresh_due(
    session: Session, settings: Settings, database: Database, now: datetime | None = None
) -> list[str]:
    """Refresh every published view whose schedule has come; returns the codes that got a new version."""
    now = now or utcnow()
    due = session.scalars(
        select(OpenView)
        .where(OpenView.status == "published", OpenView.next_refresh_at <= now)
        .order_by(OpenView.id)
    ).all()
    changed = []
    for view in due:
        if refresh(session, view, settings, database, now) is not None:
            changed.append(view.code)
    return changed


def current_version(session: Session, view: OpenView, number: int | None = None) -> OpenVersion | None:
    wanted = number if number is not None else view.current_version
    return session.scalar(
        select(OpenVersion).where(OpenVersion.view_id == view.id, OpenVersion.number == wanted)
    )


def versions_of(session: Session, view: OpenView) -> list[OpenVersion]:
    return list(
        session.scalars(
            select(OpenVersion).where(OpenVersion.view_id == view.id).order_by(OpenVersion.number.desc())
        )
    )
