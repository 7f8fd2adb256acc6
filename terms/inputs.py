"""Reading transcripts for term extraction: mine's JSON, SRT, VTT and plain text.

Plain text may carry ``Speaker: text`` lines; speaker labels such as Customer/Klant and
Rep/Verkoper/Sales become roles, anything else stays ``unknown``. Text files may be in any
common encoding (``decode_text``); binary files are refused. Everything read is redacted
unless mine wrote it redacted, and an unredacted ``--keep-raw`` file is read only on request.

Also here: ``shape_problem`` and ``read_json``, which check a JSON file a mine stage wrote
where it is read, so a damaged or hand-edited file gets one line, not a traceback.

Every file is read through ``read_bounded``: regular files only (a FIFO or device named by
mistake is refused, never waited on or read without end) and at most a cap (``TRANSCRIPT_CAP``,
``STAGE_FILE_CAP``, ``PAGES_CAP``). Numbers are finite and within ``LARGEST``. A JSON string may
spell a lone UTF-16 surrogate (``"\\ud800"``), which no file can hold as UTF-8: in a transcript
(often another tool's) it becomes U+FFFD; in a file a mine stage wrote it is refused, naming the
field. A file name that is not valid UTF-8 is shown with U+FFFD in messages and outputs
(``shown``).
"""

from __future__ import annotations

import codecs
import hashlib
import json
import math
import os
import re
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pipeline.config import TERM_LANGUAGES
from pipeline.errors import InputError
from pipeline.privacy import Redactor, guess_language, ner_for
from pipeline.records import SPEAKERS, Transcript, Utterance

SUFFIXES = (".json", ".srt", ".vtt", ".txt")
#: ``mine transcribe --keep-raw`` writes the transcript before PII redaction under this ending.
RAW_SUFFIX = ".raw.json"
#: An utterance longer than this is cut at sentence ends (a whole call on one line of a .txt).
MAX_UTTERANCE = 2000
_CUSTOMER = {"customer", "klant", "client", "cliënt", "prospect", "buyer", "koper", "opdrachtgever"}
_REP = {
    "rep",
    "sales",
    "salesperson",
    "verkoper",
    "adviseur",
    "accountmanager",
    "account manager",
    "seller",
    "vertegenwoordiger",
    "consultant",
    "sales rep",
    "interviewer",
    "marketeer",
}
_LABEL = re.compile(r"^\s*([A-Za-zÀ-ÿ][\wÀ-ÿ .'-]{0,30}?)\s*(\d+)?\s*:\s+(.*)$")
_TIME = r"(\d{1,2}:)?(\d{1,2}):(\d{2})[,.](\d{1,3})"
_CUE = re.compile(rf"^{_TIME}\s*-->\s*{_TIME}")


@dataclass(frozen=True)
class Conversation:
    """One conversation's utterances, whatever file format they came from."""

    call_id: str
    source: str
    language: str | None
    utterances: tuple[Utterance, ...]
    model: str = ""  # the speech model that made a mine transcript: "base 905e5bf8336b"

    @property
    def roles_known(self) -> bool:
        """True if any utterance is attributed to the customer or the rep."""
        return any(u.speaker in ("customer", "rep") for u in self.utterances)


def role_of(label: str) -> str:
    """Map a speaker label to customer, rep or unknown."""
    low = re.sub(r"\s*\d+$", "", label.strip().lower())
    if low in _CUSTOMER:
        return "customer"
    if low in _REP:
        return "rep"
    return "unknown"


def _seconds(groups: tuple[str | None, ...]) -> float:
    h, m, s, frac = groups
    return int(h[:-1] if h else 0) * 3600 + int(m) * 60 + int(s) + int(frac.ljust(3, "0")) / 1000


