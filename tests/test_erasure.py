"""Attacks on erasure and access: forget removes exactly what it names, everywhere; a subject
export holds only that subject's data; outputs of two recordings never share a name."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from datetime import date, timedelta
from pathlib import Path

from pipeline.consent import admit, check, sidecar_path
from pipeline.state import open_state, recordings
from tests.conftest import FIXTURES, consented, run_mine

A = "nl_rhasspy_1041_1601732709.wav"  # "Die kan verdwijnen, maar als het niet goed leeg is, ..."
B = "nl_rhasspy_853_1601891286.wav"  # "We zien in de agenda veel aanknopingspunten ..."
C = "nl_rhasspy_645_1602007895.wav"
QUIET = {"MINE_TRANSCRIBE_DIARIZE": "off", "MINE_TRANSCRIBE_TEMPERATURE": "0"}


def _bytes_of(*places: Path) -> str:
    """Every byte of every file at or below ``places``, as lower-case text."""
    chunks = []
    for place in places:
        files = [place] if place.is_file() else [p for p in place.rglob("*") if p.is_file()]
        chunks += [p.read_bytes().decode("utf-8", "replace") for p in files]
    return "\n".join(chunks).lower()


def _words(transcript: Path) -> list[str]:
    """The utterance texts of a transcript (what must never leak)."""
    data = json.loads(transcript.read_text(encoding="utf-8"))
    return [u["text"].strip().lower() for u in data["utterances"] if len(u["text"].strip()) > 12]


def test_forget_leaves_no_trace_in_logs_audit_tables_or_the_record(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    rec = Path("rec")  # relative on purpose: the state stores one normal form of every path
    jansen = consented(
        rec,
        A,
        customer="Bakkerij Jansen",
        participants=("Els Jansen",),
        obtained_by="Sanne Visser",
    )
    jansen = jansen.rename(rec / "bezoek-bakkerij-jansen.wav")
    sidecar_path(rec / A).rename(sidecar_path(jansen))
    sidecar = sidecar_path(jansen)
    sidecar.write_text(
        sidecar.read_text().replace(f'file = "{A}"', f'file = "{jansen.name}"'), encoding="utf-8"
    )
    consented(rec, B, customer="Northwind Heating")
    run = run_mine("run", str(rec), "--workspace", str(ws), "-q", env=QUIET)
    assert run.returncode == 0, run.stderr
    call_id = admit(jansen).call_id
    before = _bytes_of(ws)
    assert "bakkerij-jansen" in before and call_id in before  # the test can see a trace
    said = _words(ws / "transcripts" / "bezoek-bakkerij-jansen.json")

    gone = run_mine("forget", str(jansen), "--yes", "--workspace", str(ws))
    assert gone.returncode == 0, gone.stderr
    assert not jansen.exists()  # mine run manages the folder

    everything = _bytes_of(ws, sidecar)
    for trace in ("jansen", "bezoek", "sanne", "visser", *said):
        assert trace not in everything, f"{trace!r} is still in the workspace or the record"
    # the call_id survives only as the audit's pseudonymous tombstone fields
    assert call_id not in everything.replace(f'"call_id": "{call_id}"', "")
    assert "aanknopingspunten" in everything  # the other customer's data stays
    audit = [json.loads(x) for x in (ws / "audit.jsonl").read_text().splitlines()]
    mine = [a for a in audit if a.get("call_id") == call_id]
    assert {a["action"] for a in mine} == {"transcribe", "forget"}
    allowed = next(a for a in mine if a["action"] == "transcribe")
    assert allowed["decision"] == "allowed" and allowed["consent_sha256"]  # provable, nameless
    assert "withdrawn_at" in sidecar.read_text() and "customer" not in sidecar.read_text()
    with sqlite3.connect(ws / "state.db") as db:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'"):
            for row in db.execute(f"SELECT * FROM {table}"):
                assert "jansen" not in repr(row).lower(), (table, row)

    again = run_mine("run", str(rec), "--workspace", str(ws), "-q", env=QUIET)
    assert again.returncode == 0, again.stderr
    terms = (ws / "terms" / "terms.json").read_text()
    assert call_id not in terms and "jansen" not in terms.lower()


def test_forget_through_a_link_acts_on_the_record_the_run_uses(tmp_path: Path) -> None:
    store = tmp_path / "store"  # not managed by mine: the audio stays
    real = store / "2026-05-01-visit.wav"
    store.mkdir()
    shutil.copyfile(FIXTURES / A, real)
    rec = tmp_path / "rec"
    rec.mkdir()
    link = rec / "visit.wav"
    link.symlink_to(real)
    added = run_mine(
        "consent", "add", str(link), "--customer", "Acme", "--method", "written", "--by", "S"
    )
    assert added.returncode == 0, added.stderr
    ws = tmp_path / "ws"
    first = run_mine("run", str(rec), "--workspace", str(ws), "-q", env=QUIET)
    assert json.loads(first.stdout)["stages"]["transcribe"]["done"] == 1, first.stderr

    gone = run_mine("forget", str(link), "--yes", "--workspace", str(ws))
    assert gone.returncode == 0 and "was not deleted" in gone.stderr
    assert real.exists() and not (ws / "transcripts" / "visit.json").exists()
    assert "consent was withdrawn" in check(link).reason

    second = run_mine("run", str(rec), "--workspace", str(ws), "-q", env=QUIET)
    summary = json.loads(second.stdout)
    assert summary["stages"]["transcribe"]["done"] == 0
    assert "consent was withdrawn" in summary["left_out"][0]["reason"]
    assert not (ws / "transcripts" / "visit.json").exists()


def test_forget_one_of_two_identical_recordings_keeps_the_other(tmp_path: Path) -> None:
    ws = Path(os.environ["MINE_WORKSPACE"])
    managed = ws / "recordings"  # audio in the workspace is managed: forget deletes it
    orig = consented(managed, A, customer="Acme")
    copy = managed / "copy.wav"
    shutil.copyfile(orig, copy)
    run_mine("consent", "add", str(copy), "--customer", "Acme", "--method", "form", "--by", "S")
    out = tmp_path / "out"
    done = run_mine("transcribe", str(orig), str(copy), "--out", str(out), env=QUIET)
    assert done.returncode == 0, done.stderr
    assert {p.name for p in out.iterdir()} == {
        orig.stem + ".json",
        orig.stem + ".txt",
        "copy.json",
        "copy.txt",
    }

    gone = run_mine("forget", str(copy), "--yes")
    assert gone.returncode == 0, gone.stderr
    assert "identical bytes" in gone.stderr and "--all-copies" in gone.stderr
    assert not copy.exists() and orig.exists()
    assert {p.name for p in out.iterdir()} == {orig.stem + ".json", orig.stem + ".txt"}
    assert check(orig).ok
    assert "withdrawn_at" in sidecar_path(copy).read_text()
    assert "withdrawn_at" not in sidecar_path(orig).read_text()
    with open_state(ws) as db:
        assert [Path(r.path).name for r in recordings(db)] == [orig.name]

    # a call_id names the content: every recording with those bytes
    again = run_mine(
        "forget", json.loads((out / f"{orig.stem}.json").read_text())["call_id"][:12], "--yes"
    )
    assert again.returncode == 0, again.stderr
    assert not orig.exists() and not any(out.iterdir())


def test_subject_export_holds_no_byte_of_other_customers(tmp_path: Path) -> None:
    a_dir, b_dir = tmp_path / "a", tmp_path / "b"
    a_dir.mkdir()
    shutil.copyfile(FIXTURES / A, a_dir / "visit.wav")
    shutil.copyfile(FIXTURES / C, a_dir / "c-call.wav")
    until = (date.today() + timedelta(days=30)).isoformat()
    (a_dir / "consent.csv").write_text(
        "file,customer,participants,obtained_at,obtained_by,method,purpose,scope,retain_audio_until\n"
        f"visit.wav,Klant A BV,Anna Aalders,2026-01-01,Sanne,form,copy,transcribe,{until}\n"
        f"c-call.wav,Klant C BV,Cees Cornelis,2026-01-01,Sanne,form,copy,transcribe,{until}\n",
        encoding="utf-8",
    )
    consented(b_dir, B, customer="Klant B BV", participants=("Bert Bakker",))
    (b_dir / B).rename(b_dir / "visit.wav")  # the same name as A's, another conversation
    sidecar_path(b_dir / B).rename(sidecar_path(b_dir / "visit.wav"))
    (sidecar_path(b_dir / "visit.wav")).write_text(
        sidecar_path(b_dir / "visit.wav").read_text().replace(B, "visit.wav"), encoding="utf-8"
    )
    check_b = check(b_dir / "visit.wav")
    assert check_b.ok, check_b.reason
    out = tmp_path / "transcripts"
    for audio in (a_dir / "visit.wav", b_dir / "visit.wav", a_dir / "c-call.wav"):
        made = run_mine("transcribe", str(audio), "--out", str(out), env=QUIET)
        assert made.returncode == 0, made.stderr
    names = sorted(p.name for p in out.glob("*.json"))
    assert names == ["c-call.json", "visit.json", "visit.wav.json"]  # no overwrite
    ws = Path(os.environ["MINE_WORKSPACE"])
    terms = run_mine("terms", str(out), "--out", str(ws / "terms"), "--min-conversations", "1")
    assert terms.returncode == 0, terms.stderr

    by_source = {}
    for p in out.glob("*.json"):
        data = json.loads(p.read_text())
        by_source[data["call_id"]] = p
    a_call = admit(a_dir / "visit.wav").call_id
    others = [p for call, p in by_source.items() if call != a_call]
    leaks = [w for p in others for w in _words(p)] + ["klant b", "klant c", "bert", "cees"]
    assert leaks and all(w in _bytes_of(ws, out) for w in leaks[:1])

    export = tmp_path / "export"
    result = run_mine("export-subject", "klant a bv", "--out", str(export))
    assert result.returncode == 0, result.stderr
    exported = _bytes_of(export)
    for leak in leaks:
        assert leak not in exported, f"{leak!r} of another customer is in A's export"
    assert all(w in exported for w in _words(by_source[a_call]))  # A's own words are there
    manifest = json.loads((export / "manifest.json").read_text())
    assert [r["call_id"] for r in manifest["recordings"]] == [a_call]
    files = {Path(f).name for f in manifest["recordings"][0]["files"]}
    assert {"visit.json", "visit.txt", "visit.wav", "consent.json", "audit.json"} <= files
    assert "visit.wav.json" not in files and "terms.json" not in files


def test_recordings_sharing_a_stem_get_their_own_outputs(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    first = consented(rec, "en_call.flac")
    second = consented(rec, "en_call.mp3")
    ws = tmp_path / "ws"
    env = {**QUIET, "MINE_TRANSCRIBE_MODEL": "tiny.en"}
    run = run_mine("run", str(rec), "--workspace", str(ws), "-q", env=env)
    assert run.returncode == 0, run.stderr
    made = sorted((ws / "transcripts").glob("*.json"))
    assert [p.name for p in made] == ["en_call.json", "en_call.mp3.json"]
    sources = {json.loads(p.read_text())["source"] for p in made}
    assert sources == {first.name, second.name}
    status = json.loads(run_mine("status", str(rec), "--workspace", str(ws), "--json").stdout)
    assert status["counts"]["done"] == 2
    assert {i["call_id"] for i in status["recordings"]} == {
        json.loads(p.read_text())["call_id"] for p in made
    }  # what forget takes


def test_an_older_workspace_is_upgraded_in_place(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    with sqlite3.connect(ws / "state.db") as db:  # the layout of the first release
        db.executescript(
            "CREATE TABLE recordings (call_id TEXT PRIMARY KEY, file TEXT NOT NULL, path TEXT "
            "NOT NULL, customer TEXT NOT NULL DEFAULT '', consent_source TEXT NOT NULL DEFAULT '',"
            " retain_audio_until TEXT, transcribed_at TEXT, audio_deleted_at TEXT);"
            "CREATE TABLE outputs (call_id TEXT NOT NULL, stage TEXT NOT NULL, path TEXT NOT "
            "NULL, created_at TEXT NOT NULL, PRIMARY KEY (call_id, path));"
            "CREATE TABLE file_hashes (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns "
            "INTEGER NOT NULL, sha256 TEXT NOT NULL);"
            "INSERT INTO recordings VALUES ('ab', 'v.wav', '/r/v.wav', 'Acme', '', NULL, NULL, "
            "NULL);"
            "INSERT INTO outputs VALUES ('ab', 'transcribe', '/o/v.json', 'now');"
            "INSERT INTO outputs VALUES ('ab', 'terms', '/w/terms/terms.json', 'now');"
            "INSERT INTO file_hashes VALUES ('rec/v.wav', 1, 2, 'ab');"
        )
    with open_state(ws) as db:
        assert [(r.call_id, r.path, r.customer) for r in recordings(db)] == [
            ("ab", "/r/v.wav", "Acme")
        ]
        assert sorted(db.execute("SELECT recording, stage FROM outputs")) == [
            ("", "terms"),
            ("/r/v.wav", "transcribe"),
        ]
        assert db.execute("SELECT count(*) FROM file_hashes").fetchone() == (0,)
        assert db.execute("PRAGMA user_version").fetchone()[0] >= 2


def test_a_damaged_state_store_is_one_line_for_every_command(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "state.db").write_bytes(b"this is not a database, it was overwritten by accident" * 50)
    for args in (
        ["status"],
        ["retention", "--dry-run"],
        ["forget", "abcdef0123", "--yes"],
        ["export-subject", "Acme", "--out", str(tmp_path / "x")],
        ["speakers", "list"],
    ):
        result = run_mine(*args, "--workspace", str(ws))
        lines = [x for x in result.stderr.splitlines() if x.strip()]
        assert result.returncode == 2, (args, result.stderr)
        assert len(lines) == 1 and "state.db" in lines[0] and "damaged" in lines[0], args
        assert "Traceback" not in result.stderr


def test_status_of_something_that_is_not_a_workspace_fails(tmp_path: Path) -> None:
    afile = tmp_path / "passwd"
    afile.write_text("root:x:0:0\n")
    for ws in (afile, tmp_path / "missing"):
        result = run_mine("status", "--workspace", str(ws))
        assert result.returncode == 2 and "no mine workspace" in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_a_full_disk_is_one_line_not_a_traceback(tmp_path: Path, cache_dir: Path) -> None:
    import resource
    import subprocess

    from tests.conftest import MINE
    from transcribe.models import resolve_model

    def small_disk() -> None:  # writes past 20 kB fail as on a full disk (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    audio = consented(tmp_path / "rec", A)
    out = tmp_path / "out"
    for args, assembled in (
        (["run", str(tmp_path / "rec"), "--workspace", str(tmp_path / "ws1")], False),
        (["transcribe", str(audio), "--workspace", str(tmp_path / "ws2"), "-o", str(out)], False),
        (["transcribe", str(audio), "--workspace", str(tmp_path / "ws3"), "-o", str(out)], True),
    ):
        if assembled:  # the model is in the cache: the state store is what cannot be written
            resolve_model("base", cache_dir=cache_dir)
        result = subprocess.run(
            [str(MINE), *args, "-q"],
            capture_output=True,
            text=True,
            preexec_fn=small_disk,
            timeout=300,
            env={**os.environ, **QUIET},
        )
        lines = [x for x in result.stderr.splitlines() if x.strip()]
        assert result.returncode in (1, 2) and "Traceback" not in result.stderr, result.stderr
        assert len(lines) == 1 and "free disk space" in lines[0], result.stderr
        # nothing half-done: no transcript that the workspace does not know of
        assert not out.exists() or not any(out.iterdir()), list(out.iterdir())


def test_a_workspace_of_the_previous_release_is_upgraded(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    shutil.copyfile(FIXTURES / "workspace-v1" / "state.db", ws / "state.db")
    with sqlite3.connect(ws / "state.db") as old:  # its paths, moved below this test's folder
        for table in ("recordings", "outputs", "managed_dirs"):
            old.execute(
                f"UPDATE {table} SET path = replace(path, '/tmp/wsv1', ?)", (str(tmp_path),)
            )
    call = "209eccef1b50c63c0a2ff533b8fb50af884aab93b27f86749c87a9aaa2a0b224"
    with open_state(ws) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] >= 2
        assert [(r.path, r.call_id, r.customer) for r in recordings(db)] == [
            (f"{tmp_path}/rec/visit.wav", call, "Bakkerij Jansen")
        ]
        assert sorted(db.execute("SELECT recording, stage, path FROM outputs")) == [
            ("", "terms", f"{tmp_path}/ws/terms/terms.csv"),
            ("", "terms", f"{tmp_path}/ws/terms/terms.json"),
            (f"{tmp_path}/rec/visit.wav", "transcribe", f"{tmp_path}/ws/transcripts/visit.json"),
            (f"{tmp_path}/rec/visit.wav", "transcribe", f"{tmp_path}/ws/transcripts/visit.txt"),
        ]
        items = sorted(db.execute("SELECT item, stage, status FROM stages"))
        assert items == [
            (f"{tmp_path}/rec/visit.wav", "transcribe", "done"),
            ("corpus", "terms", "done"),
        ]
        assert db.execute("SELECT count(*) FROM file_hashes").fetchone() == (0,)  # a cache
    status = run_mine("status", "--workspace", str(ws), "--json")
    assert status.returncode == 0, status.stderr
    (item,) = json.loads(status.stdout)["recordings"]
    assert (item["file"], item["status"], item["call_id"]) == ("visit.wav", "done", call)
    gone = run_mine("forget", call[:12], "--yes", "--workspace", str(ws))
    assert gone.returncode == 0, gone.stderr
    with open_state(ws) as db:
        assert recordings(db) == [] and db.execute("SELECT count(*) FROM outputs").fetchone() == (
            0,
        )
