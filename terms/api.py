"""``extract_terms``: the customers' own vocabulary, ranked, each term with its evidence.

Score (one number orders the list): ``score = distinctiveness * tfidf``, where ``tfidf`` is the
sum over conversations of scikit-learn's TF-IDF of the term's key (sublinear tf, smoothed idf,
no normalisation: breadth across conversations counts, a term every call uses is not punished
below idf 1), and ``distinctiveness = clip((6 - zipf) / 4, 0.02, 1)`` with ``zipf`` the term's
general-language frequency (wordfreq): everyday words (week, dag, time) sink, domain words stay.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.config import Settings, TermOptions, options_dict
from pipeline.errors import InputError, MineError
from pipeline.files import staged_files
from pipeline.progress import ProgressCallback, ProgressEvent, ignore
from pipeline.state import register_for_calls
from terms.analyze import Analyzer, describe, zipf
from terms.inputs import Conversation, find_transcripts, read_conversation, shown
from terms.nlp import LoadedPipeline, load_pipeline

#: Flags that mark an utterance as a likely hallucination: it does not count.
SKIP_FLAGS = {"no-speech", "repetition", "in-silence", "known-hallucination", "low-confidence"}


@dataclass
class _Stats:
    surfaces: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    per_conv: Counter = field(default_factory=Counter)  # call_id -> mentions (customer side)
    rep: int = 0
    quotes: list[tuple[str, str, float, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class TermsReport:
    """The outcome of ``extract_terms``."""

    rows: list[dict[str, Any]]
    meta: dict[str, Any]
    failed: tuple[tuple[str, str], ...]  # (file, error)
    outputs: tuple[str, ...]

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


def _counts(conv: Conversation, analyzer: Analyzer, stats: dict[str, _Stats]) -> None:
    """Add one conversation's candidates to ``stats`` (customer speech; rep as contrast)."""
    use = [u for u in conv.utterances if not (set(u.flags) & SKIP_FLAGS) and u.text.strip()]
    for u, cands in zip(use, analyzer.analyze(u.text for u in use), strict=True):
        counts_as_customer = u.speaker == "customer" or not conv.roles_known
        for c in cands:
            s = stats[c.key]
            if counts_as_customer:
                s.surfaces[c.surface] += 1
                s.kinds[c.kind] += 1
                s.per_conv[conv.call_id] += 1
                if len(s.quotes) < 50:
                    s.quotes.append((conv.call_id, conv.source, u.start, u.speaker, u.text))
            elif u.speaker == "rep":
                s.rep += 1


def _evidence(s: _Stats, n: int) -> list[dict[str, Any]]:
    """Up to ``n`` quotes, from as many different conversations as possible, short ones first."""
    chosen, seen_calls, seen_text = [], set(), set()
    ranked = sorted(s.quotes, key=lambda q: (len(q[4]) > 240, abs(len(q[4]) - 90)))
    for rule in ("new-call", "any"):
        for call_id, source, start, speaker, text in ranked:
            if len(chosen) >= n or text in seen_text:
                continue
            if rule == "new-call" and call_id in seen_calls:
                continue
            chosen.append(
                {
                    "call_id": call_id,
                    "source": source,
                    "start": round(start, 2),
                    "speaker": speaker,
                    "text": text,
                }
            )
            seen_calls.add(call_id)
            seen_text.add(text)
    return chosen


def rank(
    stats: dict[str, _Stats], language: str, opts: TermOptions, customers: Callable[[str], str]
) -> list[dict[str, Any]]:
    """Score and order the terms of one language."""
    keys = [k for k, s in stats.items() if s.per_conv]
    if not keys:
        return []
    calls = sorted({c for k in keys for c in stats[k].per_conv})
    docs = [[k for k in keys for _ in range(stats[k].per_conv.get(call, 0))] for call in calls]
    from sklearn.feature_extraction.text import TfidfVectorizer  # heavy: only once inputs are read

    vec = TfidfVectorizer(analyzer=lambda d: d, sublinear_tf=True, norm=None, smooth_idf=True)
    matrix = vec.fit_transform(docs)
    tfidf = dict(zip(vec.get_feature_names_out(), matrix.sum(axis=0).A1, strict=True))
    rows = []
    for key in keys:
        s = stats[key]
        conversations = len(s.per_conv)
        if conversations < opts.min_conversations:
            continue
        surface = s.surfaces.most_common(1)[0][0]
        z = zipf(surface, language)
        d = distinctiveness(z)
        rows.append(
            {
                "term": surface,
                "key": key,
                "language": language,
                "kind": s.kinds.most_common(1)[0][0],
                "conversations": conversations,
                "mentions": sum(s.per_conv.values()),
                "customers": len({customers(c) for c in s.per_conv}),
                "rep_mentions": s.rep,
                "tfidf": round(float(tfidf[key]), 4),
                "zipf": round(z, 2),
                "distinctiveness": round(d, 3),
                "score": round(d * float(tfidf[key]), 4),
                "forms": [f for f, _ in s.surfaces.most_common(5)],
                "evidence": _evidence(s, opts.evidence),
            }
        )
    rows.sort(key=lambda r: (-r["score"], -r["conversations"], r["term"]))
    return rows[: opts.top]


