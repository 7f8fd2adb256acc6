"""pipeline/text.py: the one edit distance, for words (transcribe's WER) and letters (gap)."""

from __future__ import annotations

import pytest

from pipeline.text import edit_distance


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("", "", 0),
        ("abc", "", 3),
        ("onderhoud", "onderhout", 1),
        ("kitten", "sitting", 3),
        (["the", "cat", "sat"], ["the", "cat"], 1),
        (["a", "b"], ["b", "a"], 2),
    ],
)
def test_edit_distance(a, b, distance: int) -> None:
    assert edit_distance(a, b) == distance == edit_distance(b, a)
    assert edit_distance(a, b, limit=distance) == distance  # a limit it meets: the exact answer


def test_a_limit_stops_early_with_limit_plus_one() -> None:
    assert edit_distance("contract", "contractduur", limit=2) == 3  # lengths alone tell
    assert edit_distance("abcdefgh", "stuvwxyz", limit=1) == 2  # every row is over after one
    assert edit_distance("onderhoudscontract", "onderhoudskontract", limit=1) == 1
