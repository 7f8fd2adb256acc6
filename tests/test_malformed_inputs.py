"""Malformed files fed to every command: one line naming the file, exit 1 or 2, no traceback.

Each case runs the real `mine` command once; cases that one command can take together (several
transcripts for `mine terms`) share a run, so the file stays near a minute on a slow machine.
"""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest

from tests.conftest import consented, run_mine

RNG = random.Random(20)
BINARY = RNG.randbytes(4096)
DEEP = b"[" * 200_000 + b"]" * 200_000
HUGE_LINE = b"x" * 3_000_000
INVALID_UTF8 = b"\xc3\x28\xa0\xa1\xfe"
NUL = b"\0" * 64


def _one_line(result: subprocess.CompletedProcess, name: str, codes: tuple[int, ...]) -> str:
    """The single error line of a failed run, checked to name ``name``."""
    assert "Traceback" not in result.stdout + result.stderr, result.stderr[-3000:]
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert result.returncode in codes, (result.returncode, result.stderr[-2000:])
    assert len(lines) == 1, result.stderr[-3000:]
    assert name in lines[0], lines[0]
    return lines[0]


def _transcript(**changes: object) -> dict:
    data = {
        "call_id": "c" * 64,
        "source": "visit.m4a",
        "language": "en",
        "language_probability": 1.0,
        "model": {"name": "base", "sha256": "9" * 64, "source": "test"},
        "options": {},
        "duration": 4.0,
        "redacted": True,
        "utterances": [
            {
                "idx": 0,
                "start": 0.0,
                "end": 4.0,
                "speaker": "customer",
                "text": "The spare parts take six weeks.",
            }
        ],
    }
    data.update(changes)
    return data


# ---- mine terms: one run, every bad transcript named on its own line, the good ones counted ----


