"""What the ledger answers: checkpoints, leaves, proofs, keys, and tracing for auditors.

Checkpoints, proofs and public keys hold hashes only and are public, as in Certificate
Transparency. Leaves name departments, entries, grants and purposes: an auditor reads any, a
department the events it is party to (as consumer or provider).
"""

from __future__ import annotations

import json

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from govshare.catalog.models import CatalogEntry
from govshare.core.database import as_utc
from govshare.core.errors import Forbidden, InvalidInput, NotFound
from govshare.core.security import subject_hash
from govshare.ledger import subjects, tree
from govshare.ledger.keys import signer, verifier_keys
from govshare.ledger.merkle import leaf_hash
from govshare.ledger.models import LedgerCheckpoint, LedgerEntry
from govshare.ledger.sequencer import b64
from govshare.orgs.models import Organization, User
from govshare.orgs.roles import Role
from govshare.sharing.models import Grant
from govshare.orgs.service import Principal


def latest_checkpoint(session: Session) -> LedgerCheckpoint:
    found = session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1)).first()
    if found is None:
        raise NotFound("no checkpoint has been signed yet", code="no_checkpoint")
    return found


def checkpoint_at(session: Session, size: int) -> LedgerCheckpoint | None:
    return session.get(LedgerCheckpoint, size)


def public_keys(session: Session) -> list[dict]:
    """Every key the ledger has signed with, current first. Read-only: loading the current key publishes
    it in a transaction of its own (`keys.signer`), and a process that has not loaded it yet lists it from
    the key itself rather than write in a reading request (its snapshot may predate that publication)."""
    current = signer()
    listed = [{"key_id": k.key_id, "verifier_key": k.verifier_key, "created_at": k.created_at,
               "retired_at": k.retired_at} for k in verifier_keys(session)]
    current_id = current.verifier_key.split("+")[1]
    if all(k["key_id"] != current_id for k in listed):
        listed.insert(0, {"key_id": current_id, "verifier_key": current.verifier_key, "created_at": None,
                          "retired_at": None})
    for k in listed:  # the key this platform signs with now: its key file (or GOVSHARE_LEDGER_KEY)
        k["current"] = k["key_id"] == current_id
    return sorted(listed, key=lambda k: not k["current"])


def _may_read(principal: Principal, row: LedgerEntry) -> bool:
    if principal.kind == "user" and principal.has_role(Role.auditor):
        return True
    return principal.org_id in (row.consumer_org_id, row.provider_org_id)


def entry(session: Session, principal: Principal, index: int) -> dict:
    row = session.get(LedgerEntry, index)
    if row is None:
        raise NotFound(f"no leaf {index}", code="no_leaf")
    if not _may_read(principal, row):
        raise Forbidden("only auditors and the departments party to an event read its leaf", code="not_party")
    return describe(row)


def describe(row: LedgerEntry) -> dict:
    leaf = bytes(row.leaf)
    return {"index": row.seq, "leaf_hash": b64(leaf_hash(leaf)), "leaf": leaf.decode(), "event": json.loads(leaf)}


def _integrated(session: Session) -> int:
    found = session.scalars(select(LedgerCheckpoint.size).order_by(LedgerCheckpoint.size.desc()).limit(1)).first()
    return found or 0


def inclusion(session: Session, index: int, tree_size: int | None = None) -> dict:
    integrated = _integrated(session)
    size = integrated if tree_size is None else tree_size
    problems = []
    if not 0 < size <= integrated:
        problems.append({"field": "tree_size", "reason": f"between 1 and the integrated size {integrated}",
                         "value": size})
    elif not 0 <= index < size:
        problems.append({"field": "index", "reason": f"a leaf of the tree of {size}", "value": index})
    if problems:
        raise InvalidInput("no such inclusion proof", code="no_proof", details=problems)
    stored = tree.Tree(session.connection(), integrated)
    checkpoint = checkpoint_at(session, size)
    return {"index": index, "tree_size": size, "root_hash": b64(stored.root(size)),
            "leaf_hash": b64(stored.node(0, index)),
            "proof": [b64(h) for h in stored.inclusion_proof(index, size)],
            "checkpoint": checkpoint.note if checkpoint else None}


def consistency(session: Session, first: int, second: int | None = None) -> dict:
    integrated = _integrated(session)
    second = integrated if second is None else second
    if not 0 < first <= second <= integrated:
        raise InvalidInput("no such consistency proof", code="no_proof", details=[
            {"field": "first", "reason": f"0 < first <= second <= integrated size {integrated}", "value": first},
            {"field": "second", "reason": "at most the integrated size", "value": second}])
    stored = tree.Tree(session.connection(), integrated)
    return {"first": first, "second": second, "first_root": b64(stored.root(first)),
            "second_root": b64(stored.root(second)),
            "proof": [b64(h) for h in stored.consistency_proof(first, second)]}


