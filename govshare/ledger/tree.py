"""The stored Merkle tree: node hashes in tiles, appends, roots and proofs in O(log n) reads.

Node (h, k) is the root of the perfect subtree over leaves [k·2^h, (k+1)·2^h); only complete
nodes are stored. Tile (L, t) holds the nodes of tree levels 8L … 8L+7 above base nodes
(8L, 256t … 256t+255): all eight levels, so any node is a slice of one tile read (a tlog-tiles tile
holds the base level only and recomputes the rest; storing the levels doubles the bytes and saves
up to 255 hashes per proof step). A tile is complete, and immutable, once it has 256 base nodes;
complete tiles are cached per process.

Roots and proofs follow RFC 9162's recursive definitions over ranges of leaves: an aligned
power-of-two range is one stored node, the right edge of the tree is folded from its perfect
subtrees (`range_hash`).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from govshare.core.database import driver_rows
from govshare.ledger.merkle import EMPTY_ROOT, node_hash

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
HASH = 32


class TreeError(ValueError):
    """A proof or root asked of a tree that does not have the nodes (size beyond what is integrated)."""


def _tile_of(h: int, k: int) -> tuple[int, int, int, int]:
    """(tile level, tile index, level within the tile, position within that level) of node (h, k)."""
    level, r = divmod(h, TILE_HEIGHT)
    shift = TILE_HEIGHT - r
    t = k >> shift
    return level, t, r, k - (t << shift)


def _offset(width: int, r: int, pos: int) -> int:
    return (sum(width >> j for j in range(r)) + pos) * HASH


def tile_blob(width: int, levels: Sequence[Sequence[bytes]]) -> bytes:
    """The stored form of a tile of `width` base nodes: its levels one after the other."""
    return b"".join(b"".join(levels[r][:width >> r]) for r in range(TILE_HEIGHT))


def tile_levels(width: int, blob: bytes) -> list[list[bytes]]:
    out, at = [], 0
    for r in range(TILE_HEIGHT):
        n = width >> r
        out.append([blob[at + i * HASH:at + (i + 1) * HASH] for i in range(n)])
        at += n * HASH
    return out


class _TileCache:
    """Complete tiles never change: keep the most recently read ones (per database)."""

    def __init__(self, capacity: int = 4096):
        self.capacity = capacity
        self._items: OrderedDict[tuple, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            blob = self._items.get(key)
            if blob is not None:
                self._items.move_to_end(key)
            return blob

    def put(self, key: tuple, blob: bytes) -> None:
        with self._lock:
            self._items[key] = blob
            if len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


complete_tiles = _TileCache()


class Tree:
    """Read access to the stored nodes of the tree as integrated so far, through one connection."""

    def __init__(self, conn: Connection, size: int, cache: _TileCache | None = complete_tiles):
        self.conn = conn
        self.size = size
        self.cache = cache
        self._db = str(conn.engine.url)
        self._tiles: dict[tuple[int, int], tuple[int, bytes]] = {}

    def _tile(self, level: int, t: int) -> tuple[int, bytes]:
        found = self._tiles.get((level, t))
        if found is not None:
            return found
        blob = self.cache.get((self._db, level, t)) if self.cache else None
        if blob is not None:
            found = (TILE_WIDTH, blob)
        else:
            row = driver_rows(self.conn, "SELECT width, hashes FROM ledger_tiles WHERE level = :l AND idx = :t",
                              {"l": level, "t": t})
            if not row:
                raise TreeError(f"tile {level}/{t} is not stored")
            found = (int(row[0][0]), bytes(row[0][1]))
            if found[0] == TILE_WIDTH and self.cache:
                self.cache.put((self._db, level, t), found[1])
        self._tiles[(level, t)] = found
        return found

    def node(self, h: int, k: int) -> bytes:
        if (k + 1) << h > self.size:
            raise TreeError(f"node {h}/{k} is not complete in a tree of {self.size}")
        level, t, r, pos = _tile_of(h, k)
        width, blob = self._tile(level, t)
        if pos >= width >> r:
            raise TreeError(f"node {h}/{k} is not stored (tile {level}/{t} has {width} base nodes)")
        at = _offset(width, r, pos)
        return blob[at:at + HASH]

    def range_hash(self, lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi]) for a range that starts on a boundary of its size (as every range of the
        recursive definitions does): perfect subtrees, largest first, folded from the right."""
        parts = []
        while lo < hi:
            h = (hi - lo).bit_length() - 1
            while lo & ((1 << h) - 1):
                h -= 1
            parts.append(self.node(h, lo >> h))
            lo += 1 << h
        if not parts:
            return EMPTY_ROOT
        out = parts[-1]
        for part in reversed(parts[:-1]):
            out = node_hash(part, out)
        return out

    def root(self, size: int | None = None) -> bytes:
        return self.range_hash(0, self.size if size is None else self._within(size))

    def _within(self, size: int) -> int:
        if not 0 <= size <= self.size:
            raise TreeError(f"tree size {size} is beyond the integrated {self.size}")
        return size

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """PATH(index, D[size]) of RFC 9162 §2.1.3.1, read from stored nodes."""
        size = self._within(size)
        if not 0 <= index < size:
            raise TreeError(f"index {index} is outside a tree of {size}")
        path, lo, hi = [], 0, size
        while hi - lo > 1:
            k = 1 << ((hi - lo - 1).bit_length() - 1)
            if index < lo + k:
                path.append(self.range_hash(lo + k, hi))
                hi = lo + k
            else:
                path.append(self.range_hash(lo, lo + k))
                lo += k
        return path[::-1]

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """PROOF(first, D[second]) of RFC 9162 §2.1.4.1."""
        second = self._within(second)
        if not 0 < first <= second:
            raise TreeError(f"no consistency proof from {first} to {second}")
        path, lo, hi, complete = [], 0, second, True
        while first - lo != hi - lo:
            k = 1 << ((hi - lo - 1).bit_length() - 1)
            if first - lo <= k:
                path.append(self.range_hash(lo + k, hi))
                hi = lo + k
            else:
                path.append(self.range_hash(lo, lo + k))
                lo += k
                complete = False
        if not complete:
            path.append(self.range_hash(lo, hi))
        return path[::-1]


