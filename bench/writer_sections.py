"""Where the audit writer's CPU goes, per commit, inside a served process (a diagnostic for the benches).

`side_by_side.py --writer-sections` sets GOVSHARE_BENCH_WRITER_SECTIONS to a directory for this
checkout's server; its app factory (`governed_lookup.bench_app`) then calls `install`, which wraps the
writer's steps with the thread's CPU clock (`time.thread_time_ns`, which on this VM also counts what the
hypervisor takes, and costs ~0.6 µs a read):

- `transaction`: the batch's database transaction (write lock, numbering, rows, commit), i.e. the rest of
  `AuditWriter._write`;
- `leaves`: making the exchange calls' leaves (`audit._with_leaves`, less their hashes: the salted
  hashes and the JSON of `CallEvent.leaf`);
- `leaf hashes`: the batch's RFC 9162 leaf hashes (for its receipts);
- `receipts`: `sequencer.sign_batch` without its signature (the batch's tree, the promise, the receipts);
- `signature`: the promise's Ed25519 signature;
- `headers`: the calls' `GovShare-Receipt` headers (`Receipt.header`);
- `settle`: waking the waiting requests.

Each worker writes its sums to `<dir>/<pid>.json` every 100 commits; `summary(dir)` adds them up.
Wrapping adds a call and two clock reads per step (~2 µs a commit): compare sections, not totals with
an uninstrumented run. Not for production: the wrappers replace module attributes of a live process.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

ENV = "GOVSHARE_BENCH_WRITER_SECTIONS"
SECTIONS = ("transaction", "leaves", "leaf hashes", "receipts", "signature", "headers", "settle")
INSIDE = ("leaf hashes", "receipts", "signature", "headers")  # the steps within `_write`


def install(directory: str) -> None:
    from govshare.exchange import audit
    from govshare.ledger import merkle, note, sequencer

    clock = time.thread_time_ns
    writing = threading.local()  # set in the writer's thread while it writes a batch
    sums = {"commits": 0, "calls": 0, **dict.fromkeys(SECTIONS, 0)}
    path = Path(directory) / f"{os.getpid()}.json"

    def timed(section: str, function, only_writing: bool = False):
        def wrapper(*args, **kwargs):
            if only_writing and not getattr(writing, "now", False):
                return function(*args, **kwargs)  # e.g. the integrator signing a checkpoint, a cached header
            start = clock()
            try:
                return function(*args, **kwargs)
            finally:
                sums[section] += clock() - start
        return wrapper

    write = audit.AuditWriter._write

    def batch_written(self, batch):
        """The whole `_write`: the transaction is what the other steps inside it leave."""
        inside = sum(sums[s] for s in INSIDE)
        writing.now = True
        start = clock()
        try:
            return write(self, batch)
        finally:
            writing.now = False
            sums["transaction"] += clock() - start - (sum(sums[s] for s in INSIDE) - inside)

    audit.AuditWriter._write = batch_written
    with_leaves = audit._with_leaves

    def leaves_made(batch):
        hashes = sums["leaf hashes"]
        start = clock()
        try:
            return with_leaves(batch)
        finally:
            sums["leaves"] += clock() - start - (sums["leaf hashes"] - hashes)

    audit._with_leaves = leaves_made
    merkle.leaf_hash = timed("leaf hashes", merkle.leaf_hash)
    note.Signer.sign = timed("signature", note.Signer.sign, only_writing=True)
    sequencer.Receipt.header = timed("headers", sequencer.Receipt.header, only_writing=True)
    sign_batch = sequencer.sign_batch

    def receipts(first, leaf_hashes, now=None):
        signature = sums["signature"]
        start = clock()
        try:
            return sign_batch(first, leaf_hashes, now)
        finally:
            sums["receipts"] += clock() - start - (sums["signature"] - signature)
            sums["commits"] += 1
            sums["calls"] += len(leaf_hashes)
            if sums["commits"] % 100 == 0:
                path.write_text(json.dumps(sums))

    sequencer.sign_batch = receipts
    audit._settle = timed("settle", audit._settle)


def summary(directory: str) -> dict:
    """Per commit: calls, and µs of thread CPU per section (and per call), over every worker's file."""
    total = {"commits": 0, "calls": 0, **dict.fromkeys(SECTIONS, 0)}
    for file in Path(directory).glob("*.json"):
        for key, value in json.loads(file.read_text()).items():
            total[key] += value
    commits = total["commits"] or 1
    return {"commits": total["commits"], "calls_per_commit": total["calls"] / commits,
            "us_per_commit": {s: total[s] / commits / 1000 for s in SECTIONS},
            "us_per_call": {s: total[s] / (total["calls"] or 1) / 1000 for s in SECTIONS}}
