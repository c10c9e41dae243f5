"""Inclusion proofs at 10,000,000 leaves from the stored tree, side by side with pymerkle on the same leaves.

    python bench/ledger_proofs.py [--leaves 10000000] [--proofs 2000] [--pymerkle-leaves N] [--database-url URL]

Goal (issue #4): at 10,000,000 leaves, proof generation <= 1 ms, verification <= 50 us.

- govshare: the leaves' hashes appended to the stored tree (`ledger.tree.extend` + `store`, tiles in
  the database, 262,144 leaves per integration), then `--proofs` inclusion proofs of random leaves in
  the full tree: "cold" = a fresh reader and an empty tile cache per proof (every tile read from the
  database), "warm" = the process's cache of complete tiles; verification with
  `ledger.merkle.verify_inclusion` (RFC 9162 §2.1.3.2, pure Python).
- pymerkle (GPL; installed for benchmarks only, never a runtime dependency): `InmemoryTree` fed the
  same entries, the same proofs (`prove_inclusion`) and `verify_inclusion`. Its roots are RFC 6962
  roots too: the script checks both trees agree before timing.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import percentile, report  # noqa: E402

CHUNK = 262_144


def _entry(i: int) -> bytes:
    return b"govshare-bench-leaf:" + i.to_bytes(8, "big")


def _stats(name: str, values_us: list[float], **extra) -> dict:
    return {"what": name, "n": len(values_us), "p50_us": percentile(values_us, 50),
            "p99_us": percentile(values_us, 99), "mean_us": sum(values_us) / len(values_us), **extra}


def run_govshare(leaves: int, proofs: int, indexes: list[int]) -> tuple[list[dict], bytes]:
    from govshare.core.database import get_engine
    from govshare.core.migrate import upgrade_to_head
    from govshare.ledger import merkle, tree
    from govshare.models import drop_everything

    engine = get_engine()
    with engine.begin() as conn:
        drop_everything(conn)
    upgrade_to_head()
    started = time.perf_counter()
    size = 0
    while size < leaves:
        n = min(CHUNK, leaves - size)
        hashes = [merkle.leaf_hash(_entry(i)) for i in range(size, size + n)]
        with engine.connect() as conn:
            extension = tree.extend(conn, size, hashes)
        with engine.begin() as conn:
            tree.store(conn, extension)
        size = extension.size
    build = time.perf_counter() - started
    root = extension.root
    rows = [{"what": "govshare build (hash + integrate + store tiles)", "n": leaves, "seconds": build,
             "leaves_per_s": leaves / build}]
    cold, warm, verify = [], [], []
    with engine.connect() as conn:
        for index in indexes:
            tree.complete_tiles.clear()
            t0 = time.perf_counter()
            proof = tree.Tree(conn, leaves).inclusion_proof(index, leaves)
            cold.append((time.perf_counter() - t0) * 1e6)
        for index in indexes:  # warm the cache, then measure
            tree.Tree(conn, leaves).inclusion_proof(index, leaves)
        for index in indexes:
            t0 = time.perf_counter()
            proof = tree.Tree(conn, leaves).inclusion_proof(index, leaves)
            warm.append((time.perf_counter() - t0) * 1e6)
            leaf = merkle.leaf_hash(_entry(index))
            t0 = time.perf_counter()
            ok = merkle.verify_inclusion(leaf, index, leaves, proof, root)
            verify.append((time.perf_counter() - t0) * 1e6)
            assert ok, index
    rows += [_stats("govshare proof, cold (tiles from the database)", cold, proof_hashes=len(proof)),
             _stats("govshare proof, warm (tile cache)", warm),
             _stats("govshare verify", verify)]
    return rows, root


def run_pymerkle(leaves: int, indexes: list[int], expected_root: bytes | None) -> list[dict]:
    try:
        from pymerkle import InmemoryTree, verify_inclusion
    except ImportError:
        return [{"what": "pymerkle: not installed (pip install -e '.[bench]')"}]
    merkle_tree = InmemoryTree(algorithm="sha256")
    started = time.perf_counter()
    for i in range(leaves):
        merkle_tree.append_entry(_entry(i))
    build = time.perf_counter() - started
    root = merkle_tree.get_state(leaves) if hasattr(merkle_tree, "get_state") else merkle_tree.get_root(leaves)
    rows = [{"what": "pymerkle InmemoryTree build (append_entry)", "n": leaves, "seconds": build,
             "leaves_per_s": leaves / build, "same_root": root == expected_root if expected_root else None}]
    gen, verify = [], []
    for index in indexes:
        t0 = time.perf_counter()
        proof = merkle_tree.prove_inclusion(index + 1, leaves)  # pymerkle counts leaves from 1
        gen.append((time.perf_counter() - t0) * 1e6)
        base = merkle_tree.get_leaf(index + 1)
        t0 = time.perf_counter()
        verify_inclusion(base, root, proof)
        verify.append((time.perf_counter() - t0) * 1e6)
    rows += [_stats("pymerkle proof", gen), _stats("pymerkle verify", verify)]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leaves", type=int, default=10_000_000)
    parser.add_argument("--proofs", type=int, default=2000)
    parser.add_argument("--pymerkle-leaves", type=int, default=None, help="default: the same as --leaves")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    import os
    os.environ.setdefault("GOVSHARE_DATA_DIR", tempfile.mkdtemp(prefix="gs-bench-proofs-"))
    os.environ.setdefault("GOVSHARE_SECRET_KEY", "bench-" + "x" * 40)
    store = "sqlite"
    if args.database_url:
        os.environ["GOVSHARE_DATABASE_URL"] = args.database_url
        store = "postgresql"
    rng = random.Random(42)
    indexes = [rng.randrange(args.leaves) for _ in range(args.proofs)]
    rows, root = run_govshare(args.leaves, args.proofs, indexes)
    py_leaves = args.pymerkle_leaves or args.leaves
    py_indexes = [i % py_leaves for i in indexes]
    py_root = root
    if py_leaves != args.leaves:
        from govshare.ledger import merkle
        py_root = merkle.root([merkle.leaf_hash(_entry(i)) for i in range(py_leaves)])
    rows += run_pymerkle(py_leaves, py_indexes, py_root)
    print(f"root at {args.leaves:,} leaves: {hashlib.sha256(root).hexdigest()[:16]}… ({store})")
    ours = {r["what"]: r for r in rows}
    goal = (ours["govshare proof, cold (tiles from the database)"]["p99_us"] <= 1000
            and ours["govshare verify"]["p99_us"] <= 50)
    report(f"ledger_proofs_{store}", rows, {"leaves": args.leaves, "goal_proof_us": 1000, "goal_verify_us": 50,
                                            "meets_goal": goal})
    print(f"meets goal (cold proof p99 <= 1 ms, verify p99 <= 50 us): {goal}")


if __name__ == "__main__":
    main()
