"""Events become leaves: sequence numbers at commit, in batches, and signed receipts.

Two writers sequence events, both inside the transaction that makes the event true:
- the exchange audit writer (`exchange.audit`), for every call, one batch per group commit;
- `record(session, …)` for governance events (publish, load, request decided, grant revoked…):
  queued on the session and sequenced by a `before_commit` hook, as the transaction's last statements.

`take_numbers` increments `ledger_state.size` and returns the first number: the row (PostgreSQL) or
the database (SQLite) stays locked until commit, so numbers are dense and in commit order.

A receipt is a signed promise, one signature per batch: the batch's leaf hashes form a small Merkle
tree whose root, first number and size are signed with the deadline for their inclusion; each
caller gets its leaf's path in that tree. Checking it needs the published key and nothing else
(`verify_receipt`); once integrated, the leaf's inclusion proof in a checkpoint can be fetched.
"""

from __future__ import annotations

import base64
import hashlib
import math
import time
from binascii import b2a_base64
from datetime import datetime, timezone
from functools import lru_cache

import orjson
from sqlalchemy import event
from sqlalchemy.orm import Session

from govshare.core.config import get_settings
from govshare.core.database import utcnow
from govshare.core.security import random_bytes
from govshare.core.security import subject_hash as subject_of
from govshare.ledger import keys, merkle
from govshare.ledger.canonical import canonical, canonical_fast, canonical_flat
from govshare.ledger.note import SIGNATURE_PREFIX

RECEIPT_HEADER = "GovShare-Receipt"
RECEIPT_TAG = "govshare-receipt/v1"
CALL_METHODS = ("lookup", "verify", "export", "feed")
CALL_KIND = {method: f"exchange.{method}" for method in CALL_METHODS}
CALL_KINDS = tuple(CALL_KIND.values())  # the events that are exchange calls
# An exchange call's columns and the leaf fields they repeat (`ledger verify` holds them equal).
CALL_COLUMNS = (("client_id", "client"), ("purpose", "purpose"), ("row_count", "rows"), ("outcome", "outcome"),
                ("status_code", "status"))
LEAF_COLUMNS = ("seq", "at", "kind", "leaf", "subject_hash", "consumer_org_id", "provider_org_id", "entry_id",
                "grant_id", "method", *(c for c, _ in CALL_COLUMNS))
_NOT_A_CALL = (None,) * (1 + len(CALL_COLUMNS))


def iso(at: datetime) -> str:
    """RFC 3339 UTC with microseconds, e.g. 2026-12-02T07:35:05.123456Z."""
    if at.tzinfo is not timezone.utc:
        at = at.astimezone(timezone.utc)
    return at.isoformat(timespec="microseconds")[:-6] + "Z"  # "+00:00" → "Z"


class Event:
    """A leaf (canonical JSON of the event) and the columns it is searched by; for an exchange call,
    `call` holds its method, client, purpose, row count, outcome and status (the call's audit record)."""

    __slots__ = ("kind", "_at", "_leaf", "subject_hash", "consumer_org_id", "provider_org_id", "entry_id", "grant_id",
                 "call", "_iso", "_leaf_hash")

    def __init__(self, kind: str, at: datetime | None, leaf: bytes, subject_hash: str | None = None,
                 consumer_org_id: str | None = None, provider_org_id: str | None = None, entry_id: str | None = None,
                 grant_id: str | None = None, iso_at: str | None = None, call: tuple | None = None):
        self.kind, self._at, self._leaf = kind, at, leaf
        self.subject_hash, self.consumer_org_id, self.provider_org_id = subject_hash, consumer_org_id, provider_org_id
        self.entry_id, self.grant_id = entry_id, grant_id
        self.call = call or _NOT_A_CALL
        # An exchange call's time as text is made with its leaf (`CallEvent`): neither given here.
        self._iso = iso_at or (iso(at) if at is not None else None)
        self._leaf_hash: bytes | None = None

    @property
    def at(self) -> datetime:
        """When it happened (UTC); an exchange call's is made from its leaf's text when first asked (on
        PostgreSQL, by the writer)."""
        if self._at is None:
            self._at = datetime.fromisoformat(f"{self._iso[:-1]}+00:00")
        return self._at

    @property
    def leaf(self) -> bytes:
        return self._leaf

    @property
    def leaf_hash(self) -> bytes:
        if self._leaf_hash is None:
            self._leaf_hash = merkle.leaf_hash(self.leaf)
        return self._leaf_hash

    @property
    def sqlite_time(self) -> str:
        """SQLAlchemy's DateTime text on SQLite, `YYYY-MM-DD HH:MM:SS.ffffff` (UTC): a slice of the ISO form."""
        return f"{self._iso[:10]} {self._iso[11:26]}"

    def row(self, seq: int, sqlite: bool) -> tuple:
        leaf = self.leaf  # first: an exchange call's makes its time's text and its subject's hash
        at = self.sqlite_time if sqlite else self.at
        return (seq, at, self.kind, leaf, self.subject_hash, self.consumer_org_id, self.provider_org_id,
                self.entry_id, self.grant_id, *self.call)


