"""`govshare ledger verify`: recompute the whole tree from the stored leaves and check everything else
against it — every stored node (tiles), every checkpoint's root and signature, the search columns
beside each leaf, the subject index, and that no number is missing. Reports the first index where the log was
modified, deleted, inserted into or reordered, and every checkpoint that does not match.

`verify_from_checkpoint`: a checkpoint a department saved earlier must still be the tree's root at
its size (recomputed from the leaves), and the latest checkpoint must be a consistent extension of
it (RFC 9162 consistency proof from the stored nodes): a rewritten history fails both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import text
from sqlalchemy.engine import Engine

from govshare.core.database import driver_rows, get_engine
from govshare.ledger import merkle, subjects, tree
from govshare.ledger.note import Checkpoint, NoteError, open_note
from govshare.ledger.sequencer import LEAF_COLUMNS, columns_of

# The columns beside each leaf, which must say what the leaf says (`sequencer.columns_of`).
_COLUMNS = LEAF_COLUMNS[4:] + ("kind",)


@dataclass
class Report:
    leaves: int = 0
    sequenced: int = 0
    integrated: int = 0
    checkpoints: int = 0
    problems: list[dict] = field(default_factory=list)
    roots: dict[int, bytes] = field(default_factory=dict)  # recomputed roots at the sizes asked for

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_index(self) -> int | None:
        indexes = [p["index"] for p in self.problems if p.get("index") is not None]
        return min(indexes) if indexes else None

    def problem(self, kind: str, message: str, index: int | None = None, **extra) -> None:
        if len(self.problems) < 100:
            self.problems.append({"kind": kind, "index": index, "message": message, **extra})

    def to_dict(self) -> dict:
        return {"ok": self.ok, "leaves": self.leaves, "sequenced": self.sequenced, "integrated": self.integrated,
                "checkpoints": self.checkpoints, "first_bad_index": self.first_bad_index, "problems": self.problems}


class _StoredNodes:
    """Stored node hashes read in increasing order, one tile per level in memory."""

    def __init__(self, conn):
        self.conn = conn
        self._current: dict[int, tuple[int, int, bytes] | None] = {}

    def get(self, h: int, k: int) -> bytes | None:
        level, t, r, pos = tree._tile_of(h, k)
        found = self._current.get(level)
        if found is None or found[0] != t:
            row = driver_rows(self.conn, "SELECT width, hashes FROM ledger_tiles WHERE level = :l AND idx = :t",
                              {"l": level, "t": t})
            found = (t, int(row[0][0]), bytes(row[0][1])) if row else (t, 0, b"")
            self._current[level] = found
        _, width, blob = found
        if pos >= width >> r:
            return None
        at = tree._offset(width, r, pos)
        return blob[at:at + tree.HASH]


def _checkpoints(conn, keys: dict[str, str], report: Report) -> dict[int, bytes]:
    """Stored checkpoints whose note is validly signed and says what its row says: size → root."""
    out = {}
    for size, root, note, key_id in driver_rows(conn, "SELECT size, root, note, key_id FROM ledger_checkpoints "
                                                      "ORDER BY size"):
        report.checkpoints += 1
        verifier = keys.get(key_id)
        try:
            if verifier is None:
                raise NoteError(f"signed by unknown key {key_id}")
            parsed = Checkpoint.parse(open_note(note, verifier))
        except NoteError as exc:
            report.problem("checkpoint_signature", f"checkpoint at size {size}: {exc}", size=size)
            continue
        if parsed.size != size or parsed.root != bytes(root):
            report.problem("checkpoint_row", f"checkpoint at size {size}: its row differs from its signed note",
                           size=size)
        out[int(parsed.size)] = parsed.root
    return out


def verify_log(engine: Engine | None = None, extra_keys: list[str] | None = None,
               roots_at: set[int] | None = None) -> Report:
    engine = engine or get_engine()
    report = Report()
    with engine.connect() as conn:
        keys = {k: v for k, v in driver_rows(conn, "SELECT key_id, verifier_key FROM ledger_keys")}
        for key in extra_keys or []:
            keys[key.split("+")[1]] = key
        signed = _checkpoints(conn, keys, report)
        report.integrated = max(signed, default=0)
        state = driver_rows(conn, "SELECT size FROM ledger_state WHERE id = 1")
        report.sequenced = int(state[0][0]) if state else 0
        wanted = set(signed) | set(roots_at or ())
        nodes = _StoredNodes(conn)
        stack: list[tuple[int, bytes, bool]] = []  # perfect subtrees (height, hash, tainted), left to right
        expected = 0
        with engine.connect() as stream, engine.connect() as index_stream:
            # Read-only: on SQLite a transaction begins with the write lock otherwise (see core.database),
            # and every writer would wait for the whole verification.
            rows = stream.execution_options(read_only=True, stream_results=True, yield_per=5000).execute(text(
                f"SELECT seq, leaf, {_at_text(engine)}, {', '.join(_COLUMNS)} FROM ledger_entries ORDER BY seq"))
            index = _SubjectIndex(index_stream, report)
            for seq, leaf, at, *columns in rows:
                report.leaves += 1
                if seq != expected:
                    report.problem("missing", f"leaves {expected}..{seq - 1} are missing (deleted)", index=expected)
                    expected = seq  # go on: later problems are reported against the stored numbers
                leaf = bytes(leaf)
                subject = _check_columns(report, seq, leaf, at, columns)
                if seq < report.integrated:
                    index.check(seq, subject)
                value = merkle.leaf_hash(leaf)
                tainted = False  # a problem below was reported: its ancestors differ as a consequence
                if seq < report.integrated and nodes.get(0, seq) != value:
                    report.problem("leaf", f"leaf {seq} does not hash to the stored tree (modified, "
                                           "inserted or reordered)", index=seq)
                    tainted = True
                # Merge into the stack, checking every node this completes against the stored one.
                height, k = 0, seq
                while stack and stack[-1][0] == height:
                    _, left, left_tainted = stack.pop()
                    value = merkle.node_hash(left, value)
                    tainted = tainted or left_tainted
                    height, k = height + 1, k >> 1
                    if (k + 1) << height <= report.integrated and nodes.get(height, k) != value and not tainted:
                        report.problem("node", f"stored node {height}/{k} differs from the leaves under it",
                                       index=k << height)
                        tainted = True
                stack.append((height, value, tainted))
                expected = seq + 1
                if expected in wanted:
                    report.roots[expected] = _fold(stack)
            index.finish()
    if report.sequenced != expected:
        report.problem("sequence", f"{report.sequenced} leaves were sequenced, {expected} are stored",
                       index=min(report.sequenced, expected))
    for size, root in sorted(signed.items()):
        if size > expected:
            report.problem("checkpoint", f"checkpoint at size {size} covers leaves that are not stored", size=size,
                           index=expected)
        elif report.roots.get(size) != root:
            report.problem("checkpoint", f"the leaves no longer hash to the checkpoint at size {size}", size=size)
    return report


def _fold(stack: list[tuple[int, bytes, bool]]) -> bytes:
    if not stack:
        return merkle.EMPTY_ROOT
    out = stack[-1][1]
    for _, part, _ in reversed(stack[:-1]):
        out = merkle.node_hash(part, out)
    return out


def _at_text(engine: Engine) -> str:
    """The `at` column in SQLite's stored form, `YYYY-MM-DD HH:MM:SS.ffffff` (UTC), on either store."""
    if engine.dialect.name == "sqlite":
        return "at"
    return "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"


