"""Merkle tree hashing, proofs and their verification, exactly as RFC 9162 (RFC 6962) defines them.

Leaf hash `SHA-256(0x00 ‖ leaf)`, node hash `SHA-256(0x01 ‖ left ‖ right)`; a tree of n leaves splits
at the largest power of two below n. Proof generation here works on a list of leaf hashes (the
reference definition, used by tests and small trees); the ledger serves large trees from stored
nodes. Verification needs only the proof, the sizes and the roots: anyone can run it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TypeVar

Node = TypeVar("Node")

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(hashes: Sequence[bytes]) -> bytes:
    """The tree head (MTH) of the given leaf hashes. Level by level, a lone last node moves up
    unchanged: the same tree as the recursive definition, in O(n) hashes without recursion."""
    if not hashes:
        return EMPTY_ROOT
    level = list(hashes)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def inclusion_proof(index: int, hashes: Sequence[bytes]) -> list[bytes]:
    """PATH(index, D[n]) of RFC 9162 §2.1.3.1."""
    n = len(hashes)
    if not 0 <= index < n:
        raise ValueError(f"index {index} outside a tree of {n} leaves")
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return inclusion_proof(index, hashes[:k]) + [root(hashes[k:])]
    return inclusion_proof(index - k, hashes[k:]) + [root(hashes[:k])]


def consistency_proof(old_size: int, hashes: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1 (0 < m <= n)."""
    if not 0 < old_size <= len(hashes):
        raise ValueError(f"no consistency proof from {old_size} to {len(hashes)}")
    return _subproof(old_size, hashes, True)


def _subproof(m: int, hashes: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(hashes)
    if m == n:
        return [] if complete else [root(hashes)]
    k = _split(n)
    if m <= k:
        return _subproof(m, hashes[:k], complete) + [root(hashes[k:])]
    return _subproof(m - k, hashes[k:], False) + [root(hashes[:k])]


def verify_inclusion(leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes], expected_root: bytes) -> bool:
    """RFC 9162 §2.1.3.2, for the leaf hash `leaf`."""
    return root_from_inclusion(leaf, index, tree_size, proof) == expected_root


def root_from_inclusion(leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes]) -> bytes | None:
    """The root that the inclusion proof leads to from the leaf hash `leaf` at `index` (RFC 9162
    §2.1.3.2's computation), or None when the proof cannot be one for that index and size."""
    if not 0 <= index < tree_size:
        return None
    sha256 = hashlib.sha256  # inlined node_hash: this loop is what every verifier runs
    fn, sn, r = index, tree_size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = sha256(b"\x01" + p + r).digest()
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_consistency(old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes,
                       new_root: bytes) -> bool:
    """RFC 9162 §2.1.4.2."""
    if old_size == new_size:
        return not proof and old_root == new_root
    if not 0 < old_size < new_size or not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is a node of the new tree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


def levels(hashes: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the tree over `hashes`, leaves first (a lone last node moves up unchanged)."""
    sha256 = hashlib.sha256  # inlined node_hash: every receipt batch builds one
    level = list(hashes)
    out = [level]
    while len(level) > 1:
        odd = level[-1] if len(level) % 2 else None
        level = [sha256(b"\x01" + left + right).digest() for left, right in zip(level[::2], level[1::2])]
        if odd is not None:
            level.append(odd)
        out.append(level)
    return out


def path_from_levels(tree: Sequence[Sequence[Node]], index: int) -> list[Node]:
    """The inclusion proof of leaf `index` read off `levels(...)`: the sibling at each level where
    there is one (a promoted lone node has none). Same result as `inclusion_proof`, O(log n). The
    nodes may be in any form (receipts read the path off the batch's base64url-encoded levels)."""
    proof = []
    for level in tree[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            proof.append(level[sibling])
        index >>= 1
    return proof
