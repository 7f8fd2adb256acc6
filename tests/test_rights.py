"""Erasure, retention and subject access on a real workspace with real transcripts."""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from pipeline.config import load_settings
from pipeline.rights import enforce_retention
from pipeline.state import add_managed_dir, managed_dirs, open_state
from tests.conftest import consented, run_mine

A = "nl_rhasspy_1041_1601732709.wav"  # "Die kan verdwijnen, maar als het niet goed leeg is, ..."
B = "nl_rhasspy_853_1601891286.wav"  # "We zien in de agenda veel aanknopingspunten ..."


def _all_text(*folders: Path) -> str:
    """Every byte of every file below ``folders``, as text, for a full-text search."""
    chunks = []
    for folder in folders:
        for root, _dirs, files in os.walk(folder):
            for name in files:
                chunks.append((Path(root) / name).read_bytes().decode("utf-8", "replace"))
    return "\n".join(chunks).lower()


def _words(transcript: Path) -> set[str]:
    """The words of six letters or more that a transcript JSON's utterances hold."""
    data = json.loads(transcript.read_text(encoding="utf-8"))
    text = " ".join(u["text"] for u in data["utterances"]).lower()
    return set(re.findall(r"[a-zà-ÿ]{6,}", text))


def _workspace(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    ws = Path(os.environ["MINE_WORKSPACE"])
    managed = ws / "recordings"
    a = consented(managed, A, customer="Bakkerij Jansen", participants=("Els Jansen",))
    b = consented(tmp_path / "elsewhere", B, customer="Northwind Heating")
    out = tmp_path / "out"
    result = run_mine(
        "transcribe",
        str(a),
        str(b),
        "--out",
        str(out),
        "--format",
        "json,txt,srt",
        "--temperature",
        "0",
    )
    assert result.returncode == 0, result.stderr
    return ws, out, a, b


def test_forget_erases_every_trace_of_one_call(tmp_path: Path) -> None:
    ws, out, a, b = _workspace(tmp_path)
    said_a = _words(out / (a.stem + ".json"))  # what the model heard (it varies by CPU)
    said_b = _words(out / (b.stem + ".json")) - said_a
    assert said_a and said_b and all(w in _all_text(out) for w in said_a)
    call_a = json.loads((out / (a.stem + ".json")).read_text())["call_id"]

    terms = run_mine("terms", str(out), "--out", str(ws / "terms"))
    assert terms.returncode == 0, terms.stderr
    assert call_a in _all_text(ws / "terms")

    result = run_mine("forget", str(a), "--yes", "--json")
    assert result.returncode == 0, result.stderr
    done = json.loads(result.stdout)[0]
    assert done["call_id"] == call_a and done["audio_deleted"]
    assert len(done["deleted"]) == 5  # json, txt, srt, and the terms tables that counted it
    assert not (ws / "terms" / "terms.json").exists()
    assert not a.exists()  # it lay in a folder mine manages

    text = _all_text(ws, out)
    assert not any(w in text for w in said_a - said_b)
    assert call_a not in text.replace(f'"call_id": "{call_a}"', "")  # only the audit tombstone
    assert all(w in text for w in said_b)  # the other call is untouched
    audit = [json.loads(x) for x in (ws / "audit.jsonl").read_text().splitlines()]
    assert audit[-1] == {**audit[-1], "action": "forget", "call_id": call_a, "decision": "erased"}
    # a pseudonymous tombstone: the record's hash and dates prove consent and withdrawal
    assert set(audit[-1]) == {
        "time",
        "action",
        "call_id",
        "decision",
        "reason",
        "withdrawn_at",
        "consent_sha256",
        "consent_obtained_at",
    }
    sidecar = a.with_name(a.name + ".consent.toml").read_text()
    assert "withdrawn_at" in sidecar

    again = run_mine("forget", call_a[:12], "--yes")
    assert again.returncode == 1 and "no recording" in again.stderr


def test_forget_outside_managed_folders_keeps_audio_unless_asked(tmp_path: Path) -> None:
    _ws, out, _a, b = _workspace(tmp_path)
    result = run_mine("forget", str(b), "--yes")
    assert result.returncode == 0 and b.exists()
    assert "was not deleted" in result.stderr and "--delete-audio" in result.stderr
    assert not (out / (b.stem + ".json")).exists()
    refused = run_mine("transcribe", str(b))
    assert refused.returncode == 1 and "consent was withdrawn" in refused.stderr


def test_forget_needs_confirmation_when_not_interactive(tmp_path: Path) -> None:
    _ws, _out, a, _b = _workspace(tmp_path)
    result = run_mine("forget", str(a))
    assert result.returncode == 2 and "--yes" in result.stderr and a.exists()


def test_export_subject_gathers_consent_audio_transcripts_and_audit(tmp_path: Path) -> None:
    _ws, _out, _a, b = _workspace(tmp_path)
    export = tmp_path / "export"
    result = run_mine("export-subject", "northwind heating", "--out", str(export))
    assert result.returncode == 0, result.stderr
    manifest = json.loads((export / "manifest.json").read_text())
    (entry,) = manifest["recordings"]
    names = {Path(f).name for f in entry["files"]}
    assert names == {
        b.name,
        b.name + ".consent.toml",
        b.stem + ".json",
        b.stem + ".txt",
        b.stem + ".srt",
        "audit.json",
    }
    audit = json.loads((export / entry["files"][-1]).read_text())
    assert [a["decision"] for a in audit] == ["allowed"]
    missing = run_mine("export-subject", "Nobody BV", "--out", str(tmp_path / "x"))
    assert missing.returncode == 1 and "no customer or call" in missing.stderr


def test_retention_deletes_audio_past_its_date_and_keeps_transcripts(tmp_path: Path) -> None:
    ws, out, a, b = _workspace(tmp_path)
    settings = replace(load_settings(), workspace=ws)
    later = date.today() + timedelta(days=45)  # both consents run 30 days
    listed = enforce_retention(settings=settings, dry_run=True, today=later)
    assert {Path(i.path).name for i in listed} == {a.name, b.name} and a.exists() and b.exists()
    done = enforce_retention(settings=settings, today=later)
    assert all(i.deleted for i in done) and not a.exists() and not b.exists()
    assert (out / (a.stem + ".json")).exists() and (out / (b.stem + ".txt")).exists()
    assert enforce_retention(settings=settings, today=later) == []  # nothing left to do
    assert run_mine("retention", "--dry-run").returncode == 0


def test_managed_folders_are_recorded(tmp_path: Path) -> None:
    ws = tmp_path / "ws2"
    with open_state(ws) as db:
        add_managed_dir(db, tmp_path / "recs")
    with open_state(ws) as db:
        assert [p.name for p in managed_dirs(db)] == ["recs"]
