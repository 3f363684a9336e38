"""Tables of the key hierarchy (Art. 27-28 加密存储; Art. 34-36 数据销毁).

master key (file, never in the database) ─wraps→ ``DataKey`` (one per purpose and generation)
                                                 ─wraps→ ``SubjectKey`` (one per person, crypto-shredding)
Values are encrypted under a data key or a subject key; only wrapped (encrypted) key material is stored here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from edudata.db import Base, utcnow


class DataKey(Base):
    """A data-encryption key (数据密钥, DEK) for one purpose, e.g. ``dataset:student_basic`` or ``blind-index``.

    ``wrapped_key`` is the DEK under master-key version ``master_key_version`` (AES-256-GCM, the key's identity
    ``purpose``/``generation`` as associated data, so a wrapped key moved to another row does not unwrap).
    A newer ``generation`` takes new writes after :func:`rotate_data_key`; ``retired_at`` marks the older ones,
    which still decrypt what they encrypted. Ids are never reused (``sqlite_autoincrement``): a ciphertext names
    its key by id for ever.
    """

    __tablename__ = "crypto_data_key"
    __table_args__ = (UniqueConstraint("purpose", "generation"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(200))
    generation: Mapped[int] = mapped_column(Integer)
    master_key_version: Mapped[int] = mapped_column(Integer)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SubjectKey(Base):
    """One data subject's own key (个人密钥), for crypto-shredding (Art. 35 以不可逆方式销毁敏感数据及其副本).

    ``subject_ref`` is the blind index of the person's identifier, so the table never holds the identifier.
    The key is wrapped by the data key ``data_key_id`` (purpose ``subject-keys``), which keeps master-key
    rotation cheap however many people there are. Destruction sets ``wrapped_key`` to NULL and records
    ``destroyed_at``; the row stays as a tombstone so the person is known to be destroyed, not merely absent.
    """

    __tablename__ = "crypto_subject_key"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_ref: Mapped[str] = mapped_column(String(64), unique=True)
    data_key_id: Mapped[int] = mapped_column(ForeignKey("crypto_data_key.id"), index=True)
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    destroyed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class RecipientKey(Base):
    """An account's X25519 public key: packages of important data exported to it are sealed to this key
    (Art. 26 重要数据传输加密). Only the public half is ever here; the private key stays with the recipient."""

    __tablename__ = "crypto_recipient_key"

    account_id: Mapped[int] = mapped_column(ForeignKey("org_account.id"), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
