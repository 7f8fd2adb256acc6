"""``extract_terms``: the customers' own vocabulary, ranked, each term with its evidence.

Score (one number orders the list): ``score = distinctiveness * tfidf``, where ``tfidf`` is the
sum over conversations of scikit-learn's TF-IDF of the term's key (sublinear tf, smoothed idf,
no normalisation: breadth across conversations counts, a term every call uses is not punished
below idf 1), and ``distinctiveness = clip((6 - zipf) / 4, 0.02, 1)`` with ``zipf`` the term's
general-language frequency (wordfreq): everyday words (week, dag, time) sink, domain words stay.
"""

from __future__ import annotations

import hashlib
import json
import stat
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Protocol

from pipeline.config import Settings, TermOptions, options_dict
from pipeline.errors import InputError, MineError
from pipeline.files import staged_files
from pipeline.formats import TRANSCRIPT_CAP
from pipeline.progress import ProgressCallback, ProgressEvent, ignore
from pipeline.reading import shown
from pipeline.records import AskedQuestion, Quote, Term, TermsFile, Utterance
from pipeline.roles import RoleHints
from pipeline.state import hand_set_roles, register_for_calls
from terms.analyze import ANALYSIS, Analyzer, describe, zipf
from terms.inputs import Conversation, counted, find_transcripts, read_conversation
from terms.nlp import LoadedPipeline, fingerprint, load_pipeline
from terms.questions import Asked, asked_in, group_questions


@dataclass
class _Stats:
    surfaces: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    per_conv: Counter = field(default_factory=Counter)  # call_id -> mentions (customer side)
    rep: int = 0
    quotes: list[Quote] = field(default_factory=list)  # the first 50, start not yet rounded


@dataclass(frozen=True)
class TermsReport:
    """The outcome of ``extract_terms``: what terms.json holds, as records, and where it went."""

    data: TermsFile
    failed: tuple[tuple[str, str], ...]  # (file, error)
    outputs: tuple[str, ...]
    analysed: int = 0  # conversations analysed in this call
    reused: int = 0  # conversations whose stored analysis was used (``store``)

    @property
    def meta(self) -> dict[str, Any]:
        """terms.json's ``meta``."""
        return self.data.meta

    @cached_property
    def rows(self) -> list[dict[str, Any]]:
        """The ranked terms as terms.json holds them (``Term.to_dict``), all languages."""
        return [row.to_dict() for row in self.data.terms]

    @property
    def ok(self) -> bool:
        """True if every input was read."""
        return not self.failed


class NoTranscriptRead(InputError):
    """No transcript could be read: ``failed`` holds each file with its own one-line error.

    ``str()`` is one line for a caller that shows only that; ``lines`` is what ``mine terms``
    prints, one line per file and then a summary that names no file again.
    """

    def __init__(self, failed: list[tuple[str, str]]) -> None:
        """Keep every failure; the message quotes the first (and counts the rest)."""
        self.failed = tuple(failed)
        first = failed[0][1]
        more = f"; and {len(failed) - 1} more" if len(failed) > 1 else ""
        super().__init__(f"no transcript could be read ({first}{more})")

    @property
    def lines(self) -> list[str]:
        """Each failed file's error, then (for several) a summary line naming none of them."""
        errors = [error for _file, error in self.failed]
        if len(errors) == 1:
            return [str(self)]
        return [*errors, f"none of the {len(errors)} transcripts could be read; nothing written"]


def distinctiveness(z: float) -> float:
    """How far a term is from everyday language: 1 below Zipf 2, 0.02 for the commonest words.

    Zipf 6 and up (dag, uur, day) is everyday speech; 4-5 (contract, klant) is common;
    3 and below (offerte, levertijd, callout) is domain language.
    """
    return min(1.0, max(0.02, (6.0 - z) / 4.0))