def test_terms_names_each_malformed_transcript_once(tmp_path: Path) -> None:
    good = json.dumps(_transcript()).encode()
    wrong = json.dumps(_transcript(utterances=[{"idx": 0, "start": 0, "end": 1, "text": 5}]))
    bad = {
        "empty.txt": b"",
        "binary.txt": BINARY,
        "nul.txt": b"Customer: the spare parts" + NUL + b" take six weeks to arrive.\n",
        "huge-line.txt": HUGE_LINE,
        "binary.srt": BINARY[:1500],
        "utf16-no-cues.srt": "Customer: words, but no cue times at all\n".encode("utf-16"),
        "binary.vtt": BINARY[1500:],
        "empty.json": b"",
        "truncated.json": good[: len(good) // 2],
        "wrong-types.json": wrong.encode(),
        "deep.json": DEEP,
        "invalid-utf8.json": INVALID_UTF8 + good,
        "utf16-list.json": "[1, 2, 3]".encode("utf-16"),
        "nul.json": good.replace(b'"The', b'"\0The'),
    }
    folder = tmp_path / "in"
    folder.mkdir()
    for name, data in bad.items():
        (folder / name).write_bytes(data)
    (folder / "good.txt").write_text("Customer: The spare parts for the boiler are late.\n")
    (folder / "good-utf16.txt").write_bytes(
        "Customer: The boiler needs spare parts again.\n".encode("utf-16")
    )
    result = run_mine(
        "terms", *map(str, sorted(folder.iterdir())), "--out", str(tmp_path / "t"), "-q"
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr[-3000:]
    assert result.returncode == 1
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    for name in bad:
        named = [ln for ln in lines if f"{folder / name}:" in ln]
        assert len(named) == 1, (name, result.stderr[-3000:])
    assert len(lines) == len(bad), result.stderr[-3000:]
    meta = json.loads((tmp_path / "t" / "terms.json").read_text())["meta"]
    assert meta["conversations"] == 2  # UTF-16 is text, read as such


def test_terms_refuses_a_raw_transcript_and_an_unknown_language(tmp_path: Path) -> None:
    raw = tmp_path / "visit.raw.json"
    raw.write_text(json.dumps(_transcript(redacted=False)))
    _one_line(run_mine("terms", str(raw), "--out", str(tmp_path / "t")), str(raw), (1,))
    good = tmp_path / "good.txt"
    good.write_text("Customer: The spare parts are late.\n")
    line = _one_line(run_mine("terms", str(good), "--language", "xx"), "--language", (2,))
    assert "'xx'" in line and "nl" in line


# ---- mine transcribe: bad flags ----


def test_transcribe_bad_language_and_a_model_that_is_a_file(tmp_path: Path) -> None:
    audio = consented(tmp_path / "rec", "nl_rhasspy_1041_1601732709.wav")
    line = _one_line(run_mine("transcribe", str(audio), "--language", "xx"), "--language", (2,))
    assert "'xx'" in line and " nl," in line
    weights = tmp_path / "weights.bin"
    weights.write_bytes(BINARY)
    line = _one_line(
        run_mine("transcribe", str(audio), "--model", str(weights)), str(weights), (2,)
    )
    assert "is a file" in line and "base, tiny.en" in line
    assert sorted(p.name for p in audio.parent.iterdir()) == [
        audio.name,
        f"{audio.name}.consent.toml",
    ]


# ---- a bad --config file, for each command ----

CONFIGS = {
    "binary": BINARY,
    "utf16": '[transcribe]\nmodel = "base"\n'.encode("utf-16"),
    "nul": b"[crawl]\ndelay = 1" + NUL + b"\n",
    "deep": b"a = " + DEEP,
    "huge-line": HUGE_LINE,
    "truncated": b'[transcribe]\nmodel = "ba',
    "wrong-types": b'[crawl]\ndelay = "soon"\n',
    "nan": b"[crawl]\ntime_budget = nan\n",
}
COMMANDS = {
    "terms": ["terms", "x.txt"],
    "gap": ["gap", "--terms", "t", "--pages", "s"],
    "report": ["report", "--gap", "g"],
    "crawl": ["crawl", "site/"],
    "transcribe": ["transcribe", "a.wav"],
}


@pytest.mark.parametrize(
    ("kind", "command"), list(zip(CONFIGS, [*COMMANDS, *COMMANDS], strict=False))
)
def test_bad_config_file(tmp_path: Path, kind: str, command: str) -> None:
    path = tmp_path / f"{kind}.toml"
    path.write_bytes(CONFIGS[kind])
    _one_line(run_mine(*COMMANDS[command], "--config", str(path)), str(path), (2,))


# ---- mine gap: damaged terms.json and pages.jsonl ----

TERMS = {
    "meta": {"conversations": 1, "languages": {"en": 1}, "pipelines": {}, "sources": []},
    "terms": [
        {
            "term": "spare parts",
            "key": "spare part",
            "language": "en",
            "conversations": 1,
            "mentions": 2,
            "customers": 1,
            "score": 1.5,
            "evidence": [{"call_id": "c", "source": "a", "start": 1.0, "text": "spare parts"}],
        }
    ],
}
PAGE = {"url": "https://a.example/", "title": "A", "text": "We sell spare parts.", "lang": "en"}


def _json(change=None, data=TERMS) -> bytes:
    copy = json.loads(json.dumps(data))
    if change:
        change(copy)
    return json.dumps(copy).encode()


TERMS_CASES = {  # "empty" is the report's case: the same reader
    "truncated": _json()[:100],
    "wrong-types": _json(lambda d: d["terms"][0].update(mentions="two", score=[1])),
    "bad-row": _json(lambda d: d["terms"].append("spare parts")),
    "missing-keys": _json(lambda d: d["terms"][0].pop("evidence")),
    "deep": b'{"meta": ' + DEEP + b"}",
    "utf16": _json().decode().encode("utf-16"),
}
PAGES_CASES = {
    "empty": b"\n\n",
    "binary": BINARY,
    "nul": NUL + b"\n",
    "invalid-utf8": _json(data=PAGE).replace(b"We sell", INVALID_UTF8) + b"\n",
    "huge-line": HUGE_LINE + b"\n",
    "bad-row": _json(data=PAGE) + b"\n" + _json(lambda d: d.update(text=None), PAGE) + b"\n",
}


@pytest.mark.parametrize(
    ("which", "kind"),
    [("terms", k) for k in TERMS_CASES] + [("pages", k) for k in PAGES_CASES],
)
def test_gap_with_a_damaged_input(tmp_path: Path, which: str, kind: str) -> None:
    terms, site = tmp_path / "terms", tmp_path / "site"
    terms.mkdir(), site.mkdir()
    (terms / "terms.json").write_bytes(TERMS_CASES[kind] if which == "terms" else _json())
    pages = PAGES_CASES[kind] if which == "pages" else _json(data=PAGE) + b"\n"
    (site / "pages.jsonl").write_bytes(pages)
    name = str(terms / "terms.json") if which == "terms" else str(site / "pages.jsonl")
    out = tmp_path / "gap"
    _one_line(
        run_mine("gap", "--terms", str(terms), "--pages", str(site), "--out", str(out)), name, (1,)
    )
    assert not out.exists()


# ---- mine report: a damaged or hand-edited gap.json ----

GAP = {
    "meta": {"terms": TERMS["meta"], "pages": 1, "status_counts": {"missing": 1}},
    "gaps": [
        {
            "term": "spare parts",
            "key": "spare part",
            "language": "en",
            "status": "missing",
            "score": 1.2,
            "customer_conversations": 1,
            "customer_mentions": 2,
            "customers": 1,
            "site_mentions": 0,
            "suggested_pages": [{"url": "https://a.example/", "title": "A", "similarity": 0.3}],
            "evidence": TERMS["terms"][0]["evidence"],
        }
    ],
    "jargon": [],
    "pages": [],
}
GAP_CASES = {
    "empty": b"",
    "binary": BINARY,
    "truncated": _json(data=GAP)[:150],
    "wrong-types": _json(lambda d: d["gaps"][0].update(score="1.2", customer_mentions=None), GAP),
    "nested-junk": _json(lambda d: d.update(jargon=[[[{"term": [[1]]}]]]), GAP),
    "deep": b'{"gaps": ' + DEEP + b"}",
    "huge-line": HUGE_LINE,
    "utf16": _json(data=GAP).decode().encode("utf-16"),
    "nul": _json(data=GAP).replace(b'"missing"', b'"miss\0ing"', 1) + NUL,
    "invalid-utf8": INVALID_UTF8 + _json(data=GAP),
}


@pytest.mark.parametrize("kind", list(GAP_CASES))
def test_report_with_a_damaged_gap_json(tmp_path: Path, kind: str) -> None:
    (tmp_path / "gap").mkdir()
    (tmp_path / "gap" / "gap.json").write_bytes(GAP_CASES[kind])
    out = tmp_path / "report.html"
    result = run_mine("report", "--gap", str(tmp_path / "gap"), "--out", str(out))
    _one_line(result, str(tmp_path / "gap" / "gap.json"), (1,))
    assert not out.exists()


def test_report_accepts_the_good_gap_json() -> None:
    """The fixtures above differ from a good file only where they are meant to."""
    from pipeline.records import GapFile
    from pipeline.shapes import shape_problem

    GAP_SHAPE = GapFile.SHAPE  # noqa: N806 - the shape mine report reads gap.json with
    assert shape_problem(GAP, GAP_SHAPE) is None
    assert GapFile.from_dict(GAP).to_dict() == GAP


# ---- mine crawl: a local site export or sitemap file (crawl/folder.py, crawl/sitemaps.py) ----

CRAWL_CASES = {
    "empty-folder": None,
    "binary-page": BINARY,
    "binary-sitemap.xml": BINARY,
    "truncated-sitemap.xml": b'<?xml version="1.0"?><urlset><url><loc>https://a.example/</lo',
    "deep-sitemap.xml": b"<a>" * 100_000 + b"</a>" * 100_000,
}


@pytest.mark.parametrize("kind", list(CRAWL_CASES))
def test_crawl_of_a_damaged_local_site(tmp_path: Path, kind: str) -> None:
    if kind.endswith(".xml"):
        target = tmp_path / kind
        target.write_bytes(CRAWL_CASES[kind])
    else:
        target = tmp_path / kind
        target.mkdir()
        if CRAWL_CASES[kind] is not None:
            (target / "index.html").write_bytes(CRAWL_CASES[kind])
    result = run_mine("crawl", str(target), "--out", str(tmp_path / "out"), "--delay", "0")
    _one_line(result, target.name, (1, 2))


# ---- not files, and files of hostile size: refused at once, never waited on or read on ----


def test_fifos_and_devices_are_refused_not_waited_on(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "fifo.txt")
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    (tmp_path / "terms").mkdir(), (tmp_path / "site").mkdir(), (tmp_path / "gap").mkdir()
    os.mkfifo(tmp_path / "terms" / "terms.json")
    (tmp_path / "site" / "pages.jsonl").write_bytes(_json(data=PAGE) + b"\n")
    os.mkfifo(tmp_path / "gap" / "gap.json")
    runs = {
        str(tmp_path / "fifo.txt"): ["terms", str(tmp_path / "fifo.txt")],
        str(tmp_path / "zero.txt"): ["terms", str(tmp_path / "zero.txt")],
        "/dev/zero: unsupported": ["terms", "/dev/zero"],
        str(tmp_path / "terms" / "terms.json"): [
            "gap",
            "--terms",
            str(tmp_path / "terms"),
            "--pages",
            str(tmp_path / "site"),
        ],
        str(tmp_path / "gap" / "gap.json"): ["report", "--gap", str(tmp_path / "gap")],
        "/dev/zero: a device": ["report", "--gap", "/dev/zero"],
    }
    for name, args in runs.items():
        result = run_mine(*args, "--out", str(tmp_path / "out"), timeout=60)
        line = _one_line(result, name, (1,))
        assert "not a regular file" in line or "unsupported transcript type" in line, line
    assert not (tmp_path / "out").exists()


def test_a_huge_number_in_one_transcript_leaves_the_others_counted(tmp_path: Path) -> None:
    good = json.dumps(_transcript())
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.json").write_text(good)
    (folder / "huge.json").write_text(good.replace('"start": 0.0', '"start": 1' + "0" * 400))
    (folder / "longer.json").write_text(good.replace('"end": 4.0', '"end": 1' + "0" * 5000))
    result = run_mine("terms", str(folder), "--out", str(tmp_path / "t"), "-q")
    assert "Traceback" not in result.stderr and result.returncode == 1, result.stderr[-3000:]
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 2, lines
    assert f"{folder / 'huge.json'}: " in lines[0] and "401-digit number" in lines[0]
    assert f"{folder / 'longer.json'}: " in lines[1] and "5001 digits" in lines[1]
    assert json.loads((tmp_path / "t" / "terms.json").read_text())["meta"]["conversations"] == 1


def test_when_every_transcript_fails_each_is_named_on_its_own_line(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    bad = {"empty.txt": b"", "binary.txt": BINARY, "truncated.json": b'{"call_id": "c'}
    for name, data in bad.items():
        (folder / name).write_bytes(data)
    result = run_mine("terms", str(folder), "--out", str(tmp_path / "t"))
    assert "Traceback" not in result.stderr and result.returncode == 1, result.stderr[-3000:]
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    for name in bad:
        assert len([ln for ln in lines if name in ln]) == 1, (name, lines)
        assert any(ln.startswith(f"error: {folder / name}: ") for ln in lines), (name, lines)
    assert lines[-1] == "error: none of the 3 transcripts could be read; nothing written", lines
    assert len(lines) == 4 and not (tmp_path / "t").exists()
