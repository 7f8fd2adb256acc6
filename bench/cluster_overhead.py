"""`mine run --cluster local:N` against the in-process run on the same recordings and machine.

    .venv/bin/python bench/cluster_overhead.py [--recordings 8] [--minutes 1.5] [--short 40]

(1) ``--recordings`` real Dutch recordings of about ``--minutes`` each, made from the 60 real
speech clips of shared/data (clip i, i+N, i+2N, ... in turn, so no two alike), with consent:
one in-process ``mine run`` and one ``mine run --cluster local:2`` (two single-threaded worker
processes), default model and speaker roles, each into a fresh workspace. Wall-time ratio.
(2) Per-task overhead: ``--short`` of the real clips (3 to 8 s each) with ``tiny.en``, no
diarization and one thread, in process and with ``--cluster local:1``: the same computation on
the same single thread with the same allocator settings as a worker's, so the difference per
recording is what the cluster adds (starting the cluster, scheduling,
the private copy and its hash, pickling, a worker's model load). Also each worker's peak memory.
(3) A paper projection from (1) and (2): hours of audio per 8-hour night for 1, 4 and 16 worker
machines of this size.

Every run is a subprocess; wall time includes model loads and the terms stage, as a user sees it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import consent, speech_nl, write_wav  # noqa: E402
from transcribe.audio import decode  # noqa: E402

MINE = str(Path(sys.executable).parent / "mine")
SAMPLE_RATE = 16_000


def recordings(folder: Path, n: int, minutes: float) -> float:
    """``n`` recordings of about ``minutes`` from the real clips; their total seconds."""
    clips = [decode(p).channel(None) for p, _ in speech_nl()]
    gap = np.zeros(int(0.8 * SAMPLE_RATE), np.int16)
    total = 0.0
    for i in range(n):
        parts, size, j = [], 0, i
        while size < minutes * 60 * SAMPLE_RATE:
            parts += [clips[j % len(clips)], gap]
            size += len(clips[j % len(clips)]) + len(gap)
            j += n
        path = write_wav(folder / f"bezoek-{i:02d}.wav", np.concatenate(parts))
        consent(path)
        total += size / SAMPLE_RATE
    return total


def short_clips(folder: Path, n: int) -> float:
    total = 0.0
    for i, (path, _ref) in enumerate(speech_nl()[:n]):
        samples = decode(path).channel(None)
        consent(write_wav(folder / f"clip-{i:02d}.wav", samples))
        total += len(samples) / SAMPLE_RATE
    return total


def run(rec: Path, ws: Path, env: dict[str, str], *extra: str) -> tuple[float, dict]:
    start = time.perf_counter()
    out = subprocess.run(
        [MINE, "run", str(rec), "--workspace", str(ws), "-q", *extra],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"mine run failed ({out.returncode}): {out.stderr}")
    return seconds, json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--recordings", type=int, default=8)
    ap.add_argument("--minutes", type=float, default=1.5)
    ap.add_argument("--short", type=int, default=40)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="cluster-bench-"))
    try:
        measure(args, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def measure(args: argparse.Namespace, root: Path) -> None:
    audio = recordings(root / "rec", args.recordings, args.minutes)
    quiet = {"MINE_TRANSCRIBE_TEMPERATURE": "0"}
    here_s, _ = run(root / "rec", root / "ws-here", quiet)
    there_s, summary = run(root / "rec", root / "ws-there", quiet, "--cluster", "local:2")
    print(
        f"(1) {args.recordings} recordings, {audio / 60:.1f} min of real Dutch speech, model base"
    )
    print("| run | wall s | × real time |")
    print("|---|---:|---:|")
    print(f"| in process | {here_s:.1f} | {audio / here_s:.1f} |")
    print(f"| --cluster local:2 | {there_s:.1f} | {audio / there_s:.1f} |")
    print(f"cluster / in process: {there_s / here_s:.3f}; per worker: {summary['workers']}")

    short = short_clips(root / "short", args.short)
    one = {
        **quiet,
        "MINE_TRANSCRIBE_MODEL": "tiny.en",
        "MINE_TRANSCRIBE_LANGUAGE": "en",
        "MINE_TRANSCRIBE_DIARIZE": "off",
        "MINE_TRANSCRIBE_CPU_THREADS": "1",
        "OMP_NUM_THREADS": "1",
    }
    # the allocator settings a worker uses (transcribe.cluster._undo_malloc_trim), so the two
    # runs differ only by the cluster path itself
    same_allocator = {
        "MALLOC_MMAP_THRESHOLD_": str(64 << 20),
        "MALLOC_TRIM_THRESHOLD_": str(128 << 20),
    }
    plain_s, _ = run(root / "short", root / "ws-short-here", {**one, **same_allocator})
    local_s, _ = run(root / "short", root / "ws-short-there", one, "--cluster", "local:1")
    per_task = (local_s - plain_s) / args.short
    print(f"(2) {args.short} short real clips ({short:.0f} s), tiny.en, one thread")
    print(
        f"in process {plain_s:.1f} s, --cluster local:1 {local_s:.1f} s: "
        f"{per_task * 1000:.0f} ms per recording added by the cluster path"
    )

    night = 8 * 3600
    per_machine = audio / there_s  # audio seconds per wall second on one 2-core machine
    print("(3) projection: hours of audio per 8-hour night (2-core workers as this machine)")
    print("| worker machines | hours of audio |")
    print("|---:|---:|")
    for machines in (1, 4, 16):
        print(f"| {machines} | {night * per_machine * machines / 3600:,.0f} |")
    print(
        f"(coordinator cost per recording {per_task * 1000:.0f} ms: not the limit below "
        f"{night / max(per_task, 1e-3):,.0f} recordings a night)"
    )


if __name__ == "__main__":
    main()
