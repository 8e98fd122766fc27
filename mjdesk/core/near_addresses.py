"""Addresses one letter apart at the same domain (``jon.smith@`` and ``john.smith@``).

Two ways to find them, kept side by side and held to the same answers by a differential
test: :func:`near_pairs_plain`, which compares the addresses that share half of their
local part, and :func:`near_pairs`, the one used, which hashes every local part with each
of its letters left out in turn (two parts one edit apart leave out the same letter, or
one leaves out the letter the other lacks) and compares only what collides, vectorised.
The plain way is quadratic in addresses sharing a half, which generated registries
(``firstname.lastname123``) make into minutes at a million contacts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

#: local parts shorter than this are not compared (al@ and an@ are different people)
MIN_LOCAL = 4

_BASE = 0x100000001B3
_MIX_DOMAIN = 0x9E3779B97F4A7C15
_MIX_LENGTH = 0xC2B2AE3D27D4EB4F


def one_edit_apart(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by exactly one letter changed, added or removed."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    start = 0
    while start < len(a) and a[start] == b[start]:
        start += 1
    if len(a) == len(b):
        return a[start + 1 :] == b[start + 1 :]
    return a[start:] == b[start + 1 :]


def _split(keys: Sequence[tuple[int, str]]) -> list[tuple[int, str, str]]:
    parts = []
    for ident, key in keys:
        local, at, domain = key.rpartition("@")
        if at and len(local) >= MIN_LOCAL:
            parts.append((ident, local, domain))
    return parts


def _halves(local: str) -> Iterator[tuple[int, bool, str]]:
    """Keys that any two local parts one edit apart share at least one of. For a pair of
    lengths ``n`` and ``n`` or ``n + 1``, an edit leaves the first or the last ``n // 2``
    letters of both alone: a part of length ``n`` is keyed by its halves as the shorter
    of a pair (``n``) and as the longer (``n - 1``), each key carrying that length."""
    size = len(local)
    for shorter in (size, size - 1):
        half = shorter // 2
        if half:
            yield shorter, True, local[:half]
            yield shorter, False, local[-half:]


def near_pairs_plain(keys: Sequence[tuple[int, str]]) -> set[tuple[int, int]]:
    """Pairs (smaller id first) of contacts whose address keys are one edit apart at the
    same domain, from (id, address key): by comparing addresses that share a half."""
    buckets: dict[tuple[str, int, bool, str], list[tuple[int, str]]] = defaultdict(list)
    for ident, local, domain in _split(keys):
        for shorter, side, half in _halves(local):
            buckets[(domain, shorter, side, half)].append((ident, local))
    pairs: set[tuple[int, int]] = set()
    for members in buckets.values():
        for i, (first, a) in enumerate(members):
            for second, b in members[i + 1 :]:
                if one_edit_apart(a, b):
                    pairs.add((min(first, second), max(first, second)))
    return pairs


def near_pairs(keys: Sequence[tuple[int, str]]) -> set[tuple[int, int]]:
    """The same pairs as :func:`near_pairs_plain`, by hashing each local part with each
    of its letters left out (vectorised; the candidates are then checked letter by
    letter, so a hash collision never makes a pair)."""
    import numpy as np  # (not at start-up)

    parts = _split(keys)
    if len(parts) < 2:
        return set()
    base, mix_domain, mix_length = np.uint64(_BASE), np.uint64(_MIX_DOMAIN), np.uint64(_MIX_LENGTH)
    ids = [p[0] for p in parts]
    locals_ = [p[1] for p in parts]
    domains = [p[2] for p in parts]
    numbering: dict[str, int] = {}
    domain_code = np.fromiter(
        (numbering.setdefault(d, len(numbering)) for d in domains), np.uint64, len(domains)
    )
    domain_code *= mix_domain
    lengths = np.fromiter(map(len, locals_), dtype=np.int64, count=len(locals_))
    longest = int(lengths.max())
    # Every local part padded to the longest, as code points in one buffer (letters beyond
    # a part's length are never read).
    padded = "".join(local.ljust(longest, "\0") for local in locals_).encode("utf-32-le")
    letters = np.frombuffer(padded, dtype=np.uint32).reshape(len(locals_), longest)
    letters = letters.astype(np.uint64) + np.uint64(1)
    powers = np.ones(longest + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(1, longest + 1):
            powers[k] = powers[k - 1] * base
        whole = np.zeros(len(locals_), dtype=np.uint64)
        for k in range(longest):
            inside = lengths > k
            whole[inside] = whole[inside] * base + letters[inside, k]

        def keyed(hashes: np.ndarray, size: np.ndarray, domain: np.ndarray) -> np.ndarray:
            mixed: np.ndarray = hashes ^ domain ^ (size.astype(np.uint64) * mix_length)
            return mixed

        identity = keyed(whole, lengths, domain_code)
        by_identity = np.argsort(identity)
        sorted_identity = identity[by_identity]
        candidates: set[tuple[int, int]] = set()
        prefix = np.zeros(len(locals_), dtype=np.uint64)
        for k in range(longest):
            rows = np.flatnonzero(lengths > k)
            head = prefix[rows]
            after = head * base + letters[rows, k]
            # the part without letter k: its first k letters, then the rest as they were
            rest = whole[rows] - after * powers[lengths[rows] - 1 - k]
            left_out = head * powers[lengths[rows] - 1 - k] + rest
            variant = keyed(left_out, lengths[rows] - 1, domain_code[rows])
            prefix[rows] = after
            # the same letter left out of both: sort and take the runs of equal hashes
            order = np.argsort(variant)
            ranked = variant[order]
            starts = np.flatnonzero(ranked[1:] != ranked[:-1]) + 1
            bounds = np.concatenate(([0], starts, [len(ranked)]))
            for run in np.flatnonzero(np.diff(bounds) > 1):
                members = rows[order[bounds[run] : bounds[run + 1]]].tolist()
                for i, first in enumerate(members):
                    candidates.update((first, second) for second in members[i + 1 :])
            # a letter left out of one is the whole of another
            # (looked up in hash order: the search then walks the identities once)
            spot = np.searchsorted(sorted_identity, ranked)
            spot[spot == len(sorted_identity)] = 0
            hits = np.flatnonzero(sorted_identity[spot] == ranked)
            for at in hits:
                first = int(rows[order[at]])
                index = int(spot[at])
                while index < len(sorted_identity) and sorted_identity[index] == ranked[at]:
                    candidates.add((first, int(by_identity[index])))
                    index += 1
    return _confirmed(candidates, ids, locals_, domains)


def _confirmed(
    candidates: set[tuple[int, int]],
    ids: list[int],
    locals_: list[str],
    domains: list[str],
) -> set[tuple[int, int]]:
    """The candidate pairs (row numbers) that really are one edit apart, as id pairs."""
    return {
        (min(ids[a], ids[b]), max(ids[a], ids[b]))
        for a, b in candidates
        if a != b and domains[a] == domains[b] and one_edit_apart(locals_[a], locals_[b])
    }