#: One conversation's analysis as stored and merged: candidate key -> [customer surfaces and
#: their mentions, kinds and their mentions, customer mentions, rep mentions, the indices of the
#: first ``QUOTES_KEPT`` customer utterances that said it]. Keys, surfaces and kinds are in the
#: order first said, so merging conversations in file order rebuilds exactly what analysing
#: them all at once builds.
ConversationTerms = dict[str, list[Any]]
#: Quotes kept per term (the evidence is chosen from these).
QUOTES_KEPT = 50


class AnalysisStore(Protocol):
    """Where each conversation's analysis is kept between runs (``pipeline.state.TermAnalyses``)."""

    def get(self, call_id: str, analysis: str) -> Any | None: ...  # noqa: D102

    def put(self, call_id: str, analysis: str, data: Any) -> None: ...  # noqa: D102

    def find(self, analysis: str) -> tuple[str, Any] | None: ...  # noqa: D102


def analyze_conversation(conv: Conversation, analyzer: Analyzer) -> ConversationTerms:
    """One conversation's candidates, counted: customer speech (all speech when roles are
    unknown) as the vocabulary, the rep's as contrast."""
    out: ConversationTerms = {}
    use = [(i, u) for i, u in enumerate(conv.utterances) if counted(u)]
    roles_known = conv.roles_known
    for (i, u), cands in zip(use, analyzer.analyze(u.text for _, u in use), strict=True):
        counts_as_customer = u.speaker == "customer" or not roles_known
        for c in cands:
            t = out.setdefault(c.key, [{}, {}, 0, 0, []])
            if counts_as_customer:
                t[0][c.surface] = t[0].get(c.surface, 0) + 1
                t[1][c.kind] = t[1].get(c.kind, 0) + 1
                t[2] += 1
                if len(t[4]) < QUOTES_KEPT:
                    t[4].append(i)
            elif u.speaker == "rep":
                t[3] += 1
    return out


def analysis_key(conv: Conversation, pipeline: str) -> str:
    """What one conversation's analysis depends on: what was said (text, speaker, time, flags,
    language) and how it is analysed (``pipeline``: ``terms.nlp.fingerprint``, and the
    candidate rules)."""
    h = hashlib.sha256()
    h.update(json.dumps([ANALYSIS, pipeline, conv.language]).encode())
    for u in conv.utterances:
        h.update(json.dumps([u.text, u.speaker, u.start, sorted(u.flags)]).encode())
    return h.hexdigest()


#: Bumped when reading a mine transcript JSON into a ``Conversation`` changes: stored
#: conversations (below) read under another version are read again.
READER = "2"


def _file_key(path: Path, language: str, include_raw: bool) -> str | None:
    """The key a mine transcript file's stored conversation is kept under: its bytes, how it
    is read and this version of mine. None for what is not a regular file of at most
    ``TRANSCRIPT_CAP`` (read as usual, which names the fault)."""
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode) or st.st_size > TRANSCRIPT_CAP:
            return None
        h = hashlib.sha256()
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    except OSError:
        return None
    # not its name: a mine transcript's conversation comes from its content alone
    what = [READER, _mine_version(), h.hexdigest(), language, include_raw]
    return "file:" + hashlib.sha256(json.dumps(what).encode()).hexdigest()


@cache
def _mine_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mine")
    except PackageNotFoundError:
        return ""


def _compact(conv: Conversation) -> dict[str, Any]:
    """What the terms stage needs of a conversation, to keep instead of reading it again."""
    return {
        "call_id": conv.call_id,
        "source": conv.source,
        "language": conv.language,
        "model": conv.model,
        "recorded_at": conv.recorded_at,
        "recorded_at_source": conv.recorded_at_source,
        "utterances": [[u.start, u.end, u.speaker, u.text, list(u.flags)] for u in conv.utterances],
    }


def _number(value: Any) -> bool:
    return type(value) in (int, float)


