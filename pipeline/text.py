"""Small text measures shared by the stages."""

from __future__ import annotations

from collections.abc import Sequence


def edit_distance(a: Sequence, b: Sequence, limit: int | None = None) -> int:
    """Levenshtein distance (substitutions, insertions, deletions) of two strings or word lists.

    With ``limit``, the work stops as soon as the distance must exceed it, and ``limit + 1``
    is returned then: enough to ask "within ``limit`` edits?" of many pairs quickly.

    Example:
        >>> edit_distance("onderhoud", "onderhout"), edit_distance("a b".split(), ["b"])
        (1, 1)
        >>> edit_distance("contract", "contractduur", limit=2)
        3
    """
    if limit is not None and abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        if limit is not None and min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]