def _utc_text(value) -> str | None:
    """A time as `YYYY-MM-DD HH:MM:SS.ffffff` (UTC), the form `_at_text` reads the column in: a leaf's
    RFC 3339 `at`, or the column's value (naive: UTC; without microseconds if a row was written by hand,
    as revision 0007 copied some). None if it is not a time."""
    if not isinstance(value, str):
        return None
    if len(value) == 26:  # the column, as the platform writes it
        return value
    if len(value) == 27 and value[10] == "T" and value[-1] == "Z":  # a leaf's, as the platform writes it
        return f"{value[:10]} {value[11:26]}"
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if at.tzinfo is not None:
        at = at.astimezone(timezone.utc)
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")


def _check_columns(report: Report, seq: int, leaf: bytes, at: str, columns: list) -> str | None:
    """Report a column that says something else than the leaf (the time too: the citizen's record and the
    trace show it, and monitoring windows by it); the leaf's subject (its keyed hash)."""
    try:
        body = json.loads(leaf)
    except ValueError:
        report.problem("leaf", f"leaf {seq} is not JSON", index=seq)
        return None
    expected = columns_of(body) if isinstance(body, dict) else {}
    for column, value in zip(_COLUMNS, columns):
        if expected.get(column) != value:
            report.problem("column", f"leaf {seq}: column {column} says {value!r}, the leaf {expected.get(column)!r}",
                           index=seq)
            break
    else:
        leaf_at = body.get("at") if isinstance(body, dict) else None
        if _utc_text(leaf_at) != _utc_text(at):
            report.problem("column", f"leaf {seq}: column at says {at!r}, the leaf {leaf_at!r}", index=seq)
    subject = expected.get("subject_hash")
    return subject if isinstance(subject, str) else None


