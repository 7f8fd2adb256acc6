"""Customer vocabulary: keys, filters, roles, scoring and inputs, with the real pipelines."""

from __future__ import annotations

import codecs
import json
import random
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


# ---- unredacted transcripts (--keep-raw), encodings, binary and malformed files ----

RAW_TEXT = "Hi, this is John Smith, call me on 06 12345678 about the spare parts for the boiler."
PII = ("john", "smith", "12345678", "06 1234")


def _mine_json(text: str, *, call_id: str = "c" * 64, redacted: bool | None) -> str:
    """A transcript as mine writes it (``Transcript.to_dict``), with or without ``redacted``."""
    from pipeline.records import ModelInfo, Transcript, Utterance, Word

    words = tuple(Word(f" {w}", float(i), float(i) + 0.5, 0.9) for i, w in enumerate(text.split()))
    data = Transcript(
        call_id=call_id,
        source="visit.m4a",
        language="en",
        language_probability=0.99,
        model=ModelInfo("base", "9" * 64, "test"),
        options={},
        duration=20.0,
        utterances=(Utterance(0, 0.0, 20.0, "customer", text, words=words),),
    ).to_dict()
    data.pop("redacted", None)
    if redacted is not None:
        data["redacted"] = redacted
    return json.dumps(data)


def _no_pii(text: str) -> None:
    assert not any(p in text.lower() for p in PII), text


def test_raw_json_is_never_read_from_a_folder_and_refused_by_name(tmp_path: Path) -> None:
    folder = tmp_path / "transcripts"
    folder.mkdir()
    redacted = "Hi, this is [NAME], call me on [PHONE] about the spare parts for the boiler."
    (folder / "visit.json").write_text(_mine_json(redacted, redacted=True))
    (folder / "visit.raw.json").write_text(_mine_json(RAW_TEXT, redacted=False))
    (folder / "OLD.RAW.JSON").write_text(_mine_json(RAW_TEXT, call_id="d" * 64, redacted=None))
    result = run_mine("terms", str(folder), "--out", str(tmp_path / "t"), "-q")
    assert result.returncode == 0, result.stderr
    for name in ("terms.csv", "terms.json"):
        _no_pii((tmp_path / "t" / name).read_text())
    data = json.loads((tmp_path / "t" / "terms.json").read_text())
    assert data["meta"]["conversations"] == 1 and any(
        r["key"] == "spare part" for r in data["terms"]
    )

    named = run_mine("terms", str(folder / "visit.raw.json"), "--out", str(tmp_path / "t2"))
    assert named.returncode == 1
    lines = named.stderr.strip().splitlines()
    assert len(lines) == 1 and str(folder / "visit.raw.json") in lines[0], named.stderr
    assert "--include-raw" in lines[0] and "visit.json" in lines[0]
    assert not (tmp_path / "t2").exists()


def test_mine_json_that_is_not_redacted_is_redacted_on_read(tmp_path: Path) -> None:
    from pipeline.errors import InputError
    from terms.inputs import find_transcripts, read_conversation

    raw = tmp_path / "visit.raw.json"
    raw.write_text(_mine_json(RAW_TEXT, redacted=False))
    with pytest.raises(InputError, match="--include-raw"):
        read_conversation(raw)
    with pytest.raises(InputError, match="--include-raw"):
        find_transcripts([raw])
    assert find_transcripts([raw], include_raw=True) == [raw]
    renamed = tmp_path / "renamed.json"  # a raw transcript under an ordinary name
    renamed.write_text(_mine_json(RAW_TEXT, redacted=None))
    for path in (raw, renamed):
        conv = read_conversation(path, include_raw=True)
        text = " ".join(u.text for u in conv.utterances)
        _no_pii(text)
        assert "[NAME]" in text and "[PHONE]" in text and "spare parts" in text
        assert all(not u.words for u in conv.utterances)  # no unredacted word is carried along
    done = tmp_path / "done.json"
    done.write_text(_mine_json("The spare parts for the boiler are late.", redacted=True))
    assert read_conversation(done).utterances[0].text == "The spare parts for the boiler are late."


