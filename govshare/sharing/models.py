"""Demands (数据需求), access requests (共享申请) and grants (授权).

Their entry and consumer load by a second `IN` query (selectin), not a joined load: joined, the entry's
own joined provider nests into an outer join that SQLite evaluated over the whole catalog (an inbox
page took 300 ms at 100,000 entries; 4 ms this way)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govshare.catalog.models import CatalogEntry
from govshare.core.database import Base, utcnow
from govshare.orgs.models import Organization


class Demand(Base):
    """A consumer's statement of data it needs, the platform's suggestions, the answer, the feedback."""

    __tablename__ = "demands"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    consumer_org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    wanted_items: Mapped[str] = mapped_column(Text, default="")
    purpose: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text, default="", server_default="")
    wanted_by: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | answered | closed
    routed_org_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    suggestions: Mapped[list] = mapped_column(JSON, default=list)
    answer: Mapped[str | None] = mapped_column(String(16))  # exists | will_publish | cannot_share
    answer_entry_id: Mapped[str | None] = mapped_column(ForeignKey("catalog_entries.id"))
    promised_by: Mapped[date | None] = mapped_column(Date)
    answer_note: Mapped[str | None] = mapped_column(Text)  # legal basis for cannot_share, or a comment
    answered_by_org_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"))
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    rating: Mapped[int | None] = mapped_column(Integer)
    feedback: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    consumer: Mapped[Organization] = relationship(foreign_keys=[consumer_org_id], lazy="selectin")
    answer_entry: Mapped[CatalogEntry | None] = relationship(lazy="selectin")


class AccessRequest(Base):
    """An application to use an entry; decided by the provider within the legal deadline."""

    __tablename__ = "access_requests"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("catalog_entries.id"), index=True)
    consumer_org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    provider_org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    requested_by: Mapped[str] = mapped_column(String(100))
    items: Mapped[list[str]] = mapped_column(JSON)
    methods: Mapped[list[str]] = mapped_column(JSON)
    masking: Mapped[dict] = mapped_column(JSON, default=dict)  # item -> policy the consumer asks for
    client_ids: Mapped[list[str]] = mapped_column(JSON)  # ApiClient.id values of the consumer
    purpose: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    region_item: Mapped[str | None] = mapped_column(String(64))
    region_code: Mapped[str | None] = mapped_column(String(6))
    duration_days: Mapped[int] = mapped_column(Integer)
    # pending | approved | rejected | refused (share type none) | escalated (overdue, with the operator)
    status: Mapped[str] = mapped_column(String(16), index=True)
    due_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    escalated_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    arbitrated: Mapped[bool] = mapped_column(Boolean, default=False)
    grant_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    entry: Mapped[CatalogEntry] = relationship(lazy="selectin")
    consumer: Mapped[Organization] = relationship(foreign_keys=[consumer_org_id], lazy="selectin")


class Grant(Base):
    """What an approved request allows: items, methods, masking, region scope, clients, until when."""

    __tablename__ = "grants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("access_requests.id"), unique=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("catalog_entries.id"))
    consumer_org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    provider_org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    items: Mapped[list[str]] = mapped_column(JSON)
    methods: Mapped[list[str]] = mapped_column(JSON)
    masking: Mapped[dict] = mapped_column(JSON)  # item -> policy, for every granted item
    client_ids: Mapped[list[str]] = mapped_column(JSON)
    purpose: Mapped[str] = mapped_column(Text)
    region_item: Mapped[str | None] = mapped_column(String(64))
    region_code: Mapped[str | None] = mapped_column(String(6))
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_by: Mapped[str | None] = mapped_column(String(100))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    renewed_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    entry: Mapped[CatalogEntry] = relationship(lazy="selectin")
    consumer: Mapped[Organization] = relationship(foreign_keys=[consumer_org_id], lazy="selectin")

    __table_args__ = (Index("ix_grants_entry_consumer", "entry_id", "consumer_org_id"),)
