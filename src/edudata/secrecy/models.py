"""Tables of state-secret data (Art. 57): the 涉密 marking of a dataset or element and the register of its handling."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from edudata.db import Base, utcnow


class SecretMarking(Base):
    """A dataset (``element_code`` empty) or one element marked 涉及国家秘密 (定密). While ``lifted_at`` is empty it
    keeps the data out of sharing, open data, exports and third-party releases (Art. 56–57)."""

    __tablename__ = "secrecy_marking"
    __table_args__ = (UniqueConstraint("dataset_code", "element_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_code: Mapped[str] = mapped_column(String(48), index=True)
    element_code: Mapped[str] = mapped_column(String(32), default="")  # "" = the whole dataset
    basis: Mapped[str] = mapped_column(Text)  # 定密依据
    marked_by: Mapped[str] = mapped_column(String(64))
    marked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    lifted_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SecretRegisterEntry(Base):
    """One handling of secret data in the register (涉密数据登记台账, Art. 57): making, copying, transmitting,
    destroying or providing it outside the school — each approved by the office, by someone other than the
    requester. Providing it outside needs the competent authority's approval and a signed secrecy agreement."""

    __tablename__ = "secrecy_register_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_code: Mapped[str] = mapped_column(String(48), index=True)
    element_code: Mapped[str] = mapped_column(String(32), default="")
    kind: Mapped[str] = mapped_column(String(16))  # make · copy · transmit · destroy · provide
    description: Mapped[str] = mapped_column(Text)  # 载体、份数、范围、用途
    recipient: Mapped[str] = mapped_column(String(200), default="")
    external: Mapped[bool] = mapped_column(Boolean, default=False)
    authority_approval: Mapped[str] = mapped_column(String(200), default="")  # 主管部门批准文号
    agreement_ref: Mapped[str] = mapped_column(String(200), default="")  # 保密协议编号
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending · approved · rejected
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decision_note: Mapped[str] = mapped_column(Text, default="")
