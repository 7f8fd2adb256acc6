"""Transcripts other tools made: each layout read by content, annotations gone, labels never
text, named speakers' names redacted, roles from labels, the staff list, consent and corrections."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, run_mine

from pipeline.formats import parse
from pipeline.formats.annotations import strip_annotations
from pipeline.formats.convert import to_transcript
from pipeline.formats.labels import classify, name_parts
from pipeline.roles import RoleHints
from terms.inputs import read_conversation

TRANSCRIPTS = FIXTURES / "transcripts"
EXPECTED = json.loads((TRANSCRIPTS / "expected.json").read_text(encoding="utf-8"))
ANNOTATION_MARKS = ("[", "]", "{", "}", "<", ">", "*", "--", "…", "(laughs)", "(lacht)")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_layout_reads_as_the_tool_wrote_it(name: str) -> None:
    parsed = parse((TRANSCRIPTS / name).read_bytes(), TRANSCRIPTS / name)
    got = [
        {"label": x.label, "start": x.start, "text": strip_annotations(x.text)}
        for x in parsed.lines
        if strip_annotations(x.text)
    ]
    assert got == EXPECTED[name]["utterances"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_label_name_and_no_annotation_stays_in_the_text(name: str) -> None:
    parsed = parse((TRANSCRIPTS / name).read_bytes(), TRANSCRIPTS / name)
    t = to_transcript(parsed, call_id="c", source=name, language="en")
    persons = {x.label for x in parsed.lines if x.label and classify(x.label).kind == "person"}
    parts = {p for label in persons for p in name_parts(label)}
    for u in t.utterances:
        for part in parts:
            assert f" {part} " not in f" {u.text} ".replace(",", " ").replace(".", " "), u.text
        for mark in ANNOTATION_MARKS:
            assert mark not in u.text.replace("[NAME]", "").replace("[PHONE]", ""), u.text
    labelled = [u for u, x in zip(t.utterances, parsed.lines, strict=False) if x.label]
    assert all(u.speaker_id for u in labelled)
    dump = json.dumps(t.to_dict(), ensure_ascii=False)
    assert not any(person in dump for person in persons)  # not even as a speaker label


def test_layout_is_told_by_content_not_by_the_name(tmp_path: Path) -> None:
    renamed = tmp_path / "zoom-export.txt"
    shutil.copyfile(TRANSCRIPTS / "zoom.vtt", renamed)
    as_txt = parse(renamed.read_bytes(), renamed)
    as_vtt = parse((TRANSCRIPTS / "zoom.vtt").read_bytes(), TRANSCRIPTS / "zoom.vtt")
    assert as_txt == as_vtt and as_txt.format == "webvtt"
    docx_as_txt = tmp_path / "teams.txt"
    shutil.copyfile(TRANSCRIPTS / "teams.docx", docx_as_txt)
    assert parse(docx_as_txt.read_bytes(), docx_as_txt).format == "docx"


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("Nou [inaudible] dat is -- (lacht) duur…", "Nou dat is duur"),
        ("Ja {vocalsound} oké {disfmarker} we", "Ja oké we"),
        ("<laughter> yes *cough* right [crosstalk]", "yes right"),
        (
            "[onverstaanbaar] de buitenunit [gelach] maakt herrie (inaudible 00:12)",
            "de buitenunit maakt herrie",
        ),
        ("Bel [NAME] op [PHONE] om 10:30 [00:12:03] [music]", "Bel [NAME] op [PHONE] om 10:30"),
        ("Het kost (ongeveer) 300 euro, toch...", "Het kost (ongeveer) 300 euro, toch"),
        ("#00:01:23-4# Goed — prima", "Goed prima"),
    ],
)
def test_annotations_and_hesitation_marks_are_removed_speech_stays(written: str, said: str) -> None:
    assert strip_annotations(written) == said


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("Jan de Vries", "person"),
        ("Sanne", "person"),
        ("J.P. van der Berg", "person"),
        ("Pieter 't Hart", "person"),
        ("Jan van der Berg (Warmtewerk)", "person"),
        ("Project Manager", "function"),
        ("Marketing", "function"),
        ("Industrial Designer", "function"),
        ("Speaker 2", "placeholder"),
        ("SPEAKER_00", "placeholder"),
        ("Unknown Speaker", "placeholder"),
        ("Klant", "role"),
        ("Interviewer", "role"),
    ],
)
def test_labels_are_people_functions_placeholders_or_roles(label: str, kind: str) -> None:
    assert classify(label).kind == kind


def _roles(text: str, **hints: object) -> dict[str, str]:
    parsed = parse(text.encode(), Path("call.txt"))
    t = to_transcript(
        parsed, call_id="c", source="call.txt", language="nl", hints=RoleHints(**hints)
    )
    ids = {}
    for x, u in zip(parsed.lines, t.utterances, strict=True):
        ids[x.label] = u.speaker
    return ids


CALL = (
    "Sanne de Boer: Goedemorgen, fijn dat ik langs mag komen.\n"
    "Kees van der Meer: Graag. Het is hier zo koud in de badkamer.\n"
    "Sanne de Boer: Dan kijken we eerst naar de isolatie.\n"
    "Marieke van der Meer: En de stookkosten zijn enorm.\n"
)


def test_roles_from_the_staff_list_full_name_or_unique_first_name() -> None:
    assert _roles(CALL, reps=("Sanne de Boer",)) == {
        "Sanne de Boer": "rep",
        "Kees van der Meer": "customer",
        "Marieke van der Meer": "customer",
    }
    assert _roles(CALL, reps=("sanne",))["Sanne de Boer"] == "rep"  # first name, any case
    assert _roles(CALL, reps=("Kées",))["Kees van der Meer"] == "rep"  # accents ignored
    # a first name two staff members share names nobody; so does another surname
    assert "rep" not in _roles(CALL, reps=("Sanne", "Sanne Visser"), min_confidence=0.99).values()
    assert "rep" not in _roles(CALL, reps=("Sanne Visser",), min_confidence=0.99).values()


def test_roles_from_the_consent_record_and_hand_corrections_come_first() -> None:
    assert _roles(CALL, consent_by="Sanne de Boer")["Sanne de Boer"] == "rep"
    corrected = _roles(CALL, reps=("Sanne de Boer",), corrections={"S2": "rep"})
    assert corrected["Kees van der Meer"] == "rep"
    assert corrected["Sanne de Boer"] == "customer"
    # a role word in the label decides without any list
    assert _roles("Klant: Het is koud.\nAdviseur: Dat lossen we op.\n") == {
        "Klant": "customer",
        "Adviseur": "rep",
    }


def test_terms_of_named_speaker_transcripts_hold_no_name_and_no_annotation(
    tmp_path: Path,
) -> None:
    folder, out = tmp_path / "in", tmp_path / "terms"
    folder.mkdir()
    for name in EXPECTED:
        shutil.copyfile(TRANSCRIPTS / name, folder / name)
    r = run_mine("terms", str(folder), "--out", str(out), "--rep", "Sanne de Boer")
    assert r.returncode == 0, r.stderr
    data = json.loads((out / "terms.json").read_text(encoding="utf-8"))
    assert len(data["terms"]) > 30
    names = {  # every part of every person's label, per file
        name: {
            p.casefold()
            for u in e["utterances"]
            if u["label"] and classify(u["label"]).kind == "person"
            for p in name_parts(u["label"])
        }
        for name, e in EXPECTED.items()
    }
    every_name = set().union(*names.values())
    annotations = {
        "inaudible",
        "crosstalk",
        "laughs",
        "laughter",
        "vocalsound",
        "disfmarker",
        "music",
        "cough",
        "onverstaanbaar",
        "lacht",
        "gelach",
        "otter",
        "transcription",
    }
    for row in data["terms"]:
        words = set(row["term"].casefold().split())
        assert not words & every_name, row["term"]
        assert not words & annotations, row["term"]
        for quote in row["evidence"]:
            said = set(re.findall(r"[\w']+", quote["text"].casefold()))
            assert not said & names[quote["source"]], quote
    teams = next(s for s in data["meta"]["sources"] if s["source"] == "teams.vtt")
    assert teams["roles_known"]


def test_a_named_rep_s_words_do_not_count_as_the_customers(tmp_path: Path) -> None:
    # without the staff list the heuristic takes the first speaker (the customer here) as rep
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "call.txt").write_text(
        "Kees van der Meer: Die vloerverwarming in de badkamer is altijd koud.\n"
        "Sanne de Boer: Onze hybride warmtepomp met slimme thermostaat bespaart veel.\n"
        "Sanne de Boer: De hybride warmtepomp en de slimme thermostaat zijn ons topproduct.\n"
        "Kees van der Meer: En de vloerverwarming maakt geluid.\n",
        encoding="utf-8",
    )
    found = {}
    for rep_flag in (["--rep", "Sanne de Boer"], []):
        out = tmp_path / f"out{len(rep_flag)}"
        r = run_mine("terms", str(folder), "--out", str(out), "--language", "nl", *rep_flag)
        assert r.returncode == 0, r.stderr
        with (out / "terms.csv").open(encoding="utf-8") as fh:
            found[bool(rep_flag)] = {row["term"]: row for row in csv.DictReader(fh)}
    with_staff, without = found[True], found[False]
    assert with_staff["vloerverwarming"]["rep_mentions"] == "0"
    assert "warmtepomp" not in with_staff  # the rep's product words are not the customer's
    assert "warmtepomp" in without and "vloerverwarming" not in without


def test_a_whisperx_json_is_read_with_its_speakers(tmp_path: Path) -> None:
    conv = read_conversation(TRANSCRIPTS / "whisperx.json", language="en")
    assert conv.roles_known
    # a segment no diarization turn overlapped has no speaker (WhisperX leaves "speaker" out)
    assert {u.speaker_id for u in conv.utterances} == {"S1", "S2", ""}
    assert conv.utterances[1].start == pytest.approx(5.432)


def test_speakers_set_by_label_on_a_transcript_file_decides_terms(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    call = folder / "call.txt"
    call.write_text(
        "Kees van der Meer: Die vloerverwarming in de badkamer is altijd koud.\n"
        "Sanne de Boer: Onze hybride warmtepomp met slimme thermostaat bespaart veel.\n"
        "Sanne de Boer: De hybride warmtepomp en de slimme thermostaat zijn ons topproduct.\n"
        "Kees van der Meer: En de vloerverwarming maakt geluid.\n",
        encoding="utf-8",
    )
    ws = tmp_path / "ws"
    wrong = run_mine("speakers", "set", str(call), "Nobody", "rep", "--workspace", str(ws))
    assert wrong.returncode != 0 and "S1 (Kees van der Meer), S2 (Sanne de Boer)" in wrong.stderr
    ok = run_mine("speakers", "set", str(call), "sanne de boer", "rep", "--workspace", str(ws))
    assert ok.returncode == 0, ok.stderr
    out = tmp_path / "out"
    r = run_mine(
        "terms", str(folder), "--out", str(out), "--language", "nl", "--workspace", str(ws)
    )
    assert r.returncode == 0, r.stderr
    with (out / "terms.csv").open(encoding="utf-8") as fh:
        rows = {row["term"]: row for row in csv.DictReader(fh)}
    assert "vloerverwarming" in rows and "warmtepomp" not in rows
