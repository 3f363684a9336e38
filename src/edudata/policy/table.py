"""The rulebook: which role may take which action, as data, each line citing the article that gives the duty.

An action is named ``domain.object.verb``. ``roles`` may take it on any object; ``unit_roles`` only on an object
of their own unit (the caller passes ``unit_code=`` of the object); ``SIGNED_IN`` lets every signed-in account
take it. A new use case is one line here plus one service function (docs/architecture.md).
Separation of duties (Art. 30) and the statutory thresholds (Art. 50) live beside this table, in
:mod:`edudata.policy.duties` and :mod:`edudata.policy.thresholds`.
"""

from __future__ import annotations

from dataclasses import dataclass

from edudata.policy.roles import Role

L, OA, UDO, UR = Role.LEADERSHIP, Role.OFFICE_ADMIN, Role.UNIT_DATA_OFFICER, Role.UNIT_REVIEWER
AP, AU, DO, DPO, TS = (
    Role.APPLICANT,
    Role.AUDITOR,
    Role.DESTRUCTION_OFFICER,
    Role.DATA_PROTECTION_OFFICER,
    Role.TECH_SUPPORT,
)
#: Every signed-in account (the catalogue's metadata, one's own account, Art. 39).
SIGNED_IN: frozenset[Role] = frozenset(Role)


@dataclass(frozen=True)
class Rule:
    """Who may take one action, and the article that gives the duty."""

    article: str
    roles: frozenset[Role]
    unit_roles: frozenset[Role] = frozenset()
    #: Any authenticated caller, a grant-scoped credential (no roles) included; the service decides the rest.
    signed_in: bool = False


def _rule(article: str, *roles: Role, unit: tuple[Role, ...] = ()) -> Rule:
    return Rule(article, frozenset(roles), frozenset(unit))


def _everyone(article: str) -> Rule:
    return Rule(article, SIGNED_IN, signed_in=True)


OVERSIGHT = (OA, L, AU)  # the office, the leadership group and the auditor oversee (Art. 5, 6, 59)