def _from_subtitles(text: str) -> list[Utterance]:
    utterances: list[Utterance] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = [ln for ln in block.strip().splitlines() if ln.strip()]
        cue = next((i for i, ln in enumerate(lines) if _CUE.match(ln.strip())), None)
        if cue is None:
            continue
        m = _CUE.match(lines[cue].strip())
        assert m is not None
        start, end = _seconds(m.groups()[:4]), _seconds(m.groups()[4:])
        body = " ".join(lines[cue + 1 :]).strip()
        speaker = "unknown"
        voice = re.match(r"^<v(?:\.[\w.]+)?\s+([^>]+)>", body)
        if voice:
            speaker = role_of(voice.group(1))
        else:
            label = _LABEL.match(body)
            if label and role_of(label.group(1)) != "unknown":
                speaker, body = role_of(label.group(1)), label.group(3)
        body = re.sub(r"<[^>]+>", "", body)
        body = body.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()
        if body:
            utterances.append(Utterance(len(utterances), start, end, speaker, body))
    return utterances


_MINE_TXT = re.compile(r"^\[(\d+):(\d\d):(\d\d)\.(\d)(?: (customer|rep))?\] (.*?)( \(\?\))?$")


def _from_text(text: str) -> list[Utterance]:
    utterances: list[Utterance] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        view = _MINE_TXT.match(line.strip())
        if view:  # mine's own .txt view: "[00:01:02.3 customer] text"
            h, m, s, tenth, who, body, unsure = view.groups()
            start = int(h) * 3600 + int(m) * 60 + int(s) + int(tenth) / 10
            flags = ("low-confidence",) if unsure else ()
            utterances.append(
                Utterance(len(utterances), start, start, who or "unknown", body, flags=flags)
            )  # type: ignore[arg-type]
            continue
        speaker, body = "unknown", line.strip()
        label = _LABEL.match(line)
        if label:
            role = role_of(label.group(1))
            if role != "unknown" or re.fullmatch(r"(speaker|spreker|s)\s*", label.group(1).lower()):
                speaker, body = role, label.group(3).strip()
        # plain text has no times: the line number stands in for the start time
        utterances.append(
            Utterance(
                len(utterances), float(len(utterances)), float(len(utterances)), speaker, body
            )
        )  # type: ignore[arg-type]
    return utterances


# ---- shapes: what a JSON file mine wrote must look like, checked once where it is read ----


class Number:
    """Shape of a finite JSON number (not true/false); ``Number(0)`` also refuses negatives."""

    def __init__(self, minimum: float | None = None) -> None:
        """Set the smallest allowed value, if any."""
        self.minimum = minimum


class MapOf:
    """Shape of a JSON object with any keys whose values all have ``shape``."""

    def __init__(self, shape: Any) -> None:
        """Set the shape of every value."""
        self.shape = shape


#: A finite number, and one of 0 or more (counts, scores, seconds).
NUMBER, AMOUNT = Number(), Number(0)
#: No number mine reads may be larger than this (a trillion seconds is 31,700 years), so sums of
#: many of them stay finite: a 400-digit integer or 1e308 is refused where it is read.
LARGEST = 1e12


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "an object"


def _wanted(shape: Any) -> str:
    if isinstance(shape, tuple):
        return " or ".join(_wanted(s) for s in shape)
    if isinstance(shape, Number):
        return "a number" if shape.minimum is None else f"a number of {shape.minimum:g} or more"
    if isinstance(shape, frozenset):
        return "one of " + ", ".join(sorted(shape))
    if isinstance(shape, dict | MapOf):
        return "an object"
    if isinstance(shape, list):
        return "a list"
    return {str: "text", bool: "true/false", None: "null"}.get(shape, "something else")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fits(value: Any, shape: Any) -> bool:
    """Whether ``value`` has the scalar ``shape`` (containers are walked by ``shape_problem``)."""
    if shape is object:
        return True
    if shape is None:
        return value is None
    if isinstance(shape, Number):
        return (  # int/float comparisons are exact: no overflow for a 400-digit integer
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and -LARGEST <= value <= LARGEST  # also false for NaN and infinities
            and (shape.minimum is None or value >= shape.minimum)
        )
    if isinstance(shape, frozenset):
        return isinstance(value, str) and value in shape
    if shape is str:
        return isinstance(value, str)
    if shape is bool:
        return isinstance(value, bool)
    raise TypeError(f"unknown shape {shape!r}")


