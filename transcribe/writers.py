"""Output formats: JSON is canonical; TXT, SRT and VTT are views of the same transcript."""

from __future__ import annotations

import json
from collections.abc import Callable

from pipeline.formats import VTT_NOTE
from pipeline.records import Transcript, Utterance


def _clock(seconds: float, sep: str) -> str:
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _cue_text(u: Utterance) -> str:
    return u.text.replace("-->", "->").strip()


def to_json(t: Transcript) -> str:
    """The canonical transcript JSON."""
    return json.dumps(t.to_dict(), ensure_ascii=False, indent=1) + "\n"


def to_txt(t: Transcript) -> str:
    """Readable text: one utterance a line, with its start time and, when known, the speaker."""
    lines = []
    for u in t.utterances:
        who = f" {u.speaker}" if u.speaker != "unknown" else ""
        mark = " (?)" if u.flags else ""
        lines.append(f"[{_clock(u.start, '.')[:-2]}{who}] {u.text}{mark}")
    return "\n".join(lines) + "\n"


def to_srt(t: Transcript) -> str:
    """SubRip subtitles; the speaker, when known, starts the cue text."""
    blocks = []
    for n, u in enumerate(t.utterances, start=1):
        who = f"{u.speaker.upper()}: " if u.speaker != "unknown" else ""
        end = max(u.end, u.start + 0.001)
        blocks.append(f"{n}\n{_clock(u.start, ',')} --> {_clock(end, ',')}\n{who}{_cue_text(u)}\n")
    return "\n".join(blocks)


def to_vtt(t: Transcript) -> str:
    """WebVTT captions; the speaker, when known, is a voice tag."""
    blocks = ["WEBVTT\n", f"{VTT_NOTE}\n"]  # the note: a folder of inputs can tell it is mine
    for n, u in enumerate(t.utterances, start=1):
        text = _cue_text(u).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if u.speaker != "unknown":
            text = f"<v {u.speaker}>{text}"
        end = max(u.end, u.start + 0.001)
        blocks.append(f"{n}\n{_clock(u.start, '.')} --> {_clock(end, '.')}\n{text}\n")
    return "\n".join(blocks)


WRITERS: dict[str, Callable[[Transcript], str]] = {
    "json": to_json,
    "txt": to_txt,
    "srt": to_srt,
    "vtt": to_vtt,
}


def render(t: Transcript, fmt: str) -> str:
    """Render ``t`` in format ``fmt`` (one of ``WRITERS``)."""
    return WRITERS[fmt](t)
