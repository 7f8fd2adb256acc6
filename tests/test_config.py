"""Settings precedence and bad-config messages."""

from __future__ import annotations

import re
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


def _float_settings() -> list[tuple[str, str]]:
    import dataclasses
    import typing

    from pipeline.config import ConsentPolicy, CrawlOptions, TermOptions, TranscribeOptions

    sections = {
        "transcribe": TranscribeOptions,
        "terms": TermOptions,
        "crawl": CrawlOptions,
        "consent": ConsentPolicy,
    }
    return [
        (section, f.name)
        for section, cls in sections.items()
        for f in dataclasses.fields(cls)
        if typing.get_type_hints(cls)[f.name] is float
    ]


FLOAT_SETTINGS = _float_settings()


def test_every_crawl_float_is_checked() -> None:
    names = {key for _, key in FLOAT_SETTINGS}
    assert {"delay", "read_timeout", "connect_timeout", "time_budget", "max_age"} <= names


@pytest.mark.parametrize(("section", "key"), FLOAT_SETTINGS)
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1.0"])
def test_non_finite_and_negative_floats_are_refused_everywhere(
    tmp_path: Path, section: str, key: str, value: str
) -> None:
    (tmp_path / "mine.toml").write_text(f"[{section}]\n{key} = {value}\n")
    env_name = f"MINE_{section.upper()}_{key.upper()}"
    for where, kwargs in (
        ("mine.toml", {"env": {}}),
        (env_name, {"env": {env_name: value}, "config_path": None}),
        ("--", {"env": {}, "overrides": {section: {key: float(value)}}}),
    ):
        if where != "mine.toml":
            (tmp_path / "mine.toml").unlink(missing_ok=True)
        with pytest.raises(ConfigError) as info:
            load_settings(**kwargs)
        message = str(info.value)
        assert where in message and "invalid value" in message, message
        assert "; use " in message, message  # the allowed range, not just "invalid"
        assert "\n" not in message


@pytest.mark.parametrize("section", ["transcribe", "terms"])
def test_unknown_language_names_the_allowed_values(section: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env={}, overrides={section: {"language": "xx"}})
    message = str(info.value)
    assert message.startswith("--language: invalid value 'xx'")
    assert "auto" in message and ", nl," in message and ", en," in message
    with pytest.raises(ConfigError, match="MINE_TRANSCRIBE_LANGUAGES"):
        load_settings(env={"MINE_TRANSCRIBE_LANGUAGES": "nl,xx"})
    assert load_settings(env={}, overrides={section: {"language": "de"}})


def test_language_lists_match_what_whisper_wordfreq_and_spacy_know() -> None:
    import importlib.util

    import wordfreq
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    from pipeline.config import TERM_LANGUAGES, WHISPER_LANGUAGES

    assert sorted(WHISPER_LANGUAGES) == sorted(_LANGUAGE_CODES)
    known = wordfreq.available_languages("best")
    for lang in TERM_LANGUAGES:  # found, not imported: some spaCy languages take seconds to load
        assert lang in known and importlib.util.find_spec(f"spacy.lang.{lang}"), lang


@pytest.mark.parametrize(
    "content",
    [
        bytes(range(256)) * 8,  # binary, invalid UTF-8
        '[transcribe]\nmodel = "base"\n'.encode("utf-16"),
        b"[transcribe]\nmodel = \x00\n",
        b"a = " + b"[" * 100_000 + b"]" * 100_000,
    ],
    ids=["binary", "utf-16", "nul", "deep"],
)
def test_unreadable_config_file_is_a_config_error_naming_it(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "odd.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        load_settings(config_path=path, env={})
    assert str(info.value).startswith(f"{path}: ") and "\n" not in str(info.value)


def test_term_pipelines_per_language_and_their_older_keys(tmp_path: Path) -> None:
    toml = tmp_path / "mine.toml"
    toml.write_text('[terms]\npipeline_en = "en_x"\npipelines = { nl = "nl_y" }\n')
    assert load_settings(config_path=toml).terms.pipelines == {"en": "en_x", "nl": "nl_y"}
    # a flag or variable that names one language leaves the others as mine.toml says
    flags = load_settings(config_path=toml, overrides={"terms": {"pipeline_nl": "nl_z"}})
    assert flags.terms.pipelines == {"en": "en_x", "nl": "nl_z"}
    # empty or "none" means the best installed pipeline again, also over mine.toml
    for value in ("", "none", "None"):
        env = {"MINE_TERMS_PIPELINE_EN": value}
        assert load_settings(config_path=toml, env=env).terms.pipelines == {"nl": "nl_y"}
    assert load_settings(env={"MINE_TERMS_PIPELINES": "nl=a,en=b"}).terms.pipelines == {
        "nl": "a",
        "en": "b",
    }
    for bad, says in (
        ("pipeline_nl = 3", "pipeline_nl: invalid value 3 (expected text)"),
        ('pipeline_xx = "a"', "pipeline_xx: unknown setting in [terms]; known: evidence"),
        ('pipelines = "x"', 'expected a table such as {nl = "nl_core_news_md"}'),
        ("pipelines = { zz = 'a' }", "'zz' is not a language mine knows"),
    ):
        toml.write_text(f"[terms]\n{bad}\n")
        with pytest.raises(ConfigError, match=re.escape(says)):
            load_settings(config_path=toml)