def shape_problem(value: Any, shape: Any, where: str = "") -> str | None:
    """Say where ``value`` differs from ``shape``, or return None when it fits.

    Shapes: ``str``, ``bool``, ``None``, ``object`` (anything), a ``Number``, a frozenset of
    allowed strings, a tuple (any of its shapes), ``[shape]`` (a list of it), ``MapOf(shape)``
    and ``{"key": shape, "optional?": shape}`` (an object; other keys are ignored). The answer
    names the place by keys and indices only, never by the file's text, so it stays one line.

    Example:
        >>> shape_problem({"rows": [{"n": "3"}]}, {"rows": [{"n": AMOUNT}]})
        'rows[0].n is text, not a number of 0 or more'
    """
    here = where or "the top level"
    if isinstance(shape, tuple):
        if any(shape_problem(value, s, where) is None for s in shape):
            return None
        return f"{here} is {_kind(value)}, not {_wanted(shape)}"
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return f"{here} is {_kind(value)}, not an object"
        for key, sub in shape.items():
            name = key.rstrip("?")
            inner = f"{where}.{name}" if where else name
            if name not in value:
                if key.endswith("?"):
                    continue
                return f"{inner} is missing"
            problem = shape_problem(value[name], sub, inner)
            if problem:
                return problem
        return None
    if isinstance(shape, MapOf):
        if not isinstance(value, dict):
            return f"{here} is {_kind(value)}, not an object"
        for key, item in value.items():
            problem = shape_problem(item, shape.shape, f"{where}[{key[:40]!r}]")
            if problem:
                return problem
        return None
    if isinstance(shape, list):
        if not isinstance(value, list):
            return f"{here} is {_kind(value)}, not a list"
        for i, item in enumerate(value):
            problem = shape_problem(item, shape[0], f"{where}[{i}]")
            if problem:
                return problem
        return None
    if _fits(value, shape):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return f"{here} is {value}, not a finite number"
    if isinstance(shape, Number) and _is_number(value) and abs(value) > LARGEST:
        digits = len(str(abs(value))) if isinstance(value, int) else 0
        size = f"a {digits}-digit number" if digits else f"{value:.3g}"
        return f"{here} is {size}, more than the {LARGEST:.0e} mine accepts"
    if isinstance(value, str) and isinstance(shape, frozenset):
        return f"{here} is {value[:20]!r}, not {_wanted(shape)}"
    return f"{here} is {_kind(value)}, not {_wanted(shape)}"


# ---- reading: regular files only, a size cap, JSON with sane numbers and text ----

_MB = 1024 * 1024
#: The most mine reads of one transcript file.
TRANSCRIPT_CAP = 200 * _MB
#: The most mine reads of one JSON file a stage wrote (terms.json, gap.json, crawl.json).
STAGE_FILE_CAP = 200 * _MB
#: The most mine reads of pages.jsonl (every crawled page's text).
PAGES_CAP = 1024 * _MB
#: Longer integers than this are refused while parsing (Python's int-string conversion limit).
_MAX_DIGITS = 4300
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def shown(path: Path | str) -> str:
    """``path`` as text that can be printed and written: undecodable bytes become U+FFFD.

    A file name that is not valid UTF-8 reaches Python with surrogate escapes
    (``os.fsdecode``); those cannot be written as UTF-8, so messages and outputs use this.
    """
    text = str(path)
    try:
        return os.fsencode(text).decode("utf-8", "replace")
    except UnicodeError:  # a surrogate that no file name decoded to
        return _SURROGATE.sub("\ufffd", text)


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a plain file"


