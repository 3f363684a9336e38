"""Registry of materialised dataset tables (which table holds which dataset, and in which layout)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from edudata.db import Base, utcnow


class StoreTable(Base):
    """One governed table per catalogued dataset; ``layout_hash`` changes when its columns must change."""

    __tablename__ = "store_table"

    dataset_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(80), unique=True)
    layout_hash: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