def test_utf16_utf32_and_legacy_encodings_are_decoded(tmp_path: Path) -> None:
    from terms.inputs import read_conversation

    line = "Customer: The spare parts for the café take six weeks to arrive.\n"
    srt = "1\n00:00:01,000 --> 00:00:04,000\n" + line
    cases = {
        "le.txt": line.encode("utf-16"),
        "be.txt": codecs.BOM_UTF16_BE + line.encode("utf-16-be"),
        "nobom.txt": line.encode("utf-16-le"),
        "u32.txt": line.encode("utf-32"),
        "sig.txt": line.encode("utf-8-sig"),
        "le.srt": srt.encode("utf-16"),
        "be.vtt": codecs.BOM_UTF16_BE
        + ("WEBVTT\n\n" + srt.replace(",000", ".000")).encode("utf-16-be"),
        "win.srt": srt.encode("cp1252"),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        conv = read_conversation(tmp_path / name)
        assert [u.text for u in conv.utterances] == [line.split(": ", 1)[1].strip()], name
        assert conv.utterances[0].speaker == "customer" and conv.language == "en", name
    russian = "Клиент: Доставка запасных частей занимает слишком много времени, шесть недель.\n"
    (tmp_path / "ru.txt").write_bytes(russian.encode("cp1251"))
    decoded = read_conversation(tmp_path / "ru.txt", language="ru").utterances[0].text
    assert decoded == russian.strip()


def test_binary_transcripts_are_refused_as_not_text(tmp_path: Path) -> None:
    from pipeline.errors import InputError
    from terms.inputs import read_conversation

    rng = random.Random(5)
    cases = {
        "noise.txt": rng.randbytes(4000),
        "noise-no-nul.txt": rng.randbytes(4000).replace(b"\0", b"\1"),
        "nul.txt": b"Customer: the spare parts\0\0\0 take six weeks to arrive.\n",
        "image.srt": b"\x89PNG\r\n\x1a\n" + rng.randbytes(600),
        "noise.json": rng.randbytes(3000),
        "bom-then-noise.txt": codecs.BOM_UTF16_LE + rng.randbytes(900),
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(InputError) as info:
            read_conversation(path, language="en")
        assert str(info.value) == (
            f"{path}: not a text file (binary content); pass a transcript as .json, .srt, "
            ".vtt, .txt or .docx"
        ), name
    result = run_mine("terms", str(tmp_path / "noise.txt"), "--out", str(tmp_path / "t"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "not a text file (binary content)" in result.stderr


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d["utterances"][0].update(text=5), "utterances[0].text is a number"),
        (lambda d: d["utterances"][0].update(flags=[[1]]), "utterances[0].flags[0] is a list"),
        (lambda d: d["utterances"][0].update(speaker="boss"), "utterances[0].speaker is 'boss'"),
        (lambda d: d["utterances"].append("hello"), "utterances[1] is text, not an object"),
        (lambda d: d["model"].update(sha256=7), "model.sha256 is a number"),
        (lambda d: d.update(utterances={"0": {}}), "utterances is an object, not a list"),
        (lambda d: d.update(language="la"), "language 'la' is not one mine terms can rank"),
        (lambda d: d.update(call_id=["x"]), "call_id is a list"),
    ],
)
def test_wrong_types_in_a_transcript_json_get_one_line(tmp_path: Path, change, words) -> None:
    from pipeline.errors import InputError
    from terms.inputs import read_conversation

    data = json.loads(_mine_json("The spare parts are late.", redacted=True))
    change(data)
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as info:
        read_conversation(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and words in message and "\n" not in message


def test_deeply_nested_and_truncated_json_get_one_line(tmp_path: Path) -> None:
    from pipeline.errors import InputError
    from terms.inputs import read_conversation

    for name, data in (
        ("deep.json", "[" * 200_000 + "]" * 200_000),
        ("deep-object.json", '{"utterances": ' + '{"a": ' * 100_000 + "1" + "}" * 100_001),
        ("cut.json", _mine_json("The spare parts are late.", redacted=True)[:150]),
    ):
        path = tmp_path / name
        path.write_text(data)
        with pytest.raises(InputError) as info:
            read_conversation(path)
        assert str(info.value).startswith(f"{path}: not a mine transcript JSON")


def test_long_lines_and_long_words_stay_manageable(en: Analyzer, tmp_path: Path) -> None:
    from terms.inputs import read_conversation
    from terms.nlp import LoadedPipeline

    call = "Customer: " + " ".join(["The spare parts for the boiler take six weeks."] * 300)
    (tmp_path / "one-line.txt").write_text(call)
    conv = read_conversation(tmp_path / "one-line.txt")
    assert len(conv.utterances) > 5 and all(len(u.text) <= 2000 for u in conv.utterances)
    assert all(u.speaker == "customer" for u in conv.utterances)
    assert not _keys(en, "The " + "x" * 200 + " broke.")  # junk, not a word
    import spacy

    blank = Analyzer(LoadedPipeline("en", "blank", "", spacy.blank("en")))
    page = "word " * 250_000  # spaCy refuses texts over 1,000,000 characters at once
    assert len(page) > 1_000_000
    assert len(list(blank.analyze([page, "short text"]))) == 2


# ---- hostile inputs: huge numbers, lone surrogates, odd file names, non-files, huge files ----


def _extract(en: Analyzer, paths: list[Path], out: Path):
    from terms.api import extract_terms

    settings = load_settings(overrides={"terms": {"language": "en"}})
    return extract_terms(paths, settings=settings, out_dir=out, pipelines={"en": en.pipeline})


def test_huge_numbers_in_a_transcript_json_get_one_line_and_the_rest_counts(
    en: Analyzer, tmp_path: Path
) -> None:
    from pipeline.errors import InputError
    from terms.inputs import read_conversation

    good = _mine_json("The spare parts take six weeks.", redacted=True)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.json").write_text(good)
    # 401 digits overflow a float; 5000 pass Python's int-string conversion limit (4300)
    (folder / "huge.json").write_text(good.replace('"start": 0.0', '"start": 1' + "0" * 400, 1))
    (folder / "longer.json").write_text(good.replace('"end": 0.5', '"end": 1' + "0" * 4999, 1))
    (folder / "far.json").write_text(good.replace('"start": 0.0', '"start": 1e308', 1))
    for name, words in (
        ("huge.json", "utterances[0].start is a 401-digit number, more than the 1e+12"),
        ("longer.json", "a number with 5000 digits, more than mine accepts"),
        ("far.json", "utterances[0].start is 1e+308, more than the 1e+12"),
    ):
        with pytest.raises(InputError) as info:
            read_conversation(folder / name)
        message = str(info.value)
        assert message.startswith(f"{folder / name}: ") and words in message, message
        assert "\n" not in message and "set_int_max_str_digits" not in message
    report = _extract(en, [folder], tmp_path / "t")  # one bad file never aborts the run
    assert sorted(Path(f).name for f, _ in report.failed) == [
        "far.json",
        "huge.json",
        "longer.json",
    ]
    assert report.meta["conversations"] == 1 and any(r["key"] == "spare part" for r in report.rows)


def test_lone_surrogates_in_a_transcript_json_become_replacement_characters(
    en: Analyzer, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    text = _mine_json("The spare parts take six weeks.", call_id="c" * 63 + "d", redacted=True)
    text = text.replace("spare parts", "spare parts\\ud800").replace(
        '"call_id": "c', '"call_id": "\\udfff'
    )
    assert "\\ud800" in text and "\\udfff" in text
    (folder / "odd.json").write_text(text)
    report = _extract(en, [folder], tmp_path / "t")
    assert not report.failed
    written = json.loads((tmp_path / "t" / "terms.json").read_bytes().decode("utf-8"))
    source = written["meta"]["sources"][0]
    assert source["call_id"].startswith("\ufffd") and source["source"] == "odd.json"
    quotes = [q["text"] for r in written["terms"] for q in r["evidence"]]
    assert any("spare parts\ufffd" in q for q in quotes), quotes
    assert "\ufffd" in (tmp_path / "t" / "terms.csv").read_text(encoding="utf-8")


def test_file_names_that_are_not_utf8_are_shown_with_replacement_characters(
    en: Analyzer, tmp_path: Path
) -> None:
    import os

    folder = tmp_path / "in"
    folder.mkdir()
    good = b"Customer: The spare parts take six weeks to arrive.\n"
    (folder / "a.txt").write_bytes(good)
    (folder / os.fsdecode(b"b\xff.txt")).write_bytes(good.replace(b"six", b"seven"))
    (folder / os.fsdecode(b"c\xfe.txt")).write_bytes(b"")  # fails: its name is in the error
    report = _extract(en, [folder], tmp_path / "t")
    assert report.failed == (
        (
            f"{folder}/c\ufffd.txt",
            f"{folder}/c\ufffd.txt: the transcript is empty; nothing to extract terms from",
        ),
    )
    written = json.loads((tmp_path / "t" / "terms.json").read_bytes().decode("utf-8"))
    assert [s["source"] for s in written["meta"]["sources"]] == ["a.txt", "b\ufffd.txt"]
    assert written["meta"]["failed"][0]["file"] == f"{folder}/c\ufffd.txt"
    assert "b\ufffd.txt" in (tmp_path / "t" / "terms.csv").read_text(encoding="utf-8")


def test_only_regular_files_of_at_most_200_mb_are_read_suffix_first(tmp_path: Path) -> None:
    from pipeline.errors import InputError
    from terms.inputs import read_conversation

    big = tmp_path / "big.txt"
    with big.open("wb") as fh:  # sparse: no disk, no time; refused before a byte is read
        fh.truncate(200 * 1024 * 1024 + 1)
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    (tmp_path / "folder.txt").mkdir()
    cases = {
        big: f"{big}: larger than 200 MB, more than mine reads of one transcript; split it",
        tmp_path / "zero.txt": f"{tmp_path / 'zero.txt'}: a device, not a regular file; pass a",
        tmp_path / "folder.txt": f"{tmp_path / 'folder.txt'}: a folder, not a regular file",
        Path("/dev/zero"): "/dev/zero: unsupported transcript type",  # the suffix, before reading
    }
    for path, start in cases.items():
        with pytest.raises(InputError) as info:
            read_conversation(path, language="en")
        assert str(info.value).startswith(start), str(info.value)
        assert "\n" not in str(info.value)


def test_when_no_transcript_can_be_read_each_file_has_its_own_line(tmp_path: Path) -> None:
    from terms.api import NoTranscriptRead, extract_terms

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("")
    (folder / "b.json").write_text("{not json")
    (folder / "c.srt").write_text("no cues here\n")
    with pytest.raises(NoTranscriptRead) as info:
        extract_terms([folder], settings=load_settings(), out_dir=tmp_path / "t")
    lines = info.value.lines
    assert len(lines) == 4 and all("\n" not in ln for ln in lines), lines
    for name in ("a.txt", "b.json", "c.srt"):
        assert sum(name in ln for ln in lines) == 1, (name, lines)
        assert any(ln.startswith(f"{folder / name}: ") for ln in lines), (name, lines)
    assert lines[-1] == "none of the 3 transcripts could be read; nothing written"
    assert [Path(f).name for f, _ in info.value.failed] == ["a.txt", "b.json", "c.srt"]
    assert "\n" not in str(info.value) and not (tmp_path / "t").exists()
    (folder / "b.json").unlink(), (folder / "c.srt").unlink()
    with pytest.raises(NoTranscriptRead) as info:  # one file: one line, named once
        extract_terms([folder], settings=load_settings(), out_dir=tmp_path / "t")
    empty = f"{folder / 'a.txt'}: the transcript is empty; nothing to extract terms from"
    assert info.value.lines == [f"no transcript could be read ({empty})"]
