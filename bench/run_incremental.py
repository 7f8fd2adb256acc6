"""`mine run`: a rerun with nothing new over 1,000 registered recordings, and model reuse.

    .venv/bin/python bench/run_incremental.py [--recordings 1000] [--batch 10]

(1) 1,000 recordings (distinct short WAV files with consent sidecars) registered as transcribed:
their transcripts and state rows are written the way a first run leaves them (transcribing 1,000
files here would take hours), then one real `mine run` does the terms stage, and the next
`mine run` is timed: everything must be skipped (target < 2 s).
(2) --batch real Dutch clips: one `mine run` (one model load) vs the same files one at a time
through `mine transcribe` (a model load each), as subprocesses; prints the ratio.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import consent, speech_nl, write_wav  # noqa: E402
from pipeline.config import load_settings, options_dict  # noqa: E402
from pipeline.consent import admit  # noqa: E402
from pipeline.files import FileIdentity, sha256_file  # noqa: E402
from pipeline.run import _digest  # noqa: E402
from pipeline.state import normal_path, open_state, remember_hash  # noqa: E402
from transcribe.diarize import diarization_label  # noqa: E402
from transcribe.models import resolve_model  # noqa: E402

MINE = str(Path(sys.executable).parent / "mine")


def registered(root: Path, n: int) -> float:
    rec, ws = root / "rec", root / "ws"
    rec.mkdir()
    (ws / "transcripts").mkdir(parents=True)
    settings = load_settings(overrides={"workspace": ws})
    model_sha = resolve_model("base", cache_dir=settings.cache_dir).sha256
    opts_hash = _digest(
        options_dict(settings.transcribe), model_sha, diarization_label(settings.transcribe)
    )
    rng = np.random.default_rng(1)
    sentences = [ref for _, ref in speech_nl()]
    with open_state(ws) as db:
        for i in range(n):
            audio = write_wav(
                rec / f"call{i:04d}.wav", (rng.standard_normal(3200) * 300).astype(np.int16)
            )
            consent(audio)
            sha = sha256_file(audio)
            record = admit(audio).consent.record_sha256
            out = ws / "transcripts" / f"call{i:04d}.json"
            out.write_text(
                json.dumps(
                    {
                        "call_id": sha,
                        "source": audio.name,
                        "language": "nl",
                        "language_probability": 1.0,
                        "model": {"name": "base", "sha256": model_sha, "source": "bench"},
                        "options": options_dict(settings.transcribe),
                        "duration": 0.2,
                        "utterances": [
                            {
                                "idx": 0,
                                "start": 0.0,
                                "end": 0.2,
                                "speaker": "customer",
                                "text": sentences[i % len(sentences)],
                                "words": [],
                                "flags": [],
                            }
                        ],
                    }
                )
            )
            remember_hash(db, audio, FileIdentity.of(audio.stat()), sha)
            db.execute(
                "INSERT INTO stages VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    normal_path(audio),  # stages are kept per real path
                    "transcribe",
                    _digest(sha, record),  # the bytes and the consent record
                    opts_hash,
                    "done",
                    "",
                    json.dumps([str(out)]),
                    "",
                    "",
                ),
            )
    subprocess.run(
        [MINE, "run", str(rec), "--workspace", str(ws), "-q"], check=True, capture_output=True
    )
    start = time.perf_counter()
    out = subprocess.run(
        [MINE, "run", str(rec), "--workspace", str(ws), "-q"],
        check=True,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    stages = json.loads(out.stdout)["stages"]
    assert stages["transcribe"] == {"done": 0, "skipped": n, "failed": 0}, stages
    assert stages["terms"] == {"done": 0, "skipped": 1, "failed": 0}, stages
    with sqlite3.connect(ws / "state.db") as db:
        assert db.execute("SELECT count(*) FROM stages WHERE stage='transcribe'").fetchone() == (n,)
    return wall


def batch(root: Path, n: int) -> tuple[float, float]:
    rec = root / "batch"
    rec.mkdir()
    from transcribe.audio import decode

    for i, (path, _) in enumerate(speech_nl()[:n]):
        consent(write_wav(rec / f"clip{i:02d}.wav", decode(path).channel(None)))
    files = sorted(rec.glob("*.wav"))
    start = time.perf_counter()
    subprocess.run(
        [MINE, "run", str(rec), "--workspace", str(root / "ws-batch"), "-q"],
        check=True,
        capture_output=True,
    )
    one_run = time.perf_counter() - start
    start = time.perf_counter()
    for f in files:
        subprocess.run(
            [
                MINE,
                "transcribe",
                str(f),
                "-q",
                "--out",
                str(root / "single"),
                "--workspace",
                str(root / "ws-single"),
            ],
            check=True,
            capture_output=True,
        )
    one_by_one = time.perf_counter() - start
    return one_run, one_by_one


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--recordings", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=10)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wall = registered(Path(tmp), args.recordings)
        print(
            f"rerun with nothing new over {args.recordings} registered recordings: {wall:.2f} s "
            f"(target < 2 s)"
        )
        one_run, one_by_one = batch(Path(tmp), args.batch)
        print(
            f"{args.batch} recordings: one mine run {one_run:.1f} s (transcribe + terms), "
            f"{args.batch} x mine transcribe {one_by_one:.1f} s; ratio {one_by_one / one_run:.2f}"
        )


if __name__ == "__main__":
    main()
