"""Every enumeration the pages show, with its Chinese and English label, from one place (issue 18).

Pages never print a stored value (``important``, ``pending_office``, ``login``) as it is: they call the Jinja filter
``label`` with the kind of value (``{{ batch.status | label("batch_status") }}``), which answers in the page's
language. The domains keep their own tables where their services need them (messages, reports) and register them here
from their pages (``labels.register``); this module adds the ones only the pages need and is the only place templates look a label up. A value without a label is
shown as itself, so the crawl test (tests/web/test_crawl.py) finds it and it gets one here.

Also here: article numbers in words (``{{ "55" | article }}`` → 第五十五条 / Art. 55) and times in Beijing time
(``{{ at | beijing }}``), the one time zone the pages show (stated once, in the footer).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from edudata.catalog.bundled import bundled_code_set
from edudata.catalog.classification import DATA_TYPE_LABELS, OPEN_LABELS, SHARE_LABELS
from edudata.clock import CHINA
from edudata.inspect.registry import SEVERITY_NAMES, article_label
from edudata.policy.roles import ROLE_NAMES

Pair = tuple[str, str]


def _code_set(code: str) -> dict[str, Pair]:
    return {c.value: (c.label, c.label_en or c.label) for c in bundled_code_set(code).codes}


AUDIT_RESULT: dict[str, Pair] = {
    "success": ("成功", "success"),
    "denied": ("拒绝", "denied"),
    "failed": ("失败", "failed"),
    "error": ("错误", "error"),
}

#: The audit log's operations (Art. 59): what was done, in the words of the office's audit register.
AUDIT_OPERATION: dict[str, Pair] = {
    "login": ("登录", "log in"),
    "logout": ("退出", "log out"),
    "sso_provision": ("统一身份认证开通账户", "account opened by sign-on"),
    "query": ("查询", "query"),
    "count": ("计数", "count"),
    "count_people": ("统计人数", "count people"),
    "history": ("查看历史", "history"),
    "export": ("导出", "export"),
    "insert": ("新增", "insert"),
    "update": ("修改", "update"),
    "delete": ("删除", "delete"),
    "verify": ("核验", "verification"),
    "rollback": ("回滚", "roll back"),
    "restore": ("恢复", "restore"),
    "restore_drill": ("恢复演练", "restore drill"),
    "backup": ("备份", "backup"),
    "backup_prune": ("清理过期备份", "prune backups"),
    "backup_verify": ("校验备份", "verify backup"),
    "purge": ("清除", "purge"),
    "destroy": ("销毁", "destroy"),
    "destruction_request": ("提出销毁申请", "destruction request"),
    "destruction_approve": ("批准销毁", "destruction approval"),
    "destruction_reject": ("驳回销毁申请", "destruction rejected"),
    "backup_schedule": ("设置备份计划", "backup schedule set"),
    "backup_schedule_change": ("修改备份计划", "backup schedule changed"),
    "destruction_locate": ("定位待销毁数据", "locate data to destroy"),
    "deidentified_release": ("去标识化发布", "de-identified release"),
    "directory_sync": ("人员目录同步", "directory sync"),
    "migrate_storage": ("存储迁移", "storage migration"),
    "audit_proof": ("审计存证", "audit proof"),
    "audit_rollback": ("审计日志回滚检查", "audit rollback check"),
    "audit_verify": ("审计日志完整性校验", "audit chain verification"),
    "audit_record": ("审计记录", "audit records"),
    "ingest_upload": ("上传采集数据", "upload"),
    "ingest_review": ("审核采集批次", "batch review"),
    "ingest_diff": ("比对批次差异", "batch diff"),
    "ingest_mapping": ("维护字段映射", "field mapping"),
    "ingest_rule": ("维护校验规则", "validation rule"),
    "ingest_snapshot": ("采集快照", "snapshot"),
    "ingest_source": ("维护数据来源", "data source"),
    "ingest_source_mapping": ("维护来源映射", "source mapping"),
    "inspect_run": ("开展检查", "inspection run"),
    "open_download": ("开放数据下载", "open-data download"),
    "open_preview": ("开放数据预览", "open-data preview"),
    "opendata_key_revoke": ("吊销开放数据密钥", "open-data key revoked"),
    "opendata_application_approve": ("批准开放数据申请", "open-data application approved"),
    "opendata_application_refuse": ("驳回开放数据申请", "open-data application refused"),
    "opendata_review_unit": ("开放数据单位审核", "open-data unit review"),
    "opendata_review_office": ("开放数据网信办审核", "open-data office review"),
    "opendata_review_leadership": ("开放数据领导小组审定", "open-data leadership approval"),
    "opendata_propose": ("提出开放数据", "open-data proposal"),
    "share_apply": ("提出共享申请", "share application"),
    "share_sign": ("签署承诺书", "commitment signed"),
    "share_submit": ("提交共享申请", "share application submitted"),
    "share_review": ("审核共享申请", "share review"),
    "share_sign_unit": ("单位负责人签署", "signed for the unit"),
    "share_agreement": ("三方授权协议备案", "three-party agreement filed"),
    "share_approve": ("同意共享申请", "share application approved"),
    "share_refuse": ("驳回共享申请", "share application refused"),
    "share_narrow": ("调整共享范围", "share application narrowed"),
    "share_grant": ("授权共享", "share granted"),
    "share_revoke": ("撤销共享授权", "share revoked"),
    "share_hold_agreement": ("待三方协议", "held for the agreement"),
    "share_release_preview": ("去标识化预览", "release preview"),
    "share_secrecy_review": ("共享保密审查", "sharing secrecy review"),
    "share_external_request": ("校外共享申请", "external share request"),
    "share_external_decide": ("校外共享决定", "external share decision"),
    "share_external_release": ("校外共享提供", "external share release"),
    "share_external_secrecy_review": ("校外共享保密审查", "external share secrecy review"),
    "share_credential_create": ("发放共享凭证", "share credential issued"),
    "share_credential_rotate": ("轮换共享凭证", "share credential rotated"),
    "share_unit_head": ("指定单位负责人", "unit head named"),
    "side_store_read": ("读取附属存储", "side-store read"),
    "ingest_settings": ("修改采集设置", "collection settings"),
    "ingest_staging_purge": ("清理采集暂存文件", "staging files purged"),
    "share_policy": ("共享策略变更", "sharing policy change"),
    "share_mail": ("共享通知邮件", "sharing mail"),
    "share_credential_refused": ("共享凭证被拒", "share credential refused"),
    "share_credential_revoke": ("吊销共享凭证", "share credential revoked"),
    "share_grant_expiring": ("授权即将到期提醒", "grant ending reminder"),
    "share_review_overdue": ("审核超期提醒", "overdue review reminder"),
    "privacy_assessment": ("敏感个人信息论证", "sensitive-PI assessment"),
    "privacy_consent": ("记录个人同意", "consent recorded"),
    "privacy_decision": ("敏感个人信息决策", "sensitive-PI decision"),
    "privacy_register": ("个人信息登记", "PI register"),
    "request_failed": ("请求失败", "request failed"),
}

#: Masking methods (access/masking.py, Art. 41 脱敏) by what they keep.
MASKING: dict[str, Pair] = {
    "id_number": ("身份证件号：保留前 6 位和后 4 位", "ID number: first 6 and last 4 kept"),
    "id_number_1_2": ("身份证件号：保留首 1 位和末 2 位", "ID number: first 1 and last 2 kept"),
    "name": ("姓名：保留姓氏", "name: surname kept"),
    "mobile": ("手机号码：保留前 3 位和后 4 位", "mobile: first 3 and last 4 kept"),
    "bank_card": ("银行卡号：保留后 4 位", "bank card: last 4 kept"),
    "bank_card_4_4": ("银行卡号：保留前 4 位和后 4 位", "bank card: first 4 and last 4 kept"),
    "email": ("电子邮箱：隐去用户名", "e-mail: user part hidden"),
    "address": ("地址：保留到区县", "address: down to the county"),
    "birth_date": ("出生日期：保留年份", "birth date: year kept"),
    "suppress": ("不提供（整项隐去）", "withheld"),
    "none": ("不脱敏", "not masked"),
}

#: kind → value → (中文, English). The single table behind the ``label`` filter.
KINDS: dict[str, Mapping[str, Pair]] = {
    "grade": _code_set("data_grade"),
    "share_category": SHARE_LABELS,
    "open_category": OPEN_LABELS,
    "subject_area": _code_set("subject_area"),
    "data_nature": _code_set("data_nature"),
    "update_frequency": _code_set("update_frequency"),
    "sensitive_pi_type": _code_set("sensitive_pi_type"),
    "data_type": DATA_TYPE_LABELS,
    "severity": SEVERITY_NAMES,
    "role": ROLE_NAMES,
    "audit_result": AUDIT_RESULT,
    "audit_operation": AUDIT_OPERATION,
    "masking": MASKING,
    # The open-data portal's stored column types (opendata/publish.py).
    "column_type": {
        "int": ("整数", "integer"),
        "numeric": ("数值", "number"),
        "bool": ("是否", "yes/no"),
        "text": ("文本", "text"),
    },
}


def register(kind: str, table: Mapping[str, Pair]) -> None:
    """A domain's pages add their own enumerations (batch statuses, application statuses…) when they are loaded:
    the domains stay independent of each other (.importlinter) and this module still is the one table."""
    KINDS[kind] = {**table, **KINDS.get(kind, {})}


def label_pair(value: Any, kind: str) -> Pair:
    """(中文, English) of ``value`` of ``kind``; a value without a label is itself in both languages."""
    if value is None or value == "":
        return ("", "")
    key = getattr(value, "value", value)
    pair = KINDS[kind].get(str(key))
    return (pair[0], pair[1]) if pair else (str(key), str(key))


def label(value: Any, kind: str, lang: str = "zh") -> str:
    """The label of ``value`` in ``lang`` (the ``label`` filter: ``{{ x | label("grade") }}``)."""
    zh, en = label_pair(value, kind)
    return en if lang == "en" else zh


def options(kind: str, lang: str = "zh") -> list[Pair]:
    """(value, label) pairs of a kind, for a picker (``<select>``) in the page's language."""
    return [(value, pair[1] if lang == "en" else pair[0]) for value, pair in KINDS[kind].items()]


def article(number: Any, lang: str = "zh") -> str:
    """``55`` → 第五十五条 on a Chinese page, Art. 55 on an English one; ``"64(2)"`` and ``"12/53"`` too."""
    text = str(number).strip()
    text = text[4:].strip() if text.startswith("Art.") else text
    if "-" in text:  # a range, 第五十条至第五十一条
        first, _, last = text.partition("-")
        zh = f"{article_label(first)[0]}至{article_label(last)[0]}"
        return f"Art. {text}" if lang == "en" else zh
    if "," in text:
        parts = [p.strip() for p in text.split(",")]
        return f"Art. {text}" if lang == "en" else "、".join(article_label(p)[0] for p in parts)
    zh, en = article_label(text)
    return en if lang == "en" else zh


def beijing(value: Any, with_seconds: bool = False) -> str:
    """A stored time (UTC, naive or aware) as Beijing time, ``2026-12-02 21:04``; a date as it is."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
