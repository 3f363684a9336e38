"""Units, accounts and roles, with separation of duties (Art. 5-12 actors; Art. 30 权限分离).

Services flush and never commit; routes and commands commit. Audit records are written by the callers, which
know who asked and from where.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edudata.db import utcnow
from edudata.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from edudata.identity.passwords import check_policy, hash_password
from edudata.org.models import Account, Person, RoleAssignment, SodRule, Unit, UnitType
from edudata.org.roles import ALL_ROLES, Role, role_name
from edudata.org.validation import (
    PERSON_NUMBER,
    SCHOOL_CODE,
    UNIT_CODE,
    USERNAME,
    check_pattern,
    clean_email,
    clean_name,
)
from edudata.policy.duties import BUILTIN_PAIRS, is_builtin

UNIT_TYPES = frozenset(t.value for t in UnitType)

#: Told when an account loses something other domains relied on when they trusted it: ``(session, account,
#: event, role, by)`` with event ``"role_revoked"`` (``role`` names it), ``"disabled"`` or ``"moved"`` (to another
#: unit), or ``"role_granting"`` before a role is given (a listener refuses it by raising: lifecycle's off-duty
#: year, Art. 53). Called inside the change's transaction, so what a listener revokes is revoked exactly when the change
#: is. Sharing registers here to end the account's grant credentials (Art. 30); see ``edudata.sharing``.
AccountListener = Callable[[Session, Account, str, "str | None", "str | None"], None]
ACCOUNT_LISTENERS: list[AccountListener] = []


def on_account_change(listener: AccountListener) -> None:
    """Register ``listener`` once (idempotent: the app and the CLI may both import the registering module)."""
    if listener not in ACCOUNT_LISTENERS:
        ACCOUNT_LISTENERS.append(listener)


def _tell(session: Session, account: Account, event: str, role: str | None, by: str | None) -> None:
    for listener in ACCOUNT_LISTENERS:
        listener(session, account, event, role, by)


# ---------------------------------------------------------------- units (一校一码)


def find_unit(session: Session, code: str) -> Unit | None:
    return session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()


def get_unit(session: Session, code: str, field: str = "unit_code") -> Unit:
    """The unit with ``code``; an unknown code is the caller's mistake (422), naming the field."""
    unit = find_unit(session, code) if isinstance(code, str) else None
    if unit is None:
        raise ValidationFailed(
            f"单位代码 {code!s:.40} 不存在", f"unknown unit code {code!s:.40}", field=field
        )
    return unit


def create_unit(
    session: Session,
    *,
    code: str,
    name: str,
    unit_type: str,
    name_en: str = "",
    parent_code: str | None = None,
) -> Unit:
    """Register a unit. The school carries its 10-digit 学校标识码 and is unique; every other unit a 4-digit code
    under a parent (the school when none is named)."""
    if unit_type not in UNIT_TYPES:
        raise ValidationFailed(
            f"单位类型 {unit_type!s:.40} 不合法", f"unknown unit type {unit_type!s:.40}", field="unit_type"
        )
    if unit_type == UnitType.SCHOOL:
        check_pattern(code, SCHOOL_CODE, "code", "10 位学校标识码", "the school's 10-digit identifier")
    else:
        check_pattern(code, UNIT_CODE, "code", "4 位数字单位代码", "a 4-digit unit code")
    name = clean_name(name, "name")
    name_en = clean_name(name_en, "name_en", required=False)
    if find_unit(session, code) is not None:
        raise Conflict(f"单位代码 {code} 已被使用", f"unit code {code} is already in use", field="code")
    parent: Unit | None = None
    if unit_type == UnitType.SCHOOL:
        if parent_code:
            raise ValidationFailed("学校不能有上级单位", "the school has no parent unit", field="parent_code")
        if session.execute(select(Unit.id).where(Unit.unit_type == UnitType.SCHOOL)).first():
            raise Conflict(
                "一校一码：学校已登记",
                "one school per instance: the school is already registered",
                field="code",
            )
    elif parent_code:
        parent = get_unit(session, parent_code, field="parent_code")
    else:
        parent = session.execute(select(Unit).where(Unit.unit_type == UnitType.SCHOOL)).scalar_one_or_none()
    unit = Unit(
        code=code, name=name, name_en=name_en, unit_type=unit_type, parent_id=parent.id if parent else None
    )
    session.add(unit)
    session.flush()
    return unit


