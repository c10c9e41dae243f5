"""The Merkle tree reproduces every reference root and proof of ../shared/testdata/rfc6962-vectors.json
(RFC 6962 / RFC 9162, the transparency-dev test suite's values), and its verifiers reject tampering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govshare.ledger import merkle

_CANDIDATES = [Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "rfc6962-vectors.json",
               Path("/work/shared/testdata/rfc6962-vectors.json")]


@pytest.fixture(scope="module")
def vectors() -> dict:
    for path in _CANDIDATES:
        if path.exists():
            return json.loads(path.read_text())
    pytest.skip(f"RFC 6962 vectors not found at {', '.join(map(str, _CANDIDATES))}")


@pytest.fixture(scope="module")
def leaves(vectors) -> list[bytes]:
    return [merkle.leaf_hash(bytes.fromhex(h)) for h in vectors["leaf_inputs_hex"]]


def test_roots_of_every_size(vectors, leaves):
    for size, expected in enumerate(vectors["root_by_tree_size"]):
        assert merkle.root(leaves[:size]).hex() == expected, size


def test_inclusion_proofs(vectors, leaves):
    assert len(vectors["inclusion_proofs"]) >= 30
    for case in vectors["inclusion_proofs"]:
        index, size = case["index"], case["tree_size"]
        proof = merkle.inclusion_proof(index, leaves[:size])
        assert [p.hex() for p in proof] == case["proof"], case
        tree_root = bytes.fromhex(vectors["root_by_tree_size"][size])
        assert merkle.verify_inclusion(leaves[index], index, size, proof, tree_root)
        assert not merkle.verify_inclusion(leaves[index - 1] if index else merkle.leaf_hash(b"x"), index, size,
                                           proof, tree_root)
        if proof:
            bent = [proof[0][:-1] + bytes([proof[0][-1] ^ 1]), *proof[1:]]
            assert not merkle.verify_inclusion(leaves[index], index, size, bent, tree_root)
            other = index + 1 if index + 1 < size else index - 1  # the same leaf claimed at another position
            assert not merkle.verify_inclusion(leaves[index], other, size, proof, tree_root)


def test_consistency_proofs(vectors, leaves):
    assert len(vectors["consistency_proofs"]) >= 30
    roots = [bytes.fromhex(r) for r in vectors["root_by_tree_size"]]
    for case in vectors["consistency_proofs"]:
        old, new = case["old_size"], case["new_size"]
        proof = merkle.consistency_proof(old, leaves[:new])
        assert [p.hex() for p in proof] == case["proof"], case
        assert merkle.verify_consistency(old, new, proof, roots[old], roots[new])
        if old < new:
            forged = [*leaves[:old - 1], merkle.leaf_hash(b"rewritten history")]
            assert not merkle.verify_consistency(old, new, proof, merkle.root(forged), roots[new])
            assert not merkle.verify_consistency(old, new, proof[:-1], roots[old], roots[new])
            # A proof longer than the trees allow is refused as False (a bool, as the signature says).
            assert merkle.verify_consistency(old, new, [*proof, bytes(32)], roots[old], roots[new]) is False


def test_larger_trees_agree_with_the_recursive_definition():
    def mth(hashes):  # RFC 9162 §2.1.1, literally
        if len(hashes) == 1:
            return hashes[0]
        k = merkle._split(len(hashes))
        return merkle.node_hash(mth(hashes[:k]), mth(hashes[k:]))

    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(300)]
    for n in (1, 2, 3, 5, 17, 64, 65, 127, 255, 300):
        assert merkle.root(leaves[:n]) == mth(leaves[:n])
        for index in (0, n // 2, n - 1):
            proof = merkle.inclusion_proof(index, leaves[:n])
            assert merkle.verify_inclusion(leaves[index], index, n, proof, mth(leaves[:n]))
        for old in (1, n // 3 or 1, n):
            proof = merkle.consistency_proof(old, leaves[:n])
            assert merkle.verify_consistency(old, n, proof, mth(leaves[:old]), mth(leaves[:n]))
    assert merkle.root([]) == merkle.EMPTY_ROOT
    with pytest.raises(ValueError):
        merkle.inclusion_proof(3, leaves[:3])