ACTIONS: dict[str, Rule] = {
    # ---- identity: one's own account, sessions, tokens, TOTP (Art. 54)
    "identity.account.self": _everyone("Art. 54"),
    "crypto.package_key.self": _everyone("Art. 26"),  # one's own recipient key for sealed packages
    "identity.blacklist.read": _rule("Art. 59", OA, AU),
    "identity.blacklist.edit": _rule("Art. 59", OA),
    "identity.directory.sync": _rule("Art. 30, 53", OA),  # people and units from the school's directory
    "identity.service_account.manage": _rule("Art. 30, 54", OA),  # business systems' client credentials
    # ---- org: units, accounts, roles, separation of duties (Art. 6, 30)
    "org.unit.read": _everyone("Art. 6"),
    "org.unit.edit": _rule("Art. 6", OA),
    "org.account.read": _rule("Art. 6, 30", OA, AU),
    "org.account.edit": _rule("Art. 6, 30", OA),
    "org.sod.read": _rule("Art. 30", OA, AU),
    "org.sod.edit": _rule("Art. 30", OA),
    # ---- catalogue and standards (数据资源目录, Art. 8, 19, 39)
    "catalog.read": _everyone("Art. 39"),
    "catalog.dataset.edit": _rule("Art. 8, 39", OA),
    "catalog.element.edit": _rule("Art. 8, 39", OA),
    "catalog.source.assign": _rule("Art. 8(4), 19", OA),
    "catalog.codeset.edit": _rule("Art. 8, 21", OA),
    # ---- audit log (Art. 30, 59): the auditor reads it; the office may not unless also an auditor
    "audit.log.read": _rule("Art. 30, 59", AU),
    "audit.access_trace.read": _rule("Art. 30, 59", AU),  # who read, and who could have read, what (行为追溯)
    # ---- ingest: collection, review chain unit -> office (Art. 4(1), 22)
    "ingest.read": _rule("Art. 22", OA, L, unit=(UDO, UR)),
    "ingest.batch.upload": _rule("Art. 8, 22", unit=(UDO,)),
    "ingest.batch.read": _rule("Art. 22", OA, unit=(UDO, UR)),
    "ingest.batch.review": _rule("Art. 4(1), 22", OA, unit=(UR,)),
    "ingest.batch.approve_unit": _rule("Art. 22", unit=(UR,)),
    "ingest.batch.approve_office": _rule("Art. 4(1), 22", OA),
    "ingest.quarantine.download": _rule("Art. 22", unit=(UDO,)),
    "ingest.quality.read": _rule("Art. 22, 26", OA, L, unit=(UDO, UR)),
    "ingest.rule.read": _everyone("Art. 21"),
    "ingest.rule.edit": _rule("Art. 21", OA),
    "ingest.version.manage": _rule("Art. 26", OA),
    "ingest.mapping.edit": _rule("Art. 22", OA, unit=(UDO,)),
    "ingest.pull.manage": _rule("Art. 22, 30", OA),
    "ingest.pull.run": _rule("Art. 22", OA, unit=(UDO,)),
    "ingest.pull.read": _rule("Art. 22", OA, UDO),
    "ingest.snapshot.create": _rule("Art. 26", OA),
    "ingest.snapshot.read": _rule("Art. 26", OA, L),
    "ingest.settings.read": _rule("Art. 35", OA, AU),  # the staging retention in force
    "ingest.settings.edit": _rule("Art. 35", OA),  # how long a finished batch's staging files are kept
    # ---- sharing: application, producer then office review, grants, delivery (Art. 36-42, 50)
    "sharing.read": _everyone("Art. 39"),
    "sharing.application.apply": _rule("Art. 37", AP),
    "sharing.application.read": _rule("Art. 37, 38, 58", OA, L, unit=(AP, UDO)),  # L: the secrecy review
    "sharing.application.submit": _rule("Art. 37, 41", unit=(AP,)),
    "sharing.application.review": _rule("Art. 40", OA, unit=(UDO,)),
    "sharing.application.review_producer": _rule("Art. 40", unit=(UDO,)),
    "sharing.application.review_office": _rule("Art. 40", OA),
    "sharing.application.narrow": _rule("Art. 40, 50", OA),
    "sharing.grant.revoke": _rule("Art. 40", OA, unit=(UDO,)),
    "sharing.overdue.read": _rule("Art. 64(2)", OA, AU),
    "sharing.overdue.remind": _rule("Art. 64(2)", OA),
    "sharing.commitment.edit": _rule("Art. 41", OA),
    "sharing.policy.edit": _rule("Art. 40, 42, 50", OA),
    "sharing.credential.issue": _rule("Art. 40", unit=(AP,)),
    "sharing.credential.revoke": _rule("Art. 40", OA, unit=(AP,)),
    "sharing.release.prepare": _rule("Art. 42, 50", OA),
    "sharing.release.read": _rule("Art. 42", OA, unit=(UDO,)),
    "sharing.unit_head.designate": _rule("Art. 41", OA),  # the head who signs 附件2 for the unit
    "sharing.commitment.sign_unit": _everyone("Art. 41"),  # the service checks the caller is the unit's head
    "sharing.agreement.file": _rule("Art. 10", OA),  # 三方授权协议 on file (Art. 10(1))
    "sharing.application.secrecy_review": _rule("Art. 58", L),  # before a third-party release
    # ---- sharing: providing or publishing data outside the school (Art. 42, 58)
    "sharing.external.read": _everyone(
        "Art. 42"
    ),  # the service shows each caller the requests of their units
    "sharing.external.oversee": _rule("Art. 42, 58", *OVERSIGHT),
    "sharing.external.request": _rule("Art. 42", unit=(AP,)),
    "sharing.external.approve_unit": _everyone("Art. 42"),  # the service checks the caller is the unit's head
    "sharing.external.approve_producer": _rule("Art. 42", unit=(UDO,)),
    "sharing.external.approve_office": _rule("Art. 42", OA),
    "sharing.external.secrecy_review": _rule("Art. 58", L),
    "sharing.external.release": _rule("Art. 42, 58", OA),
    # ---- open data (数据开放, Art. 43-46): proposal, unit -> office -> leadership review, keys
    "opendata.proposal.read": _everyone("Art. 46"),
    "opendata.view.propose": _rule("Art. 44", OA, unit=(UDO,)),
    "opendata.view.refresh": _rule("Art. 46", OA),
    "opendata.view.conditions": _rule("Art. 44(2)", OA, unit=(UDO,)),  # the provider states the conditions
    "opendata.review": _rule("Art. 45, 46", OA, L, unit=(UR,)),
    "opendata.review.unit": _rule("Art. 45", unit=(UR,)),
    "opendata.review.office": _rule("Art. 45", OA),
    "opendata.review.leadership": _rule("Art. 5, 45", L),
    "opendata.key.manage": _rule("Art. 44(2)", OA),
    "opendata.application.decide": _rule("Art. 44(2)", OA),
    # ---- privacy: register, assessments, consent, releases (Art. 47-51)
    "privacy.register.read": _rule("Art. 47-51", OA, DPO, L),
    "privacy.register.keep": _rule("Art. 47-51", OA, DPO),
    "privacy.consent.record": _rule("Art. 51", OA, DPO, UDO),
    "privacy.sensitive.read": _everyone("Art. 51"),
    # ---- governed data itself: the data path decides by role, grant and category (Art. 40, 54)
    "data.read": _everyone("Art. 40, 54"),
    "data.write": _everyone("Art. 8(4), 19, 22, 51"),
    # ... and these are the rules it decides by (edudata.access.decision): who reads, writes and loads which
    # dataset without a grant. The office reads and exports every dataset (sensitive PI masked) but writes rows
    # only through the review chain; the producer unit reads its own datasets and its data officer writes them.
    "data.read.any_unit": _rule("Art. 6, 30", OA),
    "data.history.read": _rule("Art. 26, 30", OA),  # earlier versions of a record
    "data.verify.any_unit": _rule("Art. 51", OA),  # one bit on an element the office sees unmasked (用而不存)
    "data.read.own_unit": _rule("Art. 8, 30", unit=(UDO, UR)),  # the reviewer reads to review, never writes
    "data.write.own_unit": _rule("Art. 8(4), 19, 30", unit=(UDO,)),
    "data.load.any_unit": _rule("Art. 4(1), 22", OA),  # an approved batch loaded, a version rolled back
    "data.load.own_unit": _rule("Art. 22", unit=(UDO,)),  # the producer loads a batch the office approved
    # how many people a scope covers, before applying (exact for the office and the producer, else estimated)
    "data.count": _rule("Art. 40, 50", OA, AP, unit=(UDO, UR)),
    # ---- state secrets (涉密数据, Art. 56-57): marking, and the register of each handling, approved
    "secrecy.marking.read": _rule("Art. 57", *OVERSIGHT),
    "secrecy.marking.edit": _rule("Art. 57", OA),
    "secrecy.register.read": _rule("Art. 57", *OVERSIGHT),
    "secrecy.register.request": _rule("Art. 57", OA),
    "secrecy.register.approve": _rule("Art. 57", OA, L),
    # ---- inspection, findings, dashboards (Art. 6, 59-60)
    "inspect.report.read": _rule("Art. 59", *OVERSIGHT),
    "inspect.run": _rule("Art. 6, 59", OA),
    "inspect.finding.read": _rule("Art. 60", *OVERSIGHT, unit=(UDO, UR)),
    "inspect.finding.answer": _rule("Art. 60", OA, unit=(UDO, UR)),
    "inspect.finding.assign": _rule("Art. 61", OA),
    "inspect.content.set": _rule("Art. 61", L),  # the leadership group sets which checks inspections run
    "inspect.notice.issue": _rule("Art. 61", L),  # and issues the inspection notices
    "inspect.finding.escalate": _rule("Art. 64", OA, L),  # serious cases passed to 纪检监察
    "inspect.interview.record": _rule("Art. 67", OA, L),  # 约谈
    "inspect.dashboard.office": _rule("Art. 6", OA),
    "inspect.dashboard.unit": _rule("Art. 7-8", UDO, UR),
    "inspect.dashboard.applicant": _rule("Art. 9", AP),
    "inspect.dashboard.audit": _rule("Art. 59", AU),
    "inspect.dashboard.leadership": _rule("Art. 5", L),
    # ---- lifecycle: backup, restore, incidents, drills, people, destruction (Art. 30, 52-58)
    "lifecycle.oversee": _rule("Art. 52-58", *OVERSIGHT),
    "lifecycle.manage": _rule("Art. 52-58", OA),
    "lifecycle.alert.handle": _rule("Art. 57", OA),
    "lifecycle.plan.read": _everyone("Art. 57"),
    # who may approve that a leaver keeps a device for a stated reason (an exception to handing it back)
    "lifecycle.device_exception.approve": _rule("Art. 53", OA, L),
    "lifecycle.destruction.read": _rule("Art. 30, 34", OA, DO, AU),
    "lifecycle.destruction.request": _rule("Art. 34", OA),
    "lifecycle.destruction.approve": _rule("Art. 30, 34", OA),
    "lifecycle.destruction.execute": _rule("Art. 30, 34", DO),
}


