"""`make demo`: `mine run` on the bundled sample data, offline; prints the path of the HTML report.

Copies data/sample/recordings to demo-out/recordings (so data/ stays clean and mine may manage
that folder), then runs the whole pipeline into demo-out/workspace against the sample site export,
with data/sample/mine.toml (Warmtewerk's staff and name). One sample recording has no consent
record: its refusal is expected and shown in the report.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "demo-out"
MINE = str(Path(sys.executable).parent / "mine")
SHOWN = 4  # lines of each transcript printed


def main() -> int:
    shutil.rmtree(OUT / "recordings", ignore_errors=True)
    shutil.copytree(ROOT / "data" / "sample" / "recordings", OUT / "recordings")
    cmd = [
        MINE,
        "run",
        str(OUT / "recordings"),
        "--site",
        str(ROOT / "data" / "sample" / "site"),
        "--workspace",
        str(OUT / "workspace"),
        "--config",
        str(ROOT / "data" / "sample" / "mine.toml"),
    ]
    print(
        "$ mine run demo-out/recordings --site data/sample/site --workspace demo-out/workspace"
        " --config data/sample/mine.toml",
        flush=True,
    )
    result = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    summary = json.loads(result.stdout or "{}")  # nothing on stdout: mine said why on stderr
    left_out = [item["file"] for item in summary.get("left_out", [])]
    if (
        result.returncode not in (0, 1)
        or not summary.get("report")
        or left_out != ["no-consent.ogg"]
    ):
        print(
            f"demo: unexpected outcome (exit {result.returncode}, left out {left_out})",
            file=sys.stderr,
        )
        return 1
    transcripts = OUT / "workspace" / "transcripts"
    for txt in sorted(transcripts.glob("*.txt")):
        lines = txt.read_text(encoding="utf-8").splitlines()
        print(f"\n--- {txt.relative_to(ROOT)} ({len(lines)} lines) ---")
        print("\n".join(lines[:SHOWN] + (["…"] if len(lines) > SHOWN else [])))
    print("\nThe recording without consent was left out, as it should be.")
    workspace = OUT / "workspace"
    asked = json.loads((workspace / "gap" / "questions.json").read_text(encoding="utf-8"))
    counts = asked["meta"]["status_counts"]
    print(
        f"\nQuestions customers asked: {len(asked['questions'])} "
        f"({counts['unanswered']} unanswered by the site, {counts['partly']} partly, "
        f"{counts['answered']} answered); first: {asked['questions'][0]['question']!r}"
        if asked["questions"]
        else "\nNo customer questions found."
    )
    print(f"Writing briefs: {workspace / 'briefs' / 'index.md'}")
    print(f"Report: {summary['report']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
