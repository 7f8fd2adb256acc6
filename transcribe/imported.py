"""*Process one* for a transcript another tool made (Teams, Zoom, Otter, agency, WhisperX).

The file passed the same consent gate as a recording; here its bytes are read (bounded, and
checked to be the bytes the gate hashed), parsed by ``pipeline.formats``, its speakers given
roles (a hand correction, role words, the staff list, the consent record's ``obtained_by``, the
heuristic) and its text redacted (the consent's participants, named speakers, the usual rules
and names). No audio, no model, no database, no writes: it pickles like any job.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from pipeline.config import TranscribeOptions
from pipeline.consent import Admission
from pipeline.errors import InputError
from pipeline.formats import FOREIGN_CAP, parse
from pipeline.formats.convert import spoken, to_transcript
from pipeline.privacy import guess_language
from pipeline.reading import read_bounded
from pipeline.records import AUDIO_SUFFIXES, Transcript
from pipeline.roles import RoleHints


@dataclass(frozen=True)
class ImportHints:
    """What roles need besides the file: the staff list and hand-set roles (speaker → role)."""

    reps: tuple[str, ...] = ()
    corrections: tuple[tuple[str, str], ...] = ()


def is_transcript(adm: Admission) -> bool:
    """True when the admitted file is a transcript, not a recording (by its name's ending)."""
    return adm.path.suffix.lower() not in AUDIO_SUFFIXES


def import_transcript(adm: Admission, options: TranscribeOptions, hints: ImportHints) -> Transcript:
    """The redacted mine transcript of an admitted transcript file.

    Raises:
        InputError: unreadable, changed since the gate, not a transcript, empty, or in a
            language that cannot be told.
    """
    raw = read_bounded(
        adm.real,
        cap=FOREIGN_CAP,
        fix="pass a transcript file (.vtt, .srt, .txt, .docx or .json) or check the path",
        too_large="more than mine reads of one transcript; split it into smaller files",
    )
    if hashlib.sha256(raw).hexdigest() != adm.call_id:
        raise InputError(
            f"{adm.path}: the file changed after its consent was checked (replaced or written "
            "to); nothing of it was used: run again once the file is complete"
        )
    parsed = parse(raw, adm.path)
    said = spoken(parsed)
    if not said.strip():
        raise InputError(f"{adm.path}: the transcript is empty; nothing was said in it")
    language = options.language if options.language != "auto" else guess_language(said)
    if language is None:
        raise InputError(
            f"{adm.path}: cannot tell the transcript's language; pass --language nl or "
            "--language en"
        )
    consent = adm.consent
    roles = RoleHints(
        reps=hints.reps,
        consent_by=consent.obtained_by or "",
        own_names=options.own_names,
        corrections=dict(hints.corrections),
        min_confidence=options.min_role_confidence,
    )
    return to_transcript(
        parsed,
        call_id=adm.call_id,
        source=adm.path.name,
        language=language,
        hints=roles,
        participants=tuple(consent.participants),
    )