def _from_compact(call_id: str, data: Any) -> Conversation | None:
    """A stored conversation, or None when the row is not one (read the file again)."""
    if not (
        isinstance(data, dict)
        and data.get("call_id") == call_id
        and isinstance(data.get("source"), str)
        and isinstance(data.get("language"), str | None)
        and isinstance(data.get("model"), str)
        and isinstance(data.get("recorded_at", ""), str)
        and isinstance(data.get("recorded_at_source", ""), str)
        and isinstance(data.get("utterances"), list)
    ):
        return None
    utterances = []
    for i, row in enumerate(data["utterances"]):
        if not (
            isinstance(row, list)
            and len(row) == 5
            and _number(row[0])
            and _number(row[1])
            and row[2] in ("customer", "rep", "unknown")
            and isinstance(row[3], str)
            and isinstance(row[4], list)
            and all(isinstance(f, str) for f in row[4])
        ):
            return None
        start, end, speaker, text, flags = row
        utterances.append(Utterance(i, start, end, speaker, text, flags=tuple(flags)))
    return Conversation(
        call_id,
        data["source"],
        data["language"],
        tuple(utterances),
        data["model"],
        mine=True,
        recorded_at=data.get("recorded_at", ""),
        recorded_at_source=data.get("recorded_at_source", ""),
    )


def _count(value: Any, *, least: int = 0) -> bool:
    return type(value) is int and value >= least


def _stored_terms(
    data: Any, conv: Conversation, key: str
) -> tuple[dict[str, Any], ConversationTerms] | None:
    """A stored analysis as (pipeline description, terms) if it is this conversation's (its
    call and key) and has the shape ``analyze_conversation`` gives (counts that add up, quotes
    of counted customer utterances in order); None otherwise. A damaged or misfiled row costs a
    re-analysis, never a crash or a different ranking."""
    if not (
        isinstance(data, dict)
        and data.get("call_id") == conv.call_id
        and data.get("analysis") == key
        and isinstance(data.get("pipeline"), dict)
        and isinstance(data.get("terms"), dict)
    ):
        return None
    terms: dict[str, Any] = data["terms"]
    n, roles_known = len(conv.utterances), conv.roles_known
    for k, entry in terms.items():
        if not (k and isinstance(entry, list) and len(entry) == 5):
            return None
        surfaces, kinds, mentions, rep, quotes = entry
        if not (_count(mentions) and _count(rep) and isinstance(quotes, list)):
            return None
        for counts in (surfaces, kinds):
            if not (
                isinstance(counts, dict)
                and all(_count(c, least=1) for c in counts.values())
                and sum(counts.values()) == mentions
            ):
                return None
        if len(quotes) != min(mentions, QUOTES_KEPT) or quotes != sorted(quotes):
            return None
        for i in quotes:
            if not (_count(i) and i < n):
                return None
            u = conv.utterances[i]
            if not (counted(u) and (u.speaker == "customer" or not roles_known)):
                return None
    return data["pipeline"], terms


