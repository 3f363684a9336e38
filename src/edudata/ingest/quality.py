"""Quality reports (Art. 20-23) per batch and per dataset, as JSON and as simple inline SVG charts.

Counts per rule, completeness and validity rates, the trend over batches, open quarantine, and timeliness: a
dataset whose last approved version is older than its update interval (数据同步频率, Art. 48) is flagged.
Quarantined rows are downloaded as XLSX with a reason column so the producer can fix and resubmit them.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from html import escape
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from edudata.access import side_store
from edudata.catalog.models import Dataset
from edudata.db import utcnow
from edudata.errors import NotFound
from edudata.ingest.models import Batch, Issue, Version
from edudata.ingest.readers import REASON_COLUMN, ROW_COLUMN
from edudata.store.spec import DatasetSpec

MAX_TREND = 30


PAGE_SIZE = 100


def batch_view(batch: Batch) -> dict[str, Any]:
    return {
        "code": batch.code,
        "dataset": batch.dataset_code,
        "unit": batch.unit_code,
        "status": batch.status,
        "source": batch.source_kind,
        "filename": batch.filename,
        "encoding": batch.encoding,
        "uploaded_by": batch.uploaded_by,
        "uploaded_at": batch.uploaded_at.isoformat() if batch.uploaded_at else None,
        "rows": batch.rows_total,
        "good": batch.rows_good,
        "quarantined": batch.rows_quarantined,
        "blank_rows": batch.rows_blank,
        "already_received": batch.rows_already,
        "unit_review": {"by": batch.unit_reviewed_by, "comment": batch.unit_comment},
        "office_review": {"by": batch.office_reviewed_by, "comment": batch.office_comment},
        "reject_reason": batch.reject_reason or None,
        "version": batch.version_no,
        "report": batch.report or {},
        "warnings": (batch.report or {}).get("warnings", []),
    }


def issues_select(batch: Batch) -> Select[Any]:
    """The batch's issues, quarantine reasons before notes, in row order (a total order, for paging)."""
    return (
        select(Issue)
        .where(Issue.batch_id == batch.id)
        .order_by(Issue.action.desc(), Issue.row_number, Issue.id)
    )


def issue_view(i: Issue) -> dict[str, Any]:
    return {
        "row": i.row_number, "element": i.element, "rule": i.rule, "code": i.code, "value": i.value_shown,
        "message_zh": i.message_zh, "message_en": i.message_en, "resolved_by": i.resolved_by_batch_id, "action": i.action,
    }  # fmt: skip


def issues(session: Session, batch: Batch, limit: int = 500, offset: int = 0) -> list[dict[str, Any]]:
    rows = session.execute(issues_select(batch).limit(limit).offset(offset)).scalars()
    return [issue_view(i) for i in rows]


def _last_approved(session: Session, dataset_code: str) -> datetime | None:
    found = session.execute(
        select(func.max(Version.approved_at)).where(
            Version.dataset_code == dataset_code, Version.status == "active"
        )
    ).scalar()
    if found is not None and found.tzinfo is None:
        found = found.replace(tzinfo=UTC)
    return found


def timeliness(session: Session, dataset_code: str, now: datetime | None = None) -> dict[str, Any]:
    """Whether the dataset was refreshed within its update interval (Art. 48)."""
    ds = session.execute(select(Dataset).where(Dataset.code == dataset_code)).scalar_one_or_none()
    if ds is None:
        raise NotFound(
            f"数据资源目录中没有数据集“{dataset_code[:64]}”",
            f"no dataset '{dataset_code[:64]}' in the catalogue",
        )
    last = _last_approved(session, dataset_code)
    now = now or utcnow()
    age = None if last is None else int((now - last).total_seconds())
    stale = last is None or age > ds.sync_interval_seconds
    return {
        "update_frequency": ds.update_frequency,
        "interval_seconds": ds.sync_interval_seconds,
        "last_refreshed": last.isoformat() if last else None,
        "age_seconds": age,
        "stale": stale,
        "message_zh": "超过更新周期未更新" if stale else "按期更新",
        "message_en": "not refreshed within its update interval" if stale else "refreshed on time",
    }


