"""Quality flags, sentence splitting, windows and subtitle views, on constructed inputs."""

from __future__ import annotations

import numpy as np

from pipeline.records import ModelInfo, Transcript, Utterance, Word
from transcribe.audio import FRAME_S, plan_windows
from transcribe.engine import _Seg, compression_ratio, has_loop, quality_flags, split_sentences
from transcribe.writers import to_srt, to_txt, to_vtt


def _seg(
    text: str, start: float = 0.0, end: float = 2.0, lp: float = -0.3, ns: float = 0.1
) -> _Seg:
    return _Seg(start, end, text, (), lp, ns, compression_ratio(text))


def test_loops_and_repetition() -> None:
    assert has_loop("dank je wel dank je wel dank je wel")
    assert has_loop("ja ja ja ja ja")
    assert not has_loop("nee nee nee, dat klopt niet")
    assert not has_loop("We hebben de offerte gisteren ontvangen en bekeken.")
    looping = "the quote " * 30
    assert compression_ratio(looping) > 2.4
    loud = np.full(100, -20.0)
    assert quality_flags(_seg(looping), loud, -50.0) == ("repetition",)


def test_no_speech_low_confidence_silence_and_known_phrases() -> None:
    loud = np.full(100, -20.0)
    quiet = np.full(100, -70.0)
    assert quality_flags(_seg("Hallo daar.", lp=-1.4, ns=0.8), loud, -50.0) == ("no-speech",)
    assert quality_flags(_seg("Hallo daar.", lp=-1.4, ns=0.1), loud, -50.0) == ("low-confidence",)
    assert quality_flags(_seg("Hallo daar."), quiet, -50.0) == ("in-silence",)
    flags = quality_flags(_seg("Ondertiteld door de Amara.org gemeenschap"), loud, -50.0)
    assert flags == ("known-hallucination",)
    assert quality_flags(_seg("Hallo daar."), loud, -50.0) == ()


def test_split_sentences_uses_word_times() -> None:
    words = [
        Word(w, i * 0.5, i * 0.5 + 0.4, 0.9)
        for i, w in enumerate(
            " Wij willen een offerte. Hoe lang duurt de levering? Dat weten we nog niet.".split(
                " "
            )[1:]
        )
    ]
    words = [Word(" " + w.word, w.start, w.end, w.probability) for w in words]
    seg = _Seg(
        0.0, words[-1].end, "".join(w.word for w in words).strip(), tuple(words), -0.2, 0.01, 1.1
    )
    parts = split_sentences(seg)
    assert [p.text for p in parts] == [
        "Wij willen een offerte.",
        "Hoe lang duurt de levering?",
        "Dat weten we nog niet.",
    ]
    assert parts[1].start == words[4].start and parts[1].end == words[8].end
    assert split_sentences(_seg("Ja.")) == [_seg("Ja.")]


def test_windows_cut_in_the_quiet_and_cover_everything() -> None:
    levels = np.full(int(1500 / FRAME_S), -20.0)  # 25 minutes of speech
    for pause in (570.0, 1150.0):  # pauses a little before each 10-minute limit
        levels[int(pause / FRAME_S) : int((pause + 0.5) / FRAME_S)] = -65.0
    windows = plan_windows(levels, window_s=600)
    assert [(round(a, 1), round(b, 1)) for a, b in windows] == [
        (0, 570.4),
        (570.4, 1150.4),
        (1150.4, 1500),
    ]


def _transcript(utterances: list[Utterance]) -> Transcript:
    return Transcript(
        "c" * 64,
        "a.wav",
        "nl",
        0.9,
        ModelInfo("base", "s" * 64, "test"),
        {},
        10.0,
        tuple(utterances),
    )


def test_views_escape_and_label_speakers() -> None:
    t = _transcript(
        [
            Utterance(0, 0.0, 1.5, "rep", "Goedemorgen <allemaal> & welkom."),
            Utterance(1, 3661.25, 3662.0, "customer", "Pijl --> hier.", flags=("low-confidence",)),
        ]
    )
    srt = to_srt(t)
    assert "2\n01:01:01,250 --> 01:01:02,000\nCUSTOMER: Pijl -> hier.\n" in srt
    vtt = to_vtt(t)
    assert "<v rep>Goedemorgen &lt;allemaal&gt; &amp; welkom." in vtt
    assert to_txt(t).splitlines() == [
        "[00:00:00.0 rep] Goedemorgen <allemaal> & welkom.",
        "[01:01:01.2 customer] Pijl --> hier. (?)",
    ]