def read_bounded(path: Path, *, cap: int, fix: str, too_large: str, missing: str = "") -> bytes:
    """The bytes of a regular file of at most ``cap`` bytes.

    The file is opened without blocking and checked on the open descriptor, so a FIFO, a
    device such as /dev/zero or a folder is refused at once, never waited on or read on and on.

    Args:
        path: the file.
        cap: the most bytes read; a larger file is refused.
        fix: what to do, ending the message of an unreadable or irregular file.
        too_large: the message's end for a file over ``cap``.
        missing: the message's end for a file that does not exist (default: like unreadable).

    Raises:
        InputError: missing, unreadable, not a regular file or larger than ``cap``, in one line
            naming the file.
    """
    name = shown(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        end = missing or f"cannot be read (No such file or directory); {fix}"
        raise InputError(f"{name}: {end}") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror}); {fix}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{name}: {_file_kind(info.st_mode)}, not a regular file; {fix}")
        if info.st_size > cap:
            raise InputError(f"{name}: larger than {cap // _MB} MB, {too_large}")
        chunks, size = [], 0
        while size <= cap and (chunk := os.read(fd, min(cap + 1 - size, 16 * _MB))):
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror}); {fix}") from None
    finally:
        os.close(fd)
    if size > cap:  # it grew while it was read
        raise InputError(f"{name}: larger than {cap // _MB} MB, {too_large}")
    return b"".join(chunks)


class _HugeNumber(ValueError):
    """An integer too long to be a number mine wrote."""


def _int(digits: str) -> int:
    count = len(digits.lstrip("-"))
    if count > _MAX_DIGITS:
        raise _HugeNumber(f"a number with {count} digits")
    return int(digits)


def load_json(text: str) -> tuple[Any, str | None]:
    """Parse JSON text: the value, or None and what is wrong (one line, no file text).

    Integers longer than 4300 digits are refused here (Python would raise its own
    int-string conversion error); shorter ones too large for a number field are refused by
    ``shape_problem``.
    """
    try:
        return json.loads(text, parse_int=_int), None
    except _HugeNumber as exc:
        return None, f"{exc}, more than mine accepts"
    except RecursionError:
        return None, "nested too deeply"
    except ValueError as exc:
        return None, f"not JSON: {exc}"


def may_hold_surrogates(text: str) -> bool:
    """True when JSON text may spell a lone surrogate: a quick test before the full walk."""
    return _SURROGATE_ESCAPE.search(text) is not None


def surrogate_problem(value: Any, where: str = "") -> str | None:
    """Where a parsed JSON value holds a lone surrogate (in a key or text), or None."""
    here = where or "the top level"
    if isinstance(value, str):
        bad = _SURROGATE.search(value)
        if bad:
            return f"{here} holds the unpaired surrogate \\u{ord(bad.group()):04x}, not text"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if _SURROGATE.search(key):
                return f"a key of {here} holds an unpaired surrogate, not text"
            if key.isidentifier():
                inner = f"{where}.{key[:40]}" if where else key[:40]
            else:
                inner = f"{where}[{key[:40]!r}]"
            problem = surrogate_problem(item, inner)
            if problem:
                return problem
        return None
    if isinstance(value, list):
        for i, item in enumerate(value):
            problem = surrogate_problem(item, f"{where}[{i}]")
            if problem:
                return problem
    return None