class _Analyses:
    """Each language's analyzer, and each conversation's analysis: from ``store`` when it holds
    one for the same conversation and pipeline fingerprint, else made here. A language's
    pipeline is loaded only when one of its conversations must be analysed."""

    def __init__(
        self, opts: TermOptions, pipelines: dict[str, LoadedPipeline], store: AnalysisStore | None
    ) -> None:
        self.opts, self.pipelines, self.store = opts, pipelines, store
        self.given = set(pipelines)  # loaded by the caller: their description is the identity
        self.analyzers: dict[str, Analyzer] = {}
        self.described: dict[str, dict[str, Any]] = {}
        self.fingerprints: dict[str, str] = {}
        self.analysed = self.reused = 0

    def _pipeline(self, lang: str) -> LoadedPipeline:
        if lang not in self.pipelines:
            self.pipelines[lang] = load_pipeline(lang, self.opts.pipelines.get(lang))
        return self.pipelines[lang]

    def _fingerprint(self, lang: str) -> str:
        if lang not in self.fingerprints:
            self.fingerprints[lang] = (
                json.dumps(describe(self.pipelines[lang]), sort_keys=True)
                if lang in self.given
                else fingerprint(lang, self.opts.pipelines.get(lang))
            )
        return self.fingerprints[lang]

    def terms_of(self, conv: Conversation, lang: str) -> ConversationTerms:
        """The conversation's analysis."""
        key = ""
        if self.store is not None:
            key = analysis_key(conv, self._fingerprint(lang))
            found = _stored_terms(self.store.get(conv.call_id, key), conv, key)
            if found is not None:
                self.reused += 1
                self.described.setdefault(lang, found[0])
                return found[1]
        if lang not in self.analyzers:
            self.analyzers[lang] = Analyzer(self._pipeline(lang))
        terms = analyze_conversation(conv, self.analyzers[lang])
        self.analysed += 1
        if self.store is not None:  # replaces a damaged or misfiled row
            self.store.put(
                conv.call_id,
                key,
                {
                    "call_id": conv.call_id,
                    "analysis": key,
                    "pipeline": self.describe(lang),
                    "terms": terms,
                },
            )
        return terms

    def describe(self, lang: str) -> dict[str, Any]:
        """How the language was analysed (``describe`` of its pipeline)."""
        if lang in self.pipelines:
            return describe(self.pipelines[lang])
        return self.described[lang]


def _merge(conv: Conversation, terms: ConversationTerms, stats: dict[str, _Stats]) -> None:
    """Add one conversation's analysis to ``stats``."""
    for key, (surfaces, kinds, mentions, rep, quotes) in terms.items():
        s = stats[key]
        s.surfaces.update(surfaces)
        s.kinds.update(kinds)
        if mentions:
            s.per_conv[conv.call_id] += mentions
        s.rep += rep
        for i in quotes[: QUOTES_KEPT - len(s.quotes)]:
            u = conv.utterances[i]
            s.quotes.append(
                Quote(
                    call_id=conv.call_id,
                    source=conv.source,
                    start=u.start,
                    speaker=u.speaker,
                    text=u.text,
                    recorded_at=conv.recorded_at,
                )
            )


def _evidence(s: _Stats, n: int) -> tuple[Quote, ...]:
    """Up to ``n`` quotes, from as many different conversations as possible, short ones first."""
    chosen: list[Quote] = []
    seen_calls, seen_text = set(), set()
    ranked = sorted(s.quotes, key=lambda q: (len(q.text) > 240, abs(len(q.text) - 90)))
    for rule in ("new-call", "any"):
        for q in ranked:
            if len(chosen) >= n or q.text in seen_text:
                continue
            if rule == "new-call" and q.call_id in seen_calls:
                continue
            chosen.append(replace(q, start=round(q.start, 2)))
            seen_calls.add(q.call_id)
            seen_text.add(q.text)
    return tuple(chosen)


def rank(
    stats: dict[str, _Stats], language: str, opts: TermOptions, customers: Callable[[str], str]
) -> list[Term]:
    """Score and order the terms of one language."""
    keys = [k for k, s in stats.items() if s.per_conv]
    if not keys:
        return []
    row_of = {c: i for i, c in enumerate(sorted({c for k in keys for c in stats[k].per_conv}))}
    rows, cols, counts = [], [], []
    for j, k in enumerate(keys):
        for call, n in stats[k].per_conv.items():
            rows.append(row_of[call])
            cols.append(j)
            counts.append(n)
    from scipy.sparse import csr_matrix  # heavy: only once inputs are read
    from sklearn.feature_extraction.text import TfidfTransformer

    matrix = TfidfTransformer(sublinear_tf=True, norm=None, smooth_idf=True).fit_transform(
        csr_matrix((counts, (rows, cols)), shape=(len(row_of), len(keys)), dtype=float)
    )
    tfidf = dict(zip(keys, matrix.sum(axis=0).A1, strict=True))
    rows = [
        _term_row(key, stats[key], language, float(tfidf[key]), opts, customers)
        for key in keys
        if len(stats[key].per_conv) >= opts.min_conversations
    ]
    rows.sort(key=lambda r: (-r.score, -r.conversations, r.term))
    return rows[: opts.top]


