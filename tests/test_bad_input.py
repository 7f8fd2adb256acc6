"""Bad input gets one clear line naming the file, a non-zero exit, and leaves nothing behind."""

from __future__ import annotations

import json
import shutil
import wave
from pathlib import Path

import pytest

from pipeline.config import load_settings
from pipeline.consent import add_consent
from tests.conftest import FIXTURES, consented, run_mine
from transcribe import api, phases
from transcribe.audio import decode


def _wav(path: Path, samples: bytes) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes(samples)
    return path


def _bad_files(folder: Path) -> dict[str, str]:
    """Write one file per kind of bad input; return name -> expected words of its error."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.m4a").write_bytes(b"")
    (folder / "notes.wav").write_text("Customer wants a quote by Friday.\n")
    data = (FIXTURES / "en_call.flac").read_bytes()
    (folder / "cut.flac").write_bytes(data[: len(data) // 2])
    _wav(folder / "zero.wav", b"")
    _wav(folder / "silent.wav", b"\0\0" * 16000 * 4)
    shutil.copyfile(FIXTURES / "video_only.mp4", folder / "video.mp4")
    full = _wav(folder / "full.wav", decode(FIXTURES / "en_call.flac").samples.tobytes())
    (folder / "short.wav").write_bytes(full.read_bytes()[:100_000])
    full.unlink()
    expected = {
        "empty.m4a": "file is empty",
        "notes.wav": "not a readable audio file",
        "cut.flac": "truncated or corrupt",
        "short.wav": "truncated or corrupt",
        "zero.wav": "contains no audio",
        "silent.wav": "the audio is silent",
        "video.mp4": "has no audio track",
    }
    for name in expected:
        add_consent(folder / name, customer="X", method="written", obtained_by="Y", purpose="p")
    return expected


def test_each_bad_file_gets_one_line_and_the_good_one_finishes(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    expected = _bad_files(folder)
    good = consented(folder, "nl_rhasspy_1041_1601732709.wav")
    before = {p.name for p in folder.iterdir()}
    result = run_mine(
        "transcribe",
        *(str(folder / n) for n in expected),
        str(good),
        "--json",
        "--temperature",
        "0",
    )
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == len(expected), result.stderr
    for name, words in expected.items():
        line = next(e for e in errors if f"{folder / name}:" in e)
        assert words in line, line
    summary = json.loads(result.stdout)
    assert summary["transcribed"] == 1 and summary["failed"] == len(expected)
    made = {p.name for p in folder.iterdir()} - before
    assert made == {"nl_rhasspy_1041_1601732709.json", "nl_rhasspy_1041_1601732709.txt"}


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda d: d / "missing.wav", "file not found"),
        (lambda d: d, "is a folder, not a recording"),
    ],
)
def test_missing_path_and_folder(tmp_path: Path, make, words: str) -> None:
    target = make(tmp_path)
    result = run_mine("transcribe", str(target))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert words in result.stderr and str(target) in result.stderr


def test_failed_write_leaves_no_partial_output(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    audio = consented(tmp_path / "rec", "nl_rhasspy_1041_1601732709.wav")
    real = phases.render

    def failing(transcript, fmt):  # the third format fails after two rendered fine
        if fmt == "srt":
            raise OSError(28, "No space left on device", "x.srt")
        return real(transcript, fmt)

    monkeypatch.setattr(phases, "render", failing)
    settings = load_settings(
        overrides={"transcribe": {"formats": "json,txt,srt", "temperature": "0"}}
    )
    with pytest.raises(OSError):
        api.transcribe_files([audio], settings=settings)
    assert sorted(p.name for p in audio.parent.iterdir()) == sorted(
        [audio.name, audio.name + ".consent.toml"]
    )


def test_output_folder_that_is_a_file(tmp_path: Path) -> None:
    audio = consented(tmp_path / "rec", "nl_rhasspy_1041_1601732709.wav")
    blocker = tmp_path / "out"
    blocker.write_text("not a folder")
    result = run_mine("transcribe", str(audio), "--out", str(blocker), "--temperature", "0")
    assert result.returncode == 1 and "cannot write output" in result.stderr
    assert blocker.read_text() == "not a folder" and not list(tmp_path.glob("**/*.part"))


def test_model_that_is_a_file_says_so_and_what_model_takes(tmp_path: Path) -> None:
    from pipeline.errors import ModelError
    from transcribe.models import resolve_model

    weights = tmp_path / "model.bin"
    weights.write_bytes(b"\0" * 64)
    for name in (str(weights), "model.bin"):  # a path, and a bare name in the current folder
        with pytest.raises(ModelError) as info:
            resolve_model(name, cache_dir=tmp_path / "cache")
        message = str(info.value)
        assert message.startswith(f"{name}: is a file, not a model folder"), message
        assert "base, tiny.en" in message and "folder" in message and "hub name" in message
    with pytest.raises(ModelError, match="model folder not found; --model takes a model name"):
        resolve_model(str(tmp_path / "missing" / "model"), cache_dir=tmp_path / "cache")
