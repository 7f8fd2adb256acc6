"""Word error rate with light normalisation, for tests and benchmarks of transcription quality."""

from __future__ import annotations

import re
import unicodedata

_NUMBERS = {
    "en": "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty",
    "nl": "nul een twee drie vier vijf zes zeven acht negen tien elf twaalf dertien veertien "
    "vijftien zestien zeventien achttien negentien twintig",
}
_NUMBER_WORDS = {w: str(i) for words in _NUMBERS.values() for i, w in enumerate(words.split())}
_NUMBER_WORDS.pop("een")  # Dutch "een" is mostly the article "a"


def normalise(text: str) -> list[str]:
    """Lower-case, strip accents and punctuation, split hyphens, spell small numbers as digits."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[-‐–—/]", " ", text)
    words = re.findall(r"[a-z0-9']+", text)
    return [_NUMBER_WORDS.get(w.strip("'"), w.strip("'")) for w in words if w.strip("'")]


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    """Word-level Levenshtein distance (substitutions, insertions, deletions)."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, start=1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    """Corpus WER: total word edits over total reference words, after ``normalise``."""
    edits = words = 0
    for ref, hyp in zip(references, hypotheses, strict=True):
        r, h = normalise(ref), normalise(hyp)
        edits += edit_distance(r, h)
        words += len(r)
    return edits / max(words, 1)
