"""Reading transcripts for term extraction: mine's JSON, SRT, VTT and plain text.

Plain text may carry ``Speaker: text`` lines; speaker labels such as Customer/Klant and
Rep/Verkoper/Sales become roles, anything else stays ``unknown``. Text files may be in any
common encoding (``decode_text``); binary files are refused. Everything read is redacted
unless mine wrote it redacted, and an unredacted ``--keep-raw`` file is read only on request.

Every file is read through ``pipeline.reading.read_bounded``: regular files only (a FIFO or
device named by mistake is refused, never waited on or read without end) and at most a cap
(``TRANSCRIPT_CAP``, ``PAGES_CAP``). A mine transcript JSON is checked by
``Transcript.from_dict`` (numbers finite and within ``pipeline.shapes.LARGEST``), so a damaged
or hand-edited file gets one line, not a traceback. A JSON string may spell a lone UTF-16
surrogate (``"\\ud800"``), which no file can hold as UTF-8: in a transcript (often another
tool's) it becomes U+FFFD. A file name that is not valid UTF-8 is shown with U+FFFD in messages
and outputs (``shown``).
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.config import term_languages
from pipeline.errors import InputError
from pipeline.privacy import Redactor, guess_language, ner_for
from pipeline.reading import MB, read_bounded, shown
from pipeline.records import Transcript, Utterance
from pipeline.shapes import RecordError, load_json, may_hold_surrogates, replace_surrogates

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


# ---- caps: the most mine reads of one file ----

#: The most mine reads of one transcript file.
TRANSCRIPT_CAP = 200 * MB
#: The most mine reads of pages.jsonl (every crawled page's text).
PAGES_CAP = 1024 * MB


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
        data = replace_surrogates(data)
    try:
        t = Transcript.from_dict(data, check=True)
    except RecordError as exc:
        raise InputError(f"{path}: not a mine transcript JSON ({exc}); {hint}") from None
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
    raw = _transcript_bytes(path, shown_path, include_raw=include_raw)
    conv, redacted = _parse(raw, path.suffix.lower(), shown_path, language)
    if not any(u.text.strip() for u in conv.utterances):
        raise InputError(f"{shown_path}: the transcript is empty; nothing to extract terms from")
    lang = _language_of(conv, shown_path)
    utterances = conv.utterances
    if not redacted:
        redactor = Redactor(ner=ner_for(lang))
        utterances = tuple(
            replace(u, text=redactor.redact(u.text)[0], words=()) for u in utterances
        )
    return Conversation(conv.call_id, conv.source, lang, utterances, conv.model)


def _transcript_bytes(path: Path, shown_path: Path, *, include_raw: bool) -> bytes:
    """The bytes of a transcript file, refused before reading when its name says it is not one.

    Raises:
        InputError: an unredacted ``.raw.json`` without ``include_raw``, an unknown ending, or
            what ``read_bounded`` refuses (not a regular file, over ``TRANSCRIPT_CAP``).
    """
    if is_raw(path) and not include_raw:
        raise _refuse_raw(shown_path)
    if path.suffix.lower() not in SUFFIXES:  # before reading: /dev/zero is not a transcript
        raise InputError(
            f"{shown_path}: unsupported transcript type; use .json, .srt, .vtt or .txt"
        )
    return read_bounded(
        path,
        cap=TRANSCRIPT_CAP,
        fix="pass a transcript file (.json, .srt, .vtt or .txt) or check the path",
        too_large="more than mine reads of one transcript; split it into smaller files",
    )


def _parse(raw: bytes, suffix: str, path: Path, language: str | None) -> tuple[Conversation, bool]:
    """A transcript's bytes as a conversation (not yet redacted), and whether mine redacted it.

    Other formats than mine's JSON are keyed by the sha256 of their bytes.

    Raises:
        InputError: not text, malformed, or a subtitle file without cues.
    """
    text = decode_text(raw, path)
    if suffix == ".json":
        return _from_json(text, path, language)
    if suffix in (".srt", ".vtt"):
        utterances = _from_subtitles(text)
        if not utterances and text.strip():
            raise InputError(
                f"{path}: no subtitle cues found (expected 'HH:MM:SS,mmm --> ...' "
                "lines); check that it is a valid subtitle file"
            )
    else:
        utterances = _from_text(text)
    return Conversation(
        hashlib.sha256(raw).hexdigest(), path.name, language, _short(utterances)
    ), False


def _language_of(conv: Conversation, path: Path) -> str:
    """The conversation's language: as given, else guessed from its first 200 utterances.

    Raises:
        InputError: it cannot be told, or it is not one of ``term_languages()``.
    """
    lang = conv.language
    if lang is None:
        lang = guess_language(" ".join(u.text for u in conv.utterances[:200]))
        if lang is None:
            raise InputError(
                f"{path}: cannot tell the language; pass --language nl or --language en"
            )
    if lang not in term_languages():
        raise InputError(
            f"{path}: the transcript's language {lang!r} is not one mine terms can rank; "
            "pass --language with one of " + ", ".join(term_languages())
        )
    return lang


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
