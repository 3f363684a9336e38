"""Units, people, accounts, role assignments and separation-of-duties rules (Art. 5-12, 30).

一校一码: the school has one 学校标识码 (10 digits); each unit inside it a 4-digit code. 一人一号: a person has one
staff or student number and at most one account per number. Other domains reference ``org_unit.id`` and
``org_account.id`` by foreign key, or name units by their stable ``code``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from edudata.db import Base, utcnow


class UnitType(StrEnum):
    """The kinds of unit the regulation names (Art. 5-12)."""

    SCHOOL = "school"  # 学校
    LEADERSHIP_GROUP = "leadership_group"  # 网信领导小组 (Art. 5)
    OFFICE = "office"  # 网信办 (Art. 6)
    PRODUCER = "producer"  # 数据生产单位 (Art. 7-8)
    USER = "user"  # 数据使用单位 (Art. 9)
    SUPPORT = "support"  # 技术支持或服务单位 (Art. 12)


class Unit(Base):
    """An organisational unit (单位); its ``code`` never changes once other records name it."""

    __tablename__ = "org_unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    unit_type: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Person(Base):
    """A member of staff or a student, identified by one number (一人一号)."""

    __tablename__ = "org_person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    number: Mapped[str] = mapped_column(String(32), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Account(Base):
    """A login (账户) belonging to a unit; the password is stored only as an Argon2 hash (Art. 54)."""

    __tablename__ = "org_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("org_person.id"), index=True, nullable=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where the platform's reminders go (待办提醒): optional; the person's work mailbox, never shown to others.
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    totp_secret: Mapped[str | None] = mapped_column(String(255), nullable=True)  # sealed (identity.totp)
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Last accepted TOTP time step: a code is accepted once only (no replay within its 30 s window).
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RoleAssignment(Base):
    """One role held by one account, with who granted it and when (Art. 30: 权限分配留痕)."""

    __tablename__ = "org_role_assignment"
    __table_args__ = (UniqueConstraint("account_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("org_account.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    granted_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SodRule(Base):
    """Two roles one account may not hold together (不相容岗位分离, Art. 30); stored with ``role_a < role_b``."""

    __tablename__ = "org_sod_rule"
    __table_args__ = (UniqueConstraint("role_a", "role_b"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role_a: Mapped[str] = mapped_column(String(32))
    role_b: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