class _SubjectIndex:
    """The subject index's rows below the integrated size, in leaf order, checked against the leaves as
    they stream past: each integrated leaf about a subject has exactly its one row, and no other leaf has
    any. A row missing hides the leaf from that person's record and from the auditor's trace."""

    def __init__(self, conn, report: Report):
        self.report = report
        self.rows = iter(conn.execution_options(read_only=True, stream_results=True, yield_per=5000).execute(
            text("SELECT seq, subject_key FROM ledger_subjects WHERE seq < :n ORDER BY seq, subject_key"),
            {"n": report.integrated}))
        self.next = next(self.rows, None)

    def check(self, seq: int, subject: str | None) -> None:
        self._extra_before(seq)
        found = []
        while self.next is not None and self.next[0] == seq:
            found.append(self.next[1])
            self.next = next(self.rows, None)
        wanted = [subjects.subject_key(subject)] if subject is not None else []
        if found == wanted:
            return
        if not found:
            self.report.problem("subject_index", f"leaf {seq} is missing from the subject index", index=seq)
        elif not wanted:
            self.report.problem("subject_index", f"the subject index lists leaf {seq}, which is about no one",
                                index=seq)
        elif len(found) > 1:
            self.report.problem("subject_index", f"the subject index lists leaf {seq} more than once", index=seq)
        else:
            self.report.problem("subject_index", f"the subject index files leaf {seq} under another subject",
                                index=seq)

    def finish(self) -> None:
        self._extra_before(None)

    def _extra_before(self, seq: int | None) -> None:
        while self.next is not None and (seq is None or self.next[0] < seq):
            self.report.problem("subject_index", f"the subject index lists leaf {self.next[0]}, which is not stored",
                                index=self.next[0])
            self.next = next(self.rows, None)


def verify_from_checkpoint(note: str, engine: Engine | None = None, extra_keys: list[str] | None = None) -> Report:
    """Check a saved checkpoint against the log (see the module's doc)."""
    engine = engine or get_engine()
    with engine.connect() as conn:
        keys = [k for (k,) in driver_rows(conn, "SELECT verifier_key FROM ledger_keys")] + list(extra_keys or [])
    saved = None
    for key in keys:
        try:
            saved = Checkpoint.parse(open_note(note, key))
            break
        except NoteError:
            continue
    if saved is None:
        report = Report()
        report.problem("saved_checkpoint", "the saved checkpoint is not signed by any of the ledger's keys")
        return report
    report = verify_log(engine, extra_keys, roots_at={saved.size})
    if saved.size > report.integrated:
        report.problem("saved_checkpoint", f"the saved checkpoint has size {saved.size}, beyond the log's "
                                           f"{report.integrated}: the log lost leaves", size=saved.size)
        return report
    if report.roots.get(saved.size) != saved.root and saved.size:
        report.problem("saved_checkpoint", f"the log's leaves do not hash to the saved checkpoint at size "
                                           f"{saved.size}: history was rewritten", size=saved.size)
    latest = report.integrated
    if saved.size and latest:
        with engine.connect() as conn:
            stored = tree.Tree(conn, latest, cache=None)
            latest_root = driver_rows(conn, "SELECT root FROM ledger_checkpoints WHERE size = :s", {"s": latest})
            try:
                proof = stored.consistency_proof(saved.size, latest)
                consistent = merkle.verify_consistency(saved.size, latest, proof, saved.root,
                                                       bytes(latest_root[0][0]))
            except tree.TreeError as exc:
                consistent = False
                report.problem("saved_checkpoint", f"no consistency proof: {exc}", size=saved.size)
        if not consistent:
            report.problem("saved_checkpoint", f"the latest checkpoint ({latest}) is not a consistent extension of "
                                               f"the saved one ({saved.size})", size=saved.size)
    return report