# ---- tracing (事后溯源) ------------------------------------------------------------------------------

TRACE_BY = ("subject", "consumer", "entry", "grant")


def trace(session: Session, principal: Principal, by: str, value: str, limit: int = 100,
          before: int | None = None) -> dict:
    """Every event for one subject (an ID number, hashed here as the exchange hashes it), consumer
    department, catalog entry or grant, newest first, each with its inclusion proof. Auditors only."""
    if not (principal.kind == "user" and principal.has_role(Role.auditor)):
        raise Forbidden("tracing is for auditors", code="auditors_only")
    if by not in TRACE_BY:
        raise InvalidInput(f"trace by one of {', '.join(TRACE_BY)}",
                           details=[{"field": "by", "reason": "unknown", "value": by}])
    rows = _traced(session, by, subject_hash(value) if by == "subject" else value, limit, before)
    integrated = _integrated(session)
    stored = tree.Tree(session.connection(), integrated)
    checkpoint = checkpoint_at(session, integrated) if integrated else None
    events = []
    for row in rows:
        item = describe(row)
        if row.seq < integrated:
            item["proof"] = {"tree_size": integrated, "hashes": [b64(h) for h in stored.inclusion_proof(row.seq,
                                                                                                      integrated)]}
        events.append(item)
    return {"by": by, "events": events, "checkpoint": checkpoint.note if checkpoint else None,
            "next_before": rows[-1].seq if len(rows) == limit else None}


def _traced(session: Session, by: str, wanted: str, limit: int, before: int | None) -> list[LedgerEntry]:
    """The newest `limit` events (by time, then number) older than leaf `before`, read along the indexes
    that hold them: calls and governance events are indexed apart (see `LedgerEntry`), so tracing a
    consumer or a grant reads both and merges."""
    e = LedgerEntry
    calls, governance = e.method.is_not(None), e.method.is_(None)
    if by == "subject":
        branches = [(subjects.about(wanted, _integrated(session)),)]
    elif by == "entry":
        branches = [(e.entry_id == wanted,)]
    elif by == "consumer":
        branches = [(e.consumer_org_id == wanted, calls), (e.consumer_org_id == wanted, governance)]
    else:  # a grant's calls are among its consumer's calls
        branches = [(e.grant_id == wanted, governance)]
        consumer = session.scalar(select(Grant.consumer_org_id).where(Grant.id == wanted))
        if consumer is not None:
            branches.append((e.consumer_org_id == consumer, calls, e.grant_id == wanted))
    older = ()
    if before is not None:
        at = session.scalar(select(e.at).where(e.seq == before))
        if at is None:
            raise InvalidInput("no such leaf to continue from", details=[{"field": "before", "reason": "no leaf",
                                                                          "value": before}])
        older = (or_(e.at < at, and_(e.at == at, e.seq < before)),)
    rows = [row for where in branches for row in session.scalars(
        select(e).where(*where, *older).order_by(e.at.desc(), e.seq.desc()).limit(limit))]
    rows.sort(key=lambda r: (as_utc(r.at), r.seq), reverse=True)
    return rows[:limit]


# ---- the citizen's data-access record ------------------------------------------------------------------

RECORD_METHODS = ("lookup", "verify")


def data_access_record(session: Session, principal: Principal, limit: int, offset: int) -> tuple[list[dict], int]:
    """Every lookup and verification of the signed-in citizen's data: when, by which department, in which
    entry, for what purpose, with what outcome — newest first, and nothing about anyone else."""
    if not (principal.kind == "user" and principal.has_role(Role.citizen)):
        raise Forbidden("the data-access record is for citizens, about themselves", code="citizens_only")
    subject = session.scalar(select(User.subject_hash).where(User.id == principal.id))
    if not subject:
        raise Forbidden("this account is not linked to an ID number", code="no_subject")
    where = (subjects.about(subject, _integrated(session)), LedgerEntry.method.in_(RECORD_METHODS))
    total = session.scalar(select(func.count()).select_from(LedgerEntry).where(*where))
    rows = session.execute(
        select(LedgerEntry, Organization.name, CatalogEntry.name)
        .outerjoin(Organization, Organization.id == LedgerEntry.consumer_org_id)
        .outerjoin(CatalogEntry, CatalogEntry.id == LedgerEntry.entry_id)
        .where(*where).order_by(LedgerEntry.at.desc(), LedgerEntry.seq.desc()).limit(limit).offset(offset)).all()
    out = []
    for row, department, entry_name in rows:
        out.append({"index": row.seq, "at": row.at, "department_id": row.consumer_org_id, "department": department,
                    "entry_id": row.entry_id, "entry": entry_name, "method": row.method, "purpose": row.purpose,
                    "outcome": row.outcome})
    return out, total
