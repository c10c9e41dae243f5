"""The exchange audit trail: one row per call, written before the response leaves."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govshare.core.database import Base, utcnow

# BIGINT on PostgreSQL; on SQLite only INTEGER PRIMARY KEY is the auto-incrementing rowid.
_BigId = BigInteger().with_variant(Integer, "sqlite")


class ExchangeCall(Base):
    """Who called what, how, why, about whom (a keyed hash), how many rows, with what outcome."""

    __tablename__ = "exchange_calls"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    provider_org_id: Mapped[str | None] = mapped_column(String(32))
    consumer_org_id: Mapped[str] = mapped_column(String(32))
    client_id: Mapped[str] = mapped_column(String(32))
    entry_id: Mapped[str] = mapped_column(String(32))
    grant_id: Mapped[str | None] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str | None] = mapped_column(Text)
    subject_hash: Mapped[str | None] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(32))  # ok | not_found | a denial reason | rate_limited
    status_code: Mapped[int] = mapped_column(Integer)
    ledger_seq: Mapped[int | None] = mapped_column(BigInteger)  # the call's leaf in the ledger

    __table_args__ = (
        Index("ix_exchange_calls_entry_at", "entry_id", "at"),
        Index("ix_exchange_calls_consumer_at", "consumer_org_id", "at"),
        Index("ix_exchange_calls_provider_at", "provider_org_id", "at"),
    )


class FeedRelayCursor(Base):
    """How far the NATS relay has published each grant's change feed."""

    __tablename__ = "feed_relay_cursors"

    grant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