def _term_row(
    key: str,
    s: _Stats,
    language: str,
    tfidf: float,
    opts: TermOptions,
    customers: Callable[[str], str],
) -> Term:
    """One term's row: counts, general-language frequency, score and evidence."""
    surface = s.surfaces.most_common(1)[0][0]
    z = zipf(surface, language)
    d = distinctiveness(z)
    return Term(
        term=surface,
        key=key,
        language=language,
        kind=s.kinds.most_common(1)[0][0],
        conversations=len(s.per_conv),
        mentions=sum(s.per_conv.values()),
        customers=len({customers(c) for c in s.per_conv}),
        rep_mentions=s.rep,
        tfidf=round(tfidf, 4),
        zipf=round(z, 2),
        distinctiveness=round(d, 3),
        score=round(d * tfidf, 4),
        forms=tuple(f for f, _ in s.surfaces.most_common(5)),
        evidence=_evidence(s, opts.evidence),
    )


@dataclass
class _Ranked:
    """What ranking every language gave: the rows and, per language, how it was analysed."""

    rows: list[Term] = field(default_factory=list)
    #: language -> ``describe`` of its pipeline
    pipelines: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: language -> every key a customer said -> its mentions
    vocabulary: dict[str, dict[str, int]] = field(default_factory=dict)
    #: the questions customers asked, paraphrases grouped (``terms.questions``)
    questions: list[AskedQuestion] = field(default_factory=list)
    analysed: int = 0
    reused: int = 0


def extract_terms(
    paths: list[Path],
    *,
    settings: Settings,
    out_dir: Path,
    on_progress: ProgressCallback = ignore,
    pipelines: dict[str, LoadedPipeline] | None = None,
    include_raw: bool = False,
    store: AnalysisStore | None = None,
) -> TermsReport:
    """Extract the customers' vocabulary from transcripts and write ``terms.csv``/``terms.json``.

    Args:
        paths: transcripts (mine JSON, SRT, VTT, TXT) or folders of them.
        settings: resolved settings (``[terms]`` options).
        out_dir: where terms.csv and terms.json go.
        on_progress: receives per-file progress.
        pipelines: loaded pipelines to reuse, by language.
        include_raw: read a ``<stem>.raw.json`` named on its own (``--keep-raw``, unredacted);
            it is redacted first, like every transcript mine did not redact.
        store: keeps each conversation's analysis between calls (``mine run``: the
            workspace's ``term_analyses``); a conversation analysed before under the same
            analyzer is not analysed again. The result is the same with or without it.

    Returns:
        The ranked rows (all languages), metadata and the files that failed.

    Raises:
        NoTranscriptRead: no transcript could be read at all (an ``InputError``; each file's
            error is in its ``failed``).
        InputError: no transcripts found, or a ``.raw.json`` is named without ``include_raw``.

    Example:
        >>> extract_terms([Path("transcripts/")], settings=load_settings(), out_dir=Path("terms"))
    """
    files = _transcript_files(paths, include_raw=include_raw)
    ranked, read, failed = _count_and_rank(
        files, settings, dict(pipelines or {}), on_progress, include_raw=include_raw, store=store
    )
    meta = _meta(read, ranked, failed, settings.terms)
    data = TermsFile(meta=meta, terms=tuple(ranked.rows), questions=tuple(ranked.questions))
    outputs = _write(data, out_dir)
    # Every call quoted or counted here is in these files: erasing a call must find them.
    register_for_calls(settings.workspace, meta, "terms", outputs)
    return TermsReport(
        data,
        tuple(failed),
        tuple(str(p) for p in outputs),
        analysed=ranked.analysed,
        reused=ranked.reused,
    )