def make_event(kind: str, *, at: datetime | None = None, subject_hash: str | None = None,
               consumer_org_id: str | None = None, provider_org_id: str | None = None, entry_id: str | None = None,
               grant_id: str | None = None, **fields) -> Event:
    """An event about whom (a keyed hash, never the ID number), which departments, entry and grant,
    with whatever else describes it (`fields`, no personal data)."""
    if kind in CALL_KINDS:
        raise ValueError("exchange calls are logged with call_event()")
    at = at or utcnow()
    at_text = iso(at)
    body = {"v": 1, "kind": kind, "at": at_text, "subject": subject_hash, "consumer": consumer_org_id,
            "provider": provider_org_id, "entry": entry_id, "grant": grant_id, **fields}
    return Event(kind, at, canonical_flat(body), subject_hash, consumer_org_id, provider_org_id, entry_id, grant_id,
                 at_text)


class CallEvent(Event):
    """An exchange call (lookup, verify, export, feed page): its leaf and its audit record in one. The leaf
    holds the request's parameters and the answer's bytes only as SHA-256 hashes salted per call (the salt
    goes to the caller in the receipt), so that a verify's yes or no cannot be read off the log.

    The request only notes what happened and when (`time.time_ns()`); the leaf, the subject's keyed hash
    and the time's text are made when first asked for: by the audit writer, which makes a whole batch's in a
    row (with their receipts' headers). Under load the same work cost far more between two requests on the
    event loop, with cold caches, than one after another there (`side_by_side.py`, 24 rounds: the leaf's
    salted hashes and JSON, event loop −29 µs per call, writer +11). The identifier stays in memory no
    longer than the request's own parameters, which the leaf hashes too."""

    __slots__ = ("_request", "_response", "_salt", "_subject", "_ns")

    def __init__(self, method: str, client_id: str, consumer_org_id: str, provider_org_id: str | None,
                 entry_id: str, grant_id: str | None, subject: str | None, purpose: str | None, outcome: str,
                 status: int, rows: int, request: dict | None, response: bytes | None, salt: bytes | None):
        self._ns = time.time_ns()
        super().__init__(CALL_KIND[method], None, None, None, consumer_org_id, provider_org_id, entry_id, grant_id,
                         call=(method, client_id, purpose, rows, outcome, status))
        self._subject, self._request, self._response, self._salt = subject, request, response, salt

    @property
    def salt(self) -> str:
        """The call's salt (hex), drawn when first needed."""
        if self._salt is None:
            self._salt = random_bytes(16)
        return self._salt.hex()

    @property
    def at(self) -> datetime:
        self.leaf  # noqa: B018 - makes the time's text
        return super().at

    @property
    def leaf(self) -> bytes:
        """The keys in their canonical (sorted) order and every value a str, an int well inside ±2^53 or
        None, for which orjson's bytes are RFC 8785's (`canonical_flat`); what orjson refuses (a lone
        surrogate in a purpose) goes through the general encoder. The tests hold both to the same bytes."""
        if self._leaf is None:
            if self._salt is None:
                self._salt = random_bytes(16)
            salt, response, subject = self._salt, self._response, self._subject
            if subject is not None:
                self.subject_hash = subject_of(subject)
            second, micro = divmod(self._ns // 1000, 1_000_000)
            self._iso = f"{_utc_second(second)}.{micro:06d}Z"
            method, client_id, purpose, rows, outcome, status = self.call
            body = {"at": self._iso, "client": client_id, "consumer": self.consumer_org_id, "entry": self.entry_id,
                    "grant": self.grant_id, "kind": self.kind, "outcome": outcome, "provider": self.provider_org_id,
                    "purpose": purpose, "request": salted_hash(salt, request_bytes(self._request)),
                    "response": salted_hash(salt, response) if response is not None else None, "rows": rows,
                    "status": status, "subject": self.subject_hash, "v": 1}
            try:
                self._leaf = orjson.dumps(body)
            except TypeError:
                self._leaf = canonical(body)
        return self._leaf


def request_bytes(request: dict | None) -> bytes:
    """A call's parameters as its leaf hashes them: RFC 8785 JSON, in which a number JSON cannot hold
    exactly (an integer beyond ±2^53, NaN, an infinity: a client may send one) is its decimal text.
    Never an error: every call, refused or not, is logged."""
    try:
        return canonical_fast(request or {})
    except (ValueError, TypeError):
        return canonical(_as_text(request))


def _as_text(value):
    if isinstance(value, dict):
        return {str(k): _as_text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_text(v) for v in value]
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int) and abs(value) <= 2 ** 53:
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return str(value)


