"""Reading transcripts for term extraction: mine's JSON, and other tools' files.

Other tools' transcripts (WebVTT, SRT, plain text, Otter, .docx, WhisperX JSON: see
``pipeline.formats``) are read by content; their annotations are stripped, their speaker labels
become roles (``pipeline.roles``: role words, the staff list, hand corrections, the heuristic)
and named speakers' names are redacted. Text files may be in any common encoding
(``decode_text``); binary files are refused. Everything read is redacted unless mine wrote it
redacted, and an unredacted ``--keep-raw`` file is read only on request.

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

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.config import term_languages
from pipeline.consent import refuse_if_recorded
from pipeline.dates import recording_date
from pipeline.errors import InputError
from pipeline.formats import TRANSCRIPT_CAP, TRANSCRIPT_SUFFIXES, Parsed, detect, parse
from pipeline.formats.convert import MAX_UTTERANCE, pieces, spoken, to_transcript
from pipeline.formats.decode import decode_text
from pipeline.privacy import Redactor, guess_language, ner_for
from pipeline.reading import MB, read_bounded, shown
from pipeline.records import Transcript, Utterance
from pipeline.roles import RoleHints
from pipeline.shapes import RecordError, load_json, may_hold_surrogates, replace_surrogates

Corrections = Callable[[str], Mapping[str, str]]

SUFFIXES = TRANSCRIPT_SUFFIXES
#: ``mine transcribe --keep-raw`` writes the transcript before PII redaction under this ending.
RAW_SUFFIX = ".raw.json"


@dataclass(frozen=True)
class Conversation:
    """One conversation's utterances, whatever file format they came from."""

    call_id: str
    source: str
    language: str | None
    utterances: tuple[Utterance, ...]
    model: str = ""  # the speech model that made a mine transcript: "base 905e5bf8336b"
    mine: bool = False  # read from a mine transcript JSON (not another tool's file)
    recorded_at: str = ""  # YYYY-MM-DD (``pipeline.dates``); "" when not known
    recorded_at_source: str = ""  # consent, transcript, media or file

    @property
    def roles_known(self) -> bool:
        """True if any utterance is attributed to the customer or the rep."""
        return any(u.speaker in ("customer", "rep") for u in self.utterances)


#: Flags that mark an utterance as a likely hallucination: it does not count.
SKIP_FLAGS = {"no-speech", "repetition", "in-silence", "known-hallucination", "low-confidence"}


def counted(u: Utterance) -> bool:
    """True when an utterance counts: something was said and it is not a likely hallucination."""
    return not (set(u.flags) & SKIP_FLAGS) and bool(u.text.strip())


# ---- caps: the most mine reads of one file ----

#: The most mine reads of pages.jsonl (every crawled page's text).
PAGES_CAP = 1024 * MB


# ---- transcripts ----


def _short(utterances: list[Utterance]) -> tuple[Utterance, ...]:
    """Utterances no longer than ``MAX_UTTERANCE``: a long one becomes several, same time."""
    out: list[Utterance] = []
    for u in utterances:
        parts = [u.text] if len(u.text) <= MAX_UTTERANCE else list(pieces(u.text))
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
        recorded_at=t.recorded_at,
        recorded_at_source=t.recorded_at_source,
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
    path: Path,
    *,
    language: str | None = None,
    include_raw: bool = False,
    hints: RoleHints | None = None,
    corrections: Corrections | None = None,
) -> Conversation:
    """Read one transcript file into a ``Conversation`` whose text is redacted.

    Other tools' transcripts, and mine's JSON unless it says ``"redacted": true``, go through
    the same PII redaction as ``mine transcribe`` (rules, named speakers' names, and person
    names where a spaCy pipeline with NER is installed) before anything else sees them.

    Args:
        path: a mine ``.json`` or another tool's ``.vtt``, ``.srt``, ``.txt``, ``.docx`` or
            WhisperX-style ``.json``.
        language: the transcript's language; None takes the file's own or guesses it.
        include_raw: read a ``<stem>.raw.json`` (unredacted, from ``--keep-raw``) too.
        hints: the staff list and own names, for the roles of named speakers.
        corrections: call_id → hand-set roles (speaker id or label → role).

    Raises:
        InputError: unreadable, not a regular file, larger than ``TRANSCRIPT_CAP``, binary,
            malformed, empty or unredacted without ``include_raw``, naming the file and the fix.
    """
    shown_path = Path(shown(path))  # what messages and outputs call it: always valid text
    raw = _transcript_bytes(path, shown_path, include_raw=include_raw)
    mine = _mine_json(raw, shown_path, language)
    if mine is None:
        return _other_tool(path, raw, shown_path, language, hints, corrections)
    conv, redacted = mine
    if not any(u.text.strip() for u in conv.utterances):
        raise InputError(f"{shown_path}: the transcript is empty; nothing to extract terms from")
    lang = _language_of(conv.language, conv.utterances, shown_path)
    utterances = conv.utterances
    if not redacted:
        redactor = Redactor(ner=ner_for(lang))
        utterances = tuple(
            replace(u, text=redactor.redact(u.text)[0], words=()) for u in utterances
        )
    return Conversation(
        conv.call_id,
        conv.source,
        lang,
        utterances,
        conv.model,
        mine=True,
        recorded_at=conv.recorded_at,
        recorded_at_source=conv.recorded_at_source,
    )


