"""`mine run --cluster`: a real Dask scheduler and worker processes on 127.0.0.1 transcribe
what the in-process run transcribes; the consent gate, the state and the writes stay with the
coordinator; a worker killed mid-task costs a retry, not the run."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import distributed  # mine[cluster], which make installs: a missing extra fails, never skips
import pytest
from distributed.diagnostics.plugin import SchedulerPlugin

from pipeline.config import load_settings
from tests.conftest import FIXTURES, MINE, consented, run_mine
from transcribe.cluster import connect, process_on_cluster
from transcribe.phases import admit_batch, persist

CONVERSATIONS = Path(__file__).resolve().parent.parent / "bench" / "data" / "conversations"
SITE = Path(__file__).resolve().parent.parent / "data" / "sample" / "site"


@pytest.fixture(autouse=True)
def _environment_kept() -> Iterator[None]:
    """A LocalCluster started here sets its workers' variables (OMP_NUM_THREADS=1, ...) in this
    process's environment and leaves them; later tests' subprocesses must not inherit them."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


CLIPS = [
    "nl_rhasspy_1041_1601732709.wav",
    "nl_rhasspy_645_1602007895.wav",
    "nl_rhasspy_853_1601891286.wav",
    "en_call.flac",
]
#: Dask starts its worker processes with one BLAS/OpenMP thread; the in-process run gets the
#: same, so both compute the same numbers (probabilities differ in the last digits otherwise).
SAME_NUMERICS = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
QUIET = {
    "MINE_TRANSCRIBE_DIARIZE": "off",
    "MINE_TRANSCRIBE_TEMPERATURE": "0",
    "MINE_TRANSCRIBE_CPU_THREADS": "1",
    "MINE_CRAWL_DELAY": "0",
}


def _folder(root: Path, clips: list[str]) -> Path:
    rec = root / "rec"
    for clip in clips:
        consented(rec, clip)
    shutil.copyfile(FIXTURES / "nl_rhasspy_97_1602426846.wav", rec / "no-consent.wav")
    return rec


def _transcripts(ws: Path) -> dict[str, dict]:
    out = {}
    for p in sorted((ws / "transcripts").glob("*.json")):
        data = json.loads(p.read_text(encoding="utf-8"))
        data.pop("created_at")
        out[p.name] = data
    return out


def _rows(ws: Path) -> dict[str, list]:
    with sqlite3.connect(ws / "state.db") as db:
        return {
            "recordings": sorted(
                db.execute("SELECT path, call_id, file, customer, consent_sha256 FROM recordings")
            ),
            # a corpus stage's input hash names the workspace's files (compared as files below)
            "stages": sorted(
                db.execute(
                    "SELECT item, stage, CASE WHEN item='corpus' THEN '' ELSE input_hash END, "
                    "options_hash, status FROM stages"
                )
            ),
            "outputs": sorted(
                (c, r, s, Path(p).name) for c, r, s, p, _t in db.execute("SELECT * FROM outputs")
            ),
        }


def _csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_a_local_cluster_transcribes_what_the_in_process_run_does(tmp_path: Path) -> None:
    rec = _folder(tmp_path, CLIPS)
    site = ["--site", str(SITE)]
    here = run_mine(
        "run",
        str(rec),
        *site,
        "--workspace",
        str(tmp_path / "here"),
        "-q",
        env={**QUIET, **SAME_NUMERICS},
    )
    there = run_mine(  # the recordings' bytes shipped to the workers
        "run",
        str(rec),
        *site,
        "--workspace",
        str(tmp_path / "there"),
        "--cluster",
        "local:2",
        "-q",
        env={**QUIET, "MINE_RUN_SHIP_AUDIO": "true"},
    )
    assert here.returncode == there.returncode == 1, there.stderr  # no-consent.wav
    summary, local = json.loads(there.stdout), json.loads(here.stdout)
    assert summary["stages"] == local["stages"]
    assert summary["stages"]["transcribe"] == {"done": 4, "skipped": 0, "failed": 1}
    assert summary["left_out"] == local["left_out"]
    assert sum(summary["workers"].values()) == 4 and "workers" not in local
    assert all(w.startswith("tcp://127.0.0.1:") for w in summary["workers"])

    a, b = _transcripts(tmp_path / "here"), _transcripts(tmp_path / "there")
    assert sorted(a) == sorted(b) == sorted(Path(c).stem + ".json" for c in CLIPS)
    for name in a:  # text, words, times, roles, redaction, options: all of it
        assert a[name] == b[name], name
    here_rows, there_rows = _rows(tmp_path / "here"), _rows(tmp_path / "there")
    for table in here_rows:
        norm = [tuple(str(v).replace("/here/", "/W/") for v in r) for r in here_rows[table]]
        other = [tuple(str(v).replace("/there/", "/W/") for v in r) for r in there_rows[table]]
        assert norm == other, table
    for name in ("terms/terms.csv", "gap/gap.csv"):
        assert _csv(tmp_path / "here" / name) == _csv(tmp_path / "there" / name), name
    assert len(_csv(tmp_path / "there" / "gap" / "gap.csv")) > 0


