"""`mine terms` on long inputs: peak memory and time for millions of words of transcripts.

    .venv/bin/python bench/terms_memory.py [--words 500000,1000000,2000000] [--long-file-mb 15]

Transcripts are made from the realistic Dutch conversations in bench/data/conversations
(nl_*.txt): their lines, speaker labels kept, drawn at random into conversations of 3,000 to
12,000 words (45 to 90 minutes of talk), with a running number in some lines so that no two
conversations are alike. Written as plain-text transcripts ("Klant: ..."), the format of the
other tools mine reads, so each file is redacted on the way in as in real use. Also one long
file (``--long-file-mb``; a day of recorded meetings) on its own.

Each run is ``mine terms`` as a subprocess: wall time and peak RSS.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.peak import ROOT, measure  # noqa: E402

CONVERSATIONS = ROOT / "bench" / "data" / "conversations"


def lines() -> list[str]:
    """Every line of the Dutch conversations, with its speaker label."""
    out = []
    for path in sorted(CONVERSATIONS.glob("nl_*.txt")):
        out += [ln for ln in path.read_text(encoding="utf-8").splitlines() if ": " in ln]
    return out


def conversation(rng: random.Random, pool: list[str], words: int, n: int) -> str:
    """About ``words`` words of conversation, its lines drawn from ``pool``."""
    out, count = [], 0
    while count < words:
        line = rng.choice(pool)
        if rng.random() < 0.1:
            line += f" Dat was bij klant {n}-{count}."
        out.append(line)
        count += len(line.split())
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--words", default="500000,1000000,2000000")
    ap.add_argument("--long-file-mb", type=float, default=15.0)
    args = ap.parse_args()
    pool = lines()
    mine = [sys.executable, "-c", "import cli; cli.main()"]
    root = Path(tempfile.mkdtemp(prefix="terms-memory-"))
    try:
        print("| input | files | words | seconds | peak MB | words/s |")
        print("|---|---:|---:|---:|---:|---:|")
        for words in (int(w) for w in args.words.split(",")):
            rng = random.Random(words)
            folder = root / f"calls-{words}"
            folder.mkdir()
            written, n = 0, 0
            while written < words:
                size = min(words - written, rng.randint(3000, 12000))
                text = conversation(rng, pool, size, n)
                (folder / f"gesprek-{n:04d}.txt").write_text(text, encoding="utf-8")
                written += len(text.split())
                n += 1
            seconds, peak = measure(
                [*mine, "terms", str(folder), "--out", str(root / "out"), "--language", "nl"]
            )
            print(
                f"| {n} conversations | {n} | {written:,} | {seconds:.0f} | {peak:.0f} "
                f"| {written / seconds:,.0f} |",
                flush=True,
            )
            shutil.rmtree(folder)
        rng = random.Random(1)
        big = root / "dag-vol-gesprekken.txt"
        target = int(args.long_file_mb * 1024 * 1024)
        with big.open("w", encoding="utf-8") as fh:
            size, n = 0, 0
            while size < target:
                part = conversation(rng, pool, 5000, n)
                fh.write(part)
                size += len(part.encode("utf-8"))
                n += 1
        words = len(big.read_text(encoding="utf-8").split())
        seconds, peak = measure(
            [*mine, "terms", str(big), "--out", str(root / "out-long"), "--language", "nl"]
        )
        mb = big.stat().st_size / 1024 / 1024
        print(
            f"| one {mb:.0f} MB text file | 1 | {words:,} | {seconds:.0f} | {peak:.0f} "
            f"| {words / seconds:,.0f} |",
            flush=True,
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
