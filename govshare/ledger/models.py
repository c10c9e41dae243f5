"""The ledger's tables: sequenced leaves, the tree's node hashes in tiles, signed checkpoints, keys.

`ledger_state.size` is the number of sequenced leaves. A transaction that logs events increments it
as its last statement and inserts its leaves at the numbers it got: the row lock (PostgreSQL) or
the write lock (SQLite) is held until commit, so numbers are handed out in commit order and the
committed leaves are always the prefix 0..size-1, with no gap. The integrator extends the tree over
that prefix; `ledger_checkpoints` holds every signed tree head.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from govshare.core.database import Base, utcnow


class LedgerState(Base):
    __tablename__ = "ledger_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    size: Mapped[int] = mapped_column(BigInteger, default=0)


# BIGINT on PostgreSQL; on SQLite the sequence number is the table's rowid (INTEGER PRIMARY KEY): one
# B-tree less to write per leaf than a separate primary key index.
_Seq = BigInteger().with_variant(Integer, "sqlite")
# Partial-index predicates: exchange calls (a method) and every other event (governance).
CALLS = text("method IS NOT NULL")
GOVERNANCE = text("method IS NULL")


class LedgerEntry(Base):
    """One leaf: the canonical JSON (RFC 8785) of an event, and the columns it is searched by.

    An exchange call's leaf is also its audit record (one row per call, written before the answer
    leaves): `method` … `status_code` are set for calls only, and the call history, monitoring and the
    citizen's record read them. The columns repeat what the leaf says (`ledger verify` checks that they
    agree); the leaf is what is hashed into the tree.

    Indexes: calls are found by provider, consumer and entry over time; governance events, far fewer, by
    consumer and grant through partial indexes that calls never write. Each of those grows at the end of
    its department's or entry's range. Subjects are random keyed hashes, so an index on them here would
    write a page of its own for every call: they are indexed apart, by the integrator (`LedgerSubject`)."""

    __tablename__ = "ledger_entries"

    seq: Mapped[int] = mapped_column(_Seq, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column()
    kind: Mapped[str] = mapped_column(String(40))
    leaf: Mapped[bytes] = mapped_column(LargeBinary)
    subject_hash: Mapped[str | None] = mapped_column(String(64))
    consumer_org_id: Mapped[str | None] = mapped_column(String(32))
    provider_org_id: Mapped[str | None] = mapped_column(String(32))
    entry_id: Mapped[str | None] = mapped_column(String(32))
    grant_id: Mapped[str | None] = mapped_column(String(32))
    # Exchange calls only:
    method: Mapped[str | None] = mapped_column(String(16))  # lookup | verify | export | feed
    client_id: Mapped[str | None] = mapped_column(String(32))
    purpose: Mapped[str | None] = mapped_column(Text)
    row_count: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(32))  # ok | not_found | a denial reason | rate_limited
    status_code: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_ledger_calls_provider", "provider_org_id", "at", sqlite_where=CALLS, postgresql_where=CALLS),
        Index("ix_ledger_calls_consumer", "consumer_org_id", "at", sqlite_where=CALLS, postgresql_where=CALLS),
        Index("ix_ledger_entries_entry", "entry_id", "at"),
        Index("ix_ledger_events_consumer", "consumer_org_id", "at", sqlite_where=GOVERNANCE,
              postgresql_where=GOVERNANCE),
        Index("ix_ledger_events_grant", "grant_id", "at", sqlite_where=GOVERNANCE, postgresql_where=GOVERNANCE),
    )


class LedgerSubject(Base):
    """The subject index: which leaves are about whom, for every integrated leaf with a subject.

    Written by the integrator in the transaction that signs the checkpoint, sorted, so that the
    integrated leaves are always exactly the indexed ones; the leaves after the latest checkpoint (a
    second or two of calls) are read by their numbers (`ledger.subjects`). Inserted with each call, a
    random keyed hash lands on a page of its own: one page written per call, and on SQLite re-read
    after every other process's commit (issue #4's appends fell from 56k to 19k events/s). Once a
    second, in order, the same entries share pages. The key is the keyed hash's first 64 bits (a
    tenth of its text's size; the leaf's row holds the whole hash, which queries compare too)."""

    __tablename__ = "ledger_subjects"

    subject_key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)

    __table_args__ = {"sqlite_with_rowid": False}


class LedgerTile(Base):
    """The node hashes of one tile: tree levels 8·level … 8·level+7 above 256 base nodes (fewer in
    the right-edge tile, which the integrator rewrites as it grows). `hashes` holds each level of
    the tile in turn (width, width/2, … nodes), 32 bytes each, so any node is one read."""

    __tablename__ = "ledger_tiles"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    width: Mapped[int] = mapped_column(SmallInteger)
    hashes: Mapped[bytes] = mapped_column(LargeBinary)


class LedgerCheckpoint(Base):
    """A signed tree head (C2SP tlog-checkpoint note). The size is the key: two integrators racing
    for the same tree size cannot both commit, so the log never forks."""

    __tablename__ = "ledger_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary)
    note: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerKey(Base):
    """Every public key the ledger has signed with (`<name>+<key id>+<base64 key>`), current and retired:
    checkpoints and receipts signed before a rotation stay verifiable."""

    __tablename__ = "ledger_keys"

    key_id: Mapped[str] = mapped_column(String(8), primary_key=True)
    verifier_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column()


class MonitoringAlert(Base):
    """A monitoring rule that fired (事中监控), for the providing department's security officer."""

    __tablename__ = "monitoring_alerts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    rule: Mapped[str] = mapped_column(String(32))
    provider_org_id: Mapped[str | None] = mapped_column(String(32), index=True)
    consumer_org_id: Mapped[str | None] = mapped_column(String(32))
    client_id: Mapped[str | None] = mapped_column(String(32))
    entry_id: Mapped[str | None] = mapped_column(String(32))
    grant_id: Mapped[str | None] = mapped_column(String(32))
    count: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[float | None] = mapped_column()
    detail: Mapped[str] = mapped_column(Text)
    first_at: Mapped[datetime] = mapped_column()
    last_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))


class MonitoringCursor(Base):
    """How far the monitoring rules have read the log: every leaf below `next_seq` has been seen."""

    __tablename__ = "monitoring_cursor"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_seq: Mapped[int] = mapped_column(BigInteger, default=0)