def salted_hash(salt: bytes, data: bytes) -> str:
    """How a call's leaf holds its request and its answer: SHA-256 of the salt and the bytes, in hex."""
    return hashlib.sha256(salt + data).hexdigest()


def call_event(method: str, *, client_id: str, consumer_org_id: str, provider_org_id: str | None, entry_id: str,
               grant_id: str | None, subject: str | None, purpose: str | None, outcome: str, status: int,
               rows: int, request: dict | None, response: bytes | None, salt: bytes | None = None) -> CallEvent:
    """An exchange call's event: `subject` the identifier of whom it is about (the leaf holds its keyed hash,
    `core.security.subject_hash`), `request` its parameters (not to be changed afterwards: the leaf is made
    later), `response` the answer's bytes (None when there was none). The time is now; the salt is drawn
    when the leaf is made, unless given."""
    return CallEvent(method, client_id, consumer_org_id, provider_org_id, entry_id, grant_id, subject, purpose,
                     outcome, status, rows, request, response, salt)


@lru_cache(maxsize=8)
def _utc_second(second: int) -> str:
    """A Unix second as `YYYY-MM-DDTHH:MM:SS` (UTC). Every call's leaf and every receipt batch's deadline
    ask for the current second's: under load a `datetime` and its formatting cost several µs each time,
    a cache hit a fraction of one."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))


def columns_of(leaf: dict) -> dict:
    """The searchable columns a leaf's JSON implies (what `ledger verify` expects to find stored)."""
    kind = leaf.get("kind")
    columns = {"kind": kind, "subject_hash": leaf.get("subject"), "consumer_org_id": leaf.get("consumer"),
               "provider_org_id": leaf.get("provider"), "entry_id": leaf.get("entry"), "grant_id": leaf.get("grant")}
    call = kind in CALL_KINDS
    columns["method"] = kind.split(".", 1)[1] if call else None
    for column, name in CALL_COLUMNS:
        columns[column] = leaf.get(name) if call else None
    return columns


# ---- sequencing ---------------------------------------------------------------------------------------

def take_numbers(execute, mark: str, count: int) -> int:
    """Reserve `count` sequence numbers; `execute(sql, params)` returns a cursor. The first number."""
    cursor = execute(f"UPDATE ledger_state SET size = size + {mark} WHERE id = 1 RETURNING size", (count,))
    row = cursor.fetchone()
    if row is None:
        raise RuntimeError("ledger_state has no row: run `govshare init` (migrations)")
    return int(row[0]) - count


def insert_sql(mark: str) -> str:
    return f"INSERT INTO ledger_entries ({', '.join(LEAF_COLUMNS)}) VALUES ({', '.join([mark] * len(LEAF_COLUMNS))})"


# ---- governance events, sequenced with the session's transaction ------------------------------------------

_PENDING = "ledger_events"


def record(session: Session, kind: str, **fields) -> Event:
    """Log a governance event in the session's transaction: sequenced when (and only if) it commits."""
    ev = make_event(kind, **fields)
    session.info.setdefault(_PENDING, []).append(ev)
    return ev


@event.listens_for(Session, "before_commit")
def _sequence_pending(session: Session) -> None:
    events: list[Event] = session.info.pop(_PENDING, None)
    if not events:
        return
    session.flush()
    conn = session.connection()
    sqlite = conn.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    first = take_numbers(conn.exec_driver_sql, mark, len(events))
    conn.exec_driver_sql(insert_sql(mark), [ev.row(first + i, sqlite) for i, ev in enumerate(events)])
    session.info["ledger_sequenced"] = first + len(events)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


# ---- receipts -----------------------------------------------------------------------------------------

class Batch:
    """What the receipts of one sequenced batch share: its numbers, its tree's levels and the signed
    promise (and, once a receipt is rendered, their header forms, encoded once for the whole batch)."""

    __slots__ = ("first", "size", "promise", "tree", "_header_tree", "_header_tail")

    def __init__(self, first: int, size: int, promise: str, tree: list[list[bytes]]):
        self.first, self.size, self.promise, self.tree = first, size, promise, tree
        self._header_tree: list[list[str]] | None = None
        self._header_tail = ("", "")

    def header_parts(self) -> tuple[list[list[str]], tuple[str, str]]:
        """Every node of the batch's tree in unpadded base64url (43 characters), level by level, and the
        header's version and last parts: what every receipt of the batch repeats, encoded once."""
        if self._header_tree is None:
            self._header_tree = [[_b64url(node) for node in level] for level in self.tree]
            self._header_tail = _promise_parts(self.promise)
        return self._header_tree, self._header_tail


