"""Typed records passed between stages; the JSON files on disk are their ``to_dict`` form.

After the transcript (``Transcript``, with the diarization's ``Turn`` records), the tables
``mine terms`` and ``mine gap`` write and later stages read are records too: ``Term`` with its
``Quote`` evidence (terms.json, ``TermsFile``), and ``GapRow``, ``JargonRow`` and ``PageView``
(gap.json, ``GapFile``). Each checks its JSON form in ``from_dict`` (``pipeline.shapes``), so a damaged or
hand-edited file is refused in one line that names the place.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar, Literal, Self

from pipeline.config import term_languages
from pipeline.shapes import (
    AMOUNT,
    NUMBER,
    MapOf,
    OneOf,
    RecordError,
    shape_problem,
    surrogate_problem,
)

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
_WORD_SHAPE = {"word": str, "start": NUMBER, "end": NUMBER, "probability": NUMBER}
#: What readers need of a transcript JSON (``Transcript.to_dict``); other keys are ignored.
TRANSCRIPT_SHAPE: dict[str, Any] = {
    "call_id": str,
    "source?": str,
    "language": (str, None),
    "model": {"name": str, "sha256": str, "source": str},
    "redacted?": bool,
    "recorded_at?": str,
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
    recorded_at: date | None = None  # when the conversation was recorded, if the record says


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
    #: when the conversation was recorded (YYYY-MM-DD) and where that came from: "consent",
    #: "transcript" (a date in the file), "media" (its creation-time tag) or "file" (mtime)
    recorded_at: str = ""
    recorded_at_source: str = ""
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
    def from_dict(cls, data: dict[str, Any], *, check: bool = False) -> Transcript:
        """Rebuild a transcript from its JSON form; raises ``KeyError``/``TypeError`` if malformed.

        With ``check``, the JSON form is first checked against ``TRANSCRIPT_SHAPE``: a value that
        does not fit raises ``RecordError``, in one line naming the place.
        """
        if check:
            problem = shape_problem(data, TRANSCRIPT_SHAPE)
            if problem:
                raise RecordError(problem)
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


# ---- the tables mine terms and mine gap write and later stages read (terms.json, gap.json) ----


def _json_form(value: Any) -> Any:
    """A field's JSON form: records as their ``to_dict``, tuples as lists, dicts copied."""
    if isinstance(value, JsonRecord):
        return value.to_dict()
    if isinstance(value, tuple | list):
        return [_json_form(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_form(v) for k, v in value.items()}
    return value


class JsonRecord:
    """Base of the records a stage writes as JSON and a later stage reads back.

    ``SHAPE`` is what ``from_dict`` checks (see ``pipeline.shapes.shape_problem``): the keys
    later stages rely on, in the order they are checked; a ``"key?"`` may be missing and then
    the field takes its default. ``CARRIED`` holds the record's other fields: read when present
    and of that shape, else left at their default, never a reason to refuse a file. ``ITEMS``
    names the fields that hold records, by their class.

    A record read with ``from_dict`` keeps the JSON it was read from, and its ``to_dict``
    gives exactly that back (keys it does not know, keys left out and their order included):
    a stage passes on what an earlier stage, or a person, wrote, unchanged. A record made in
    code, or changed with ``dataclasses.replace``, gives its fields, in their order.
    """

    SHAPE: ClassVar[dict[str, Any]] = {}
    CARRIED: ClassVar[dict[str, Any]] = {}
    ITEMS: ClassVar[dict[str, type[JsonRecord]]] = {}

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form: the JSON it was read from, else its fields (tuples as lists)."""
        source = self.__dict__.get("_source")
        if source is not None:
            return copy.deepcopy(source)
        return {f.name: _json_form(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "", check_text: bool = True) -> Self:
        """Check a JSON form against ``SHAPE`` and build the record (lists become tuples).

        Args:
            data: the parsed JSON.
            where: the place of ``data`` in its file, for messages (``"gaps[3]"``).
            check_text: also refuse a lone surrogate in any text or key; False when the JSON
                text is known to spell none (``pipeline.shapes.may_hold_surrogates``).

        Raises:
            RecordError: a missing key, a wrong type, a number that is not finite or out of
                range, or a lone surrogate, in one line that names the place, e.g.
                ``terms[0].mentions is text, not a number of 0 or more``.
        """
        problem = shape_problem(data, cls.SHAPE, where)
        if not problem and check_text:
            problem = surrogate_problem(data, where)
        if problem:
            raise RecordError(problem)
        return cls._build(data)

    @classmethod
    def _build(cls, data: dict[str, Any]) -> Self:
        """The record of a JSON form that fits ``SHAPE``; it keeps ``data`` for ``to_dict``."""
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name not in data:
                continue
            value = data[f.name]
            carried = cls.CARRIED.get(f.name)
            if carried is not None and shape_problem(value, carried) is not None:
                continue
            if f.name in cls.ITEMS:
                value = tuple(cls.ITEMS[f.name]._build(v) for v in value)
            elif isinstance(value, list):
                value = tuple(value)
            values[f.name] = value
        record = cls(**cls._complete(values))
        object.__setattr__(record, "_source", data)  # frozen: set once, here
        return record

    @classmethod
    def _complete(cls, values: dict[str, Any]) -> dict[str, Any]:
        """Fill what a file may leave out and has no fixed default; as is by default."""
        return values


#: An evidence quote's JSON form, as ``mine terms`` writes it and ``mine gap`` passes it on.
QUOTE_SHAPE: dict[str, Any] = {
    "text": str,
    "start": AMOUNT,
    "call_id?": (str, None),
    "source?": str,
    "speaker?": str,
    "recorded_at?": str,
}


@dataclass(frozen=True, kw_only=True)
class Quote(JsonRecord):
    """A customer's utterance that holds a term, with its call and time: a term's evidence."""

    call_id: str | None = None
    source: str = ""  # the transcript's file name
    start: float  # seconds from the start of the call
    speaker: str = ""
    text: str
    recorded_at: str = ""  # the conversation's recording date (YYYY-MM-DD), when known

    SHAPE: ClassVar[dict[str, Any]] = QUOTE_SHAPE


#: Version of the terms.json layout; bump when a field changes meaning. Not written into the
#: file, whose keys stay as they have always been.
TERMS_SCHEMA = 1
#: The ``meta`` of terms.json (and ``meta.terms`` of gap.json): what later stages read of it.
TERMS_META_SHAPE: dict[str, Any] = {
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
            "recorded_at?": str,
            "recorded_at_source?": str,
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


@dataclass(frozen=True, kw_only=True)
class Term(JsonRecord):
    """One customer term of terms.json (``mine terms``): counts, score and evidence."""

    term: str  # the most frequent surface form
    key: str  # lemma key; Dutch compounds as "onderhoud+contract"
    language: str
    kind: str = ""  # "phrase", "word" or "name"
    conversations: int
    mentions: int
    customers: int  # read from a file without it: one customer per conversation
    rep_mentions: int = 0
    tfidf: float = 0.0
    zipf: float = 0.0
    distinctiveness: float = 0.0
    score: float  # distinctiveness * tfidf
    forms: tuple[str, ...] = ()  # the most frequent surface forms
    evidence: tuple[Quote, ...] = ()

    #: What ``mine gap`` relies on.
    SHAPE: ClassVar[dict[str, Any]] = {
        "term": str,
        "key": str,
        "language": OneOf(term_languages),
        "conversations": AMOUNT,
        "mentions": AMOUNT,
        "customers?": AMOUNT,
        "score": AMOUNT,
        "evidence": [QUOTE_SHAPE],
    }
    CARRIED: ClassVar[dict[str, Any]] = {
        "kind": str,
        "rep_mentions": AMOUNT,
        "tfidf": AMOUNT,
        "zipf": NUMBER,
        "distinctiveness": AMOUNT,
        "forms": [str],
    }
    ITEMS: ClassVar[dict[str, type[JsonRecord]]] = {"evidence": Quote}

    @classmethod
    def _complete(cls, values: dict[str, Any]) -> dict[str, Any]:
        return {"customers": values["conversations"], **values}


#: What a customer's question asks for (``terms.questions.intent``).
INTENTS: tuple[str, ...] = (
    "cost", "time", "amount", "reason", "place", "who", "choice", "how", "yesno", "other"
)  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class AskedQuestion(JsonRecord):
    """One question customers asked, its paraphrases grouped: a row of terms.json's
    ``questions`` (``mine terms``, ``terms.questions``)."""

    question: str  # the representative wording
    language: str
    intent: str = "other"  # one of INTENTS
    topic: tuple[str, ...] = ()  # the topic stems the group was formed on
    wordings: tuple[str, ...] = ()  # the other wordings, most said first
    conversations: int
    customers: int
    mentions: int = 0
    evidence: tuple[Quote, ...] = ()
    key: str = ""  # intent and topic stems: the same question in every run ("cost|maand")
    calls: tuple[str, ...] = ()  # every call that asked it

    #: What ``mine gap`` relies on.
    SHAPE: ClassVar[dict[str, Any]] = {
        "question": str,
        "language": OneOf(term_languages),
        "conversations": AMOUNT,
        "customers": AMOUNT,
        "evidence": [QUOTE_SHAPE],
    }
    CARRIED: ClassVar[dict[str, Any]] = {
        "intent": frozenset(INTENTS),
        "topic": [str],
        "wordings": [str],
        "mentions": AMOUNT,
        "key": str,
        "calls": [str],
    }
    ITEMS: ClassVar[dict[str, type[JsonRecord]]] = {"evidence": Quote}


@dataclass(frozen=True, kw_only=True)
class TermsFile(JsonRecord):
    """terms.json: the run's metadata (a plain object), the ranked terms and the questions
    customers asked, all languages (a terms.json from before questions has none)."""

    meta: dict[str, Any]
    terms: tuple[Term, ...]
    questions: tuple[AskedQuestion, ...] = ()

    SCHEMA: ClassVar[int] = TERMS_SCHEMA
    SHAPE: ClassVar[dict[str, Any]] = {
        "meta": TERMS_META_SHAPE,
        "terms": [Term.SHAPE],
        "questions?": [AskedQuestion.SHAPE],
    }
    ITEMS: ClassVar[dict[str, type[JsonRecord]]] = {
        "terms": Term,
        "questions": AskedQuestion,
    }


#: Version of the gap.json layout; bump when a field changes meaning. Not written into the file,
#: whose keys stay as they have always been.
GAP_SCHEMA = 1
GAP_STATUSES: tuple[str, ...] = ("missing", "underused", "covered")


@dataclass(frozen=True, kw_only=True)
class PageMentions(JsonRecord):
    """How often one page uses a term (or the forms that matched it)."""

    url: str
    mentions: int

    SHAPE: ClassVar[dict[str, Any]] = {"url": str, "mentions": AMOUNT}


@dataclass(frozen=True, kw_only=True)
class SuggestedPage(JsonRecord):
    """A page where a missing or underused term would fit: its text is like the term's contexts."""

    url: str
    title: str | None = ""
    similarity: float = 0.0  # TF-IDF cosine

    SHAPE: ClassVar[dict[str, Any]] = {"url": str, "title?": (str, None), "similarity?": AMOUNT}


@dataclass(frozen=True, kw_only=True)
class GapRow(JsonRecord):
    """One customer term against the site: a row of gap.json's ``gaps`` (``mine gap``)."""

    term: str
    key: str = ""
    language: str
    status: str  # one of GAP_STATUSES
    score: float  # salience * (1 - coverage)
    term_score: float = 0.0  # the term's score in terms.json
    customer_conversations: int
    customer_mentions: int
    customers: int  # read from a file without it: one customer per conversation
    site_mentions: int
    site_heading_mentions: int = 0
    site_pages: tuple[PageMentions, ...] = ()
    matched: str = ""  # "lemma", "compound", "spelling" or "" (not on the site)
    matched_forms: tuple[str, ...] = ()
    suggested_pages: tuple[SuggestedPage, ...] = ()
    #: No page fits (all below the similarity floor): the title of the closest one, as a topic
    closest_topic: str = ""
    evidence: tuple[Quote, ...] = ()

    #: What ``mine report`` relies on.
    SHAPE: ClassVar[dict[str, Any]] = {
        "term": str,
        "key?": str,
        "language": str,
        "status": frozenset(GAP_STATUSES),
        "score": AMOUNT,
        "customer_conversations": AMOUNT,
        "customer_mentions": AMOUNT,
        "site_mentions": AMOUNT,
        "suggested_pages": [SuggestedPage.SHAPE],
        "evidence": [QUOTE_SHAPE],
    }
    CARRIED: ClassVar[dict[str, Any]] = {
        "term_score": AMOUNT,
        "customers": AMOUNT,
        "site_heading_mentions": AMOUNT,
        "site_pages": [PageMentions.SHAPE],
        "matched": str,
        "matched_forms": [str],
        "closest_topic": str,
    }
    ITEMS: ClassVar[dict[str, type[JsonRecord]]] = {
        "site_pages": PageMentions,
        "suggested_pages": SuggestedPage,
        "evidence": Quote,
    }

    @classmethod
    def _complete(cls, values: dict[str, Any]) -> dict[str, Any]:
        return {"customers": values["customer_conversations"], **values}


@dataclass(frozen=True, kw_only=True)
class JargonRow(JsonRecord):
    """A word prominent on the site that no customer said: a row of gap.json's ``jargon``."""

    term: str
    key: str = ""
    language: str = ""
    score: float = 0.0  # prominence: distinctive, frequent, on many pages, in headings
    site_mentions: int
    site_heading_mentions: int = 0
    site_pages: int  # how many pages use it
    pages: tuple[str, ...] = ()  # the (at most 5) pages that use it most
    customer_words: tuple[str, ...]  # what customers say where the site uses it

    #: What ``mine report`` relies on.
    SHAPE: ClassVar[dict[str, Any]] = {
        "term": str,
        "site_mentions": AMOUNT,
        "site_pages": AMOUNT,
        "customer_words": [str],
    }
    CARRIED: ClassVar[dict[str, Any]] = {
        "key": str,
        "language": str,
        "score": AMOUNT,
        "site_heading_mentions": AMOUNT,
        "pages": [str],
    }


@dataclass(frozen=True, kw_only=True)
class PageView(JsonRecord):
    """One page seen from the gap: the customer terms to add there, the words only it uses."""

    url: str
    title: str = ""  # read as "" from a file where it is null
    lang: str | None = None
    missing_here: tuple[str, ...]
    site_only: tuple[str, ...]

    #: What ``mine report`` relies on.
    SHAPE: ClassVar[dict[str, Any]] = {
        "url": str,
        "title?": (str, None),
        "missing_here": [str],
        "site_only": [str],
    }
    CARRIED: ClassVar[dict[str, Any]] = {"lang": (str, None)}

    @classmethod
    def _complete(cls, values: dict[str, Any]) -> dict[str, Any]:
        return {**values, "title": values.get("title") or ""}


#: Whether the site answers a customer's question (``terms.answers``).
QUESTION_STATUSES: tuple[str, ...] = ("unanswered", "partly", "answered")


@dataclass(frozen=True, kw_only=True)
class QuestionRow(JsonRecord):
    """One customer question against the site: a row of questions.json (``mine gap``)."""

    question: str
    language: str
    intent: str = "other"
    wordings: tuple[str, ...] = ()
    conversations: int
    customers: int
    mentions: int = 0
    status: str  # one of QUESTION_STATUSES
    answer_url: str = ""  # the page that answers it (answered) or touches its topic (partly)
    answer_passage: str = ""  # the passage there, shortened
    answer_source: str = ""  # "faq" (an FAQ entry of the page) or "text" (a passage)
    coverage: float = 0.0  # share of the question's topic (idf-weighted) the passage holds
    suggested_page: str = ""  # where an answer fits best; "" when no page fits (a new page)
    suggested_title: str = ""
    closest_topic: str = ""  # with no suggested page: the title of the closest page
    evidence: tuple[Quote, ...] = ()
    key: str = ""  # as terms.json's question: the same question in every run
    calls: tuple[str, ...] = ()  # every call that asked it

    #: What ``mine report`` and ``mine brief`` rely on.
    SHAPE: ClassVar[dict[str, Any]] = {
        "question": str,
        "language": str,
        "conversations": AMOUNT,
        "customers": AMOUNT,
        "status": frozenset(QUESTION_STATUSES),
        "answer_url?": str,
        "answer_passage?": str,
        "suggested_page?": str,
        "evidence": [QUOTE_SHAPE],
    }
    CARRIED: ClassVar[dict[str, Any]] = {
        "intent": str,
        "wordings": [str],
        "mentions": AMOUNT,
        "answer_source": str,
        "coverage": AMOUNT,
        "suggested_title": str,
        "closest_topic": str,
        "key": str,
        "calls": [str],
    }
    ITEMS: ClassVar[dict[str, type[JsonRecord]]] = {"evidence": Quote}


@dataclass(frozen=True, kw_only=True)
class QuestionsFile(JsonRecord):
    """questions.json: metadata (counts, the rule) and the question rows, unanswered first."""

    meta: dict[str, Any]
    questions: tuple[QuestionRow, ...]

    SHAPE: ClassVar[dict[str, Any]] = {"meta": MapOf(object), "questions": [QuestionRow.SHAPE]}
    ITEMS: ClassVar[dict[str, type[JsonRecord]]] = {"questions": QuestionRow}


#: The ``meta`` of gap.json: what the report reads of it.
GAP_META_SHAPE: dict[str, Any] = {
    "terms?": TERMS_META_SHAPE,
    "pages?": AMOUNT,
    "status_counts?": MapOf(AMOUNT),
    "crawl?": MapOf(object),
    "rule?": MapOf(object),
    "score?": str,
    # per customer language: its terms, the site's pages in it, whether they were compared
    "languages?": MapOf({"terms": AMOUNT, "pages": AMOUNT, "compared?": bool, "note?": str}),
    "warnings?": [str],
    "own_names?": {
        "names": [str],
        "on_site": [{"term": str, "site_mentions": AMOUNT, "site_pages?": AMOUNT}],
    },
    "theme_text?": MapOf(AMOUNT),
}


@dataclass(frozen=True, kw_only=True)
class GapFile(JsonRecord):
    """gap.json: metadata (a plain object), the gap rows, the site's jargon, the page views."""

    meta: dict[str, Any]
    gaps: tuple[GapRow, ...]
    jargon: tuple[JargonRow, ...]
    pages: tuple[PageView, ...]

    SCHEMA: ClassVar[int] = GAP_SCHEMA
    SHAPE: ClassVar[dict[str, Any]] = {
        "meta": GAP_META_SHAPE,
        "gaps": [GapRow.SHAPE],
        "jargon": [JargonRow.SHAPE],
        "pages": [PageView.SHAPE],
    }
    ITEMS: ClassVar[dict[str, type[JsonRecord]]] = {
        "gaps": GapRow,
        "jargon": JargonRow,
        "pages": PageView,
    }