def dataset_report(session: Session, dataset_code: str) -> dict[str, Any]:
    batches = list(
        session.execute(
            select(Batch).where(Batch.dataset_code == dataset_code).order_by(Batch.id.desc()).limit(MAX_TREND)
        ).scalars()
    )[::-1]
    by_rule: dict[tuple[str, str], int] = {}
    for b in batches:
        for r in (b.report or {}).get("by_rule", []):
            by_rule[(r["element"], r["rule"])] = by_rule.get((r["element"], r["rule"]), 0) + r["count"]
    open_issues = session.execute(
        select(func.count(func.distinct(Issue.batch_id * 10_000_000 + Issue.row_number)))
        .join(Batch, Batch.id == Issue.batch_id)
        .where(
            Batch.dataset_code == dataset_code,
            Issue.resolved_by_batch_id.is_(None),
            Issue.action == "quarantine",
        )
    ).scalar_one()
    rows = sum(b.rows_total - b.rows_already for b in batches)
    good = sum(b.rows_good for b in batches)
    return {
        "dataset": dataset_code,
        "batches": len(batches),
        "rows": rows,
        "good": good,
        "validity_rate": round(good / rows, 4) if rows else 1.0,
        "open_quarantined_rows": int(open_issues),
        "by_rule": [
            {"element": k[0], "rule": k[1], "count": v}
            for k, v in sorted(by_rule.items(), key=lambda kv: -kv[1])
        ],
        "trend": [
            {
                "batch": b.code,
                "at": b.uploaded_at.isoformat() if b.uploaded_at else None,
                "status": b.status,
                "rows": b.rows_total,
                "validity_rate": (b.report or {}).get("validity_rate", 1.0),
                "completeness_rate": (b.report or {}).get("completeness_rate", 1.0),
            }
            for b in batches
        ],  # fmt: skip
        "timeliness": timeliness(session, dataset_code),
    }


# -- charts (inline SVG, no script) --------------------------------------------------------------------------------
def _text_width(text: str, size: int = 12) -> int:
    """About how wide ``text`` is drawn at ``size`` px: a CJK character a full em, Latin letters and digits about
    0.6 em (no font metrics on the server; a generous estimate keeps labels inside the picture)."""
    return sum(size if ord(c) >= 0x2E80 else int(size * 0.62) + 1 for c in text)


def _fit(text: str, room: int) -> str:
    """``text`` cut with an ellipsis to ``room`` px; the whole text stays in the bar's tooltip (``<title>``)."""
    if _text_width(text) <= room:
        return text
    while text and _text_width(text + "…") > room:
        text = text[:-1]
    return text + "…"