def _other_tool(
    original: Path,
    raw: bytes,
    path: Path,
    language: str | None,
    hints: RoleHints | None,
    corrections: Corrections | None,
) -> Conversation:
    """Another tool's transcript, read by ``pipeline.formats``: labels to roles, redacted.

    A consent record about the file that refuses it (withdrawn, expired, for other bytes)
    refuses it here too; a file without any record is read as given.
    """
    consent = refuse_if_recorded(original)
    parsed: Parsed = parse(raw, path)
    if not spoken(parsed).strip():
        raise InputError(f"{path}: the transcript is empty; nothing to extract terms from")
    call_id = hashlib.sha256(raw).hexdigest()
    lang = language or guess_language(spoken(parsed))
    lang = _language_of(lang, (), path)
    hints = hints or RoleHints()
    if corrections is not None:
        hints = replace(hints, corrections=corrections(call_id))
    t = to_transcript(parsed, call_id=call_id, source=path.name, language=lang, hints=hints)
    try:
        mtime_ns: int | None = original.stat().st_mtime_ns
    except OSError:
        mtime_ns = None
    recorded_at, source = recording_date(
        consent=consent.recorded_at if consent else None,
        transcript=parsed.recorded_on,
        mtime_ns=mtime_ns,
    )
    return Conversation(
        call_id,
        path.name,
        lang,
        _short(list(t.utterances)),
        f"{parsed.format}",
        recorded_at=recorded_at,
        recorded_at_source=source,
    )


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
            f"{shown_path}: unsupported transcript type; use .json, .srt, .vtt, .txt or .docx"
        )
    return read_bounded(
        path,
        cap=TRANSCRIPT_CAP,
        fix="pass a transcript file (.json, .srt, .vtt, .txt or .docx) or check the path",
        too_large="more than mine reads of one transcript; split it into smaller files",
    )


def _mine_json(raw: bytes, path: Path, language: str | None) -> tuple[Conversation, bool] | None:
    """A mine transcript JSON as a conversation and whether mine redacted it; None when the
    bytes are another tool's transcript (any other layout, a JSON of ``segments``).

    Raises:
        InputError: not text, or a mine JSON that is malformed.
    """
    if raw.startswith(b"PK"):
        return None
    text = decode_text(raw, path)
    if detect(raw, text) != "json" and path.suffix.lower() != ".json":
        return None
    data, problem = load_json(text)
    if not problem and isinstance(data, dict) and "segments" in data and "utterances" not in data:
        return None  # WhisperX / faster-whisper segments: another tool's
    return _from_json(text, path, language)


def _language_of(lang: str | None, utterances: tuple[Utterance, ...], path: Path) -> str:
    """The conversation's language: as given, else guessed from its first 200 utterances.

    Raises:
        InputError: it cannot be told, or it is not one of ``term_languages()``.
    """
    if lang is None:
        lang = guess_language(" ".join(u.text for u in utterances[:200]))
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
    rank = {".json": 0, ".vtt": 1, ".srt": 2, ".docx": 3, ".txt": 4}
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
