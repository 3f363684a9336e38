"""Tables of the catalogue (数据资源目录, Art. 39) and the data standards (数据标准, Art. 8(2)).

- Code sets are data, versioned: a new version never overwrites an old one (membership in an older version
  stays answerable, e.g. for records made under it).
- 一数一源 (Art. 8(4), 19): ``catalog_source`` holds one authoritative source unit per standard code — its
  primary key makes a second source impossible in the database itself — and every element points at that row
  through a composite foreign key, so an element can only name the registered source. Reassigning the source
  (office only) updates the row and, by ``ON UPDATE CASCADE``, every element with it; ``catalog_source_history``
  keeps each assignment.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edudata.db import Base, utcnow


class CodeSet(Base):
    """A code set (代码集) such as GB/T 3304 ethnic groups; its codes live in versions."""

    __tablename__ = "catalog_code_set"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(500), default="")
    licence: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    versions: Mapped[list[CodeSetVersion]] = relationship(
        back_populates="code_set", order_by="CodeSetVersion.effective_from, CodeSetVersion.id"
    )


class CodeSetVersion(Base):
    """One published version of a code set; the current one is the latest already in effect."""

    __tablename__ = "catalog_code_set_version"
    __table_args__ = (UniqueConstraint("code_set_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_set_id: Mapped[int] = mapped_column(ForeignKey("catalog_code_set.id"), index=True)
    version: Mapped[str] = mapped_column(String(64))
    effective_from: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    note: Mapped[str] = mapped_column(String(1000), default="")

    code_set: Mapped[CodeSet] = relationship(back_populates="versions")
    codes: Mapped[list[Code]] = relationship(back_populates="version", order_by="Code.position")


class Code(Base):
    """One value of a code set version, in the standard's order (``position``)."""

    __tablename__ = "catalog_code"
    __table_args__ = (UniqueConstraint("version_id", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_code_set_version.id"), index=True)
    value: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    version: Mapped[CodeSetVersion] = relationship(back_populates="codes")


class Dataset(Base):
    """A dataset (数据集) of the data resource catalogue with its classification, grade and categories."""

    __tablename__ = "catalog_dataset"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(48), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    subject_area: Mapped[str] = mapped_column(String(32))
    nature: Mapped[str] = mapped_column(String(32))
    grade: Mapped[str] = mapped_column(String(16))
    share_category: Mapped[str] = mapped_column(String(16))
    open_category: Mapped[str] = mapped_column(String(16))
    update_frequency: Mapped[str] = mapped_column(String(16))
    sync_interval_seconds: Mapped[int] = mapped_column(Integer)
    # The element naming the unit a row belongs to (YXDM, DWDM) and the one naming the person (SFZJH).
    unit_element: Mapped[str | None] = mapped_column(String(32), nullable=True)
    subject_element: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    elements: Mapped[list[DataElement]] = relationship(
        back_populates="dataset", order_by="DataElement.position, DataElement.id"
    )


class DataElement(Base):
    """A data element (数据项) of a dataset: type, code set, grade, share category, sensitive-PI flag (Art. 51)
    and its authoritative source unit (一数一源)."""

    __tablename__ = "catalog_data_element"
    __table_args__ = (
        UniqueConstraint("dataset_id", "code"),
        ForeignKeyConstraint(
            ["standard_code", "source_unit_id"],
            ["catalog_source.standard_code", "catalog_source.source_unit_id"],
            onupdate="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("catalog_dataset.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(String(1000), default="")
    data_type: Mapped[str] = mapped_column(String(16))
    code_set_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_code_set.id"), nullable=True, index=True
    )
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    max_length: Mapped[int | None] = mapped_column(Integer, nullable=True)
    grade: Mapped[str] = mapped_column(String(16))
    share_category: Mapped[str] = mapped_column(String(16))
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    sensitive_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    standard_code: Mapped[str] = mapped_column(String(128), index=True)
    source_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    dataset: Mapped[Dataset] = relationship(back_populates="elements")
    code_set: Mapped[CodeSet | None] = relationship()


class AuthoritativeSource(Base):
    """一数一源 register: the one authoritative source unit of each standard data element (Art. 8(4))."""

    __tablename__ = "catalog_source"
    __table_args__ = (UniqueConstraint("standard_code", "source_unit_id"),)

    standard_code: Mapped[str] = mapped_column(String(128), primary_key=True)
    source_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    assigned_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    note: Mapped[str] = mapped_column(String(500), default="")


class SourceAssignment(Base):
    """Every (re)assignment of an authoritative source, kept for accountability (Art. 8(4), 64(1))."""

    __tablename__ = "catalog_source_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    standard_code: Mapped[str] = mapped_column(String(128), index=True)
    previous_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), nullable=True)
    source_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    assigned_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reason: Mapped[str] = mapped_column(String(500), default="")