def _transcript_files(paths: list[Path], *, include_raw: bool) -> list[Path]:
    """The transcript files named or in the folders named.

    Raises:
        InputError: none found.
    """
    files = find_transcripts(paths, include_raw=include_raw)
    if not files:
        raise InputError(
            f"{', '.join(map(shown, paths))}: no transcripts found (.json, .srt, .vtt, "
            ".txt, .docx); pass transcript files or the folder mine transcribe wrote to"
        )
    return files


def _count_and_rank(
    files: list[Path],
    settings: Settings,
    pipelines: dict[str, LoadedPipeline],
    on_progress: ProgressCallback,
    *,
    include_raw: bool,
    store: AnalysisStore | None = None,
) -> tuple[_Ranked, list[dict[str, Any]], list[tuple[str, str]]]:
    """Read, count and forget one transcript at a time; then rank each language.

    Only the counts (and up to 50 quotes a term) outlive a conversation, so memory grows with
    the vocabulary, not with the transcripts' length. A conversation's analysis comes from
    ``store`` when it holds one for the same conversation and pipeline (``_Analyses``).
    Returns the ranking, what was read (one
    ``_source_info`` each, in file order) and each file that could not be read with its
    one-line error; named speakers get their roles from the staff list, own names and hand
    corrections.

    Raises:
        NoTranscriptRead: none could be read.
    """
    opts = settings.terms
    hints = RoleHints(
        reps=settings.roles.reps,
        own_names=settings.transcribe.own_names,
        min_confidence=settings.transcribe.min_role_confidence,
    )
    failed: list[tuple[str, str]] = []
    read: list[dict[str, Any]] = []
    seen: set[str] = set()
    stats: dict[str, dict[str, _Stats]] = defaultdict(lambda: defaultdict(_Stats))
    asked: list[Asked] = []
    analyses = _Analyses(opts, pipelines, store)
    ranked = _Ranked()
    on_progress(ProgressEvent("total", total=len(files)))
    for done, f in enumerate(files, 1):
        conv = None
        # a mine transcript read before, byte for byte: its conversation as then stored (other
        # tools' files are always read: their consent and roles are looked up each time)
        fkey = _file_key(f, opts.language, include_raw) if store is not None else None
        if fkey is not None and (found := store.find(fkey)) is not None:
            conv = _from_compact(*found)
        if conv is None:
            try:  # the reader redacts whatever mine did not (other tools' files, --keep-raw)
                conv = read_conversation(
                    f,
                    language=None if opts.language == "auto" else opts.language,
                    include_raw=include_raw,
                    hints=hints,
                    corrections=lambda call_id: hand_set_roles(settings.workspace, call_id),
                )
            except MineError as exc:
                failed.append((shown(f), str(exc)))
            if conv is not None and conv.mine and fkey is not None:
                store.put(conv.call_id, fkey, _compact(conv))
        if conv is not None and conv.call_id not in seen:
            # identical bytes (a copy, or a .vtt and a .txt export) count once
            seen.add(conv.call_id)
            lang = conv.language or "und"
            _merge(conv, analyses.terms_of(conv, lang), stats[lang])
            asked.extend(
                asked_in(
                    conv.utterances,
                    call_id=conv.call_id,
                    source=conv.source,
                    language=lang,
                    roles_known=conv.roles_known,
                    recorded_at=conv.recorded_at,
                )
            )
            read.append(_source_info(conv))
        on_progress(ProgressEvent("advance", done=done, total=len(files), item=shown(f)))
    if not read:
        raise NoTranscriptRead(failed)
    customers = _customer_lookup(settings)
    ranked.analysed, ranked.reused = analyses.analysed, analyses.reused
    for lang, lang_stats in sorted(stats.items()):
        ranked.pipelines[lang] = analyses.describe(lang)
        ranked.rows.extend(rank(lang_stats, lang, opts, customers))
        # every key any customer said, so the gap report can tell "never said" from "not in the top"
        ranked.vocabulary[lang] = {
            k: sum(st.per_conv.values()) for k, st in lang_stats.items() if st.per_conv
        }
    ranked.questions = group_questions(asked, customers=customers, evidence=opts.evidence)
    return ranked, read, failed