def _replace_surrogates(value: Any) -> Any:
    """A parsed JSON value with every lone surrogate in keys and text replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_SURROGATE.sub("\ufffd", k): _replace_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_surrogates(v) for v in value]
    return value


def read_json(path: Path, *, shape: Any, made_by: str, cap: int = STAGE_FILE_CAP) -> Any:
    """Read a JSON file a mine stage wrote and check it has ``shape``.

    A lone surrogate anywhere in it (``"\\ud800"``: mine never writes one) is refused, naming
    the field, so nothing fails later when the data is written again.

    Raises:
        InputError: missing, unreadable, not a regular file, larger than ``cap``, not JSON or
            not of that shape, naming the file and the command (``made_by``) that makes it again.
    """
    raw = read_bounded(
        path,
        cap=cap,
        fix=f"run {made_by} again or check the path",
        too_large=f"more than mine reads of a file {made_by} writes; run {made_by} again",
        missing=f"not found; run {made_by} first and pass its --out folder",
    )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text, data = "", None
        problem = "not UTF-8 JSON: binary, damaged or saved in another encoding"
    else:
        data, problem = load_json(text)
    if not problem:
        problem = shape_problem(data, shape)
    if not problem and may_hold_surrogates(text):
        problem = surrogate_problem(data)
    if problem:
        raise InputError(
            f"{shown(path)}: not what {made_by} writes ({problem}); run {made_by} again"
        )
    return data


#: What ``mine terms`` needs of a transcript JSON (``Transcript.to_dict``); others are ignored.
_WORD_SHAPE = {"word": str, "start": NUMBER, "end": NUMBER, "probability": NUMBER}
TRANSCRIPT_SHAPE = {
    "call_id": str,
    "source?": str,
    "language": (str, None),
    "model": {"name": str, "sha256": str, "source": str},
    "redacted?": bool,
    "utterances": [
        {
            "idx": NUMBER,
            "start": NUMBER,
            "end": NUMBER,
            "speaker?": frozenset(SPEAKERS),
            "text": str,
            "words?": [_WORD_SHAPE],
            "flags?": [str],
            "speaker_id?": str,
            "avg_logprob?": NUMBER,
            "no_speech_prob?": NUMBER,
            "compression_ratio?": NUMBER,
        }
    ],
}


#: An evidence quote, as ``mine terms`` writes it and ``mine gap`` passes it on.
QUOTE_SHAPE = {
    "text": str,
    "start": AMOUNT,
    "call_id?": (str, None),
    "source?": str,
    "speaker?": str,
}
#: The ``meta`` of terms.json (and ``meta.terms`` of gap.json): what later stages read of it.
TERMS_META_SHAPE = {
    "conversations?": AMOUNT,
    "languages?": MapOf(AMOUNT),
    "roles_known?": AMOUNT,
    "pipelines?": MapOf({"pipeline?": str, "version?": str}),
    "options?": MapOf(object),
    "sources?": [
        {
            "call_id?": (str, None),
            "source?": str,
            "language?": (str, None),
            "roles_known?": bool,
            "speech_seconds?": AMOUNT,
            "customer_seconds?": AMOUNT,
            "role_seconds?": AMOUNT,
            "model?": str,
        }
    ],
    "vocabulary?": MapOf(MapOf(object)),
    "failed?": [{"file": str, "error": str}],
    "score?": str,
}


# ---- text: encodings and binary files ----

_BOMS = (  # UTF-32 first: its little-endian mark begins with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_NOT_TEXT = {"Cc", "Cn", "Co", "Cs"}
_BINARY = "not a text file (binary content); pass a transcript as .json, .srt, .vtt or .txt"


def _binary(text: str) -> bool:
    """True when more than 2 % of the characters are control codes, unassigned or undecodable."""
    sample = text[:200_000]
    bad = sum(
        1
        for c in sample
        if c not in "\t\n\r\f\v" and (c == "\ufffd" or unicodedata.category(c) in _NOT_TEXT)
    )
    return bad > 0.02 * len(sample)


def _utf16_without_bom(raw: bytes) -> str | None:
    """Text of UTF-16 without a byte-order mark: NULs in every other byte, in one half only."""
    if len(raw) < 4 or len(raw) % 2:
        return None
    even, odd = raw[0::2].count(0) / (len(raw) / 2), raw[1::2].count(0) / (len(raw) / 2)
    if odd > 0.3 and even < 0.02:  # "C\0u\0s\0": ASCII-range text, little-endian
        codec = "utf-16-le"
    elif even > 0.3 and odd < 0.02:
        codec = "utf-16-be"
    else:
        return None
    try:
        return raw.decode(codec)
    except UnicodeDecodeError:
        return None


def _western(text: str) -> bool:
    """True when accented letters are a minority, as in Dutch, English, French or German text."""
    letters = [c for c in text[:200_000] if c.isalpha()]
    return sum(not c.isascii() for c in letters) <= 0.3 * len(letters)


def decode_text(raw: bytes, path: Path) -> str:
    """Decode a text file whatever tool wrote it.

    A byte-order mark decides first (UTF-8, UTF-16, UTF-32), then UTF-16 without one, then
    UTF-8, then cp1252 (subtitle tools on Windows) when the text reads as a Western language,
    then charset_normalizer's best guess (cp1251, cp1250, Shift-JIS, ...).

    Raises:
        InputError: the bytes are not text (NUL bytes, control codes, nothing decodes).
    """
    text: str | None = None
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            try:
                text = raw.decode(codec)
            except UnicodeDecodeError:
                raise InputError(f"{path}: {_BINARY}") from None
            break
    else:
        if b"\0" in raw:
            text = _utf16_without_bom(raw)
            if text is None:
                raise InputError(f"{path}: {_BINARY}")
        else:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("cp1252", errors="replace")
                if not _western(text) or text.count("\ufffd") > 0.01 * len(text):
                    from charset_normalizer import from_bytes

                    best = from_bytes(raw).best()
                    text = str(best) if best is not None else None
    if text is None or _binary(text):
        raise InputError(f"{path}: {_BINARY}")
    return text.lstrip("\ufeff")


# ---- transcripts ----


def _pieces(text: str, limit: int = MAX_UTTERANCE) -> Iterator[str]:
    """Cut ``text`` into pieces of at most ``limit`` characters, at sentence ends where it can."""
    start, end = 0, len(text)
    while end - start > limit:
        head = text[start : start + limit]
        cut = max((m.end() for m in re.finditer(r"[.!?…]\s", head)), default=0)
        if cut < limit // 4:
            cut = head.rfind(" ") + 1
        if cut < limit // 4:
            cut = limit
        if piece := head[:cut].strip():
            yield piece
        start += cut
    if rest := text[start:].strip():
        yield rest


def _short(utterances: list[Utterance]) -> tuple[Utterance, ...]:
    """Utterances no longer than ``MAX_UTTERANCE``: a long one becomes several, same time."""
    out: list[Utterance] = []
    for u in utterances:
        parts = [u.text] if len(u.text) <= MAX_UTTERANCE else list(_pieces(u.text))
        for part in parts:
            out.append(replace(u, idx=len(out), text=part, words=u.words if part is u.text else ()))
    return tuple(out)


def _from_json(text: str, path: Path, language: str | None) -> tuple[Conversation, bool]:
    """A mine transcript JSON as a conversation, and whether mine redacted it.

    ``path`` is only shown (messages, the conversation's source). A lone surrogate in the JSON
    (``"\\ud800"``, as a tool that cut a UTF-16 pair in two writes) becomes U+FFFD.
    """
    hint = "pass the .json that mine transcribe wrote, or an .srt/.vtt/.txt transcript"
    data, problem = load_json(text)
    if problem:
        raise InputError(f"{path}: not a mine transcript JSON ({problem}); {hint}")
    if may_hold_surrogates(text):
        data = _replace_surrogates(data)
    problem = shape_problem(data, TRANSCRIPT_SHAPE)
    if problem:
        raise InputError(f"{path}: not a mine transcript JSON ({problem}); {hint}")
    try:
        t = Transcript.from_dict(data)
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"{path}: not a mine transcript JSON ({type(exc).__name__}: {exc}); {hint}"
        ) from None
    conv = Conversation(
        t.call_id,
        path.name,
        language or t.language or None,
        _short(list(t.utterances)),
        f"{t.model.name} {t.model.sha256[:12]}",
    )
    return conv, data.get("redacted") is True


def is_raw(path: Path) -> bool:
    """True for the unredacted transcript ``mine transcribe --keep-raw`` writes."""
    return path.name.lower().endswith(RAW_SUFFIX)


def _refuse_raw(path: Path) -> InputError:
    return InputError(
        f"{path}: the unredacted transcript (mine transcribe --keep-raw) is not read by default; "
        f"pass the redacted {path.name[: -len(RAW_SUFFIX)]}.json, or --include-raw to read it "
        "(it is redacted again first)"
    )


def read_conversation(
    path: Path, *, language: str | None = None, include_raw: bool = False
) -> Conversation:
    """Read one transcript file into a ``Conversation`` whose text is redacted.

    Other tools' transcripts, and mine's JSON unless it says ``"redacted": true``, go through
    the same PII redaction as ``mine transcribe`` (rules, and person names where a spaCy
    pipeline with NER is installed) before anything else sees them.

    Args:
        path: a mine ``.json``, ``.srt``, ``.vtt`` or ``.txt`` transcript.
        language: the transcript's language; None takes the file's own or guesses it.
        include_raw: read a ``<stem>.raw.json`` (unredacted, from ``--keep-raw``) too.

    Raises:
        InputError: unreadable, not a regular file, larger than ``TRANSCRIPT_CAP``, binary,
            malformed, empty or unredacted without ``include_raw``, naming the file and the fix.
    """
    shown_path = Path(shown(path))  # what messages and outputs call it: always valid text
    if is_raw(path) and not include_raw:
        raise _refuse_raw(shown_path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:  # before reading: /dev/zero is not a transcript either
        raise InputError(
            f"{shown_path}: unsupported transcript type; use .json, .srt, .vtt or .txt"
        )
    raw = read_bounded(
        path,
        cap=TRANSCRIPT_CAP,
        fix="pass a transcript file (.json, .srt, .vtt or .txt) or check the path",
        too_large="more than mine reads of one transcript; split it into smaller files",
    )
    path = shown_path
    text = decode_text(raw, path)
    redacted = False
    if suffix == ".json":
        conv, redacted = _from_json(text, path, language)
    elif suffix in (".srt", ".vtt"):
        utterances = _from_subtitles(text)
        if not utterances and text.strip():
            raise InputError(
                f"{path}: no subtitle cues found (expected 'HH:MM:SS,mmm --> ...' "
                "lines); check that it is a valid subtitle file"
            )
        conv = Conversation(
            hashlib.sha256(raw).hexdigest(), path.name, language, _short(utterances)
        )
    else:
        conv = Conversation(
            hashlib.sha256(raw).hexdigest(), path.name, language, _short(_from_text(text))
        )
    if not any(u.text.strip() for u in conv.utterances):
        raise InputError(f"{path}: the transcript is empty; nothing to extract terms from")
    lang = conv.language
    if lang is None:
        lang = guess_language(" ".join(u.text for u in conv.utterances[:200]))
        if lang is None:
            raise InputError(
                f"{path}: cannot tell the language; pass --language nl or --language en"
            )
    if lang not in TERM_LANGUAGES:
        raise InputError(
            f"{path}: the transcript's language {lang!r} is not one mine terms can rank; "
            "pass --language with one of " + ", ".join(TERM_LANGUAGES)
        )
    utterances = conv.utterances
    if not redacted:
        redactor = Redactor(ner=ner_for(lang))
        utterances = tuple(
            replace(u, text=redactor.redact(u.text)[0], words=()) for u in utterances
        )
    return Conversation(conv.call_id, conv.source, lang, utterances, conv.model)


def find_transcripts(paths: list[Path], *, include_raw: bool = False) -> list[Path]:
    """Expand folders into the transcript files directly inside them (sorted).

    mine writes one recording as ``.json`` plus views (``.txt``, ``.srt``, ``.vtt``) with the same
    stem; only the richest format of each stem is read, so a call is never counted twice. A
    folder's ``<stem>.raw.json`` (unredacted, from ``--keep-raw``) is never read.

    Args:
        paths: transcript files and folders of them.
        include_raw: accept a ``.raw.json`` named on its own (it is redacted again on read).

    Raises:
        InputError: a ``.raw.json`` is named and ``include_raw`` is not set.
    """
    rank = {".json": 0, ".vtt": 1, ".srt": 2, ".txt": 3}
    found: list[Path] = []
    for p in paths:
        if not p.is_dir():
            if is_raw(p) and not include_raw:
                raise _refuse_raw(Path(shown(p)))
            found.append(p)
            continue
        best: dict[str, Path] = {}
        for f in sorted(p.iterdir()):
            if (
                f.suffix.lower() not in SUFFIXES
                or is_raw(f)
                or f.name.lower() in ("terms.json", "gap.json", "crawl.json")
                or not f.is_file()
            ):
                continue
            if f.stem not in best or rank[f.suffix.lower()] < rank[best[f.stem].suffix.lower()]:
                best[f.stem] = f
        found += sorted(best.values())
    return found