def extract_terms(
    paths: list[Path],
    *,
    settings: Settings,
    out_dir: Path,
    on_progress: ProgressCallback = ignore,
    pipelines: dict[str, LoadedPipeline] | None = None,
    include_raw: bool = False,
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

    Returns:
        The ranked rows (all languages), metadata and the files that failed.

    Raises:
        NoTranscriptRead: no transcript could be read at all (an ``InputError``; each file's
            error is in its ``failed``).
        InputError: no transcripts found, or a ``.raw.json`` is named without ``include_raw``.

    Example:
        >>> extract_terms([Path("transcripts/")], settings=load_settings(), out_dir=Path("terms"))
    """
    opts = settings.terms
    files = find_transcripts(paths, include_raw=include_raw)
    if not files:
        raise InputError(
            f"{', '.join(map(shown, paths))}: no transcripts found (.json, .srt, .vtt, "
            ".txt); pass transcript files or the folder mine transcribe wrote to"
        )
    failed: list[tuple[str, str]] = []
    convs: list[Conversation] = []
    for f in files:
        try:  # the reader redacts whatever mine did not (other tools' files, --keep-raw JSON)
            conv = read_conversation(
                f,
                language=None if opts.language == "auto" else opts.language,
                include_raw=include_raw,
            )
        except MineError as exc:
            failed.append((shown(f), str(exc)))
            continue
        convs.append(conv)
    if not convs:
        raise NoTranscriptRead(failed)
    pipelines = dict(pipelines or {})
    by_lang: dict[str, list[Conversation]] = defaultdict(list)
    for c in convs:
        by_lang[c.language or "und"].append(c)
    customers = _customer_lookup(settings)
    rows: list[dict[str, Any]] = []
    analyzers: dict[str, Any] = {}
    vocabulary: dict[str, dict[str, int]] = {}
    total = sum(len(c.utterances) for c in convs)
    on_progress(ProgressEvent("total", total=total))
    done = 0
    for lang, group in sorted(by_lang.items()):
        if lang not in pipelines:
            preferred = opts.pipelines.get(lang)
            pipelines[lang] = load_pipeline(lang, preferred)
        analyzer = Analyzer(pipelines[lang])
        analyzers[lang] = describe(pipelines[lang])
        stats: dict[str, _Stats] = defaultdict(_Stats)
        for conv in group:
            _counts(conv, analyzer, stats)
            done += len(conv.utterances)
            on_progress(ProgressEvent("advance", done=done, total=total, item=conv.source))
        rows += rank(stats, lang, opts, customers)
        # every key any customer said, so the gap report can tell "never said" from "not in the top"
        vocabulary[lang] = {k: sum(st.per_conv.values()) for k, st in stats.items() if st.per_conv}
    meta = {
        "conversations": len(convs),
        "languages": {lang: len(g) for lang, g in by_lang.items()},
        "roles_known": sum(c.roles_known for c in convs),
        "pipelines": analyzers,
        "options": options_dict(opts),
        "sources": [_source_info(c) for c in convs],
        "vocabulary": vocabulary,
        "failed": [{"file": f, "error": e} for f, e in failed],
        "score": "distinctiveness * summed TF-IDF; see terms/api.py",
    }
    outputs = _write(rows, meta, out_dir)
    # Every call quoted or counted here is in these files: erasing a call must find them.
    register_for_calls(settings.workspace, meta, "terms", outputs)
    return TermsReport(rows, meta, tuple(failed), tuple(str(p) for p in outputs))


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


def _write(rows: list[dict[str, Any]], meta: dict[str, Any], out_dir: Path) -> list[Path]:
    import pandas as pd

    table = pd.DataFrame(
        [
            {
                **{k: v for k, v in r.items() if k not in ("evidence", "forms")},
                "forms": "; ".join(r["forms"]),
                "evidence": " | ".join(
                    f"{q['text']} ({q['source']} @{q['start']:.0f}s)" for q in r["evidence"]
                ),
            }
            for r in rows
        ],
        columns=[
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
        ],
    )
    targets = [out_dir / "terms.json", out_dir / "terms.csv"]
    with staged_files(targets) as (js, csv):
        js.write_text(
            json.dumps({"meta": meta, "terms": rows}, ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
        table.to_csv(csv, index=False)
    return targets
