from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govshare.core.database import Base, utcnow
from govshare.orgs.models import Organization


class CatalogClass(Base):
    """A node of the classification 类-项-目-细目; numbers are assigned in order of first use."""

    __tablename__ = "catalog_classes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    category: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_classes.id"))
    depth: Mapped[int] = mapped_column(Integer)  # 1 项, 2 目, 3 细目
    name: Mapped[str] = mapped_column(String(50))
    number: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    next_seq: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (UniqueConstraint("category", "parent_id", "name"),)


class CatalogEntry(Base):
    """A catalog entry (目录条目): one described information resource."""

    __tablename__ = "catalog_entries"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    summary: Mapped[str] = mapped_column(String(256))
    category: Mapped[str] = mapped_column(String(16), index=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("catalog_classes.id"))
    class_path: Mapped[list[str]] = mapped_column(JSON, default=list)
    provider_org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    format: Mapped[str] = mapped_column(String(32))
    share_type: Mapped[str] = mapped_column(String(16), index=True)
    share_condition: Mapped[str | None] = mapped_column(Text)
    share_methods: Mapped[list[str]] = mapped_column(JSON, default=list)
    open_type: Mapped[str] = mapped_column(String(16), index=True)
    open_condition: Mapped[str | None] = mapped_column(Text)
    update_cycle: Mapped[str] = mapped_column(String(16))
    publish_date: Mapped[date | None] = mapped_column(Date)
    related_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), index=True, default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Mount state (挂接), kept on the entry so lists can filter and show it without joins.
    mounted: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    data_table: Mapped[str | None] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(BigInteger, default=0)
    last_load_at: Mapped[datetime | None] = mapped_column(default=None)
    last_change_at: Mapped[datetime | None] = mapped_column(default=None)
    # Highest row-level change sequence number of this entry's data (the change feed's cursor space).
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)

    provider: Mapped[Organization] = relationship(lazy="joined", innerjoin=True)
    items: Mapped[list[CatalogItem]] = relationship(
        cascade="all, delete-orphan", order_by="CatalogItem.position", lazy="selectin")


# The open data portal lists public entries (open / conditional) newest first without a scan.
# The trailing columns make it covering for the portal's page and facet queries.
Index("ix_catalog_entries_public", CatalogEntry.open_type, CatalogEntry.status, CatalogEntry.updated_at,
      CatalogEntry.provider_org_id, CatalogEntry.class_id, CatalogEntry.mounted, CatalogEntry.id)


class CatalogItem(Base):
    """An item (信息项): one field of a resource."""

    __tablename__ = "catalog_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("catalog_entries.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(64))
    data_type: Mapped[str] = mapped_column(String(1))
    length: Mapped[int | None] = mapped_column(Integer)
    precision: Mapped[int | None] = mapped_column(Integer)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    is_key: Mapped[bool] = mapped_column(Boolean, default=False)
    sensitivity: Mapped[str] = mapped_column(String(16), default="general")
    pi_kind: Mapped[str] = mapped_column(String(16), default="none")
    # What open data does with this item (OpenTreatment): drop it, or publish a generalised value.
    open_treatment: Mapped[str | None] = mapped_column(String(16), default=None)
    description: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("entry_id", "name"),)


class EntryVersion(Base):
    """A snapshot of an entry after each change, with its diff from the previous version."""

    __tablename__ = "catalog_entry_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("catalog_entries.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    snapshot: Mapped[dict] = mapped_column(JSON)
    diff: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str | None] = mapped_column(String(100))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("entry_id", "version"), Index("ix_versions_entry", "entry_id", "version"))
