"""Typed records passed between stages; the JSON files on disk are their ``asdict`` form."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar, Literal

from pipeline.shapes import NUMBER, RecordError, shape_problem

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
class Turn:
    """One stretch of speech by one speaker (diarization).

    Its JSON form, in a transcript's ``diarization.turns``, is the list ``[start, end, speaker]``
    (``to_list``/``from_list``).
    """

    start: float
    end: float
    speaker: str

    #: The JSON form of a turn.
    SHAPE: ClassVar[tuple[Any, ...]] = (NUMBER, NUMBER, str)

    def to_list(self) -> list[Any]:
        """Return the JSON form ``[start, end, speaker]``."""
        return [self.start, self.end, self.speaker]

    @classmethod
    def from_list(cls, value: Any, where: str = "") -> Turn:
        """Rebuild a turn from ``[start, end, speaker]``.

        Raises:
            RecordError: not a list of a number, a number and a text, in one line naming
                ``where`` (the place in its file).
        """
        here = where or "the top level"
        if not isinstance(value, list) or len(value) != len(cls.SHAPE):
            raise RecordError(f"{here} is not a turn [start, end, speaker]")
        for i, (item, shape) in enumerate(zip(value, cls.SHAPE, strict=True)):
            problem = shape_problem(item, shape, f"{where}[{i}]")
            if problem:
                raise RecordError(problem)
        return cls(value[0], value[1], value[2])


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

    @property
    def turns(self) -> tuple[Turn, ...]:
        """The diarization's turns (``diarization.turns``), in order; none when not diarized.

        Raises:
            RecordError: a turn is not ``[start, end, speaker]``.
        """
        return tuple(
            Turn.from_list(x, f"diarization.turns[{i}]")
            for i, x in enumerate(self.diarization.get("turns", ()))
        )

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
