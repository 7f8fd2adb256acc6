"""Quality measures for tests and benchmarks: word error rate, diarization error rate, word attribution."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from pipeline.text import edit_distance

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


def word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    """Corpus WER: total word edits over total reference words, after ``normalise``."""
    edits = words = 0
    for ref, hyp in zip(references, hypotheses, strict=True):
        r, h = normalise(ref), normalise(hyp)
        edits += edit_distance(r, h)
        words += len(r)
    return edits / max(words, 1)


# --------------------------------------------------------------------------- speakers

Span = tuple[float, float, str]  # start, end, speaker


def _grid(turns: list[Span], end: float, step: float) -> list[set[str]]:
    cells: list[set[str]] = [set() for _ in range(int(end / step) + 1)]
    for a, b, who in turns:
        for i in range(int(a / step), min(int(b / step), len(cells))):
            cells[i].add(who)
    return cells


def speaker_mapping(reference: list[Span], hypothesis: list[Span]) -> dict[str, str]:
    """The one-to-one hypothesis→reference speaker map with the most overlapping time."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    refs = sorted({s for _, _, s in reference})
    hyps = sorted({s for _, _, s in hypothesis})
    if not refs or not hyps:
        return {}
    overlap = np.zeros((len(hyps), len(refs)))
    for ha, hb, h in hypothesis:
        for ra, rb, r in reference:
            overlap[hyps.index(h), refs.index(r)] += max(0.0, min(hb, rb) - max(ha, ra))
    rows, cols = linear_sum_assignment(-overlap)
    return {hyps[i]: refs[j] for i, j in zip(rows, cols, strict=True)}


def diarization_error_rate(
    reference: list[Span], hypothesis: list[Span], *, collar: float = 0.25, step: float = 0.01
) -> float:
    """DER: (missed + false alarm + confusion) / reference speech, on a 10 ms grid.

    Time within ``collar`` seconds of a reference turn boundary is not scored (the usual
    forgiveness for boundary placement); speakers are mapped one-to-one for the best overlap.
    """
    mapping = speaker_mapping(reference, hypothesis)
    end = max([b for _, b, _ in reference] + [b for _, b, _ in hypothesis] + [0.0])
    ref = _grid(reference, end, step)
    hyp = _grid([(a, b, mapping.get(h, f"?{h}")) for a, b, h in hypothesis], end, step)
    skip = [False] * len(ref)
    for a, b, _ in reference:
        for edge in (a, b):
            for i in range(max(0, int((edge - collar) / step)), int((edge + collar) / step)):
                if i < len(skip):
                    skip[i] = True
    errors = total = 0
    for r, h, s in zip(ref, hyp, skip, strict=True):
        if s:
            continue
        total += len(r)
        errors += max(len(r), len(h)) - len(r & h)
    return errors / max(total, 1)


def word_attribution(reference: list[Span], words: list[tuple[float, float, str]]) -> float:
    """Share of words (start, end, hypothesis speaker) whose speaker maps to the true one.

    A word's true speaker is the reference turn holding its midpoint; words outside every
    reference turn are not counted.
    """
    mapping = speaker_mapping(reference, [(a, b, s) for a, b, s in words if s])
    right = counted = 0
    for a, b, s in words:
        mid = (a + b) / 2
        truth = next((r for ra, rb, r in reference if ra <= mid <= rb), None)
        if truth is None:
            continue
        counted += 1
        right += mapping.get(s) == truth
    return right / max(counted, 1)


def splice(
    voices: dict[str, tuple],
    order: list[str],
    gap: float = 0.4,
    rate: int = 16000,
    vary: Any = None,
) -> tuple:
    """Build a dialogue from voices with known turn boundaries.

    Args:
        voices: speaker → (samples, [(start, end), ...] sentence spans in seconds).
        order: the speaker of each turn; each turn takes that voice's next sentence (cycling).
        gap: seconds of silence between turns.
        vary: a ``numpy.random.Generator`` to play each turn at a random speed (±5 %, which
            moves pitch with it) and level, so a long dialogue that reuses clips never holds
            the same audio twice.

    Returns:
        (int16 samples, [(start, end, speaker), ...] reference turns).
    """
    import numpy as np

    used = dict.fromkeys(voices, 0)
    parts, turns, t = [np.zeros(int(0.3 * rate), dtype=np.int16)], [], 0.3
    for who in order:
        samples, spans = voices[who]
        a, b = spans[used[who] % len(spans)]
        used[who] += 1
        clip = samples[int(a * rate) : int(b * rate)]
        if vary is not None:
            factor = vary.uniform(0.95, 1.05)
            x = np.arange(0, len(clip) - 1, factor)
            gain = vary.uniform(0.5, 1.0)
            clip = (np.interp(x, np.arange(len(clip)), clip) * gain).astype(np.int16)
        turns.append((round(t, 3), round(t + len(clip) / rate, 3), who))
        parts += [clip, np.zeros(int(gap * rate), dtype=np.int16)]
        t += len(clip) / rate + gap
    return np.concatenate(parts), turns
