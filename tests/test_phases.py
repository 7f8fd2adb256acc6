"""The three phases of transcription, each alone: admit (gate + audit), process one (pure, runs in
another process), persist (writes + registration)."""

from __future__ import annotations

import json
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

import transcribe.audio
from pipeline.config import load_settings
from pipeline.records import ModelInfo, Transcript, Utterance
from pipeline.state import open_state, recordings
from tests.conftest import FIXTURES, consented
from transcribe.phases import Engines, Processed, admit_batch, engines_for, persist, process_one

EN = "en_call.flac"


def _settings(tmp_path: Path, **transcribe: str):
    fields = {"model": "tiny.en", "temperature": "0", "diarize": "off", **transcribe}
    return load_settings(overrides={"workspace": tmp_path / "ws", "transcribe": fields})


def test_admit_gates_and_audits_without_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list = []
    monkeypatch.setattr(transcribe.audio.av, "open", lambda *a, **k: opened.append(a))
    good = consented(tmp_path / "rec", EN)
    refused = Path(shutil_copy(FIXTURES / "en_call.mp3", tmp_path / "rec" / "no-consent.mp3"))
    settings = _settings(tmp_path)
    jobs, results = admit_batch([refused, good], settings=settings)
    assert opened == []  # the gate decodes nothing
    assert [j.index for j in jobs] == [1] and "no consent record" in results[0].error
    (job,) = jobs
    assert job.stem == "en_call" and job.folder == good.parent
    assert job.targets == [good.parent / "en_call.json", good.parent / "en_call.txt"]
    assert pickle.loads(pickle.dumps(job)) == job  # a job can travel to another process
    audit = [json.loads(x) for x in settings.audit_log.read_text().splitlines()]
    assert [(a["file"], a["decision"]) for a in audit] == [
        ("no-consent.mp3", "refused"),
        ("en_call.flac", "allowed"),
    ]
    assert not (tmp_path / "ws" / "state.db").exists()  # nothing registered yet


def shutil_copy(src: Path, dst: Path) -> Path:
    import shutil

    dst.parent.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(src, dst))


def _process_elsewhere(job, cache_dir: str):  # noqa: ANN001, ANN202 - runs in a worker process
    engines = engines_for(job.options, cache_dir=Path(cache_dir))
    again = engines_for(job.options, cache_dir=Path(cache_dir))
    return process_one(job, engines), engines is again


def test_process_one_is_pure_and_runs_in_another_process(tmp_path: Path) -> None:
    audio = consented(tmp_path / "rec", EN, participants=("Jan de Vries",))
    settings = _settings(tmp_path)
    (job,), _ = admit_batch([audio], settings=settings)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    here = process_one(job, Engines(job.options, cache_dir=settings.cache_dir))
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # no file, no database
    assert here.transcript.redacted and here.raw is None and here.index == job.index
    assert here.transcript.call_id == job.admission.call_id
    assert "maintenance contracts" in " ".join(u.text for u in here.transcript.utterances)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        there, reused = pool.submit(_process_elsewhere, job, str(settings.cache_dir)).result()
    assert reused  # one set of models per process, however often it is asked for
    assert [u.text for u in there.transcript.utterances] == [
        u.text for u in here.transcript.utterances
    ]
    assert pickle.loads(pickle.dumps(here)) == here


def test_persist_writes_registers_and_reports(tmp_path: Path) -> None:
    audio = consented(tmp_path / "rec", EN, customer="Acme")
    settings = _settings(tmp_path, formats="json,txt,srt")
    (job,), _ = admit_batch([audio], settings=settings, out_dir=tmp_path / "out")
    words = (Utterance(0, 0.0, 2.0, "customer", "The spare parts are late.", flags=("x",)),)
    transcript = Transcript(
        call_id=job.admission.call_id,
        source=audio.name,
        language="en",
        language_probability=1.0,
        model=ModelInfo("tiny.en", "0" * 64, "test"),
        options={},
        duration=2.0,
        utterances=words,
        redacted=True,
    )
    result = persist(job, Processed(job.index, transcript), settings=settings)
    assert result.ok and result.utterances == 1 and result.flagged == 1
    assert [Path(p).name for p in result.outputs] == ["en_call.json", "en_call.txt", "en_call.srt"]
    assert json.loads((tmp_path / "out" / "en_call.json").read_text())["redacted"] is True
    with open_state(settings.workspace) as db:
        (known,) = recordings(db)
    assert (known.path, known.call_id, known.customer) == (
        str(audio.resolve()),
        job.admission.call_id,
        "Acme",
    )
    raw = replace(transcript, redacted=False)
    kept = replace(job, options=replace(job.options, keep_raw=True))
    again = persist(kept, Processed(job.index, transcript, raw), settings=settings)
    assert Path(again.outputs[-1]).name == "en_call.raw.json"