def ensure_demo_units(session: Session) -> None:
    """Create the demo university's school and units (``edudata.synth.university``) that are missing."""
    from edudata.synth.university import SCHOOL, UNITS

    if find_unit(session, SCHOOL["code"]) is None:
        create_unit(session, **SCHOOL)
    for unit in UNITS:
        if find_unit(session, unit["code"]) is None:
            create_unit(session, **unit, parent_code=SCHOOL["code"])


def list_units(session: Session) -> list[Unit]:
    return list(session.execute(select(Unit).order_by(Unit.code)).scalars())


# ---------------------------------------------------------------- people and accounts (一人一号)


def create_person(session: Session, *, name: str, number: str, unit_code: str) -> Person:
    """A member of staff or a student with one number (工号/学号) for life."""
    check_pattern(number, PERSON_NUMBER, "number", "4-32 位字母或数字", "4 to 32 letters or digits")
    name = clean_name(name, "name")
    unit = get_unit(session, unit_code)
    if session.execute(select(Person.id).where(Person.number == number)).first():
        raise Conflict(
            f"一人一号：编号 {number} 已被使用",
            f"number {number} already belongs to a person",
            field="number",
        )
    person = Person(name=name, number=number, unit_id=unit.id)
    session.add(person)
    session.flush()
    return person


def find_account(session: Session, username: str) -> Account | None:
    return session.execute(select(Account).where(Account.username == username)).scalar_one_or_none()


def get_account(session: Session, username: str) -> Account:
    account = find_account(session, username) if isinstance(username, str) else None
    if account is None:
        raise NotFound(f"账户 {username!s:.60} 不存在", f"no account {username!s:.60}", field="username")
    return account


def create_account(
    session: Session,
    *,
    username: str,
    password: str,
    unit_code: str,
    roles: Sequence[str] = (),
    display_name: str | None = None,
    granted_by: str | None = None,
    person_number: str | None = None,
    email: str | None = None,
) -> Account:
    """Open an account in a unit with an Argon2 password hash, then grant ``roles`` under the SoD rules."""
    check_pattern(username, USERNAME, "username", "2-64 位字母、数字或 _.-", "2 to 64 letters, digits or _.-")
    display = clean_name(display_name if display_name is not None else username, "display_name")
    address = clean_email(email)
    unit = get_unit(session, unit_code)
    check_policy(password, username)
    for role in roles:
        _check_role(role)
    _check_sod(session, list(roles))
    if find_account(session, username) is not None:
        raise Conflict(
            f"用户名 {username} 已被使用", f"username {username} is already taken", field="username"
        )
    person_id = None
    if person_number:
        person = session.execute(select(Person).where(Person.number == person_number)).scalar_one_or_none()
        if person is None:
            raise ValidationFailed(
                f"编号 {person_number:.40} 无对应人员",
                f"no person numbered {person_number:.40}",
                field="person_number",
            )
        if session.execute(select(Account.id).where(Account.person_id == person.id)).first():
            raise Conflict(
                "一人一号：此人已有账户", "this person already has an account", field="person_number"
            )
        person_id = person.id
    account = Account(
        username=username,
        display_name=display,
        unit_id=unit.id,
        person_id=person_id,
        password_hash=hash_password(password),
        disabled=False,
        totp_enabled=False,
        email=address,
    )
    session.add(account)
    session.flush()
    for role in dict.fromkeys(roles):
        grant_role(session, account, role, granted_by)
    return account


