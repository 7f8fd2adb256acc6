"""The terms stage of `mine run` when one conversation is added to a workspace of many.

    .venv/bin/python bench/terms_incremental.py [--conversations 500] [--words 1000,3000]

A workspace is made by one `mine run` over ``--conversations`` + 1 consented Dutch transcripts
(lines drawn from bench/data/conversations/nl_*.txt with a running number now and then, as in
bench/terms_memory.py; 1,000 to 3,000 words each, 7 to 20 minutes of talk). Then, each as a
subprocess over the workspace's transcripts (wall time and peak RSS):

- **full**: the terms stage as before it kept analyses: every conversation analysed;
- **one new**: the stored analysis of one conversation deleted (as if it had just been added),
  the others read from ``term_analyses``: one conversation analysed, the corpus ranked again.

Both write terms.json; the script checks that they are the same file.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.peak import measure  # noqa: E402
from bench.terms_memory import conversation, lines  # noqa: E402

#: The terms stage over a workspace's transcripts, with or without its stored analyses.
_STAGE = """
import json, sys
from pathlib import Path
from pipeline.config import load_settings
from pipeline.state import TermAnalyses, open_state
from terms.api import extract_terms
ws, out, use_store = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "store"
settings = load_settings(overrides={"workspace": str(ws)})
with open_state(ws) as db:
    store = TermAnalyses(db) if use_store else None
    r = extract_terms([ws / "transcripts"], settings=settings, out_dir=out, store=store)
(out / "counts.json").write_text(json.dumps([r.analysed, r.reused]))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--conversations", type=int, default=500)
    ap.add_argument("--words", default="1000,3000")
    args = ap.parse_args()
    low, high = (int(w) for w in args.words.split(","))
    from pipeline.consent import add_consent

    pool = lines()
    rng = random.Random(args.conversations)
    root = Path(tempfile.mkdtemp(prefix="terms-incremental-"))
    try:
        rec, ws = root / "rec", root / "ws"
        rec.mkdir()
        words = 0
        for n in range(args.conversations + 1):
            text = conversation(rng, pool, rng.randint(low, high), n)
            words += len(text.split())
            path = rec / f"gesprek-{n:04d}.txt"
            path.write_text(text, encoding="utf-8")
            add_consent(
                path,
                customer=f"Klant {n}",
                method="written",
                obtained_by="Sanne",
                purpose="website copy",
                retain_audio_until=date.today() + timedelta(days=30),
            )
        mine = [sys.executable, "-c", "import cli; cli.main()"]
        seconds, peak = measure([*mine, "run", str(rec), "--workspace", str(ws), "-q"])
        print(
            f"setup: mine run over {args.conversations + 1} conversations ({words:,} words): "
            f"{seconds:.0f} s, peak {peak:.0f} MB"
        )
        stage = [sys.executable, "-c", _STAGE, str(ws)]
        full_s, full_mb = measure([*stage, str(root / "full"), "none"])
        with sqlite3.connect(ws / "state.db") as db:
            (call,) = db.execute("SELECT call_id FROM term_analyses LIMIT 1").fetchone()
            db.execute("DELETE FROM term_analyses WHERE call_id=?", (call,))
        one_s, one_mb = measure([*stage, str(root / "one"), "store"])
        counts = json.loads((root / "one" / "counts.json").read_text())
        assert counts == [1, args.conversations], counts
        same = (root / "full" / "terms.json").read_bytes() == (
            root / "one" / "terms.json"
        ).read_bytes()
        print("| terms stage | conversations analysed | seconds | peak MB |")
        print("|---|---:|---:|---:|")
        print(f"| full analysis | {args.conversations + 1} | {full_s:.1f} | {full_mb:.0f} |")
        print(f"| one new, {args.conversations} stored | 1 | {one_s:.1f} | {one_mb:.0f} |")
        print(
            f"one new / full: {one_s / full_s:.3f} of the time (target <= 0.10); "
            f"terms.json identical: {same}"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
