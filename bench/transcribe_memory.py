"""Peak memory of `mine transcribe` on a long recording, next to bare faster-whisper.

    .venv/bin/python bench/transcribe_memory.py --minutes 90 [--batch-size 8] [--bare]

Both run as subprocesses on the same file with the same model and settings; the peak
resident set size (ru_maxrss of the child) and wall time are printed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import dutch_call  # noqa: E402
from transcribe.models import resolve_model  # noqa: E402

BARE = """
import sys
from faster_whisper import WhisperModel, BatchedInferencePipeline
m = WhisperModel(sys.argv[1], device="cpu", compute_type="int8")
batch = int(sys.argv[3])
kw = dict(beam_size=5, word_timestamps=True, vad_filter=True, temperature=0.0, language="nl")
if batch:
    segs, info = BatchedInferencePipeline(m).transcribe(sys.argv[2], batch_size=batch, **kw)
else:
    segs, info = m.transcribe(sys.argv[2], **kw)
print(sum(1 for _ in segs))
"""


WRAP = """
import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)
"""


def run(cmd: list[str]) -> tuple[float, float, int]:
    """Run ``cmd`` in its own wrapper; return (wall seconds, its peak RSS in MB, exit code)."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", WRAP, *cmd], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode:
        print(proc.stderr[-2000:], file=sys.stderr)
    peak_kb, rc = proc.stdout.split()
    return wall, int(peak_kb) / 1024, int(rc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--minutes", type=float, default=90)
    ap.add_argument("--batch-size", type=int, default=8, help="0: sequential decoding")
    ap.add_argument(
        "--bare", action="store_true", help="also measure bare faster-whisper (run after mine)"
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path, _ = dutch_call(Path(tmp) / "long.wav", minutes=args.minutes)
        mine = [
            str(Path(sys.executable).parent / "mine"),
            "transcribe",
            str(path),
            "-q",
            "--format",
            "json",
            "--temperature",
            "0",
            "--language",
            "nl",
            "--workspace",
            str(Path(tmp) / "ws"),
            "--batch-size",
            str(args.batch_size),
        ]
        wall, peak, rc = run(mine)
        print(f"batch size {args.batch_size}")
        print(
            f"mine transcribe  {args.minutes:.0f} min: peak RSS {peak:.0f} MB, "
            f"{wall:.0f} s wall, {args.minutes * 60 / wall:.1f}x real time, exit {rc}"
        )
        if args.bare:
            model = resolve_model("base", cache_dir=Path.home() / ".cache" / "mine")
            wall, peak, rc = run(
                [sys.executable, "-c", BARE, str(model.path), str(path), str(args.batch_size)]
            )
            print(
                f"bare faster-whisper {args.minutes:.0f} min: peak RSS "
                f"{peak:.0f} MB, {wall:.0f} s wall, exit {rc}"
            )


if __name__ == "__main__":
    main()
