"""Transcripts that other tools made: Teams, Zoom, Otter, Google Meet, agencies, WhisperX.

``parse`` recognises a file's layout by its content (the name's ending is only a hint) and
reads it into ``Line``s; ``to_transcript`` strips non-speech annotations, decides the speakers'
roles from their labels (``pipeline.roles``), redacts personal data (person labels are names to
redact, wherever they occur) and returns a redacted mine ``Transcript``. Layouts:

==================  ===========================================================================
``webvtt``          WebVTT: Teams (``<v Name>text</v>``, cue ids, ``0:0:0.0`` times) and Zoom
                    (``Name: text`` in the cue)
``srt``             SubRip, ``Name: text`` in the cue
``docx``            Word exports (Teams, Otter, Google Meet/Docs): paragraphs and table rows read
                    as text
``text``            plain text: ``Name: text``, ``Name (00:01:02): text``,
                    ``[00:01:02] Name: text``, header rows ``Name  0:03`` (Otter) or
                    ``Name 00:01:02`` with the text below, a bare time row now and then (Meet);
                    mine's own ``.txt`` view
``segments-json``   WhisperX / faster-whisper style JSON: ``segments`` with ``speaker``
==================  ===========================================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.dates import date_in_text
from pipeline.errors import InputError
from pipeline.formats.decode import decode_text
from pipeline.formats.readers import (
    Line,
    docx_rows,
    load_json_object,
    read_rows,
    read_segments,
    read_subtitles,
)
from pipeline.reading import MB

#: The most mine reads of one transcript file (mine's own JSON).
TRANSCRIPT_CAP = 200 * MB
#: The most mine reads of another tool's transcript: a day of meetings is a few MB; an export
#: of months of calls in one file may be tens. Each MB takes about 10 s to read, redact, give
#: roles and analyse, in about 0.5 GB of memory all told (bench/terms_memory.py).
FOREIGN_CAP = 64 * MB
#: The file endings mine reads as transcripts (content decides the layout).
TRANSCRIPT_SUFFIXES = (".json", ".srt", ".vtt", ".txt", ".docx")
_DOCX_MAGIC = b"PK\x03\x04"
_CUE_ROW = re.compile(r"^\s*\d{1,2}(?::\d{1,2}){1,2}[.,]\d{1,3}\s*-->", re.MULTILINE)


@dataclass(frozen=True)
class Parsed:
    """A transcript file as read: its layout and its lines."""

    format: str
    lines: tuple[Line, ...]
    recorded_on: date | None = None  # a date written in the file's head (a Teams header)


def detect(raw: bytes, text: str | None) -> str:
    """The layout of a transcript from its bytes (and its decoded text when it is text)."""
    if raw.startswith(_DOCX_MAGIC):
        return "docx"
    assert text is not None
    head = text.lstrip()
    if head.startswith("WEBVTT"):
        return "webvtt"
    if head.startswith("{") or re.match(r"\[\s*[{\]]", head):  # "[00:01] Jan:" is text
        return "json"
    if _CUE_ROW.search(text[:20_000]):
        return "srt"
    return "text"


def parse(raw: bytes, path: Path) -> Parsed:
    """Read a transcript file of another tool (its bytes; ``path`` is only shown).

    Raises:
        InputError: not text nor a .docx, a JSON that is not a transcript, a subtitle file
            without cues, or nothing said in it.
    """
    if len(raw) > FOREIGN_CAP:
        raise InputError(
            f"{path}: {len(raw) / MB:.0f} MB, more than mine reads of one transcript of another "
            f"tool ({FOREIGN_CAP // MB} MB); split it into smaller files"
        )
    text = None if raw.startswith(_DOCX_MAGIC) else decode_text(raw, path)
    fmt = detect(raw, text)
    if fmt == "text" and path.suffix.lower() in (".srt", ".vtt"):
        fmt = "srt"  # named a subtitle file, holding no cue: say so, not read as prose
    if fmt == "docx":
        rows = list(docx_rows(raw, path))
        text = "\n".join(rows)
        lines = read_rows(rows)
    elif fmt == "json":
        assert text is not None
        lines = read_segments(load_json_object(text, path), path)
        fmt = "segments-json"
    elif fmt in ("webvtt", "srt"):
        assert text is not None
        lines = read_subtitles(text)
        if not lines and text.strip():
            raise InputError(
                f"{path}: no subtitle cues found (expected 'HH:MM:SS,mmm --> ...' lines); "
                "check that it is a valid subtitle file"
            )
    else:
        assert text is not None
        lines = read_rows(text.split("\n"))
    return Parsed(fmt, tuple(lines), date_in_text(_head(text or "", lines)))


#: Lines of a transcript file's head (title, date, attendees) a recording date is read from:
#: not further, where a customer's "we bought the house on 3 May 2019" would be taken for it.
HEAD_LINES = 5


def _head(text: str, said: list[Line]) -> str:
    """The file's head: its first ``HEAD_LINES`` non-blank lines before the first thing said
    (a date in what someone says, "we bought the house on 3 May 2019", is not the recording's),
    a WebVTT's ``WEBVTT`` line and cue timings left out."""
    first = next((" ".join(x.text.split())[:40] for x in said if x.text.strip()), "")
    head: list[str] = []
    for line in text[:20_000].split("\n"):
        flat = " ".join(line.split())
        if not flat or flat == "WEBVTT":
            continue
        if (first and first in flat) or "-->" in flat or len(head) >= HEAD_LINES:
            break
        head.append(flat)
    return "\n".join(head)


#: The note block that starts mine's WebVTT view (players ignore NOTE blocks).
VTT_NOTE = "NOTE a view of a transcript written by mine"
_MINE_VIEW_ROW = re.compile(r"^\[\d+:\d\d:\d\d\.\d(?: (?:customer|rep))?\] ")


def mine_output(path: Path) -> bool:
    """True for a file mine wrote (a transcript JSON, its views, terms/gap/crawl files), so a
    folder of recordings that also holds mine's outputs does not read them as inputs.

    Judged from the name and the first 64 KB: a JSON with mine's ``call_id`` and
    ``mine_version``, a ``.txt`` in mine's view layout, a ``.vtt`` with mine's note, a view
    beside such a JSON. (An ``.srt`` view without its JSON cannot be told from another tool's.)"""
    name = path.name.lower()
    if name.endswith(".raw.json") or name in ("terms.json", "gap.json", "crawl.json"):
        return True
    if path.suffix.lower() not in (".json", ".txt", ".srt", ".vtt") or not path.is_file():
        return False
    if path.suffix.lower() != ".json" and mine_output(path.with_suffix(".json")):
        return True
    try:
        with path.open("rb") as fh:
            head = fh.read(65536).decode("utf-8", errors="replace")
    except OSError:
        return False
    if path.suffix.lower() == ".json":
        return head.lstrip().startswith("{") and '"mine_version"' in head and '"call_id"' in head
    if path.suffix.lower() == ".vtt":
        return VTT_NOTE in head[:200]
    first = next((row for row in head.splitlines() if row.strip()), "")
    return path.suffix.lower() == ".txt" and bool(_MINE_VIEW_ROW.match(first))