def list_accounts(session: Session, unit_code: str | None = None) -> list[Account]:
    query = select(Account).order_by(Account.username)
    if unit_code:
        query = query.join(Unit, Unit.id == Account.unit_id).where(Unit.code == unit_code)
    return list(session.execute(query).scalars())


def set_email(session: Session, account: Account, email: str | None) -> Account:
    """Set or clear (``None`` / "") the address the platform's reminders go to; the format is checked."""
    account.email = clean_email(email)
    session.flush()
    return account


def set_disabled(session: Session, account: Account, disabled: bool, by: str | None = None) -> Account:
    """Disable (停用) or re-enable an account; its tokens and sessions stop working on the next request.

    Disabling also tells the :data:`ACCOUNT_LISTENERS` (grant credentials end with it); re-enabling gives back
    the account only, never what was ended with it.
    """
    if disabled and by is not None and by == account.username:
        raise PermissionDenied("不能停用本人账户", "you cannot disable your own account", field="username")
    if disabled and Role.OFFICE_ADMIN in roles_of(session, account.id):
        _keep_the_last_administrator(session, account.id)
    was = account.disabled
    account.disabled = disabled
    session.flush()
    if disabled and not was:
        _tell(session, account, "disabled", None, by)
    return account


def move_account(session: Session, account: Account, unit_code: str, by: str | None = None) -> list[str]:
    """Transfer an account to another unit (调岗); returns the roles it lost.

    Every role is revoked: a role is given for a post in a unit (the applicant applies for its unit, the officer
    reviews for it), so none carries over to the new post until the office grants it there (Art. 30 权限分配;
    the same as offboarding does with the old post). The listeners are told, so what the account held for its
    old unit — sharing's grant credentials — ends with the move.
    """
    unit = get_unit(session, unit_code)
    if unit.id == account.unit_id:
        raise Conflict(
            f"账户 {account.username} 已在单位 {unit.code}", f"{account.username} is already in {unit.code}",
            field="unit_code",
        )  # fmt: skip
    if by is not None and by == account.username:
        raise PermissionDenied("不能为本人调岗", "you cannot move your own account", field="username")
    account.unit_id = unit.id
    session.flush()
    _tell(session, account, "moved", None, by)
    lost = sorted(roles_of(session, account.id))
    for role in lost:  # a move, not a departure: the person keeps a post, in the new unit (no offboarding)
        _take_role(session, _check_role(role), account, by, departure=True)
    return lost


class OffboardingRequired(Conflict):
    """The plain "disable", or revoking the last role, asked of an account with a data post: that is a
    departure, done through offboarding (Art. 53)."""

    code, title_zh, title_en = "offboarding-required", "须办理离岗", "Offboarding required"


def disable_account(session: Session, account: Account, by: str | None = None) -> Account:
    """The plain "disable" (停用) of the API, the account page and ``edudata accounts disable``.

    An account that holds a role is a person with a data post: it leaves through offboarding (离岗, Art. 53 —
    附件4, devices back or an approved exception, the off-duty year), which revokes the roles and then disables
    the account. So the plain path refuses it (409 ``offboarding-required``, nothing changed) instead of
    skipping those duties; an account without any role (never given one, or whose roles the office took away
    by a move to another unit) is disabled here as before. The last role cannot be revoked plainly either
    (:func:`revoke_role`), so the roles cannot be taken away one by one to get past this.
    """
    held = sorted(roles_of(session, account.id))
    if held:
        raise OffboardingRequired(
            f"账户 {account.username} 持有角色（{'、'.join(held)}），须通过离岗办理停用（离岗保密承诺书附件4、"
            "清退信息设备、脱密期，第五十三条）",
            f"{account.username} holds roles ({', '.join(held)}): it is disabled through offboarding (Annex 4, "
            "devices back, the off-duty year; Art. 53)",
            roles=held,
            offboarding=f"/lifecycle/offboarding/{account.username}",
        )
    return set_disabled(session, account, True, by)


