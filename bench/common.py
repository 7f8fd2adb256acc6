"""Helpers shared by the benchmarks: building long test recordings from real speech."""

from __future__ import annotations

import csv
import wave
from pathlib import Path

import numpy as np

from pipeline.consent import add_consent
from transcribe.audio import SAMPLE_RATE, decode

ROOT = Path(__file__).resolve().parent.parent
SPEECH_NL = ROOT.parent / "shared" / "data" / "speech-nl"
FIXTURES = ROOT / "tests" / "fixtures"


def speech_nl() -> list[tuple[Path, str]]:
    """The 60 real Dutch clips with their reference text."""
    with (SPEECH_NL / "references.tsv").open(encoding="utf-8") as fh:
        return [(SPEECH_NL / r["file"], r["reference"]) for r in csv.DictReader(fh, delimiter="\t")]


def write_wav(path: Path, samples: np.ndarray) -> Path:
    """Write 16 kHz int16 mono samples as WAV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(samples.astype(np.int16).tobytes())
    return path


def dutch_call(path: Path, *, minutes: float, gap_s: float = 0.8) -> tuple[Path, str]:
    """A recording of at least ``minutes`` made of the real Dutch clips in turn; returns its text."""
    clips = [(decode(p).channel(None), ref) for p, ref in speech_nl()]
    gap = np.zeros(int(gap_s * SAMPLE_RATE), np.int16)
    parts, text, total = [], [], 0
    while total < minutes * 60 * SAMPLE_RATE:
        for samples, ref in clips:
            parts += [samples, gap]
            text.append(ref)
            total += samples.shape[0] + gap.shape[0]
            if total >= minutes * 60 * SAMPLE_RATE:
                break
    write_wav(path, np.concatenate(parts))
    consent(path)
    return path, " ".join(text)


def consent(path: Path) -> None:
    """Record a benchmark consent for ``path`` (the gate applies to benchmarks too)."""
    add_consent(
        path,
        customer="benchmark",
        method="written",
        obtained_by="bench",
        purpose="benchmark",
        force=True,
    )
