"""Settings precedence and bad-config messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import load_settings, parse_channels
from pipeline.errors import ConfigError
from tests.conftest import run_mine


def test_precedence_flags_over_env_over_toml_over_defaults(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(
        'workspace = "ws"\n[transcribe]\nmodel = "tiny.en"\nbeam_size = 2\nbatch_size = 4\n'
    )
    s = load_settings(
        env={"MINE_TRANSCRIBE_BEAM_SIZE": "3"},
        overrides={"transcribe": {"batch_size": 0, "model": None}},
    )
    assert s.transcribe.model == "tiny.en"  # toml over default; a None flag is "not given"
    assert s.transcribe.beam_size == 3  # env over toml
    assert s.transcribe.batch_size == 0  # flag over toml
    assert s.transcribe.compute_type == "int8"  # default
    assert s.workspace == tmp_path / "ws"  # relative to the toml file
    assert s.config_file == tmp_path / "mine.toml"


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[transcribe]\nbeam = 3\n", "unknown setting in [transcribe]"),
        ('[transcribe]\nbeam_size = "wide"\n', "beam_size: invalid value 'wide'"),
        ('[transcribe]\nformats = ["json", "docx"]\n', "use one or more of json,txt,srt,vtt"),
        ('[transcribe]\nchannels = "rep=left"\n', "name both channels"),
        ('colour = "red"\n', "unknown setting 'colour'"),
        ("[transcribe\nmodel = 1", "not valid TOML"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, toml: str, expected: str) -> None:
    (tmp_path / "mine.toml").write_text(toml)
    with pytest.raises(ConfigError) as info:
        load_settings(env={})
    assert expected in str(info.value)
    assert "mine.toml" in str(info.value)


def test_bad_environment_value_names_variable() -> None:
    with pytest.raises(ConfigError, match="MINE_TRANSCRIBE_LANGUAGE"):
        load_settings(env={"MINE_TRANSCRIBE_LANGUAGE": "Dutch!"})


def test_channels_spec() -> None:
    assert parse_channels("rep=left,customer=right") == {"left": "rep", "right": "customer"}
    assert parse_channels("customer=left, rep=right") == {"left": "customer", "right": "rep"}
    for bad in ("rep=left,rep=right", "rep=middle,customer=left", "boss=left,rep=right"):
        with pytest.raises(ValueError):
            parse_channels(bad)


def test_cli_bad_config_exits_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text("[transcribe]\nbeam_size = 0\n")
    (tmp_path / "a.wav").write_bytes(b"RIFF")
    result = run_mine("transcribe", "a.wav")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "beam_size" in lines[0] and "mine.toml" in lines[0]
