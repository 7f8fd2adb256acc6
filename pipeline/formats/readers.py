"""One reader per transcript layout: each turns the file into ``Line``s (label, time, text).

Readers keep the text as written; annotations are stripped and labels judged later
(``pipeline.formats.convert``). Times are seconds from the start of the conversation, or None
where the layout has none.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import InputError
from pipeline.formats.labels import classify, looks_like_label

#: A time as tools write it: 0:03, 00:01:02, 1:02:03.5, 0:0:0.0 (Teams), 00:00:01,000 (SRT).
TIME = r"\d{1,2}(?::\d{1,2}){1,2}(?:[.,]\d{1,3})?"
_CUE = re.compile(rf"^\s*({TIME})\s*-->\s*({TIME})")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>(.*?)(?:</v>|(?=<v[\s.])|$)", re.DOTALL)


@dataclass(frozen=True)
class Line:
    """One utterance as a file holds it, before annotations, labels and redaction."""

    label: str | None
    text: str
    start: float | None = None
    end: float | None = None


def seconds(time: str) -> float:
    """``0:03`` / ``01:02:03.500`` / ``00:00:01,000`` as seconds."""
    whole, _sep, frac = time.replace(",", ".").partition(".")
    total = 0
    for part in whole.split(":"):
        total = total * 60 + int(part)
    return total + (int(frac.ljust(3, "0")[:3]) / 1000 if frac else 0.0)


# ------------------------------------------------------------------ subtitles (WebVTT, SRT)


def _unescape(text: str) -> str:
    """Cue text without its tags (``<c>``, ``<i>``, ``<00:01.000>``) and entities."""
    return html.unescape(re.sub(r"<[^>]+>", "", text)).replace("\xa0", " ")


def read_subtitles(text: str) -> list[Line]:
    """WebVTT (Teams ``<v Name>``, Zoom ``Name: text``) and SRT cues; NOTE/STYLE blocks skipped."""
    lines: list[Line] = []
    for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        rows = [r for r in block.strip().split("\n") if r.strip()]
        cue = next((i for i, r in enumerate(rows) if _CUE.match(r)), None)
        if cue is None:
            continue
        m = _CUE.match(rows[cue])
        assert m is not None
        start, end = seconds(m.group(1)), seconds(m.group(2))
        body = "\n".join(rows[cue + 1 :])
        voices = _VOICE.findall(body)
        if voices:
            for label, said in voices:
                name = html.unescape(label).strip()
                lines.append(Line(name, _unescape(said).replace("\n", " "), start, end))
            continue
        lines.append(Line(None, _unescape(body).replace("\n", " "), start, end))
    return split_labels(lines)


# ------------------------------------------------------------------ plain text, Otter, DOCX

_L = r"(?P<label>[^\W\d][^:\[\]\n]{0,59}?)"
_T = rf"[\(\[]?(?P<time>{TIME})[\)\]]?"
_FORMS = (
    ("time-label-text", re.compile(rf"^{_T}\s+{_L}\s*:\s*(?P<text>.*)$")),  # [00:01:02] Jan: hoi
    ("label-time-text", re.compile(rf"^{_L}\s*[\(\[](?P<time>{TIME})[\)\]]\s*:?\s*(?P<text>.*)$")),
    ("label-time", re.compile(rf"^{_L}\s*(?:[|\u2013-]\s*)?{_T}$")),  # Otter: "Jan de Vries  0:03"
    ("time-label", re.compile(rf"^{_T}\s+{_L}$")),  # "0:03 Jan de Vries"
    ("time", re.compile(rf"^{_T}$")),  # Google Meet: a time paragraph now and then
    ("label-text", re.compile(rf"^{_L}\s*:\s*(?P<text>.*)$")),  # Jan de Vries: hoi
)
#: What the tools write around the conversation: never anyone's words.
_BOILERPLATE = re.compile(
    r"^(?:transcribed by https?://otter\.ai.*|.{1,80} (?:started|stopped) transcription"
    r"|(?:meeting|transcription|recording) ended after .*"
    r"|this editable transcript was computer generated.*|transcript|attendees.*)$",
    re.IGNORECASE,
)
_MINE_VIEW = re.compile(r"^\[(\d+):(\d\d):(\d\d)\.(\d)(?: (customer|rep))?\] (.*?)( \(\?\))?$")


def _shape(row: str) -> tuple[str, dict[str, str]] | None:
    """The layout of one row and its parts, if it has a speaker label or a time (a label in
    lower case too: ``_accepted`` asks more of those)."""
    for name, pattern in _FORMS:
        m = pattern.match(row)
        if m and (name == "time" or looks_like_label(m.group("label"), lower=True)):
            return name, {k: v for k, v in m.groupdict().items() if v is not None}
    return None


def _accepted(shapes: list[tuple[str, dict[str, str]] | None]) -> set[str]:
    """The labels that are speakers: a role or placeholder, a label used twice or given with a
    time, or a capitalised name when the file has two labelled rows or more; a name in lower
    case ("sanne:") only when it is used twice."""
    counts = Counter(s[1]["label"].strip() for s in shapes if s and "label" in s[1])
    timed = {s[1]["label"].strip() for s in shapes if s and "label" in s[1] and "time" in s[1]}
    many = sum(c for c in counts.values()) >= 2
    out = set()
    for label, n in counts.items():
        if classify(label).kind in ("role", "placeholder") or n >= 2:
            out.add(label)
        elif looks_like_label(label) and (label in timed or many):
            out.add(label)
    return out


def read_rows(rows: list[str]) -> list[Line]:
    """Lines of text (a .txt file, or a .docx's paragraphs) in any of the layouts in
    ``_FORMS``, or mine's own .txt view.

    Rows without a label continue the utterance of the speaker before them (a header
    "Name  0:03", or "Name: text" wrapped over rows) until a blank row or the next label;
    without any speaker label, each row (or paragraph) is one utterance. Rows before
    the first label of a labelled file are a preamble (title, date, attendees) and left out, as
    are the tools' own notes ("Transcribed by https://otter.ai", "… stopped transcription").
    A bare time row (Google Meet writes one every five minutes) marks no utterance's start.
    """
    rows = [r.strip() for r in rows]
    rows = ["" if _BOILERPLATE.match(r) else r for r in rows]
    if any(_MINE_VIEW.match(r) for r in rows[:5]):
        return _mine_view(rows)
    shapes = [_shape(r) if r else None for r in rows]
    speakers = _accepted(shapes)
    if not speakers:
        return [Line(None, r) for r in rows if r]
    lines: list[Line] = []
    label: str | None = None
    time: float | None = None
    held: list[str] = []  # text under a header, until it ends

    def flush() -> None:
        if held:
            lines.append(Line(label, " ".join(held), time))
            held.clear()

    for row, shape in zip(rows, shapes, strict=True):
        if not row:
            flush()
            continue
        kind, parts = shape if shape else ("", {})
        if "label" in parts and parts["label"].strip() not in speakers:
            kind, parts = "", {}
        if kind == "time":
            continue
        if not kind:
            held.append(row)
            continue
        flush()
        if "time" in parts:
            time = seconds(parts["time"])
        if "label" in parts:
            label = parts["label"].strip()
        if parts.get("text", "").strip():
            held.append(parts["text"])
    flush()
    if speakers:
        first = next((i for i, x in enumerate(lines) if x.label is not None), len(lines))
        lines = lines[first:]
    return lines


def _mine_view(rows: list[str]) -> list[Line]:
    """mine's own .txt view: ``[00:01:02.3 customer] text``."""
    out = []
    for row in rows:
        m = _MINE_VIEW.match(row)
        if m:
            h, mi, s, tenth, who, body, _unsure = m.groups()
            out.append(Line(who, body, int(h) * 3600 + int(mi) * 60 + int(s) + int(tenth) / 10))
        elif row:
            out.append(Line(None, row))
    return out


def docx_rows(raw: bytes, path: Path) -> list[str]:
    """The paragraphs of a .docx as rows (and its table rows, cells joined as
    ``label (time): text``)."""
    import docx  # python-docx: only when a .docx is read

    _check_zip(raw, path)
    try:
        document = docx.Document(io.BytesIO(raw))
        rows: list[str] = []
        for block in document.element.body.iterchildren():
            tag = block.tag.rsplit("}", 1)[-1]
            if tag == "p":
                text = "".join(t.text or "" for t in block.iter() if t.tag.endswith("}t"))
                rows += text.split("\n")
            elif tag == "tbl":
                table = docx.table.Table(block, document)
                rows += [_table_row([c.text.strip() for c in row.cells]) for row in table.rows]
    except Exception as exc:  # lxml or python-docx on a damaged file: one line, not a crash
        raise InputError(
            f"{path}: not a readable .docx ({type(exc).__name__}); save it again from Word, or "
            "export the transcript as .txt or .vtt"
        ) from None
    return rows


#: The most a .docx may hold unpacked: a Word transcript of a day of meetings is a few MB, and
#: reading one takes about 20 times its unpacked size in memory.
DOCX_UNPACKED_CAP = 32 * 1024 * 1024


def _check_zip(raw: bytes, path: Path) -> None:
    """Refuse a .docx that is not a Word document or would unpack to more than
    ``DOCX_UNPACKED_CAP`` (a zip bomb), before anything is unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            names = set(z.namelist())
            unpacked = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InputError(
            f"{path}: not a readable .docx ({type(exc).__name__}); save it again from Word, or "
            "export the transcript as .txt or .vtt"
        ) from None
    if "word/document.xml" not in names:
        raise InputError(
            f"{path}: a zip file but not a Word document (no word/document.xml); export the "
            "transcript as .docx, .txt or .vtt"
        )
    if unpacked > DOCX_UNPACKED_CAP:
        raise InputError(
            f"{path}: unpacks to {unpacked // 2**20} MB, more than mine reads of one .docx "
            f"({DOCX_UNPACKED_CAP // 2**20} MB); split the transcript or export it as .txt"
        )


def _table_row(cells: list[str]) -> str:
    """A transcript table's row (speaker | time | text, in any order) as one text row."""
    cells = list(dict.fromkeys(c for c in cells if c))  # merged cells repeat
    time = next((c for c in cells if re.fullmatch(rf"[\(\[]?{TIME}[\)\]]?", c)), None)
    rest = [c for c in cells if c != time]
    if len(rest) >= 2 and looks_like_label(rest[0]):
        head = f"{rest[0]} ({time.strip('[]()')})" if time else rest[0]
        return f"{head}: {' '.join(rest[1:])}"
    return " ".join(cells)


# ------------------------------------------------------------------ JSON of other tools


def read_segments(data: dict, path: Path) -> list[Line]:
    """WhisperX / faster-whisper style JSON: ``segments`` with ``start``, ``end``, ``text`` and
    (after diarization) ``speaker``."""
    segments = data.get("segments")
    if not isinstance(segments, list):
        raise InputError(f"{path}: JSON without 'segments'; {_JSON_HINT}")
    lines = []
    for i, seg in enumerate(segments):
        if not isinstance(seg, dict) or not isinstance(seg.get("text", ""), str):
            raise InputError(f"{path}: segments[{i}] is not a segment with text; {_JSON_HINT}")
        start, end = _number(seg.get("start")), _number(seg.get("end"))
        speaker = seg.get("speaker")
        lines.append(Line(str(speaker) if speaker else None, seg.get("text", ""), start, end))
    return lines


_JSON_HINT = "pass mine's own transcript JSON or a WhisperX/faster-whisper JSON with 'segments'"


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 <= value < 1e7 else None


def split_labels(lines: list[Line]) -> list[Line]:
    """Unlabelled subtitle cues written ``Name: text`` (Zoom, SRT) get their label."""
    shapes = [_shape(x.text.strip()) if x.label is None else None for x in lines]
    shapes = [s if s and s[0] == "label-text" else None for s in shapes]
    speakers = _accepted(shapes)
    out = []
    for x, s in zip(lines, shapes, strict=True):
        if s and s[1]["label"].strip() in speakers:
            out.append(Line(s[1]["label"].strip(), s[1].get("text", ""), x.start, x.end))
        else:
            out.append(x)
    return out


def load_json_object(text: str, path: Path) -> dict:
    """The top-level JSON object of a transcript file."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(f"{path}: not valid JSON ({exc}); {_JSON_HINT}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: the JSON is not an object; {_JSON_HINT}")
    return data