class Receipt:
    """A call's receipt: its sequence number and leaf hash, the batch's signed promise, and the leaf's
    path in the batch's tree (computed when asked for: bulk producers rarely need every one)."""

    __slots__ = ("seq", "leaf_hash", "batch", "salt", "_header")

    def __init__(self, seq: int, leaf_hash: bytes, batch: Batch, salt: str | None = None):
        self.seq, self.leaf_hash, self.batch, self.salt = seq, leaf_hash, batch, salt
        self._header: str | None = None

    @property
    def batch_first(self) -> int:
        return self.batch.first

    @property
    def batch_size(self) -> int:
        return self.batch.size

    @property
    def promise(self) -> str:
        return self.batch.promise

    @property
    def batch_proof(self) -> list[bytes]:
        return merkle.path_from_levels(self.batch.tree, self.seq - self.batch.first)

    def to_json(self) -> dict:
        """The receipt as a document (what `govshare ledger verify-receipt` also reads)."""
        body = {"v": 1, "seq": self.seq, "leaf_hash": b64(self.leaf_hash),
                "batch": {"first": self.batch_first, "size": self.batch_size,
                          "proof": [b64(p) for p in self.batch_proof]},
                "promise": self.promise}
        if self.salt:
            body["salt"] = self.salt
        return body

    def header(self) -> str:
        """The compact form sent in `GovShare-Receipt`, the same content as `to_json()`:

            3.<seq>.<leaf hash>.<batch proof>.<salt>.<first>.<size>.<deadline>.<signature>.<origin>[ <key name>]

        hashes in unpadded base64url, 43 characters each, the proof's nodes one after the other; the
        salt in hex (empty when none); the batch's first number and size, the deadline as the promise
        writes it, and the signature line's bytes (key id and Ed25519 signature) in base64url; last the
        origin, and the key's name when it is not the origin. The promise itself is not repeated: its
        lines are these fields and the batch root, which the leaf hash and the proof lead to
        (`receipts.parse_receipt` writes it back out): ~175 characters fewer than a header carrying the
        note (version 2, still read), a third of a typical one. Every exchange answer carries one, so
        it is joined from the parts its batch encoded once (`Batch.header_parts`), by the audit writer as it
        settles the batch (see `CallEvent`), and kept: set the salt first."""
        if self._header is None:
            nodes, (version, tail) = self.batch.header_parts()
            index = self.seq - self.batch.first
            proof = "".join(merkle.path_from_levels(nodes, index))  # the same path, over the encoded nodes
            self._header = f"{version}.{self.seq}.{nodes[0][index]}.{proof}.{self.salt or ''}.{tail}"
        return self._header


HEADER_VERSION = "3"


def _promise_parts(promise: str) -> tuple[str, str]:
    """The header's version and its parts after the salt for a batch's signed promise:
    `<first>.<size>.<deadline>.<signature>.<origin>[ <key name>]`; or, when the origin or the key's
    name is not ASCII (a header value is Latin-1 bytes), version 2's whole promise in base64url."""
    lines = promise.split("\n")  # tag, origin, first, size, root, deadline, "", signature line, ""
    name, signature = lines[7].removeprefix(SIGNATURE_PREFIX).split(" ")
    if not (lines[1].isascii() and name.isascii()):
        return "2", _b64url(promise.encode())
    origin = lines[1] if name == lines[1] else f"{lines[1]} {name}"
    return HEADER_VERSION, f"{lines[2]}.{lines[3]}.{lines[5]}.{_b64url(base64.b64decode(signature))}.{origin}"


def _b64url(raw: bytes) -> str:
    return b2a_base64(raw, newline=False).translate(_URLSAFE).rstrip(b"=").decode()


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _include_by(now: datetime | None, delay: int) -> str:
    """The promise's deadline, `delay` seconds from `now` (default: the clock), to the second (UTC)."""
    second = int(now.timestamp()) if now is not None else int(time.time())
    return f"{_utc_second(second + delay)}Z"


def sign_batch(first: int, leaf_hashes: list[bytes], now: datetime | None = None) -> list[Receipt]:
    """One signed promise for a sequenced batch, one receipt per leaf."""
    settings = get_settings()
    tree = merkle.levels(leaf_hashes)
    text = (f"{RECEIPT_TAG}\n{settings.ledger_origin}\n{first}\n{len(leaf_hashes)}\n{b64(tree[-1][0])}\n"
            f"{_include_by(now, settings.ledger_max_delay_seconds)}\n")
    batch = Batch(first, len(leaf_hashes), keys.signer().sign(text), tree)
    return [Receipt(first + i, h, batch) for i, h in enumerate(leaf_hashes)]