# ---------------------------------------------------------------- roles and separation of duties (Art. 30)


def roles_of(session: Session, account_id: int) -> frozenset[str]:
    rows = session.execute(
        select(RoleAssignment.role).where(RoleAssignment.account_id == account_id)
    ).scalars()
    return frozenset(rows)


def _check_role(role: object) -> str:
    if role not in ALL_ROLES:
        raise ValidationFailed(f"角色 {role!s:.40} 不存在", f"unknown role {role!s:.40}", field="role")
    return str(role)


def sod_pairs(session: Session) -> set[tuple[str, str]]:
    """The pairs in force: Art. 30's built-in exclusions, always, and the stricter ones the office added."""
    return set(BUILTIN_PAIRS) | {(r.role_a, r.role_b) for r in session.execute(select(SodRule)).scalars()}


def _check_sod(session: Session, roles: Iterable[str]) -> None:
    """Refuse a set of roles that contains an incompatible pair (不相容岗位), naming both roles."""
    held = sorted(set(roles))
    pairs = sod_pairs(session)
    for i, a in enumerate(held):
        for b in held[i + 1 :]:
            if (a, b) in pairs:
                raise sod_refusal(a, b)


def sod_refusal(a: str, b: str) -> Conflict:
    (a_zh, a_en), (b_zh, b_en) = role_name(a), role_name(b)
    return Conflict(
        f"职责分离：“{a_zh}”与“{b_zh}”为不相容岗位，不能由同一账户兼任（《管理办法》第三十条 权限分离）",
        f"separation of duties: '{a_en}' and '{b_en}' are incompatible and cannot be held by one account (Art. 30)",
        field="role",
        roles=sorted((a, b)),
    )


