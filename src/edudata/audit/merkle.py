"""RFC 9162 Merkle trees (§2.1): leaf and node hashes, roots, compact ranges, inclusion and consistency proofs.

The audit log's records are the leaves of one append-only tree per epoch (Art. 59 防篡改): a signed root of size
N commits to every one of the first N records and their order; an inclusion proof shows one record is among them,
a consistency proof that the tree of size N is a prefix of the tree of size M. This module is pure (standard
library only): the proofs are produced from a ``subtree(start, end)`` function the caller backs with stored
hashes, and verified from the hashes alone, as a third party would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

_sha256 = hashlib.sha256
EMPTY_ROOT = _sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """MTH of one entry: SHA-256(0x00 ‖ data)."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right)."""
    return _sha256(b"\x01" + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n`` ≥ 2): where RFC 9162 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def perfect_root(hashes: Sequence[bytes]) -> bytes:
    """Root of a list whose length is a power of two, level by level (one comprehension per level: fast)."""
    level = list(hashes)
    sha = _sha256
    while len(level) > 1:
        it = iter(level)
        level = [sha(b"\x01" + a + b).digest() for a, b in zip(it, it, strict=True)]
    return level[0]


def root(hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of leaf hashes (any length), by RFC 9162's split at the largest power of two."""
    n = len(hashes)
    if n == 0:
        return EMPTY_ROOT
    if n & (n - 1) == 0:
        return perfect_root(hashes)
    k = largest_power_of_two_below(n)
    return node_hash(perfect_root(hashes[:k]), root(hashes[k:]))


class CompactRange:
    """The right edge of a growing tree: the roots of its perfect subtrees, largest first.

    Appending a leaf merges equal-sized subtrees (one node hash per merge, amortised one per leaf), and the
    root of the whole tree folds the edge from the right. Its state (``size``, ``nodes``) is what the sequencer
    stores between batches and what a purge keeps as the anchor of the records it removed.
    """

    def __init__(self, size: int = 0, nodes: Sequence[bytes] = ()) -> None:
        if len(nodes) != bin(size).count("1"):
            raise ValueError("a compact range holds one node per set bit of its size")
        self.size = size
        self.nodes = list(nodes)

    def append(self, leaf: bytes) -> None:
        nodes, size = self.nodes, self.size
        nodes.append(leaf)
        while size & 1:
            right = nodes.pop()
            nodes[-1] = _sha256(b"\x01" + nodes[-1] + right).digest()
            size >>= 1
        self.size += 1

    def extend(self, leaves: Sequence[bytes]) -> None:
        for leaf in leaves:
            self.append(leaf)

    def append_subtree(self, height: int, hash_: bytes) -> None:
        """Append a perfect subtree of 2**height leaves; the size must be a multiple of it."""
        width = 1 << height
        if self.size % width:
            raise ValueError("subtree not aligned")
        nodes, size = self.nodes, self.size >> height
        nodes.append(hash_)
        while size & 1:
            right = nodes.pop()
            nodes[-1] = _sha256(b"\x01" + nodes[-1] + right).digest()
            size >>= 1
        self.size += width

    def root(self) -> bytes:
        if not self.nodes:
            return EMPTY_ROOT
        acc = self.nodes[-1]
        for node in reversed(self.nodes[:-1]):
            acc = node_hash(node, acc)
        return acc

    def copy(self) -> CompactRange:
        return CompactRange(self.size, self.nodes)

    def spans(self) -> list[tuple[int, int]]:
        """The [start, end) leaf range of each node, in order."""
        out, start = [], 0
        for bit in range(self.size.bit_length() - 1, -1, -1):
            if self.size >> bit & 1:
                out.append((start, start + (1 << bit)))
                start += 1 << bit
        return out


Subtree = Callable[[int, int], bytes]


def inclusion_proof(index: int, size: int, subtree: Subtree) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1: the sibling hashes from leaf ``index`` up, in a tree of ``size``."""
    if not 0 <= index < size:
        raise ValueError("index outside the tree")
    proof: list[bytes] = []

    def path(m: int, start: int, end: int) -> None:
        n = end - start
        if n == 1:
            return
        k = largest_power_of_two_below(n)
        if m < k:
            path(m, start, start + k)
            proof.append(subtree(start + k, end))
        else:
            path(m - k, start + k, end)
            proof.append(subtree(start, start + k))

    path(index, 0, size)
    return proof


def consistency_proof(old: int, new: int, subtree: Subtree) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1: shows the tree of size ``old`` is a prefix of the one of ``new``."""
    if not 0 <= old <= new:
        raise ValueError("sizes out of order")
    if old == 0 or old == new:
        return []
    proof: list[bytes] = []

    def sub(m: int, start: int, end: int, whole: bool) -> None:
        n = end - start
        if m == n:
            if not whole:
                proof.append(subtree(start, end))
            return
        k = largest_power_of_two_below(n)
        if m <= k:
            sub(m, start, start + k, whole)
            proof.append(subtree(start + k, end))
        else:
            sub(m - k, start + k, end, False)
            proof.append(subtree(start, start + k))

    sub(old, 0, new, True)
    return proof


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root_hash: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does ``proof`` show leaf hash ``leaf`` at ``index`` in the tree with ``root_hash``?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root_hash


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: does ``proof`` show the tree (old, old_root) is a prefix of (new, new_root)?"""
    if old > new or old < 0:
        return False
    if old == new:
        return not proof and old_root == new_root
    if old == 0:
        return not proof  # the empty tree is a prefix of every tree
    if not proof:
        return False
    path = list(proof)
    if old & (old - 1) == 0:  # a power of two: the old root is the first node of the path
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root
