"""The stored tree (tiles in the database) gives the same roots and proofs as the reference definitions,
whatever the append pattern, across tile boundaries and tile levels; the RFC 6962 vectors too."""

from __future__ import annotations

import hashlib
import random

import pytest
from sqlalchemy import text

from govshare.core.database import get_engine
from govshare.ledger import merkle, tree
from tests.ledger.test_merkle import leaves, vectors  # noqa: F401  (fixtures)


def _hashes(n: int, seed: int = 0) -> list[bytes]:
    return [merkle.leaf_hash(hashlib.sha256(f"{seed}:{i}".encode()).digest()) for i in range(n)]


@pytest.fixture()
def empty_tree(clean_db):
    """Tiles written directly (no leaves, no checkpoints): the schema is reset before and after, so no
    other test sees a tree its checkpoints do not describe."""
    from tests.conftest import _reset_schema
    tree.complete_tiles.clear()
    yield get_engine()
    _reset_schema()
    tree.complete_tiles.clear()


def _append(engine, size: int, hashes: list[bytes]) -> bytes:
    with engine.connect() as conn:
        extension = tree.extend(conn, size, hashes)
    with engine.begin() as conn:
        tree.store(conn, extension)
    return extension.root


def test_roots_and_proofs_match_the_reference_for_every_size(empty_tree):
    engine = empty_tree
    all_hashes = _hashes(600)
    rng = random.Random(7)
    size = 0
    while size < len(all_hashes):
        step = min(len(all_hashes) - size, rng.choice([1, 1, 2, 3, 7, 31, 64, 255, 256, 257]))
        root = _append(engine, size, all_hashes[size:size + step])
        size += step
        assert root == merkle.root(all_hashes[:size]), size
    with engine.connect() as conn:
        stored = tree.Tree(conn, size)
        for n in [1, 2, 3, 5, 8, 255, 256, 257, 300, 511, 512, 513, 600]:
            assert stored.root(n) == merkle.root(all_hashes[:n]), n
            for index in {0, 1, n // 2, n - 2, n - 1} - {-1}:
                if 0 <= index < n:
                    assert stored.inclusion_proof(index, n) == merkle.inclusion_proof(index, all_hashes[:n]), (index, n)
            for first in {f for f in (1, 2, n // 3, n - 1, n) if 0 < f <= n}:
                assert stored.consistency_proof(first, n) == merkle.consistency_proof(first, all_hashes[:n]), (first, n)


def test_second_tile_level(empty_tree):
    """Above 65,536 leaves the tree uses tiles of level 2 (tree levels 16..23)."""
    engine = empty_tree
    all_hashes = _hashes(70_001, seed=1)
    for start in range(0, len(all_hashes), 10_000):
        root = _append(engine, start, all_hashes[start:start + 10_000])
    assert root == merkle.root(all_hashes)
    with engine.connect() as conn:
        stored = tree.Tree(conn, len(all_hashes))
        for index in (0, 65_535, 65_536, 70_000):
            proof = stored.inclusion_proof(index, len(all_hashes))
            assert merkle.verify_inclusion(all_hashes[index], index, len(all_hashes), proof, root)
        proof = stored.consistency_proof(65_536, 70_001)
        assert proof == merkle.consistency_proof(65_536, all_hashes)
        levels = {row[0] for row in conn.execute(text("SELECT DISTINCT level FROM ledger_tiles"))}
    assert levels == {0, 1, 2}


def test_reference_vectors_from_the_stored_tree(empty_tree, vectors, leaves):  # noqa: F811
    engine = empty_tree
    for size in range(len(leaves)):
        _append(engine, size, leaves[size:size + 1])
        with engine.connect() as conn:
            assert tree.Tree(conn, size + 1).root().hex() == vectors["root_by_tree_size"][size + 1]
    with engine.connect() as conn:
        stored = tree.Tree(conn, len(leaves))
        for case in vectors["inclusion_proofs"]:
            got = stored.inclusion_proof(case["index"], case["tree_size"])
            assert [p.hex() for p in got] == case["proof"], case
        for case in vectors["consistency_proofs"]:
            got = stored.consistency_proof(case["old_size"], case["new_size"])
            assert [p.hex() for p in got] == case["proof"], case


def test_no_proof_beyond_the_integrated_tree(empty_tree):
    _append(empty_tree, 0, _hashes(10))
    with empty_tree.connect() as conn:
        stored = tree.Tree(conn, 10)
        with pytest.raises(tree.TreeError):
            stored.inclusion_proof(3, 11)
        with pytest.raises(tree.TreeError):
            stored.inclusion_proof(10, 10)
        with pytest.raises(tree.TreeError):
            stored.consistency_proof(0, 5)


def test_batch_paths_are_the_reference_proofs():
    for n in range(1, 40):
        hashes = _hashes(n, seed=n)
        levels = merkle.levels(hashes)
        assert levels[-1][0] == merkle.root(hashes)
        for i in range(n):
            assert merkle.path_from_levels(levels, i) == merkle.inclusion_proof(i, hashes)
