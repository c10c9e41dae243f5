"""The exchange domain's own state. Each call's audit record is its ledger leaf (`ledger.models.LedgerEntry`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from govshare.core.database import Base, utcnow


class FeedRelayCursor(Base):
    """How far the NATS relay has published each grant's change feed."""

    __tablename__ = "feed_relay_cursors"

    grant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
