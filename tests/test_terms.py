"""Customer vocabulary: keys, filters, roles, scoring and inputs, with the real pipelines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.config import load_settings
from terms.analyze import Analyzer
from terms.nlp import BUNDLED_NL, load_pipeline
from tests.conftest import run_mine


@pytest.fixture(scope="module")
def nl() -> Analyzer:
    assert (BUNDLED_NL / "meta.json").is_file(), (
        "data/nl_mine is missing: it is committed; rebuild with .venv/bin/python scripts/train_dutch.py"
    )
    pipeline = load_pipeline("nl")
    assert pipeline.name.startswith("mine nl") or pipeline.name.startswith("nl_core_news")
    return Analyzer(pipeline)


@pytest.fixture(scope="module")
def en() -> Analyzer:
    return Analyzer(load_pipeline("en"))


def _keys(analyzer: Analyzer, text: str) -> list[str]:
    return [c.key for c in next(iter(analyzer.analyze([text])))]


def test_dutch_compounds_and_plurals_share_one_key(nl: Analyzer) -> None:
    forms = [
        "Het onderhoudscontract is te duur.",
        "Dat onderhouds contract is te duur.",
        "Het onderhoud-contract is te duur.",
        "Die onderhoudscontracten zijn te duur.",
    ]
    keys = [set(_keys(nl, f)) for f in forms]
    assert all("onderhoud+contract" in k for k in keys), keys
    assert "offerte" in _keys(nl, "Ik heb de offertes gisteren ontvangen.")


def test_domain_noun_after_article_comes_out(nl: Analyzer) -> None:
    for text in ("Wanneer krijgen we de offerte?", "Stuur de offerte maar.", "De offerte."):
        assert "offerte" in _keys(nl, text), text


def test_fillers_numbers_and_placeholders_never_become_terms(nl: Analyzer, en: Analyzer) -> None:
    said = _keys(nl, "Eh ja nou, oké, klopt, zeg maar, weet je, 12 panelen voor [NAME] in week 3.")
    assert not {"eh", "ja", "nou", "oké", "klopt", "zeg", "weet", "12", "name", "[name]"} & set(
        said
    )
    assert any(k.startswith("paneel") or k == "panelen" for k in said)
    said = _keys(en, "Um yeah, you know, I mean, kind of, the spare parts for [PHONE] are late.")
    assert "spare part" in said and not {"um", "yeah", "know", "mean", "kind", "phone"} & set(said)


def _conversation(folder: Path, name: str, lines: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_ranking_roles_and_evidence(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    for i, extra in enumerate(["storing", "lekkage", "kapotte pomp"]):
        _conversation(
            calls,
            f"call{i}.txt",
            [
                "Verkoper: Wij bieden een end-to-end oplossing die u volledig ontzorgt.",
                "Verkoper: Onze end-to-end oplossing is schaalbaar.",
                "Klant: Eh ja, de levertijd is voor ons het probleem, elke week weer en week na week.",
                f"Klant: Bij een {extra} moet de monteur binnen een dag komen, anders staat alles stil.",
                "Klant: Nou, de levertijd van reserveonderdelen vooral.",
            ],
        )
    result = run_mine("terms", str(calls), "--out", str(tmp_path / "terms"), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "terms" / "terms.json").read_text())
    rows = {r["key"]: r for r in data["terms"]}
    order = [r["key"] for r in data["terms"]]
    assert rows["lever+tijd"]["conversations"] == 3 and rows["lever+tijd"]["mentions"] == 6
    assert order.index("lever+tijd") < order.index("week")  # everyday words sink
    assert order.index("lever+tijd") < 3
    assert not any("oplossing" in k for k in rows)  # only the rep says it: not customer vocabulary
    assert data["meta"]["roles_known"] == 3
    quote = rows["lever+tijd"]["evidence"][0]
    assert quote["speaker"] == "customer" and "levertijd" in quote["text"].lower()
    quotes = rows["lever+tijd"]["evidence"]
    assert (
        len(quotes) == 2 and len({q["source"] for q in quotes}) == 2
    )  # identical lines quoted once
    csv = (tmp_path / "terms" / "terms.csv").read_text().splitlines()
    assert csv[0].startswith("term,key,language,kind,conversations,mentions")
    limited = run_mine(
        "terms", str(calls), "--out", str(tmp_path / "t2"), "--min-conversations", "3"
    )
    assert limited.returncode == 0
    kept = json.loads((tmp_path / "t2" / "terms.json").read_text())["terms"]
    assert kept and all(r["conversations"] == 3 for r in kept)


def test_subtitles_mine_json_and_flagged_utterances(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.srt").write_text(
        "1\n00:00:01,000 --> 00:00:03,000\nCUSTOMER: The callout fee is far too high.\n\n"
        "2\n00:00:04,000 --> 00:00:06,000\nREP: Our premium plan covers the callout fee.\n",
        encoding="utf-8",
    )
    (folder / "b.vtt").write_text(
        "WEBVTT\n\n1\n00:00:02.500 --> 00:00:04.000\n<v customer>This is another callout fee for us.\n",
        encoding="utf-8",
    )
    transcript = {
        "call_id": "c" * 64,
        "source": "c.wav",
        "language": "en",
        "language_probability": 1.0,
        "model": {"name": "base", "sha256": "s" * 64, "source": "test"},
        "options": {},
        "duration": 10.0,
        "utterances": [
            {
                "idx": 0,
                "start": 1.0,
                "end": 2.0,
                "speaker": "unknown",
                "text": "The callout fee is too high.",
                "words": [],
                "flags": [],
            },
            {
                "idx": 1,
                "start": 3.0,
                "end": 4.0,
                "speaker": "unknown",
                "text": "Subscribe subscribe subscribe banana banana.",
                "words": [],
                "flags": ["repetition"],
            },
        ],
    }
    (folder / "c.json").write_text(json.dumps(transcript), encoding="utf-8")
    result = run_mine("terms", str(folder), "--out", str(tmp_path / "t"))
    assert result.returncode == 0, result.stderr
    rows = {r["key"]: r for r in json.loads((tmp_path / "t" / "terms.json").read_text())["terms"]}
    fee = rows["callout fee"]
    assert fee["conversations"] == 3 and fee["mentions"] == 3 and fee["rep_mentions"] == 1
    assert {q["start"] for q in fee["evidence"]} == {1.0, 2.5}
    assert "banana" not in rows  # a flagged (likely hallucinated) utterance does not count


def test_bad_transcripts_are_named_and_the_rest_still_counts(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    _conversation(folder, "good.txt", ["Customer: The spare parts take six weeks to arrive."])
    (folder / "empty.txt").write_text("")
    (folder / "broken.json").write_text("{not json")
    (folder / "subtitles.srt").write_text("this is not a subtitle file\n")
    result = run_mine("terms", str(folder), "--out", str(tmp_path / "t"))
    assert result.returncode == 1
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 3
    for name, words in (
        ("empty.txt", "empty"),
        ("broken.json", "not a mine transcript JSON"),
        ("subtitles.srt", "no subtitle cues"),
    ):
        assert any(name in e and words in e for e in errors), errors
    rows = json.loads((tmp_path / "t" / "terms.json").read_text())["terms"]
    assert any(r["key"] == "spare part" for r in rows)
    assert (
        run_mine("terms", str(tmp_path / "nothing-here"), "--out", str(tmp_path / "x")).returncode
        == 1
    )


def test_language_without_pipeline_falls_back_to_rules(tmp_path: Path) -> None:
    folder = tmp_path / "de"
    _conversation(folder, "a.txt", ["Kunde: Die Lieferzeit ist zu lang und die Wartung zu teuer."])
    settings = load_settings(overrides={"terms": {"language": "de"}})
    from terms.api import extract_terms

    report = extract_terms([folder], settings=settings, out_dir=tmp_path / "t")
    assert report.meta["pipelines"]["de"]["pipeline"] == "rules"
    assert {"lieferzeit", "wartung"} <= {r["key"] for r in report.rows}


def test_a_named_pipeline_that_is_not_installed_is_a_config_error(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    _conversation(folder, "a.txt", ["Klant: De levertijd is te lang voor ons bedrijf."])
    result = run_mine(
        "terms", str(folder), "--out", str(tmp_path / "t"), "--pipeline-nl", "nl_core_news_xl"
    )
    assert result.returncode == 2
    assert "nl_core_news_xl" in result.stderr and "pip install" in result.stderr
    named = run_mine(
        "terms", str(folder), "--out", str(tmp_path / "t"), "--pipeline-nl", str(BUNDLED_NL)
    )
    assert named.returncode == 0, named.stderr


def test_cp1252_subtitles_from_windows_tools(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    srt = "1\n00:00:01,000 --> 00:00:04,000\nKlant: Het café wil een nieuwe koffiemachine met onderhoud.\n"
    (folder / "a.srt").write_bytes(srt.encode("cp1252"))
    result = run_mine("terms", str(folder), "--out", str(tmp_path / "t"), "--language", "nl")
    assert result.returncode == 0, result.stderr
    rows = json.loads((tmp_path / "t" / "terms.json").read_text())["terms"]
    assert "café" in {r["term"] for r in rows}