def bar_chart(items: list[tuple[str, float]], *, title: str, width: int = 560) -> str:
    """Horizontal bars, labelled, readable without colour (values are printed).

    Short labels (elements) stand left of their bars in a column as wide as the longest; long ones (an element and
    its rule in words) get a line of their own above the bar, so no label is cut off or drawn under a bar."""
    if not items:
        return ""
    top = max(v for _, v in items) or 1
    longest = max(_text_width(label) for label, _ in items)
    stacked = longest > 240
    label_w = 0 if stacked else longest + 12
    row = 36 if stacked else 22
    height = row * len(items) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             f"<title>{escape(title)}</title>"]  # fmt: skip
    for i, (label, value) in enumerate(items):
        y = 12 + i * row
        bar_y = y + (16 if stacked else 3)
        w = int((width - label_w - 60) * value / top)
        text_y = y + 12 if stacked else y + 15
        parts.append(f"<g><title>{escape(label)}：{value:g}</title>")
        parts.append(
            f'<text x="0" y="{text_y}" font-size="12">{escape(_fit(label, width - 4 if stacked else label_w))}</text>'
        )
        parts.append(f'<rect x="{label_w}" y="{bar_y}" width="{max(w, 1)}" height="14" fill="#2b6cb0"/>')
        parts.append(
            f'<text x="{label_w + max(w, 1) + 6}" y="{bar_y + 12}" font-size="12">{value:g}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(points: list[float], *, title: str, width: int = 560, height: int = 160) -> str:
    """Rates (0-1) over batches as a polyline with dots and a 0-100 % axis."""
    if not points:
        return ""
    left, pad = 40, 16
    step = (width - left - pad) / max(len(points) - 1, 1)
    coords = [(left + i * step, pad + (height - 2 * pad) * (1 - p)) for i, p in enumerate(points)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#2f855a"><title>{p:.1%}</title></circle>'
        for (x, y), p in zip(coords, points, strict=True)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f"<title>{escape(title)}</title>"
        f'<line x1="{left}" y1="{pad}" x2="{left}" y2="{height - pad}" stroke="#999"/>'
        f'<text x="0" y="{pad + 4}" font-size="11">100%</text><text x="8" y="{height - pad}" font-size="11">0%</text>'
        f'<polyline points="{path}" fill="none" stroke="#2f855a" stroke-width="2"/>{dots}</svg>'
    )


# -- quarantine download -----------------------------------------------------------------------------------------
def quarantine_xlsx(caller: Any, ctx: Any, spec: DatasetSpec, batch: Batch) -> bytes:
    """The quarantined rows as typed, element names as headers, plus the row number and every reason."""
    import xlsxwriter

    session = ctx.session
    frame = side_store.read(caller, ctx, batch.code, "quarantine", action="ingest.quarantine.download",
                            unit_code=batch.unit_code, dataset=batch.dataset_code, why="quarantine download")  # fmt: skip
    reasons = pl.DataFrame(
        [
            (i["row"], i["message_zh"] + " / " + i["message_en"])
            for i in issues(session, batch, limit=1_000_000)
        ],
        schema={"_row": pl.Int64, "reason": pl.String},
        orient="row",
    )
    joined = reasons.group_by("_row", maintain_order=True).agg(pl.col("reason").str.join("；"))
    frame = frame.join(joined, on="_row", how="left").sort("_row")
    elements = [c for c in frame.columns if c not in ("_row", "reason")]
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("quarantine")
    text = book.add_format({"num_format": "@"})
    headers = [ROW_COLUMN, *[spec.element(e).name if spec.element(e) else e for e in elements], REASON_COLUMN]
    for c, h in enumerate(headers):
        sheet.write_string(0, c, h)
    for r, row in enumerate(frame.iter_rows(named=True), start=1):
        sheet.write_number(r, 0, row["_row"])
        for c, e in enumerate(elements, start=1):
            if row[e] is not None:
                sheet.write_string(r, c, str(row[e]), text)
        sheet.write_string(r, len(headers) - 1, row["reason"] or "")
    sheet.set_column(1, len(elements), 16, text)
    sheet.set_column(len(headers) - 1, len(headers) - 1, 60)
    book.close()
    return out.getvalue()


def quarantine_query(batch: Batch) -> Select[tuple[Issue]]:
    """The batch's quarantine reasons (rows that were not taken), unordered: the batch page sorts, filters and
    pages it (``edudata.web.lists``)."""
    return select(Issue).where(Issue.batch_id == batch.id, Issue.action == "quarantine")


def quarantine_item(i: Issue) -> dict[str, Any]:
    """One quarantine reason as the batch page shows it (the value as stored: masked unless the page unmasks it)."""
    return {
        "id": i.id, "row": i.row_number, "element": i.element, "rule": i.rule, "code": i.code,
        "value": i.value_shown, "message_zh": i.message_zh, "message_en": i.message_en,
        "resolved_by": i.resolved_by_batch_id,
    }  # fmt: skip


def dropped_summary(session: Session, batch: Batch) -> list[dict[str, Any]]:
    """Values dropped by a rule (the row was taken without them): one line per rule and element, not per row."""
    found = session.execute(
        select(
            Issue.element, Issue.rule, func.min(Issue.message_zh), func.min(Issue.message_en),
            func.count(), func.min(Issue.row_number), func.max(Issue.row_number),
        )
        .where(Issue.batch_id == batch.id, Issue.action != "quarantine")
        .group_by(Issue.element, Issue.rule)
        .order_by(Issue.element, Issue.rule)
    ).all()  # fmt: skip
    return [
        {"element": e, "rule": r, "message_zh": zh, "message_en": en, "rows": n, "first": lo, "last": hi}
        for e, r, zh, en, n, lo, hi in found
    ]