def _meta(
    read: list[dict[str, Any]],
    ranked: _Ranked,
    failed: list[tuple[str, str]],
    opts: TermOptions,
) -> dict[str, Any]:
    """terms.json's ``meta``: what was read, how it was analysed, and what was left out."""
    return {
        "conversations": len(read),
        "languages": dict(Counter(s["language"] or "und" for s in read)),
        "roles_known": sum(s["roles_known"] for s in read),
        "pipelines": ranked.pipelines,
        "options": options_dict(opts),
        "sources": read,
        "vocabulary": ranked.vocabulary,
        "questions": {
            "asked": sum(q.mentions for q in ranked.questions),
            "groups": len(ranked.questions),
            "rule": "see terms/questions.py",
        },
        "failed": [{"file": f, "error": e} for f, e in failed],
        "score": "distinctiveness * summed TF-IDF; see terms/api.py",
    }


def _source_info(c: Conversation) -> dict[str, Any]:
    """Per conversation: identity, language, length and how much of it is the customer's."""
    timed = any(u.end > u.start for u in c.utterances)
    spoken = sum(max(0.0, u.end - u.start) for u in c.utterances) if timed else 0.0
    customer = (
        sum(
            max(0.0, u.end - u.start)
            for u in c.utterances
            if u.speaker == "customer" or not c.roles_known
        )
        if timed
        else 0.0
    )
    with_role = (
        sum(max(0.0, u.end - u.start) for u in c.utterances if u.speaker != "unknown")
        if timed
        else 0.0
    )
    return {
        "call_id": c.call_id,
        "source": c.source,
        "language": c.language,
        "roles_known": c.roles_known,
        "recorded_at": c.recorded_at,
        "recorded_at_source": c.recorded_at_source,
        "speech_seconds": round(spoken, 1),
        "customer_seconds": round(customer, 1),
        "role_seconds": round(with_role, 1),
        "model": c.model,
    }


def _customer_lookup(settings: Settings) -> Callable[[str], str]:
    """call_id -> customer name from the workspace's state, or the call_id when unknown."""
    known: dict[str, str] = {}
    db = settings.workspace / "state.db"
    if db.is_file():
        from pipeline.state import open_state, recordings

        with open_state(settings.workspace) as conn:
            known = {r.call_id: r.customer for r in recordings(conn) if r.customer}
    return lambda call_id: known.get(call_id, call_id)


#: terms.csv's columns: the JSON row's, with forms and evidence as text.
CSV_COLUMNS = [
    "term",
    "key",
    "language",
    "kind",
    "conversations",
    "mentions",
    "customers",
    "rep_mentions",
    "tfidf",
    "zipf",
    "distinctiveness",
    "score",
    "forms",
    "evidence",
]


def _csv_row(row: Term) -> dict[str, Any]:
    """A term as terms.csv shows it: forms joined by "; ", quotes by " | " with call and time."""
    return {
        **{k: v for k, v in row.to_dict().items() if k not in ("evidence", "forms")},
        "forms": "; ".join(row.forms),
        "evidence": " | ".join(f"{q.text} ({q.source} @{q.start:.0f}s)" for q in row.evidence),
    }


def _write(data: TermsFile, out_dir: Path) -> list[Path]:
    """Write terms.json (canonical) and terms.csv (a view of it), all or nothing."""
    import pandas as pd

    table = pd.DataFrame([_csv_row(r) for r in data.terms], columns=CSV_COLUMNS)
    targets = [out_dir / "terms.json", out_dir / "terms.csv"]
    with staged_files(targets) as (js, csv):
        js.write_text(json.dumps(data.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
        table.to_csv(csv, index=False)
    return targets