def grant_role(session: Session, account: Account, role: str, granted_by: str | None) -> RoleAssignment:
    """Give ``account`` a role unless a SoD rule forbids it together with a role it holds; idempotent."""
    role = _check_role(role)
    if granted_by is not None and granted_by == account.username:
        raise PermissionDenied("不能为本人授予角色", "you cannot grant a role to yourself", field="role")
    held = roles_of(session, account.id)
    existing = session.execute(
        select(RoleAssignment).where(RoleAssignment.account_id == account.id, RoleAssignment.role == role)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    _check_sod(session, [*held, role])
    _tell(session, account, "role_granting", role, granted_by)  # a listener may refuse (the off-duty year)
    assignment = RoleAssignment(account_id=account.id, role=role, granted_by=granted_by, granted_at=utcnow())
    session.add(assignment)
    session.flush()
    return assignment


def revoke_role(
    session: Session, account: Account, role: str, revoked_by: str | None = None, *, leaving: bool = False
) -> None:
    """Take a role away; the last enabled office administrator keeps theirs so the office is never locked out.

    Taking an account's **last** role is a departure from its data post (Art. 53): it goes through offboarding
    (附件4, devices back, exit education, the off-duty year), which calls this with ``leaving=True``. Anywhere
    else it is refused with 409 ``offboarding-required`` and nothing changes — otherwise the office could revoke
    the roles one by one and then disable the account plainly, skipping those duties. Changing one role for
    another (grant the new one, then revoke the old) stays a plain revocation.
    """
    _take_role(session, _check_role(role), account, revoked_by, departure=leaving)


def _take_role(session: Session, role: str, account: Account, by: str | None, *, departure: bool) -> None:
    """Revoke one role; ``departure``: the caller is the offboarding (or a move), so the last role may go."""
    assignment = session.execute(
        select(RoleAssignment).where(RoleAssignment.account_id == account.id, RoleAssignment.role == role)
    ).scalar_one_or_none()
    if assignment is None:
        raise NotFound(
            f"账户 {account.username} 未持有该角色", f"{account.username} does not hold {role}", field="role"
        )
    if role == Role.OFFICE_ADMIN:
        _keep_the_last_administrator(session, account.id)
    held = roles_of(session, account.id)
    if held == {role} and not departure:
        raise OffboardingRequired(
            f"角色 {role} 是账户 {account.username} 的最后一个角色：收回全部角色即离岗，须通过离岗办理"
            f"（离岗保密承诺书附件4、清退信息设备、离岗教育，第五十三条）：/lifecycle/offboarding/{account.username}",
            f"{role} is the last role of {account.username}: taking every role away is a departure, done through "
            f"offboarding (Annex 4, devices back, exit education; Art. 53): /lifecycle/offboarding/{account.username}",
            field="role",
            roles=sorted(held),
            offboarding=f"/lifecycle/offboarding/{account.username}",
        )
    session.delete(assignment)
    session.flush()
    _tell(session, account, "role_revoked", role, by)


def _keep_the_last_administrator(session: Session, leaving_id: int) -> None:
    others = session.execute(
        select(func.count())
        .select_from(RoleAssignment)
        .join(Account, Account.id == RoleAssignment.account_id)
        .where(
            RoleAssignment.role == Role.OFFICE_ADMIN, Account.id != leaving_id, Account.disabled.is_(False)
        )
    ).scalar_one()
    if not others:
        raise Conflict(
            "至少保留一名可用的网信办管理员",
            "at least one enabled office administrator must remain",
            field="role",
        )


def add_sod_rule(session: Session, role_a: str, role_b: str, created_by: str | None = None) -> SodRule:
    """Declare two roles incompatible; refused while some account still holds both (revoke one first)."""
    a, b = sorted((_check_role(role_a), _check_role(role_b)))
    if a == b:
        raise ValidationFailed(
            "不相容岗位须为两个不同角色", "an incompatible pair needs two different roles", field="role_b"
        )
    if session.execute(select(SodRule.id).where(SodRule.role_a == a, SodRule.role_b == b)).first():
        raise Conflict(
            "该不相容岗位规则已存在", "this separation-of-duties rule already exists", field="role_b"
        )
    holders_a = select(RoleAssignment.account_id).where(RoleAssignment.role == a)
    both = session.execute(
        select(Account.username)
        .join(RoleAssignment, RoleAssignment.account_id == Account.id)
        .where(RoleAssignment.role == b, Account.id.in_(holders_a))
        .order_by(Account.username)
    ).scalars()
    clash = list(both)
    if clash:
        raise Conflict(
            f"账户 {', '.join(clash[:5])} 同时持有这两个角色，请先撤销其一",
            f"accounts {', '.join(clash[:5])} hold both roles; revoke one first",
            field="role_b",
            accounts=clash[:20],
        )
    rule = SodRule(role_a=a, role_b=b, created_by=created_by, created_at=utcnow())
    session.add(rule)
    session.flush()
    return rule


def remove_sod_rule(session: Session, role_a: str, role_b: str) -> None:
    """Remove a pair the office added; Art. 30's built-in exclusions cannot be removed (409)."""
    a, b = sorted((_check_role(role_a), _check_role(role_b)))
    if is_builtin(a, b):
        (a_zh, a_en), (b_zh, b_en) = role_name(a), role_name(b)
        raise Conflict(
            f"“{a_zh}”与“{b_zh}”的分离是《管理办法》第三十条规定的，不能删除",
            f"the separation of '{a_en}' and '{b_en}' is required by Art. 30 and cannot be removed",
            field="role_b",
        )
    rule = session.execute(
        select(SodRule).where(SodRule.role_a == a, SodRule.role_b == b)
    ).scalar_one_or_none()
    if rule is None:
        raise NotFound("该不相容岗位规则不存在", "no such separation-of-duties rule", field="role_b")
    session.delete(rule)
    session.flush()


def list_sod_rules(session: Session) -> list[SodRule]:
    return list(session.execute(select(SodRule).order_by(SodRule.role_a, SodRule.role_b)).scalars())
