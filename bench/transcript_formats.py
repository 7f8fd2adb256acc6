"""Reading transcripts of other tools: throughput (MB/s) per layout.

Each fixture of tests/fixtures/transcripts is repeated, times shifted, until it is about 1 MB
(a few days of meetings), then read three ways in this process, best of 3:

- baseline: decoding the bytes and splitting them into rows (what any reader must do);
- parse: ``pipeline.formats.parse`` (layout detection, labels, times);
- full: parse + ``to_transcript`` (annotations, roles, redaction: the labelled names, the rules
  and the English named-entity model in batches): what ``mine run`` does per file.

    .venv/bin/python bench/transcript_formats.py
"""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

from pipeline.formats import parse
from pipeline.formats.convert import to_transcript
from pipeline.formats.decode import decode_text
from pipeline.privacy import ner_for

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "transcripts"
TARGET = 1024 * 1024
CASES = {
    "webvtt (Teams)": "teams.vtt",
    "webvtt (Zoom)": "zoom.vtt",
    "srt": "meeting.srt",
    "otter txt": "otter.txt",
    "plain Name: text": "plain_colon.txt",
    "plain [time] Name:": "plain_bracket_time.txt",
    "whisperx json": "whisperx.json",
    "docx (Teams)": "teams.docx",
}


def _big_text(name: str) -> bytes:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    if name.endswith(".json"):
        head, _, rest = text.partition('"segments": [')
        body = rest.rsplit("]", 1)[0] if rest else ""
        if not body:  # one-line WhisperX output
            head, _, rest = text.partition('"segments":[')
            body = rest.split('],"word_segments"')[0]
        n = TARGET // max(len(body), 1) + 1
        return (head + '"segments": [' + ",".join([body] * n) + "]}").encode()
    body = text.split("\n", 2)[2] if text.startswith("WEBVTT") else text
    out, hours = [text], 1
    while sum(len(x) for x in out) < TARGET:
        out.append(re.sub(r"\b0?0:", f"{hours % 10}:", body))  # later hours
        hours += 1
    return "\n\n".join(out).encode()


def _big_docx(name: str) -> bytes:
    import docx

    src = docx.Document(str(FIXTURES / name))
    paragraphs = [p.text for p in src.paragraphs]
    doc = docx.Document()
    size = 0
    while size < TARGET:
        for text in paragraphs:
            doc.add_paragraph(text)
            size += len(text.encode()) + 1
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue(), size  # type: ignore[return-value]


def _best(fn, repeat: int = 3) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def _measure(label: str, name: str) -> None:
    """One layout's line: MB read, and MB/s of the baseline, parse and parse + convert."""
    if name.endswith(".docx"):
        import docx

        raw, text_size = _big_docx(name)
        base = _best(lambda: docx.Document(io.BytesIO(raw)).paragraphs)
    else:
        raw = _big_text(name)
        text_size = len(raw)
        base = _best(lambda: decode_text(raw, Path(name)).split("\n"))
    mb = text_size / 2**20
    parse_t = _best(lambda: parse(raw, Path(name)))
    parsed = parse(raw, Path(name))
    convert_t = _best(
        lambda: to_transcript(parsed, call_id="b", source=name, language="en"), repeat=1
    )
    full_t = parse_t + convert_t
    print(
        f"{label:22} {mb:5.1f} {mb / base:14.1f} {mb / parse_t:11.1f} {mb / full_t:10.2f} "
        f"{parse_t / base:10.1f}x"
    )


def main() -> None:
    ner_for("en")  # loaded once, outside the timings
    print(
        f"{'layout':22} {'MB':>5} {'baseline MB/s':>14} {'parse MB/s':>11} {'full MB/s':>10} "
        f"{'parse/base':>10}"
    )
    for label, name in CASES.items():
        _measure(label, name)


if __name__ == "__main__":
    main()
