"""Audit-log checks: retention of at least six months and an intact chain (Art. 30, 59)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

from sqlalchemy import select

from edudata.audit.head import read_head
from edudata.audit.models import AuditRecord, indexed
from edudata.audit.retention import RETENTION_MONTHS, latest_cutoff
from edudata.audit.verify import verify_chain
from edudata.clock import today_in_china
from edudata.inspect.registry import CheckContext, Hit, check


@check(
    "audit.retention",
    article="30",
    severity="high",
    scope="school",
    requires=("audit",),
    zh="审计日志保留不少于六个月",
    en="Audit log kept at least six months",
)
def audit_retention(ctx: CheckContext) -> Iterator[Hit]:
    """A purge whose cut-off was later than six calendar months before its day in Beijing when it ran, or records removed from the start of the chain
    that no recorded purge accounts for (the anchor lies beyond every purge's last seq)."""
    purges = ctx.session.execute(
        select(AuditRecord.seq, AuditRecord.at, AuditRecord.detail_json).where(
            indexed(AuditRecord.operation == "purge"), AuditRecord.result == "success"
        )
    ).all()
    accounted = 0
    for seq, at, detail_json in purges:
        detail = json.loads(detail_json or "{}")
        accounted = max(accounted, int(detail.get("last_seq") or 0))
        before = detail.get("before")
        if not before:
            continue
        kept = (today_in_china(ctx.aware(at)) - date.fromisoformat(before)).days
        if date.fromisoformat(before) > latest_cutoff(ctx.aware(at)):
            yield Hit(
                ctx.office_unit_code,
                f"purge:{seq}",
                f"第 {seq} 条审计记录所载清理只保留了 {kept} 天日志（不足 {RETENTION_MONTHS} 个自然月）",
                f"the purge recorded at seq {seq} kept only {kept} days of log (less than {RETENTION_MONTHS} "
                "calendar months)",
                {
                    "audit_seq": seq,
                    "purged_at": ctx.aware(at).isoformat(),
                    "before": before,
                    "kept_days": kept,
                },
            )
    head = read_head(ctx.session)
    if head.anchor_seq > accounted:
        yield Hit(
            ctx.office_unit_code,
            "anchor",
            f"审计链起点已推进到第 {head.anchor_seq} 条，但没有相应的清理记录（日志被删除）",
            f"the chain's anchor is at seq {head.anchor_seq} but no recorded purge removed those records",
            {"anchor_seq": head.anchor_seq, "purged_up_to": accounted},
        )


@check(
    "audit.chain",
    article="59",
    severity="high",
    scope="school",
    requires=("audit",),
    zh="审计日志哈希链完整、签名有效（防篡改）",
    en="Audit chain intact and signatures valid (tamper-evident)",
)
def audit_chain(ctx: CheckContext) -> Iterator[Hit]:
    """Recompute the whole chain and its signed checkpoints (:func:`edudata.audit.verify.verify_chain`)."""
    result = verify_chain(ctx.session, ctx.settings)
    if not result.ok:
        yield Hit(
            ctx.office_unit_code,
            "chain",
            f"审计链自第 {result.first_bad_seq} 条起不完整：{result.reason_zh}",
            f"the audit chain is broken at seq {result.first_bad_seq}: {result.reason_en}",
            {"first_bad_seq": result.first_bad_seq, "checked": result.checked, "head_seq": result.head_seq},
        )