@dataclass
class Extension:
    """What appending leaves computes: the new size and root, and the tiles to write."""

    size: int
    root: bytes
    tiles: list[tuple[int, int, int, bytes]]  # (level, idx, width, hashes)


def extend(conn: Connection, size: int, leaf_hashes: Sequence[bytes]) -> Extension:
    """The stored tree of `size` leaves extended by `leaf_hashes`: every node this completes, the
    tiles holding them (read-only: `store` writes them), and the new root."""
    new_size = size + len(leaf_hashes)
    old = Tree(conn, size, cache=None)
    sha256 = hashlib.sha256
    # Per tree level h: the nodes this append completes, (index of the first, hashes in order). At
    # level h the complete nodes were [0, size >> h) and are [0, new_size >> h).
    fresh: list[tuple[int, list[bytes]]] = []
    h, first, nodes = 0, size, list(leaf_hashes)
    while nodes:
        fresh.append((first, nodes))
        parent_first, parent_end = size >> (h + 1), new_size >> (h + 1)
        # Only the first parent can have an old left child (the lone node before this append).
        left_old = old.node(h, 2 * parent_first) if parent_end > parent_first and 2 * parent_first < first else None
        parents = []
        for j in range(parent_first, parent_end):
            at = 2 * j - first
            left = nodes[at] if at >= 0 else left_old
            parents.append(sha256(b"\x01" + left + nodes[at + 1]).digest())
        h, first, nodes = h + 1, parent_first, parents
    # Every tile that gained nodes gained base nodes (a node completes with its last base node), so
    # the touched tiles of tile level L are those of the fresh nodes at tree level 8L. Each is
    # written whole: what it held, then its fresh nodes, level by level.
    tiles = []
    for level in range(0, len(fresh), TILE_HEIGHT):
        base_first, base_nodes = fresh[level]
        base_end = base_first + len(base_nodes)
        for t in range(base_first >> TILE_HEIGHT, ((base_end - 1) >> TILE_HEIGHT) + 1):
            width = min(TILE_WIDTH, base_end - t * TILE_WIDTH)
            old_width, old_blob = old._tile(level // TILE_HEIGHT, t) if t * TILE_WIDTH < base_first else (0, b"")
            parts, old_at = [], 0
            for r in range(TILE_HEIGHT):
                old_n, n = old_width >> r, width >> r
                parts.append(old_blob[old_at:old_at + old_n * HASH])
                old_at += old_n * HASH
                if n > old_n and level + r < len(fresh):
                    first_r, nodes_r = fresh[level + r]
                    start = t * (TILE_WIDTH >> r)
                    parts.append(b"".join(nodes_r[start + old_n - first_r:start + n - first_r]))
            tiles.append((level // TILE_HEIGHT, t, width, b"".join(parts)))
    tree = Tree(conn, new_size, cache=None)
    tree._tiles.update({(level, t): (width, blob) for level, t, width, blob in tiles})
    for key, found in old._tiles.items():  # the right edge's complete nodes, already read
        tree._tiles.setdefault(key, found)
    return Extension(new_size, tree.root() if new_size else EMPTY_ROOT, tiles)


def store(conn: Connection, extension: Extension) -> None:
    """Write an extension's tiles (in the caller's transaction, with the checkpoint that signs them)."""
    store_rows(conn.exec_driver_sql, "?" if conn.dialect.name == "sqlite" else "%s", extension)


def store_rows(executemany, mark: str, extension: Extension) -> None:
    """`store` on a DBAPI cursor's `executemany` (paramstyle `mark`)."""
    if extension.tiles:
        executemany(f"INSERT INTO ledger_tiles (level, idx, width, hashes) VALUES ({mark}, {mark}, {mark}, {mark}) "
                    "ON CONFLICT (level, idx) DO UPDATE SET width = excluded.width, hashes = excluded.hashes",
                    extension.tiles)
