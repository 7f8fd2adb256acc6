"""A recording is (real path, bytes): attacks from a hostile review on erasure, export, retention
and the consent records, each reproduced with the real `mine` command."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import unicodedata
from datetime import date, timedelta
from pathlib import Path

import pytest

from pipeline.config import load_settings
from pipeline.consent import add_consent, admit, check, sidecar_path
from pipeline.errors import ConsentError
from pipeline.files import sha256_file, staged_files
from pipeline.rights import enforce_retention
from pipeline.state import open_state, recordings, workspace_lock
from tests.conftest import FIXTURES, MINE, run_mine

A = "nl_rhasspy_1041_1601732709.wav"  # "Die kan verdwijnen, maar als het niet goed leeg is, ..."
B = "nl_rhasspy_853_1601891286.wav"  # "We zien in de agenda veel aanknopingspunten ..."
QUIET = {"MINE_TRANSCRIBE_DIARIZE": "off", "MINE_TRANSCRIBE_TEMPERATURE": "0"}
UNTIL = (date.today() + timedelta(days=30)).isoformat()


def _put(folder: Path, fixture: str, name: str, customer: str, **fields: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    audio = Path(shutil.copyfile(FIXTURES / fixture, folder / name))
    add_consent(
        audio,
        customer=customer,
        method="written",
        obtained_by=str(fields.pop("obtained_by", "Rita")),
        purpose="website copy",
        retain_audio_until=date.today() + timedelta(days=30),
        **fields,  # type: ignore[arg-type]
    )
    return audio


def _run(rec: Path, ws: Path, **env: str) -> dict:
    result = run_mine("run", str(rec), "--workspace", str(ws), "-q", env={**QUIET, **env})
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def _bytes_of(*places: Path) -> str:
    chunks = []
    for place in places:
        files = [place] if place.is_file() else [p for p in place.rglob("*") if p.is_file()]
        chunks += [p.read_bytes().decode("utf-8", "replace") for p in files]
    return "\n".join(chunks).lower()


def test_new_audio_at_a_known_path_is_another_recording(tmp_path: Path) -> None:
    rec, ws = tmp_path / "rec", tmp_path / "ws"
    alice = _put(rec, A, "visit.wav", "Alice BV", participants=("Alice Anders",))
    alice_call = sha256_file(alice)
    _run(rec, ws)
    alice_words = json.loads((ws / "transcripts" / "visit.json").read_text())["utterances"]
    # the next visit is saved under the same name
    alice.unlink()
    sidecar_path(alice).unlink()
    bob = _put(rec, B, "visit.wav", "Bob BV", participants=("Bob Bakker",))
    bob_call = sha256_file(bob)

    export = tmp_path / "alice"
    assert (
        run_mine(
            "export-subject", "Alice BV", "--workspace", str(ws), "--out", str(export)
        ).returncode
        == 0
    )
    assert "bob" not in _bytes_of(export) and bob.name not in {p.name for p in export.rglob("*")}

    settings = load_settings(overrides={"workspace": ws})
    with open_state(ws) as db:
        db.execute("UPDATE recordings SET retain_audio_until='2020-01-01'")  # Alice's is due
    (due,) = enforce_retention(settings=settings)
    assert not due.deleted and bob.exists()  # the audio there now is Bob's

    second = _run(rec, ws)
    assert second["stages"]["transcribe"]["done"] == 1  # Bob's is new, not "nothing changed"
    made = {
        p.name: json.loads(p.read_text())["call_id"] for p in (ws / "transcripts").glob("*.json")
    }
    assert made == {"visit.json": alice_call, "visit.wav.json": bob_call}
    kept = json.loads((ws / "transcripts" / "visit.json").read_text())["utterances"]
    assert kept == alice_words  # Alice's transcript was not overwritten by Bob's

    gone = run_mine("forget", alice_call[:12], "--yes", "--workspace", str(ws))
    assert gone.returncode == 0, gone.stderr
    assert bob.exists() and check(bob).ok  # Bob's audio and consent untouched
    assert (ws / "transcripts" / "visit.wav.json").exists()
    assert not (ws / "transcripts" / "visit.json").exists()
    with open_state(ws) as db:
        assert [r.call_id for r in recordings(db)] == [bob_call]


def test_a_corrected_consent_record_transcribes_again(tmp_path: Path) -> None:
    rec, ws = tmp_path / "rec", tmp_path / "ws"
    audio = _put(rec, A, "kees.wav", "Acme", participants=("Someone Else",))
    _run(rec, ws)
    heard = (ws / "transcripts" / "kees.txt").read_text().lower()
    # the longest word the model heard ("verdwijnen", or "verdwenen" on some CPUs) as a surname
    surname = max(re.findall(r"[a-zà-ÿ]{6,}", heard), key=len)
    later = (date.today() + timedelta(days=3)).isoformat()
    fixed = run_mine(
        "consent",
        "add",
        str(audio),
        "--force",
        "--customer",
        "Acme BV",
        "--participants",
        f"Kees {surname.capitalize()}",
        "--retain-until",
        later,
        "--method",
        "written",
        "--by",
        "Rita",
    )
    assert fixed.returncode == 0, fixed.stderr
    again = _run(rec, ws)
    assert again["stages"]["transcribe"]["done"] == 1
    assert surname not in (ws / "transcripts" / "kees.txt").read_text().lower()
    with open_state(ws) as db:
        (row,) = recordings(db)
    assert (row.customer, row.retain_audio_until) == ("Acme BV", later)


def test_forget_needs_the_workspace_that_transcribed_it(tmp_path: Path) -> None:
    audio = _put(tmp_path / "e", A, "x.wav", "Acme")
    ws, out = tmp_path / "ws", tmp_path / "out"
    made = run_mine("transcribe", str(audio), "--workspace", str(ws), "-o", str(out), env=QUIET)
    assert made.returncode == 0, made.stderr

    nowhere = run_mine("forget", str(audio), "--yes", "--workspace", str(tmp_path / "other"))
    assert nowhere.returncode == 2 and "no mine workspace" in nowhere.stderr
    assert not (tmp_path / "other").exists() and check(audio).ok
    empty = tmp_path / "empty-ws"
    with open_state(empty):
        pass
    unknown = run_mine("forget", str(audio), "--yes", "--workspace", str(empty))
    assert unknown.returncode == 1 and "never transcribed" in unknown.stderr
    assert check(audio).ok and (out / "x.json").exists()  # nothing changed anywhere

    moved = tmp_path / "moved"
    (tmp_path / "e").rename(moved)  # the folder was moved after transcription
    gone = run_mine("forget", str(moved / "x.wav"), "--yes", "--workspace", str(ws))
    assert gone.returncode == 0, gone.stderr
    assert not (out / "x.json").exists() and "withdrawn" in check(moved / "x.wav").reason


def test_forget_waits_for_no_transcription_in_progress(tmp_path: Path) -> None:
    audio = _put(tmp_path / "rec", A, "r.wav", "Race BV")
    ws = tmp_path / "ws"
    made = run_mine("transcribe", str(audio), "--workspace", str(ws), env=QUIET)
    assert made.returncode == 0, made.stderr
    with workspace_lock(ws, [], shared=True):  # as a running `mine transcribe` holds it
        blocked = run_mine("forget", str(audio), "--yes", "--workspace", str(ws))
        assert blocked.returncode == 2 and "mine transcribe is using" in blocked.stderr
        assert check(audio).ok


def test_a_transcript_on_disk_is_always_registered(tmp_path: Path) -> None:
    """Killed right after the first transcript file appears: forget still finds it."""
    audio = _put(tmp_path / "rec", A, "olga.wav", "Olga BV")
    ws, out = tmp_path / "ws", tmp_path / "out"
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import os, signal\n"
        "_replace = os.replace\n"
        "def replace(src, dst, *a, **k):\n"
        "    _replace(src, dst, *a, **k)\n"
        f"    if str(dst).startswith({str(out)!r}):\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "os.replace = replace\n"
    )
    killed = subprocess.run(
        [str(MINE), "transcribe", str(audio), "--workspace", str(ws), "-o", str(out), "-q"],
        env={**os.environ, **QUIET, "PYTHONPATH": str(hook)},
        capture_output=True,
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL and any(out.iterdir())
    gone = run_mine("forget", str(audio), "--yes", "--workspace", str(ws))
    assert gone.returncode == 0, gone.stderr
    assert not any(out.iterdir())


def test_one_name_in_two_folders_are_two_recordings(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    one = _put(tmp_path / "r1", A, "visit.wav", "One BV")
    two = _put(tmp_path / "r2", A, "visit.wav", "Two BV")  # same name, same bytes
    (tmp_path / "r1" / "link.wav").symlink_to(one)  # the same recording twice in one folder
    first = _run(tmp_path / "r1", ws)
    assert first["stages"]["transcribe"] == {"done": 1, "skipped": 1, "failed": 0}
    assert _run(tmp_path / "r2", ws)["stages"]["transcribe"]["done"] == 1
    export = tmp_path / "x"
    assert (
        run_mine(
            "export-subject", "Two BV", "--workspace", str(ws), "--out", str(export)
        ).returncode
        == 0
    )
    gone = run_mine("forget", str(two), "--yes", "--workspace", str(ws))
    assert gone.returncode == 0, gone.stderr
    again = _run(tmp_path / "r1", ws)
    assert again["stages"]["transcribe"]["done"] == 0  # One's own state was not touched
    assert check(one).ok and str(one) in _bytes_of(ws / "logs")


def test_a_withdrawal_against_any_name_of_the_recording_wins(tmp_path: Path) -> None:
    folder = tmp_path / "n3"
    real = _put(folder, A, "x.wav", "C")
    (folder / "link.wav").symlink_to("x.wav")
    header = "file,customer,participants,obtained_at,obtained_by,method,purpose,scope"
    (folder / "consent.csv").write_text(
        f"{header},withdrawn_at\nlink.wav,,,2024-01-01,,written,p,transcribe,2024-06-01\n"
    )
    assert "consent was withdrawn" in check(real).reason

    # a row naming a link does not grant consent to the file it points at
    other = tmp_path / "n4"
    other.mkdir()
    shutil.copyfile(FIXTURES / A, other / "y.wav")
    (other / "alias.wav").symlink_to("y.wav")
    (other / "consent.csv").write_text(
        f"{header}\n./alias.wav,C,,2024-01-01,R,written,p,transcribe\n"
    )
    assert "no consent record" in check(other / "y.wav").reason

    # a chain of links: a withdrawal beside a link in the middle counts
    top, mid = tmp_path / "top", tmp_path / "mid"
    top.mkdir(), mid.mkdir()
    (mid / "mid.wav").symlink_to(real)
    (top / "top.wav").symlink_to(mid / "mid.wav")
    (folder / "consent.csv").unlink()
    assert check(top / "top.wav").ok
    (mid / "consent.csv").write_text(
        f"{header},withdrawn_at\nmid.wav,,,2024-01-01,,written,p,transcribe,2024-06-01\n"
    )
    assert "consent was withdrawn" in check(top / "top.wav").reason


def test_names_that_differ_only_in_unicode_form_are_two_recordings(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    nfc = unicodedata.normalize("NFC", "café.wav")
    nfd = unicodedata.normalize("NFD", "café.wav")
    nora = _put(folder, A, nfc, "Nora NFC")
    shutil.copyfile(FIXTURES / B, folder / nfd)
    header = "file,customer,participants,obtained_at,obtained_by,method,purpose,scope,call_id"
    (folder / "consent.csv").write_text(
        f"{header}\n{nfd},Dave NFD,Dave Dekker,2024-01-01,Rita,written,p,transcribe,"
        f"{sha256_file(folder / nfd)}\n",
        encoding="utf-8",
    )
    assert admit(nora).consent.customer == "Nora NFC"
    assert admit(folder / nfd).consent.customer == "Dave NFD"
    ws, out = tmp_path / "ws", tmp_path / "out"
    assert (
        run_mine(
            "transcribe", str(nora), "--workspace", str(ws), "-o", str(out), env=QUIET
        ).returncode
        == 0
    )
    export = tmp_path / "xn"
    assert (
        run_mine(
            "export-subject", "Nora NFC", "--workspace", str(ws), "--out", str(export)
        ).returncode
        == 0
    )
    assert "dave" not in _bytes_of(export)
    assert run_mine("forget", str(nora), "--yes", "--workspace", str(ws)).returncode == 0
    assert admit(folder / nfd).consent.customer == "Dave NFD"  # Dave's row untouched


def test_forget_reaches_a_copied_record_and_reasons_that_name_it(tmp_path: Path) -> None:
    jan = _put(tmp_path, A, "jan-de-vries-visit.wav", "Jan BV", participants=("Jan de Vries",))
    other = Path(shutil.copyfile(FIXTURES / B, tmp_path / "other.wav"))
    shutil.copyfile(sidecar_path(jan), sidecar_path(other))  # a careless copy of Jan's record
    ws, out = tmp_path / "ws", tmp_path / "out"
    run_mine("transcribe", str(jan), str(other), "--workspace", str(ws), "-o", str(out), env=QUIET)
    assert "jan-de-vries" in (ws / "audit.jsonl").read_text()
    gone = run_mine("forget", str(jan), "--yes", "--delete-audio", "--workspace", str(ws))
    assert gone.returncode == 0, gone.stderr
    assert "jan-de-vries" not in (ws / "audit.jsonl").read_text()
    copied = sidecar_path(other).read_text()
    assert "withdrawn_at" in copied and "jan de vries" not in copied.lower()


def test_log_lines_of_odd_names_go_and_of_other_names_stay(tmp_path: Path) -> None:
    rec, ws = tmp_path / "rec", tmp_path / "ws"
    odd = _put(rec, A, "new\nline.wav", "Odd BV")
    _put(rec, B, "kopie van visit.wav", "Kopie BV")
    plain = _put(rec, A, "visit.wav", "Plain BV")
    _run(rec, ws)
    for target in (odd, plain):
        assert run_mine("forget", str(target), "--yes", "--workspace", str(ws)).returncode == 0
    logs = _bytes_of(ws / "logs")
    assert "line.wav" not in logs
    assert "kopie van visit.wav" in logs  # another recording's lines stay
    assert _run(rec, ws)["stages"]["transcribe"] == {"done": 0, "skipped": 1, "failed": 0}


def test_export_subject_refuses_to_mix_customers(tmp_path: Path) -> None:
    ws, out = tmp_path / "ws", tmp_path / "out"
    one = _put(tmp_path / "e1", A, "visit.wav", "Delta")
    two = _put(tmp_path / "e2", A, "visit.wav", "DELTA")  # identical bytes, other customer
    made = run_mine(
        "transcribe", str(one), str(two), "--workspace", str(ws), "-o", str(out), env=QUIET
    )
    assert made.returncode == 0, made.stderr
    by_call = run_mine(
        "export-subject",
        sha256_file(one)[:12],
        "--workspace",
        str(ws),
        "--out",
        str(tmp_path / "c"),
    )
    assert by_call.returncode == 1 and "several customers" in by_call.stderr
    loose = run_mine(
        "export-subject", "delta", "--workspace", str(ws), "--out", str(tmp_path / "l")
    )
    assert loose.returncode == 1 and "several customers match" in loose.stderr
    exact = tmp_path / "exact"
    assert (
        run_mine("export-subject", "Delta", "--workspace", str(ws), "--out", str(exact)).returncode
        == 0
    )
    assert "DELTA" not in json.dumps(json.loads((exact / "manifest.json").read_text()))
    reused = run_mine("export-subject", "DELTA", "--workspace", str(ws), "--out", str(exact))
    assert reused.returncode == 2 and "not an empty folder" in reused.stderr
    # after one copy is forgotten, the other customer's export holds none of its audit entries
    assert run_mine("forget", str(one), "--yes", "--workspace", str(ws)).returncode == 0
    gamma = tmp_path / "g"
    assert (
        run_mine("export-subject", "DELTA", "--workspace", str(ws), "--out", str(gamma)).returncode
        == 0
    )
    audit = json.loads(next(gamma.rglob("audit.json")).read_text())
    assert audit and all(a.get("path") == str(two.resolve()) for a in audit)
    missing = run_mine(
        "export-subject", "x", "--workspace", str(tmp_path / "nope"), "--out", str(tmp_path / "n")
    )
    assert missing.returncode == 2 and not (tmp_path / "nope").exists()


def test_audit_rewrites_are_private_from_the_start(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    log.write_text('{"a": 1}\n')
    with staged_files([log], mode=0o600) as (temp,):
        assert temp.stat().st_mode & 0o077 == 0  # never readable by others, even half-written
        temp.write_text('{"a": 2}\n')
    assert log.read_text() == '{"a": 2}\n'


def test_a_name_too_long_for_a_sidecar_says_what_to_do(tmp_path: Path) -> None:
    audio = Path(shutil.copyfile(FIXTURES / A, tmp_path / ("x" * 245 + ".wav")))
    with pytest.raises(ConsentError, match="consent.csv"):
        add_consent(audio, customer="X", method="written", obtained_by="Y", purpose="p")
    result = run_mine(
        "consent", "add", str(audio), "--customer", "X", "--method", "form", "--by", "Y"
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_withdrawn_register_rows_lose_names_and_purpose(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    folder.mkdir()
    audio = Path(shutil.copyfile(FIXTURES / A, folder / "visit.wav"))
    (folder / "consent.csv").write_text(
        "file,customer,participants,obtained_at,obtained_by,method,purpose,scope,retain_audio_until\n"
        f"visit.wav,Bakkerij Jansen,Els Jansen,2026-01-01,Sanne,form,offerte Jansen,transcribe,{UNTIL}\n"
    )
    ws, out = tmp_path / "ws", tmp_path / "out"
    assert (
        run_mine(
            "transcribe", str(audio), "--workspace", str(ws), "-o", str(out), env=QUIET
        ).returncode
        == 0
    )
    assert run_mine("forget", str(audio), "--yes", "--workspace", str(ws)).returncode == 0
    register = (folder / "consent.csv").read_text().lower()
    assert "jansen" not in register and "sanne" not in register and "withdrawn_at" in register
    assert "consent was withdrawn" in check(audio).reason
    with sqlite3.connect(ws / "state.db") as db:
        assert db.execute("SELECT count(*) FROM recordings").fetchone() == (0,)