def rule(action: str) -> Rule:
    """The rule of ``action``; an unknown name is a programming error, caught by the matrix test."""
    try:
        return ACTIONS[action]
    except KeyError:
        raise KeyError(f"no such action in the policy: {action}") from None


#: Paths that take no staff action: signing in (Art. 54), the public open-data portal and its APIs for citizens
#: with their own accounts and keys (Art. 44), the machine-readable catalogue, health and language switch. Every
#: other route names its action through ``edudata.api.policy.allow``; the matrix test fails on any that does not.
PUBLIC_PATHS: dict[str, str] = {
    "/login": "Art. 54 sign-in (CAS, OIDC, password)",
    "/logout": "Art. 54 ending one's own session",
    "/api/v1/auth/token": "Art. 54 sign-in for API tokens",
    "/api/v1/oauth/token": "Art. 54 client credentials of business systems",
    "/open": "Art. 44 public open-data portal",
    "/api/v1/open/": "Art. 44 open-data API for the public and key holders",
    "/api/3": "Art. 44 CKAN-compatible open-data API",
    "/api/action/": "Art. 44 CKAN-compatible open-data API",
    "/catalog.": "Art. 44 machine-readable open-data catalogue (DCAT)",
    "/api/v1/health": "operations: liveness",
    "/lang/": "interface language",
    "/docs": "API documentation",
    "/redoc": "API documentation",
}


def public_path(path: str) -> bool:
    return any(path == p or path.startswith(p if p.endswith(("/", ".")) else p + "/") for p in PUBLIC_PATHS)
