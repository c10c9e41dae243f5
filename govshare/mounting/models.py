from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govshare.core.database import Base, utcnow


class DataLoad(Base):
    """One attempt to load data into an entry, successful or not: the load report."""

    __tablename__ = "data_loads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("catalog_entries.id", ondelete="CASCADE"))
    mode: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))  # upload | database
    status: Mapped[str] = mapped_column(String(16))  # succeeded | failed
    filename: Mapped[str | None] = mapped_column(String(255))
    format: Mapped[str | None] = mapped_column(String(16))
    encoding: Mapped[str | None] = mapped_column(String(32))
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    rows_read: Mapped[int] = mapped_column(BigInteger, default=0)
    inserted: Mapped[int] = mapped_column(BigInteger, default=0)
    updated: Mapped[int] = mapped_column(BigInteger, default=0)
    deleted: Mapped[int] = mapped_column(BigInteger, default=0)
    unchanged: Mapped[int] = mapped_column(BigInteger, default=0)
    first_seq: Mapped[int | None] = mapped_column(BigInteger)
    last_seq: Mapped[int | None] = mapped_column(BigInteger)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list] = mapped_column(JSON, default=list)
    warning_count: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    message: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_data_loads_entry", "entry_id", "started_at"),)


class DataChange(Base):
    """Row-level change log of mounted data, in order; the source of the change feed.

    Sequence numbers are per entry and gap-free: loads of one entry are serialised on the entry
    row, so a reader that has seen seq n has seen every change up to n.
    """

    __tablename__ = "data_changes"

    entry_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    op: Mapped[str] = mapped_column(String(8))  # insert | update | delete
    key: Mapped[str] = mapped_column(Text)
    load_id: Mapped[str] = mapped_column(String(32))

    # Clustered on (entry_id, seq) in SQLite too: one B-tree instead of a table plus its key index.
    __table_args__ = {"sqlite_with_rowid": False}


class DatabaseSource(Base):
    """A department database an entry is mounted to; pulled on demand and on its schedule."""

    __tablename__ = "database_sources"

    entry_id: Mapped[str] = mapped_column(ForeignKey("catalog_entries.id", ondelete="CASCADE"), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    table_name: Mapped[str | None] = mapped_column(String(255))
    query: Mapped[str | None] = mapped_column(Text)
    change_column: Mapped[str | None] = mapped_column(String(128))
    column_map: Mapped[dict] = mapped_column(JSON, default=dict)
    schedule_seconds: Mapped[int | None] = mapped_column(Integer)
    last_pulled_at: Mapped[datetime | None] = mapped_column(default=None)
    last_change_value: Mapped[str | None] = mapped_column(Text)
    next_pull_at: Mapped[datetime | None] = mapped_column(default=None)
    last_status: Mapped[str | None] = mapped_column(String(16))
    last_message: Mapped[str | None] = mapped_column(Text)

