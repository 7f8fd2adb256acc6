"""`mine transcribe` end to end vs bare faster-whisper on the same recording.

    .venv/bin/python bench/transcribe_overhead.py [--minutes 1.5] [--runs 5]

Both sides run as fresh subprocesses (interpreter start, imports, model load, decode,
transcription, writing the result as JSON), mine without speaker diarization (timed on its own
by bench/diarization.py), with the same model folder, int8, Silero VAD,
beam 5, batch 8, word timestamps, temperature 0 and language detection. Runs alternate;
the median ratio mine / bare is printed (target <= 1.05).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import dutch_call  # noqa: E402
from transcribe.models import resolve_model  # noqa: E402

BARE = """
import json, sys
from faster_whisper import BatchedInferencePipeline, WhisperModel
model = WhisperModel(sys.argv[1], device="cpu", compute_type="int8")
segments, info = BatchedInferencePipeline(model).transcribe(
    sys.argv[2], batch_size=8, beam_size=5, word_timestamps=True, vad_filter=True, temperature=0.0)
out = [{"start": s.start, "end": s.end, "text": s.text,
        "words": [[w.word, w.start, w.end, w.probability] for w in s.words]} for s in segments]
json.dump({"language": info.language, "segments": out}, open(sys.argv[3], "w"))
"""


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--minutes", type=float, default=1.5)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    cache = Path.home() / ".cache" / "mine"
    model = resolve_model("base", cache_dir=cache)
    with tempfile.TemporaryDirectory() as tmp:
        audio, _ = dutch_call(Path(tmp) / "call.wav", minutes=args.minutes)
        mine = [
            str(Path(sys.executable).parent / "mine"),
            "transcribe",
            str(audio),
            "-q",
            "--format",
            "json",
            "--no-diarize",  # bare faster-whisper does not diarize; bench/diarization.py does
            "--temperature",
            "0",
            "--batch-size",
            "8",
            "--beam-size",
            "5",
            "--out",
            str(Path(tmp) / "mine"),
            "--workspace",
            str(Path(tmp) / "ws"),
        ]
        bare = [
            sys.executable,
            "-c",
            BARE,
            str(model.path),
            str(audio),
            str(Path(tmp) / "bare.json"),
        ]
        timed(mine), timed(bare)  # warm the page cache for both
        t_mine, t_bare = [], []
        for _ in range(args.runs):
            t_mine.append(timed(mine))
            t_bare.append(timed(bare))
        duration = args.minutes * 60
        print(f"file: {duration:.0f} s of real Dutch speech; {args.runs} alternating runs each")
        print("mine transcribe   : " + " ".join(f"{t:.2f}" for t in t_mine) + " s")
        print("bare faster-whisper: " + " ".join(f"{t:.2f}" for t in t_bare) + " s")
        ratio = statistics.median(t_mine) / statistics.median(t_bare)
        print(
            f"median mine {statistics.median(t_mine):.2f} s, bare {statistics.median(t_bare):.2f} s,"
            f" ratio {ratio:.3f} (target <= 1.05)"
        )


if __name__ == "__main__":
    main()