class _SeenKeys(SchedulerPlugin):
    """Every task key the scheduler was given."""

    name = "mine-test-seen-keys"

    def __init__(self) -> None:
        self.keys: set[str] = set()

    def transition(self, key, start, finish, *args, **kwargs) -> None:  # noqa: ANN001
        self.keys.add(str(key))


def test_a_killed_worker_costs_a_retry_and_no_unconsented_recording_is_submitted(
    tmp_path: Path, monkeypatch
) -> None:  # noqa: ANN001
    rec = _folder(tmp_path, CLIPS)
    scratch = tmp_path / "worker-tmp"  # the workers' temporary folder: no audio may stay there
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    refused = hashlib.sha256((rec / "no-consent.wav").read_bytes()).hexdigest()
    ws = tmp_path / "ws"
    seen = _SeenKeys()
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        cluster.scheduler.add_plugin(seen)
        pids = client.run(os.getpid)
        run = subprocess.Popen(
            [
                str(MINE),
                "run",
                str(rec),
                "--workspace",
                str(ws),
                "-q",
                "--cluster",
                cluster.scheduler_address,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **QUIET},
        )
        killed = None
        deadline = time.monotonic() + 120
        while killed is None and time.monotonic() < deadline and run.poll() is None:
            for ts in list(cluster.scheduler.tasks.values()):
                worker = ts.processing_on
                if ts.state == "processing" and worker is not None and worker.address in pids:
                    killed = (str(ts.key), worker.address)
                    os.kill(pids[worker.address], signal.SIGKILL)
                    break
            time.sleep(0.05)
        out, err = run.communicate(timeout=600)
    assert killed is not None, "no task was seen running on a worker"
    assert run.returncode == 1, err  # no-consent.wav only
    summary = json.loads(out)
    assert summary["stages"]["transcribe"] == {"done": 4, "skipped": 0, "failed": 1}
    assert [x["file"] for x in summary["left_out"]] == ["no-consent.wav"]
    assert sorted(p.name for p in (ws / "transcripts").iterdir()) == sorted(
        f"{Path(c).stem}.{ext}" for c in CLIPS for ext in ("json", "txt")
    )
    with sqlite3.connect(ws / "state.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM recordings").fetchone() == (4,)
    consented_ids = {hashlib.sha256((rec / c).read_bytes()).hexdigest() for c in CLIPS}
    submitted = {k.rsplit("-", 1)[1] for k in seen.keys if k.startswith("mine-transcribe-")}
    assert submitted == consented_ids and refused not in submitted
    assert killed[0] in seen.keys
    left = [p for p in scratch.rglob("*") if p.suffix in (".wav", ".flac")]
    assert left == [], left


def test_an_unreachable_scheduler_is_one_line_and_exit_2(tmp_path: Path) -> None:
    rec = _folder(tmp_path, CLIPS[:1])
    r = run_mine(
        "run",
        str(rec),
        "--workspace",
        str(tmp_path / "ws"),
        "--cluster",
        "tcp://127.0.0.1:9",
        env=QUIET,
    )
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "tcp://127.0.0.1:9: cannot reach the Dask scheduler" in lines[0]
    bad = run_mine("run", str(rec), "--cluster", "http://example.nl", env=QUIET)
    assert bad.returncode == 2 and "--cluster: invalid value" in bad.stderr


def test_a_worker_with_another_model_fails_the_recording_with_both_names(
    tmp_path: Path, cache_dir: Path, monkeypatch
) -> None:  # noqa: ANN001
    from transcribe.models import resolve_model

    rec = _folder(tmp_path, ["en_call.flac"])
    here, there = tmp_path / "coordinator", tmp_path / "workers"
    here.mkdir()
    there.mkdir()
    # "model" is a model folder relative to the working directory: tiny.en for the coordinator,
    # base on the workers' machine (here: their working directory)
    (here / "model").symlink_to(resolve_model("tiny.en", cache_dir=cache_dir).path)
    (there / "model").symlink_to(resolve_model("base", cache_dir=cache_dir).path)
    monkeypatch.chdir(there)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        r = run_mine(
            "run",
            str(rec),
            "--workspace",
            str(tmp_path / "ws"),
            "-q",
            "--cluster",
            cluster.scheduler_address,
            cwd=here,
            env={**QUIET, "MINE_TRANSCRIBE_MODEL": "model"},
        )
    assert r.returncode == 1, r.stderr
    reasons = [x["reason"] for x in json.loads(r.stdout)["left_out"]]
    assert any("model 'model' has sha256" in x and "the coordinator's" in x for x in reasons)
    assert not (tmp_path / "ws" / "transcripts").exists() or not any(
        (tmp_path / "ws" / "transcripts").glob("en_call*")
    )


