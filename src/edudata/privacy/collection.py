"""Art. 51 at collection: the ingest domain's batch checks for sensitive personal information.

- ``privacy.sensitive_assessment``: values of a sensitive element with no approved assessment and collective
  decision are **dropped** (``drop_value``): the rest of the row is collected, the value is not, and the issue
  list tells the producer why (good data is never lost because of one column).
- ``privacy.consent``: values of a sensitive element for people without an active consent are **quarantined**
  with their row, so the producer can resubmit once consent is on file (nothing is lost, nothing is kept
  without consent).

Registered with :func:`edudata.ingest.rules.register_check` in every process that collects (the ingest domain
loads ``privacy/batch_checks.py`` before its first batch: web app, CLI, worker and demo loader alike). A check called without a session is a dry validation (nothing is
collected: the ingest service always passes the batch's session), so it returns no failure.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from edudata.privacy.consent import unconsented_rows
from edudata.privacy.sensitive import collection_refusal, sensitive_elements

ASSESSMENT_CHECK = "privacy.sensitive_assessment"
CONSENT_CHECK = "privacy.consent"


def _failures(rows: list[int], element: str, rule: str, zh: str, en: str, action: str) -> pl.DataFrame:
    n = len(rows)
    return pl.DataFrame(
        {
            "_row": pl.Series(rows, dtype=pl.Int64),
            "element": [element] * n,
            "rule": [rule] * n,
            "code": [rule] * n,
            "message_zh": [zh] * n,
            "message_en": [en] * n,
            "action": [action] * n,
        }
    )


def _with_values(frame: pl.DataFrame, element: str) -> pl.DataFrame:
    return frame.filter(pl.col(element).is_not_null() & (pl.col(element).cast(pl.String) != ""))


def _name(ctx: Any, code: str) -> str:
    """The element's name for the officer's report (names, not codes, on pages); its code when unknown."""
    element = ctx.spec.element(code)
    return element.name if element is not None else code


def _sensitive_present(frame: pl.DataFrame, ctx: Any) -> list[str]:
    return [e.code for e in ctx.spec.elements if e.sensitive_type and e.code in frame.columns]


def check_assessment(frame: pl.DataFrame, ctx: Any) -> pl.DataFrame | None:
    """Drop the values of sensitive elements not yet assessed and decided (Art. 51)."""
    present = _sensitive_present(frame, ctx)
    session = getattr(ctx, "session", None)
    if not present or session is None:
        return None
    refused = {s.element_code: s for s in collection_refusal(session, ctx.spec.code, present)}
    parts = []
    for element in present:
        if element not in refused:
            continue
        why_zh, why_en = refused[element].reason_zh, refused[element].reason_en
        rows = _with_values(frame, element).get_column("_row").to_list()
        if rows:
            parts.append(
                _failures(
                    rows,
                    element,
                    ASSESSMENT_CHECK,
                    f"敏感个人信息“{_name(ctx, element)}”未经论证和集体决策同意，该值不予采集（第五十一条）："
                    f"{why_zh}",
                    f"sensitive PI {element} ({_name(ctx, element)}) is not collected before assessment and "
                    f"collective decision (Art. 51): {why_en}",
                    "drop_value",
                )
            )
    return pl.concat(parts) if parts else None


def check_consent(frame: pl.DataFrame, ctx: Any) -> pl.DataFrame | None:
    """Quarantine rows carrying a sensitive value of a person without an active consent (Art. 51 单独同意)."""
    present = _sensitive_present(frame, ctx)
    person = ctx.spec.person_element
    session = getattr(ctx, "session", None)
    if not present or session is None:
        return None
    allowed = {s.element_code for s in sensitive_elements(session, ctx.spec.code) if s.collection_allowed}
    present = [e for e in present if e in allowed]  # the others are dropped by the assessment check
    parts = []
    for element in present:
        candidates = _with_values(frame, element)
        if candidates.height == 0:
            continue
        if person is None or person.code not in frame.columns:
            missing = candidates.get_column("_row").to_list()
        else:
            ids = candidates.get_column(person.code).cast(pl.String).to_list()
            positions = unconsented_rows(session, ctx.spec.code, ids, getattr(ctx, "settings", None)).get(
                element, []
            )
            rows = candidates.get_column("_row").to_list()
            missing = [rows[i] for i in positions]
        if missing:
            parts.append(
                _failures(
                    missing,
                    element,
                    CONSENT_CHECK,
                    f"未取得本人对“{_name(ctx, element)}”的单独同意，该行暂存待处理，取得同意后可重新提交"
                    "（第五十一条）",
                    f"no separate consent of this person to {element} ({_name(ctx, element)}): row "
                    "quarantined; resubmit once consent is on file (Art. 51)",
                    "quarantine",
                )
            )
    return pl.concat(parts) if parts else None


def install() -> bool:
    """Register both checks with the ingest domain (idempotent); False when the ingest domain is absent."""
    try:
        from edudata.ingest.rules import register_check
    except ImportError:
        return False
    register_check(ASSESSMENT_CHECK, check_assessment)
    register_check(CONSENT_CHECK, check_consent)
    return True
