"""The subject index (`models.LedgerSubject`): whom each integrated leaf is about, by the first 64 bits
of the subject's keyed hash, written by the integrator with each checkpoint.

Reading it: the integrated leaves about a subject are the index's; the ones after the latest
checkpoint (sequenced, not yet integrated: a second or two of calls) are found by number, a range
read of the newest leaves. The integrator commits a checkpoint and the index rows it covers together,
and the integrated size only grows: read first, it is at most the size the index covers when the
query runs, so the two parts overlap (the IN drops the repeats) and never leave a gap. It is given to
the query as a value: PostgreSQL plans a range it can see as the few newest rows, one behind a
subquery as a third of the table (a sequential scan).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, select, union_all
from sqlalchemy.orm import aliased

from govshare.ledger.models import LedgerEntry, LedgerSubject

INSERT_SQL = "INSERT INTO ledger_subjects (subject_key, seq) VALUES ({mark}, {mark})"


def subject_key(subject_hash: str) -> int:
    """The index's key for a subject's keyed hash (hex): its first 64 bits, as a signed BIGINT. Any other
    text (the platform writes none, but a row edited underneath may hold one) is keyed by its SHA-256's:
    the integrator must not stop at it; `ledger verify` reports it."""
    try:
        raw = bytes.fromhex(subject_hash[:16])
    except ValueError:
        raw = b""
    if len(raw) != 8:
        raw = hashlib.sha256(subject_hash.encode("utf-8", "surrogatepass")).digest()[:8]
    return int.from_bytes(raw, "big", signed=True)


def index_rows(leaves: Iterable[tuple[int, str | None]]) -> list[tuple[int, int]]:
    """The index's rows (key, number) for leaves given as (number, subject hash or None), in key order:
    inserted in order, neighbouring keys share the B-tree's pages."""
    return sorted((subject_key(subject), seq) for seq, subject in leaves if subject is not None)


def about(subject_hash: str, integrated: int) -> ColumnElement[bool]:
    """Where-clause for the leaves about one subject (its keyed hash): the indexed ones and, from
    `integrated` (the latest checkpoint's size, read before), those whose row names it. The row's hash
    is compared too: the key is only its prefix."""
    newest = aliased(LedgerEntry)
    indexed = select(LedgerSubject.seq).where(LedgerSubject.subject_key == subject_key(subject_hash))
    recent = select(newest.seq).where(newest.seq >= integrated, newest.subject_hash == subject_hash)
    return and_(LedgerEntry.seq.in_(union_all(indexed, recent)), LedgerEntry.subject_hash == subject_hash)
