"""Precision of the top 30 customer terms per language on the demo corpus, judged by hand.

The corpus is the demo's: the three English ride-along transcripts `make demo` writes
(demo-out/workspace/transcripts) and the four Dutch meeting transcripts in
data/sample/recordings (Teams .vtt, Otter .txt, plain .txt, .docx). `mine terms` runs over them
with the demo's mine.toml (its staff list); each of the top 30 terms per language is looked up in
bench/data/demo_top30_judgement.tsv (useful to a content team: yes/no, and why). Terms not yet
judged are listed, not counted.

    make demo && .venv/bin/python bench/demo_terms.py [--mine PATH_TO_MINE] [--config none]

Before this release's transcript readers (commit 4127f52), with a `mine` wrapper that runs that
checkout (``cd /tmp && PYTHONPATH=/tmp/old python -c 'import cli; cli.main()' "$@"``) and
``--config none``.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JUDGED = Path(__file__).parent / "data" / "demo_top30_judgement.tsv"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mine", default=str(Path(sys.executable).parent / "mine"))
    ap.add_argument(
        "--config",
        default=str(ROOT / "data" / "sample" / "mine.toml"),
        help="mine.toml to use, or none (a release before the staff list refuses [roles])",
    )
    args = ap.parse_args()
    english = sorted((ROOT / "demo-out" / "workspace" / "transcripts").glob("ride-along-*.json"))
    if not english:
        print("run make demo first (its English transcripts are part of the corpus)")
        return 2
    with JUDGED.open(encoding="utf-8") as fh:
        judged = {r["term"]: r["useful"] == "yes" for r in csv.DictReader(fh, delimiter="\t")}
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for f in english:
            shutil.copyfile(f, corpus / f.name)
        for f in (ROOT / "data" / "sample" / "recordings").iterdir():
            if f.suffix in (".vtt", ".txt", ".docx"):
                shutil.copyfile(f, corpus / f.name)
        out = Path(tmp) / "terms"
        config = [] if args.config == "none" else ["--config", args.config]
        cmd = [args.mine, "terms", str(corpus), "--out", str(out), "-q", *config]
        subprocess.run([*cmd, "--workspace", str(Path(tmp) / "ws")], check=True)
        with (out / "terms.csv").open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    for lang in sorted({r["language"] for r in rows}):
        top = [r["term"] for r in rows if r["language"] == lang][:30]
        known = [t for t in top if t in judged]
        good = sum(judged[t] for t in known)
        print(f"{lang}: {good}/{len(known)} useful = {good / max(len(known), 1):.2f}")
        print("   not useful: " + ", ".join(t for t in known if not judged[t]))
        unjudged = [t for t in top if t not in judged]
        if unjudged:
            print("   not judged yet: " + ", ".join(unjudged))
    return 0


if __name__ == "__main__":
    sys.exit(main())
