"""`mine run` over a folder of recordings and transcripts other tools made: one consent gate,
one redaction, one registration, and `mine forget` erases a transcript's every trace."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import FIXTURES, consented, run_mine

SITE = Path(__file__).resolve().parent.parent / "data" / "sample" / "site"
TRANSCRIPTS = FIXTURES / "transcripts"
#: What only the Teams transcript says (to find its traces), and the people it names.
TEAMS_WORDS = ("geluidsberekening", "klagen")
TEAMS_PEOPLE = ("Fatma", "Yılmaz", "Jan van der Berg", "Sanne de Boer")


def _folder(root: Path) -> Path:
    rec = root / "recordings"
    consented(rec, "en_call.flac")
    shutil.move(rec / "en_call.flac", rec / "visit.flac")
    shutil.move(rec / "en_call.flac.consent.toml", rec / "visit.flac.consent.toml")
    toml = rec / "visit.flac.consent.toml"
    toml.write_text(toml.read_text().replace('"en_call.flac"', '"visit.flac"'))
    consented(
        rec, "transcripts/teams.vtt", obtained_by="Sanne de Boer", participants=["Fatma Yılmaz"]
    )
    consented(rec, "transcripts/zoom.vtt")  # becomes visit.vtt: the recording's conversation
    shutil.move(rec / "zoom.vtt", rec / "visit.vtt")
    shutil.move(rec / "zoom.vtt.consent.toml", rec / "visit.vtt.consent.toml")
    toml = rec / "visit.vtt.consent.toml"
    toml.write_text(toml.read_text().replace('"zoom.vtt"', '"visit.vtt"'))
    shutil.copyfile(TRANSCRIPTS / "otter.txt", rec / "otter.txt")  # no consent
    return rec


def test_a_mixed_folder_gates_imports_reports_and_forgets(tmp_path: Path) -> None:
    rec, ws = _folder(tmp_path), tmp_path / "ws"
    env = {
        "MINE_TRANSCRIBE_MODEL": "tiny.en",
        "MINE_TRANSCRIBE_DIARIZE": "off",
        "MINE_CRAWL_DELAY": "0",
    }
    r = run_mine("run", str(rec), "--site", str(SITE), "--workspace", str(ws), "-q", env=env)
    summary = json.loads(r.stdout)
    assert r.returncode == 1, r.stderr  # otter.txt has no consent
    assert [x["file"] for x in summary["left_out"]] == ["otter.txt"]
    assert "no consent record" in summary["left_out"][0]["reason"]
    assert summary["stages"]["transcribe"] == {"done": 2, "skipped": 1, "failed": 1}
    log = Path(summary["log"]).read_text(encoding="utf-8")
    assert "skipping visit.vtt: the recording visit.flac of the same conversation" in log

    teams = json.loads((ws / "transcripts" / "teams.json").read_text(encoding="utf-8"))
    assert teams["redacted"] and teams["speakers_source"] == "labels"
    roles = {s["id"]: (s["role"], s["role_source"]) for s in teams["diarization"]["speakers"]}
    assert roles["S1"] == ("rep", "consent")  # Sanne de Boer took the consent
    assert {r for r, _ in roles.values()} == {"rep", "customer"}
    dump = json.dumps(teams, ensure_ascii=False)
    assert not any(p in dump for p in TEAMS_PEOPLE)
    assert any(w in dump for w in TEAMS_WORDS)
    report = Path(summary["report"]).read_text(encoding="utf-8")
    assert "otter.txt: refused, no consent record" in report
    assert not any(p in report for p in TEAMS_PEOPLE)
    audit = (ws / "audit.jsonl").read_text(encoding="utf-8")
    assert '"allowed"' in audit and "teams.vtt" in audit

    again = run_mine("run", str(rec), "--site", str(SITE), "--workspace", str(ws), "-q", env=env)
    assert json.loads(again.stdout)["stages"]["transcribe"] == {
        "done": 0,
        "skipped": 3,
        "failed": 1,
    }

    status = json.loads(run_mine("status", str(rec), "--workspace", str(ws), "--json").stdout)
    by_file = {x["file"]: x["status"] for x in status["recordings"]}
    assert by_file == {
        "visit.flac": "done",
        "teams.vtt": "done",
        "visit.vtt": "skipped",
        "otter.txt": "failed",
    }

    forgot = run_mine("forget", str(rec / "teams.vtt"), "--yes", "--workspace", str(ws))
    assert forgot.returncode == 0, forgot.stderr
    assert not (rec / "teams.vtt").exists()
    assert not (ws / "transcripts" / "teams.json").exists()
    for path in [*ws.rglob("*"), *rec.rglob("*")]:
        if path.is_file() and path.suffix in (".json", ".csv", ".html", ".txt", ".jsonl"):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not any(w in text for w in TEAMS_WORDS), path
    assert (ws / "transcripts" / "visit.json").exists()  # the rest stays
