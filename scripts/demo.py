"""`make demo`: the consent check and transcription of the bundled sample recordings, offline.

Copies data/sample/recordings to demo-out/ (so data/ stays clean), lists consent, transcribes
everything there, and checks that exactly the recording without consent was refused.
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


def main() -> int:
    shutil.rmtree(OUT / "recordings", ignore_errors=True)
    shutil.copytree(ROOT / "data" / "sample" / "recordings", OUT / "recordings")
    recordings = sorted(
        p for p in (OUT / "recordings").iterdir() if p.suffix in (".m4a", ".mp3", ".ogg")
    )

    print("$ mine consent check demo-out/recordings", flush=True)
    subprocess.run([MINE, "consent", "check", str(OUT / "recordings")], check=False)

    print("\n$ mine transcribe demo-out/recordings/* --out demo-out/transcripts", flush=True)
    result = subprocess.run(
        [
            MINE,
            "transcribe",
            *map(str, recordings),
            "--out",
            str(OUT / "transcripts"),
            "--workspace",
            str(OUT / "workspace"),
            "--format",
            "json,txt,srt,vtt",
            "--json",
        ],
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    summary = json.loads(result.stdout)
    refused = [Path(f["file"]).name for f in summary["files"] if not f["ok"]]
    if refused != ["no-consent.ogg"] or result.returncode != 1:
        print(
            f"demo: unexpected outcome (exit {result.returncode}, failed: {refused})",
            file=sys.stderr,
        )
        return 1
    for f in summary["files"]:
        if f["ok"]:
            txt = OUT / "transcripts" / (Path(f["file"]).stem + ".txt")
            print(f"\n--- {txt.relative_to(ROOT)} ({f['language']}) ---")
            print(txt.read_text(encoding="utf-8").rstrip())
    print(
        f"\nThe recording without consent was refused, as it should be. Audit log: "
        f"{(OUT / 'workspace' / 'audit.jsonl').relative_to(ROOT)}"
    )
    print(f"Transcripts: {(OUT / 'transcripts').relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
