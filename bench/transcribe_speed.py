"""Real-time factor of base and tiny.en (int8, batched and sequential) and Dutch word error rate.

    .venv/bin/python bench/transcribe_speed.py [--runs 3] [--skip-wer]

Speed: one loaded model per configuration transcribes the same ~75 s English recording
(generated speech from tests/fixtures) in-process; the median of --runs is reported as
"x real time" (audio seconds per wall second). Accuracy: base transcribes each of the 60 real
Dutch clips of ../shared/data/speech-nl with the default decoding (beam 5, temperature fallback),
batched and sequential; WER after lower-casing and stripping punctuation.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import FIXTURES, dutch_call, speech_nl  # noqa: E402
from pipeline.config import TranscribeOptions  # noqa: E402
from transcribe.audio import SAMPLE_RATE, DecodedAudio, decode  # noqa: E402
from transcribe.engine import Transcriber  # noqa: E402
from transcribe.quality import word_error_rate  # noqa: E402

CACHE = Path.home() / ".cache" / "mine"


def english_call() -> DecodedAudio:
    parts = [
        decode(FIXTURES / "en_call.flac").channel(None),
        decode(FIXTURES / "stereo_call.flac").channel(None),
    ]
    samples = np.concatenate(parts * 2)
    return DecodedAudio(samples[:, None], 1, samples.shape[0] / SAMPLE_RATE)


def speed(runs: int) -> None:
    import tempfile

    english = english_call()
    with tempfile.TemporaryDirectory() as tmp:
        path, _ = dutch_call(Path(tmp) / "nl.wav", minutes=1.25)
        dutch = decode(path)
    print(f"{'model':8} {'language':8} {'batch':>5} {'audio s':>8} {'x real time':>12}")
    for model, audio, lang in (
        ("base", english, "en"),
        ("base", dutch, "nl"),
        ("tiny.en", english, "en"),
    ):
        for batch in (8, 0):
            opts = TranscribeOptions(model=model, batch_size=batch, temperature=(0.0,))
            t = Transcriber(opts, cache_dir=CACHE)
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                t.transcribe(audio, call_id="bench", source="bench")
                times.append(time.perf_counter() - start)
            rtf = audio.duration / statistics.median(times)
            print(f"{model:8} {lang:8} {batch:5d} {audio.duration:8.0f} {rtf:12.1f}")


def dutch_wer() -> None:
    clips = speech_nl()
    audio = [decode(p) for p, _ in clips]
    refs = [r for _, r in clips]
    total = sum(a.duration for a in audio)
    for batch, language in ((8, "auto"), (0, "auto"), (8, "nl")):
        opts = replace(TranscribeOptions(), batch_size=batch, language=language)
        t = Transcriber(opts, cache_dir=CACHE)
        start = time.perf_counter()
        done = [t.transcribe(a, call_id="b", source="b") for a in audio]
        wall = time.perf_counter() - start
        hyps = [" ".join(u.text for u in d.utterances) for d in done]
        detected = sum(d.language == "nl" for d in done)
        print(
            f"base batch={batch} language={language}: Dutch WER {word_error_rate(refs, hyps):.3f} "
            f"on {len(clips)} clips ({total:.0f} s), {total / wall:.1f}x real time, "
            f"nl on {detected}/{len(done)}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-wer", action="store_true")
    args = ap.parse_args()
    speed(args.runs)
    if not args.skip_wer:
        dutch_wer()


if __name__ == "__main__":
    main()
