"""Rebuild the speaker fixtures in tests/fixtures/voices/ (diarization and role tests).

Needs Debian's espeak-ng, sox and ffmpeg and ../shared/data/speech-nl (real Dutch speech, CC0).
The outputs are committed; tests never run this script.

    .venv/bin/python scripts/make_speaker_fixtures.py

Voices (one FLAC each, sentences separated by 0.6 s of silence; ``voices.json`` holds the
span of every sentence so tests can splice dialogues with known turn boundaries):

* ``real_a``: real read Dutch by one Flemish speaker (speech-nl).
* ``real_a_low``: the same real recordings pitch-shifted down 5 semitones with sox (formants
  move with it): a generated voice with real prosody, the hardest pair for a diarizer.
* ``synth_nl_m``, ``synth_nl_f``: espeak-ng Dutch, male and female variants.
* ``synth_en_rep``, ``synth_en_customer``: espeak-ng English for the sales call below.

``synth_en_rep_enroll``: the rep's voice saying other sentences (an enrolment sample).
``mono_call.flac``: a mono English sales call (rep names the company "Northwind"), with its turns.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_audio_fixtures import (  # noqa: E402
    FIXTURES,
    RATE,
    SPEECH_NL,
    encode,
    read_wav,
    resample_clip,
    silence,
    speak,
    write_wav,
)

OUT = FIXTURES / "voices"
REAL_CLIPS = (
    "nl_rhasspy_1009_1601817686.wav",
    "nl_rhasspy_1011_1601817654.wav",
    "nl_rhasspy_1023_1601817425.wav",
    "nl_rhasspy_853_1601891286.wav",
    "nl_rhasspy_645_1602007895.wav",
    "nl_rhasspy_97_1602426846.wav",
)
NL_TEXTS = (
    "Goedemiddag, fijn dat we even langs mochten komen vandaag.",
    "De levertijd van de onderdelen is voor ons echt een probleem.",
    "Hoe lang duurt het voordat een monteur bij ons op de stoep staat?",
    "Het onderhoudscontract vonden we eigenlijk te duur voor wat je krijgt.",
    "Kunnen jullie de offerte nog een keer opsturen met de nieuwe prijzen?",
    "We hebben vorige winter twee keer zonder verwarming gezeten.",
)
EN_CALL = (
    ("rep", "Good morning, I am Tom from Northwind Heating. Thanks for having us."),
    ("customer", "Hello. Our old boiler keeps breaking down, and the repair bills are huge."),
    ("rep", "At Northwind we install heat pumps with a five year service plan."),
    ("customer", "How long is the waiting list? We cannot go another winter without heating."),
    ("rep", "Northwind can usually start within three weeks after the quote is signed."),
    ("customer", "That sounds fine, but the noise of the outdoor unit worries my neighbours."),
)

#: The rep alone, other words than in the call: the enrolment sample.
EN_ENROLL = (
    "This is a voice sample for the speaker profile. I visit customers every week.",
    "We talk about installations, planning, prices and the maintenance of their systems.",
    "Afterwards I write a short report and send the quote within two working days.",
)


def pitch(samples: np.ndarray, cents: int) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
        write_wav(src, samples)
        subprocess.run(["sox", str(src), str(dst), "pitch", str(cents)], check=True)
        return read_wav(dst)


def save_voice(name: str, clips: list[np.ndarray], meta: dict) -> None:
    parts, spans, t = [], [], 0
    for c in clips:
        spans.append([round(t / RATE, 3), round((t + len(c)) / RATE, 3)])
        parts += [c, silence(0.6)]
        t += len(c) + int(0.6 * RATE)
    wav = OUT / f"{name}.wav"
    write_wav(wav, np.concatenate(parts))
    encode(wav, OUT / f"{name}.flac")
    wav.unlink()
    meta[name] = spans


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    meta: dict = {}
    real = [resample_clip(SPEECH_NL / "wavs" / n) for n in REAL_CLIPS]
    save_voice("real_a", real, meta)
    save_voice("real_a_low", [pitch(c, -500) for c in real], meta)
    save_voice("synth_nl_m", [speak(t, "nl") for t in NL_TEXTS], meta)
    save_voice("synth_nl_f", [speak(t, "nl+f3") for t in NL_TEXTS], meta)
    voices = {"rep": "en-us", "customer": "en+f4"}
    save_voice("synth_en_rep", [speak(t, voices["rep"]) for r, t in EN_CALL if r == "rep"], meta)
    save_voice(
        "synth_en_customer",
        [speak(t, voices["customer"]) for r, t in EN_CALL if r == "customer"],
        meta,
    )
    save_voice("synth_en_rep_enroll", [speak(t, voices["rep"]) for t in EN_ENROLL], meta)
    parts, turns, t = [silence(0.4)], [], 0.4
    for role, text in EN_CALL:
        clip = speak(text, voices[role])
        turns.append([round(t, 3), round(t + len(clip) / RATE, 3), role])
        parts += [clip, silence(0.5)]
        t += len(clip) / RATE + 0.5
    write_wav(OUT / "mono_call.wav", np.concatenate(parts))
    encode(OUT / "mono_call.wav", OUT / "mono_call.flac")
    (OUT / "mono_call.wav").unlink()
    meta["mono_call"] = {"turns": turns, "text": [t for _, t in EN_CALL]}
    (OUT / "voices.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
