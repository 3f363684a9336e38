"""The navigation of every page, built from the permission policy (Art. 30): one table of the pages of each duty.

A person sees the same navigation on every page: the entries whose action their roles may take
(``may_attempt``, the same check as the page's own ``allow``). ``main`` entries are the header's navigation;
every entry is also listed on the home page, so each duty is reachable from the role's home and navigation.
A page of a new duty is one line here.
"""

from __future__ import annotations

from dataclasses import dataclass

from edudata.identity.principal import Principal
from edudata.policy import may_attempt


@dataclass(frozen=True)
class Entry:
    href: str
    zh: str
    en: str
    #: The policy action the page takes (its ``allow``); None: a public page.
    action: str | None
    #: In the header's navigation (the duty's entry page); else listed on the home page only.
    main: bool = True
    #: Hidden when the caller may take this action (a wider page of the same duty is shown instead).
    unless: str | None = None


ENTRIES: tuple[Entry, ...] = (
    Entry("/", "工作台", "Home", "identity.account.self"),
    Entry("/catalog", "数据资源目录", "Data catalogue", "catalog.read"),
    Entry("/ingest", "数据采集", "Collection", "ingest.read"),
    Entry("/ingest/mappings", "字段映射", "Field mappings", "ingest.mapping.edit", main=False),
    Entry("/sharing", "数据共享", "Sharing", "sharing.read"),
    Entry("/sharing/overdue", "超期审核", "Overdue reviews", "sharing.overdue.read", main=False),
    Entry("/opendata", "开放审核", "Opening", "opendata.proposal.read"),
    Entry(
        "/opendata/applications",
        "开放数据申请",
        "Open-data applications",
        "opendata.application.decide",
        main=False,
    ),
    Entry("/open", "开放数据", "Open data", None),
    Entry("/inspect", "检查与报告", "Inspections", "inspect.report.read"),
    Entry("/inspect/findings", "检查问题", "Findings", "inspect.finding.read", unless="inspect.report.read"),
    Entry("/privacy", "个人信息保护", "Privacy", "privacy.register.read"),
    Entry("/lifecycle", "生命周期", "Lifecycle", "lifecycle.oversee"),
    # The destruction officer's one duty is in their header; the office and the auditor reach it from home.
    Entry("/lifecycle/destruction", "数据销毁", "Destruction", "lifecycle.destruction.execute"),
    Entry(
        "/lifecycle/destruction",
        "数据销毁",
        "Destruction",
        "lifecycle.destruction.read",
        main=False,
        unless="lifecycle.destruction.execute",
    ),
    Entry("/lifecycle/people", "人员离岗", "People leaving", "lifecycle.oversee", main=False),
    Entry("/secrecy", "保密管理", "Secrecy", "secrecy.marking.read"),
    Entry("/audit", "审计日志", "Audit log", "audit.log.read"),
    Entry("/audit/access-trace", "行为追溯", "Access trace", "audit.access_trace.read", main=False),
    Entry("/admin/accounts", "账户与角色", "Accounts", "org.account.edit"),
    Entry("/admin/units", "单位管理", "Units", "org.unit.edit", main=False),
    Entry("/admin/sod", "不相容岗位", "Separation of duties", "org.sod.edit", main=False),
    Entry("/admin/blacklist", "黑名单", "Blacklist", "identity.blacklist.edit", main=False),
    Entry("/admin/directory", "人员与单位同步", "Directory sync", "identity.directory.sync", main=False),
    Entry(
        "/admin/service-accounts",
        "服务账户",
        "Service accounts",
        "identity.service_account.manage",
        main=False,
    ),
    Entry("/account", "账户安全", "Account security", "identity.account.self", main=False),
)


def _shown(entry: Entry, principal: Principal | None) -> bool:
    if entry.action is None:
        return True
    if principal is None:
        return False
    if entry.unless and may_attempt(principal, entry.unless):
        return False
    return may_attempt(principal, entry.action)


def visible(principal: Principal | None) -> list[Entry]:
    """Every page of the caller's duties, in the table's order (the home page's list)."""
    if principal is None:
        return [
            Entry("/catalog", "数据资源目录", "Data catalogue", None),
            *(e for e in ENTRIES if e.action is None),
        ]
    return [e for e in ENTRIES if _shown(e, principal)]


def main(principal: Principal | None) -> list[Entry]:
    """The header's navigation: the same on every page for one person."""
    return [e for e in visible(principal) if e.main]


def current(entries: list[Entry], path: str) -> str:
    """The href of the entry the page at ``path`` belongs to (the longest matching prefix), for aria-current."""
    best = ""
    for e in entries:
        if (path == e.href or path.startswith(e.href.rstrip("/") + "/")) and len(e.href) > len(best):
            best = e.href
    return best
