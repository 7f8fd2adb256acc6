"""Typed records passed between stages; the JSON files on disk are their ``asdict`` form."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

Speaker = Literal["customer", "rep", "unknown"]
ConsentMethod = Literal["verbal-on-recording", "written", "form"]

CONSENT_METHODS: tuple[str, ...] = ("verbal-on-recording", "written", "form")
CONSENT_SCOPES: tuple[str, ...] = ("transcribe", "quote-in-reports")
SPEAKERS: tuple[str, ...] = ("customer", "rep", "unknown")
#: File endings taken as recordings when a folder is scanned.
AUDIO_SUFFIXES: tuple[str, ...] = (
    ".wav",
    ".mp3",
    ".m4a",
    ".mp4",
    ".ogg",
    ".oga",
    ".opus",
    ".flac",
    ".webm",
    ".wma",
    ".amr",
    ".aac",
    ".3gp",
    ".mkv",
    ".mov",
)

#: Version of the transcript JSON layout; bump when a field changes meaning.
TRANSCRIPT_SCHEMA = 1


@dataclass(frozen=True)
class Consent:
    """A customer's consent to record and use one conversation."""

    customer: str
    obtained_at: datetime
    obtained_by: str
    method: ConsentMethod
    purpose: str
    scope: tuple[str, ...] = ()  # never defaults to everything: a record must say it
    participants: tuple[str, ...] = ()
    retain_audio_until: date | None = None
    withdrawn_at: datetime | None = None
    call_id: str | None = None  # sha256 of the recording's bytes the consent was given for
    file: str = ""  # the recording's name, as the record gives it
    source: str = ""  # where the record was read from: sidecar path or "consent.csv:<row>"
    record_sha256: str = ""  # hash of the record as written: kept by the audit after erasure


@dataclass(frozen=True)
class Recording:
    """An audio file that passed the consent gate."""

    call_id: str
    path: str
    consent: Consent
    duration_s: float = 0.0
    channels: int = 0


@dataclass(frozen=True)
class Word:
    """One recognised word with its time span in seconds from the start of the recording."""

    word: str
    start: float
    end: float
    probability: float
    speaker_id: str = ""  # diarization: the speaker whose turn holds the word's midpoint


@dataclass(frozen=True)
class Utterance:
    """One stretch of speech by one speaker, as Whisper segmented it."""

    idx: int
    start: float
    end: float
    speaker: Speaker
    text: str
    words: tuple[Word, ...] = ()
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 0.0
    flags: tuple[str, ...] = ()
    speaker_id: str = ""  # diarization: "S1", "S2", … in order of first appearance


@dataclass(frozen=True)
class ModelInfo:
    """Which model produced a transcript; ``sha256`` is of its ``model.bin``."""

    name: str
    sha256: str
    source: str


@dataclass(frozen=True)
class Transcript:
    """The canonical transcript of one recording; ``.txt``/``.srt``/``.vtt`` are views of it."""

    call_id: str
    source: str
    language: str
    language_probability: float
    model: ModelInfo
    options: dict[str, Any]
    duration: float
    utterances: tuple[Utterance, ...]
    speakers_source: str = "none"  # "channels" (stereo) or "diarization" (mono, by voice)
    #: True once PII redaction ran over every utterance (False in a ``--keep-raw`` file)
    redacted: bool = False
    #: backend, speakers (id, seconds, role, role_source, confidence, reason), turns, notes
    diarization: dict[str, Any] = field(default_factory=dict)
    schema: int = TRANSCRIPT_SCHEMA
    created_at: str = ""
    mine_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form (tuples become lists)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        """Rebuild a transcript from its JSON form; raises ``KeyError``/``TypeError`` if malformed."""
        utterances = tuple(
            Utterance(
                idx=int(u["idx"]),
                start=float(u["start"]),
                end=float(u["end"]),
                speaker=u.get("speaker", "unknown"),
                text=u["text"],
                words=tuple(Word(**w) for w in u.get("words", ())),
                avg_logprob=float(u.get("avg_logprob", 0.0)),
                no_speech_prob=float(u.get("no_speech_prob", 0.0)),
                compression_ratio=float(u.get("compression_ratio", 0.0)),
                flags=tuple(u.get("flags", ())),
                speaker_id=str(u.get("speaker_id", "")),
            )
            for u in data["utterances"]
        )
        known = {f.name for f in dataclasses.fields(cls)}
        rest = {k: v for k, v in data.items() if k in known}
        rest["model"] = ModelInfo(**data["model"])
        rest["utterances"] = utterances
        return cls(**rest)