def _transcripts_folder(root: Path, names: list[str]) -> Path:
    """Consented transcripts of another tool: imported on the workers, no model needed."""
    for name in names:
        consented(root / "rec", name, source=CONVERSATIONS, customer="Klant", method="written")
    return root / "rec"


def test_a_scheduler_without_workers_fails_the_recordings_instead_of_hanging(
    tmp_path: Path,
) -> None:
    rec = _transcripts_folder(tmp_path, ["nl_01.txt", "nl_02.txt"])
    with distributed.LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address=None) as cluster:
        r = run_mine(
            "run",
            str(rec),
            "--workspace",
            str(tmp_path / "ws"),
            "-q",
            "--cluster",
            cluster.scheduler_address,
            env={**QUIET, "MINE_RUN_WORKER_WAIT": "2"},
            timeout=120,
        )
    assert r.returncode == 1, r.stderr
    summary = json.loads(r.stdout)
    assert summary["stages"]["transcribe"] == {"done": 0, "skipped": 0, "failed": 2}
    assert all("no Dask worker was connected" in x["reason"] for x in summary["left_out"])


def test_shipped_audio_gone_after_the_gate_is_that_recordings_failure(tmp_path: Path) -> None:
    rec = _transcripts_folder(tmp_path, ["nl_01.txt", "nl_02.txt"])
    settings = load_settings(overrides={"workspace": str(tmp_path / "ws")})
    settings = replace(settings, run=replace(settings.run, ship_audio=True))
    jobs, refused = admit_batch(sorted(rec.glob("*.txt")), settings=settings)
    assert len(jobs) == 2 and not refused
    (rec / "nl_02.txt").unlink()
    environment = dict(os.environ)
    with connect("local:1") as client:
        outcome = process_on_cluster(
            jobs,
            client,
            settings=settings,
            model_sha="",
            persist=lambda job, processed: persist(job, processed, settings=settings),
            finished=lambda job, result: None,
            local=True,
        )
    assert outcome.results[0].ok, outcome.results[0].error
    assert not outcome.results[1].ok
    assert "cannot be read to send it to the cluster" in outcome.results[1].error
    assert dict(os.environ) == environment  # Dask's worker variables do not stay behind


def test_cluster_addresses_that_cannot_work_are_one_line_and_exit_2(tmp_path: Path) -> None:
    rec = _transcripts_folder(tmp_path, ["nl_01.txt"])
    ws = ["--workspace", str(tmp_path / "ws")]
    tls = run_mine("run", str(rec), *ws, "--cluster", "tls://127.0.0.1:9", env=QUIET)
    assert tls.returncode == 2
    assert len(tls.stderr.strip().splitlines()) == 1 and "TLS certificate" in tls.stderr
    for address in (f"local:{max(2, os.cpu_count() or 1) + 1}", "ucx://127.0.0.1:9", "local:0"):
        bad = run_mine("run", str(rec), *ws, "--cluster", address, env=QUIET)
        assert bad.returncode == 2, address
        assert len(bad.stderr.strip().splitlines()) == 1, bad.stderr
        assert "--cluster: invalid value" in bad.stderr


def test_a_workers_answer_that_is_not_the_jobs_transcript_is_never_persisted(
    tmp_path: Path,
) -> None:
    from transcribe.cluster import returned_problem
    from transcribe.phases import process_one

    rec = _transcripts_folder(tmp_path, ["nl_01.txt", "nl_02.txt"])
    settings = load_settings(overrides={"workspace": str(tmp_path / "ws")})
    (a, b), refused = admit_batch(sorted(rec.glob("*.txt")), settings=settings)
    assert not refused
    done_a, done_b = process_one(a, None), process_one(b, None)
    assert returned_problem(a, done_a) is None and returned_problem(b, done_b) is None
    swapped = replace(done_b, index=a.index)  # b's transcript, answered for a
    assert "transcript of another recording" in returned_problem(a, swapped)
    assert "no transcript of this recording" in returned_problem(a, done_b)
    assert "no transcript of this recording" in returned_problem(a, None)
    unredacted = replace(done_a, transcript=replace(done_a.transcript, redacted=False))
    assert "unredacted" in returned_problem(a, unredacted)
