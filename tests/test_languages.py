"""A third language is one registry entry: terms, redaction, roles and the report pick it up.

The toy language is added here, in the test, and nowhere else: if any stage kept a table of
its own, the toy words below would not be understood and these tests would fail.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline import languages
from pipeline.config import load_settings
from pipeline.errors import ConfigError
from pipeline.languages import Language
from pipeline.privacy import Redactor, guess_language
from reports.html import render_report
from terms.api import extract_terms
from terms.gap import analyze_gap

#: A toy Esperanto: spaCy and wordfreq know no "eo", so everything comes from the entry.
TOY = Language(
    code="eo",
    name="Esperanto (toy)",
    stop_words=frozenset("la kaj de en mi vi ni estas ne ke tio kun por sed al ni nia via".split()),
    fillers=frozenset("nu jes bone certe".split()),
    filler_phrases=("vi scias",),
    determiners=frozenset({"la"}),
    spoken_numbers={
        "nulo": 0,
        "unuo": 1,
        "duo": 2,
        "trio": 3,
        "kvaro": 4,
        "kvino": 5,
        "seso": 6,
        "sepo": 7,
        "oko": 8,
        "nauxo": 9,
    },
    hallucinations=("dankon pro spektado",),
    self_introductions=("mi nomigxas",),
    ui={"title": "Kion klientoj diras kaj la retejo ne", "summary": "Resumo"},
)

CALLS = [
    [
        "Kliento: Nu, la varmopumpilo estas tro laŭta, vi scias, kaj la fakturo ne alvenis.",
        "Kliento: Mia telefono estas nulo seso duo trio kvaro kvino seso sepo oko duo.",
        "Kliento: La varmopumpilo bruas nokte kaj la instalisto ne venis.",
    ],
    [
        "Kliento: Jes, la varmopumpilo bruas kaj la instalisto venis tro malfrue.",
        "Kliento: Bone, la fakturo estas ankoraux ne klara por ni.",
    ],
]


@pytest.fixture
def toy() -> Iterator[Language]:
    languages.register(TOY)
    try:
        yield TOY
    finally:
        languages.unregister(TOY.code)


def _calls(root: Path) -> Path:
    calls = root / "calls"
    calls.mkdir()
    for i, lines in enumerate(CALLS):
        (calls / f"voko{i}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return calls


def _site(root: Path) -> Path:
    site = root / "site"
    site.mkdir()
    page = {
        "url": "https://firmao.example/servo",
        "final_url": "https://firmao.example/servo",
        "status": 200,
        "title": "Servo",
        "description": "",
        "headings": [{"level": "h1", "text": "Servo"}],
        "text": "Nia instalisto venas al vi kaj la fakturo estas klara. Ni estas la plej bona.",
        "lang": "eo",
        "fetched_at": "2026-11-26T10:00:00+00:00",
        "content_hash": "x",
    }
    (site / "pages.jsonl").write_text(json.dumps(page) + "\n", encoding="utf-8")
    return site


def test_without_the_entry_the_toy_words_mean_nothing() -> None:
    assert languages.get("eo") is None
    said = "nulo seso duo trio kvaro kvino seso sepo oko duo"
    assert Redactor().redact(said)[0] == said
    assert guess_language("la varmopumpilo estas tro lauta kaj ne bona") != "eo"
    with pytest.raises(ConfigError):
        load_settings(overrides={"terms": {"language": "eo"}})


def test_redaction_and_language_guess_use_the_entry(toy: Language) -> None:
    text, spans = Redactor().redact(
        "Mia telefono estas nulo seso duo trio kvaro kvino seso sepo oko duo."
    )
    assert text == "Mia telefono estas [PHONE]." and [s.kind for s in spans] == ["PHONE"]
    assert guess_language("la varmopumpilo estas tro lauta kaj ne bona") == "eo"
    # Dutch and English are still told apart as before
    assert guess_language("de offerte is niet op tijd en wij hebben een probleem") == "nl"
    assert guess_language("the quote is late and we have a problem with it") == "en"


def test_terms_gap_and_report_pick_up_a_third_language(tmp_path: Path, toy: Language) -> None:
    settings = load_settings()
    terms = extract_terms([_calls(tmp_path)], settings=settings, out_dir=tmp_path / "terms")
    data = json.loads((tmp_path / "terms" / "terms.json").read_text(encoding="utf-8"))
    assert data["meta"]["languages"] == {"eo": 2}
    assert data["meta"]["pipelines"]["eo"]["pipeline"] == "rules"
    keys = [t["key"] for t in data["terms"]]
    assert "varmopumpilo" in keys and "instalisto" in keys
    # the entry's fillers, filler phrase and determiner never become terms or parts of one
    for word in ("nu", "jes", "bone", "scias", "la"):
        assert not any(word in k.split() for k in keys), (word, keys)
    assert terms.failed == ()
    quotes = [e["text"] for t in data["terms"] for e in t["evidence"]]
    # the number said in toy words is redacted where the transcript is read
    assert any("[PHONE]" in q for q in quotes) and not any("kvaro" in q for q in quotes)

    gap = analyze_gap(
        tmp_path / "terms", _site(tmp_path), settings=settings, out_dir=tmp_path / "gap"
    )
    rows = {r["key"]: r for r in gap.rows}
    assert rows["varmopumpilo"]["status"] == "missing"
    assert rows["instalisto"]["status"] != "missing"  # the page says it

    html = render_report(tmp_path / "gap", out=tmp_path / "r.html", settings=settings).read_text(
        encoding="utf-8"
    )
    assert "Kion klientoj diras kaj la retejo ne" in html and 'lang="eo"' in html
    assert "Resumo" in html
    assert "Pages crawled" in html  # strings the entry leaves out come from English


def test_the_cli_accepts_the_new_code(tmp_path: Path, toy: Language) -> None:
    from cli import app

    settings = load_settings()
    extract_terms([_calls(tmp_path)], settings=settings, out_dir=tmp_path / "terms")
    analyze_gap(tmp_path / "terms", _site(tmp_path), settings=settings, out_dir=tmp_path / "gap")
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        app, ["report", "--gap", str(tmp_path / "gap"), "--out", str(out), "--lang", "eo"]
    )
    assert result.exit_code == 0, result.output
    assert "Kion klientoj diras" in out.read_text(encoding="utf-8")
    result = CliRunner().invoke(
        app, ["terms", str(tmp_path / "calls"), "--out", str(tmp_path / "t2"), "--language", "eo"]
    )
    assert result.exit_code == 0, result.output


def test_roles_and_transcription_checks_use_the_entry(toy: Language) -> None:
    import numpy as np

    from pipeline.records import Turn, Utterance
    from transcribe.diarize import Diarization
    from transcribe.engine import _Seg, quality_flags
    from transcribe.speakers import decide_roles

    # S1 speaks first; S2 introduces herself in the toy language with the rep's name
    said = [
        ("S1", "Bonan tagon, bonvolu eniri."),
        ("S2", "Dankon, mi nomigxas Sanne kaj mi rigardos la varmopumpilon."),
        ("S1", "La varmopumpilo bruas nokte."),
    ]
    utterances = [
        Utterance(idx=i, start=i * 5.0, end=i * 5.0 + 4, speaker="unknown", text=t, speaker_id=sid)
        for i, (sid, t) in enumerate(said)
    ]
    diar = Diarization("features", [Turn(u.start, u.end, u.speaker_id) for u in utterances])
    roles = decide_roles(utterances, diar, rep_names=("Sanne",))
    assert roles["S2"].role == "rep" and roles["S1"].role == "customer"

    seg = _Seg(0.0, 2.0, " Dankon pro spektado!", (), -0.2, 0.1, 1.2)
    assert "known-hallucination" in quality_flags(seg, np.full(100, -20.0), -60.0)
