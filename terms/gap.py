"""``analyze_gap``: the customers' vocabulary against the website's copy.

Both sides go through the same analyzer (language pipeline, lemmas, Dutch compound keys), so a
term counts the same way in a transcript and on a page.

Status of a customer term (documented rule):
- ``missing``: no page uses it (nor a spelling variant);
- ``underused``: the site uses it, but its share of the site's term mentions is below a quarter
  of its share of the customers' term mentions (the site gives it far less weight than customers);
- ``covered``: otherwise.

Gap score (the table's order): ``score = salience * (1 - coverage)`` where ``salience`` is the
term's customer score from ``mine terms`` times ``log2(1 + customers)`` and ``coverage =
min(1, site share / customer share)``; a missing term has coverage 0.
"""

from __future__ import annotations

import json
import math
import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from textwrap import shorten
from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline import languages, sitenames
from pipeline.config import Settings
from pipeline.errors import InputError
from pipeline.files import staged_files
from pipeline.progress import ProgressCallback, ProgressEvent, ignore
from pipeline.reading import read_bounded, read_json, read_record, shown
from pipeline.records import (
    AskedQuestion,
    GapFile,
    GapRow,
    JargonRow,
    PageMentions,
    PageView,
    QuestionRow,
    QuestionsFile,
    SuggestedPage,
    Term,
    TermsFile,
)
from pipeline.shapes import (
    MapOf,
    load_json,
    may_hold_surrogates,
    shape_problem,
    surrogate_problem,
)
from pipeline.state import register_for_calls
from pipeline.text import edit_distance
from terms.analyze import Analyzer, zipf
from terms.answers import SiteAnswers, about_page, article_page, utility_page
from terms.api import distinctiveness
from terms.boilerplate import Boilerplate
from terms.inputs import PAGES_CAP
from terms.nlp import BUNDLED_NL, LoadedPipeline, load_pipeline

if TYPE_CHECKING:
    from scipy.sparse import csc_matrix, csr_matrix, spmatrix
    from sklearn.feature_extraction.text import TfidfTransformer

UNDERUSED_FACTOR = 0.25
SUGGESTIONS = 3
#: TF-IDF cosine below which a page is not suggested for a term or question: no page fits,
#: it needs a new page (the closest page's title is given as its topic).
SUGGEST_FLOOR = 0.05
#: A dated article's (blog, news) similarity counts for this share: copy is fixed on the
#: evergreen page when one is about as close.
ARTICLE_WEIGHT = 0.6
JARGON_ROWS = 100


@dataclass(frozen=True)
class GapReport:
    """What ``analyze_gap`` wrote: gap.json as records, and the files."""

    data: GapFile
    outputs: tuple[str, ...]
    asked: QuestionsFile | None = None  # questions.json

    @cached_property
    def questions(self) -> list[dict[str, Any]]:
        """The question rows as questions.json holds them, unanswered first."""
        return [row.to_dict() for row in self.asked.questions] if self.asked else []

    @property
    def meta(self) -> dict[str, Any]:
        """gap.json's ``meta``."""
        return self.data.meta

    @cached_property
    def rows(self) -> list[dict[str, Any]]:
        """The gap rows as gap.json holds them, highest score first."""
        return [row.to_dict() for row in self.data.gaps]

    @cached_property
    def jargon(self) -> list[dict[str, Any]]:
        """The site's jargon as gap.json holds it, most prominent first."""
        return [row.to_dict() for row in self.data.jargon]

    @cached_property
    def pages(self) -> list[dict[str, Any]]:
        """The per-page views as gap.json holds them."""
        return [view.to_dict() for view in self.data.pages]


#: One line of pages.jsonl (``mine crawl``).
PAGE_SHAPE = {
    "url": str,
    "text": str,
    "title?": (str, None),
    "headings?": [{"text": str}],
    "lang?": (str, None),
    "faq?": [{"question": str, "answer": str}],
}


def _read_terms(folder: Path) -> TermsFile:
    """terms.json (``mine terms``) as its record.

    Raises:
        InputError: missing, not a regular file, too large, not JSON or not what mine terms
            writes, naming the file and ``mine terms``, which makes it again.
    """
    path = folder / "terms.json" if folder.is_dir() else folder
    return read_record(path, TermsFile, made_by="mine terms")


def _read_pages(folder: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The crawled pages (each line checked) and the crawl's summary.

    Raises:
        InputError: pages.jsonl or crawl.json missing, not a regular file, too large, binary or
            malformed (a lone surrogate included), naming the file (and line) and
            ``mine crawl``, which makes them again.
    """
    path = folder / "pages.jsonl" if folder.is_dir() else folder
    raw = read_bounded(
        path,
        cap=PAGES_CAP,
        fix="run mine crawl again or check the path",
        too_large="more than mine reads of a crawl; crawl fewer pages (--max-pages)",
        missing="not found; run mine crawl first and pass its --out folder",
    )
    try:
        # "\n" only: str.splitlines also breaks at U+2028 and friends, which page text may hold
        lines = raw.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        raise InputError(
            f"{shown(path)}: not what mine crawl writes (not UTF-8 JSON: binary, damaged or saved "
            "in another encoding); run mine crawl again"
        ) from None
    del raw
    pages = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        row, problem = load_json(line)
        if not problem:
            problem = shape_problem(row, PAGE_SHAPE)
        if not problem and may_hold_surrogates(line):
            problem = surrogate_problem(row)
        if problem:
            raise InputError(
                f"{shown(path)}:{n}: not a mine page record ({problem}); run mine crawl again"
            )
        headings = [h for h in row.get("headings") or [] if h["text"]]
        pages.append({**row, "title": row.get("title") or "", "headings": headings})
    if not pages:
        raise InputError(f"{shown(path)}: no pages; the crawl found nothing to compare with")
    summary_path = path.parent / "crawl.json"
    summary = (
        read_json(summary_path, shape=MapOf(object), made_by="mine crawl")
        if summary_path.is_file()
        else {}
    )
    return pages, summary


def _pipeline_for(lang: str, terms_meta: dict[str, Any], settings: Settings) -> LoadedPipeline:
    """The pipeline mine terms used for ``lang`` (so both sides are analysed alike)."""
    used = terms_meta.get("pipelines", {}).get(lang, {}).get("pipeline")
    preferred = settings.terms.pipelines.get(lang)
    if used and used != "rules" and not preferred:
        preferred = str(BUNDLED_NL) if used.startswith("mine nl") else used
    try:
        return load_pipeline(lang, preferred)
    except Exception:  # noqa: BLE001 - the recorded pipeline may be gone; fall back as terms would
        return load_pipeline(lang)


def analyze_gap(
    terms_dir: Path,
    pages_dir: Path,
    *,
    settings: Settings,
    out_dir: Path,
    on_progress: ProgressCallback = ignore,
) -> GapReport:
    """Compare customer terms with the site's pages; write gap.json, gap.csv and jargon.csv.

    Each language's terms are compared with the pages in that language (all pages when none
    are): the site's counts (``_Site``), each term's match and status (``_gap_row``), then the
    site's own words that no customer says (``_jargon``).

    Raises:
        InputError: terms or pages missing or malformed.

    Example:
        >>> analyze_gap(Path("terms"), Path("site"), settings=load_settings(), out_dir=Path("gap"))
    """
    terms = _read_terms(terms_dir)
    pages, crawl_summary = _read_pages(pages_dir)
    by_lang: dict[str, list[Term]] = defaultdict(list)
    for term in terms.terms:
        by_lang[term.language].append(term)
    main_lang = max(by_lang, key=lambda k: len(by_lang[k])) if by_lang else "nl"
    on_progress(ProgressEvent("total", total=len(pages)))
    page_lang = {p["url"]: _page_language(p, main_lang) for p in pages}
    theme = Boilerplate.of(pages)
    names = _own_names(pages, crawl_summary, settings)
    views = _PageViews(pages)
    gaps: list[GapRow] = []
    jargon: list[JargonRow] = []
    own: list[dict[str, Any]] = []
    coverage: dict[str, dict[str, Any]] = {}
    asked: dict[str, list[AskedQuestion]] = defaultdict(list)
    for q in terms.questions:
        asked[q.language].append(q)
    questions: list[QuestionRow] = []
    for lang in sorted(set(asked) - set(by_lang)):
        by_lang[lang] = []  # questions asked in a language no ranked term is in
    for lang, lang_terms in sorted(by_lang.items()):
        lang_pages = [p for p in pages if page_lang[p["url"]] == lang]
        coverage[lang] = _coverage(lang, len(lang_terms), len(lang_pages), page_lang)
        if not lang_pages:
            continue  # compared with pages in another language, every term would be "missing"
        analyzer = Analyzer(_pipeline_for(lang, terms.meta, settings))
        site = _Site.read(analyzer, lang_pages, theme, on_progress, total=len(pages))
        if asked.get(lang):
            questions += _question_rows(asked[lang], lang_pages, theme, site, analyzer)
        contexts = _customer_contexts(analyzer, lang_terms)
        rows = _gap_rows(lang, lang_terms, site, contexts)
        views.add_gaps(rows)
        gaps += rows
        said = set(terms.meta.get("vocabulary", {}).get(lang, {})) or {t.key for t in lang_terms}
        site_words = _jargon(
            lang, lang_terms, site, contexts, said | _own_keys(lang, site, names, own)
        )
        views.add_jargon(site_words, site)
        jargon += site_words
    gaps.sort(key=lambda r: (-r.score, r.status != "missing", r.term))
    jargon.sort(key=lambda r: -r.score)
    questions.sort(key=_question_order)
    asked_data = QuestionsFile(
        meta=_questions_meta(questions, asked, coverage),
        questions=tuple(questions),
    )
    data = GapFile(
        meta={
            **_meta(terms.meta, crawl_summary, len(pages), gaps),
            "languages": coverage,
            "warnings": [c["note"] for c in coverage.values() if c.get("note")],
            "own_names": {"names": names, "on_site": own},
            "theme_text": theme.summary(),
        },
        gaps=tuple(gaps),
        jargon=tuple(jargon),
        pages=views.records(),
    )
    outputs = _write(data, asked_data, out_dir)
    register_for_calls(settings.workspace, terms.meta, "gap", outputs)
    return GapReport(data, tuple(str(p) for p in outputs), asked_data)


#: A language with fewer pages than this (or a smaller share of the site than ``FEW_SHARE``)
#: is compared, with a warning that its terms may show as missing because its site is small.
FEW_PAGES = 3
FEW_SHARE = 0.1


def _page_language(page: dict[str, Any], default: str) -> str:
    """A page's language: what mine crawl decided from its text (a crawl that records
    ``lang_declared``), else the text's own (an older crawl trusted ``<html lang>``)."""
    if "lang_declared" in page and page.get("lang"):
        return page["lang"]
    return languages.detect(page["text"]) or page.get("lang") or default


def _coverage(lang: str, terms: int, pages: int, page_lang: dict[str, str]) -> dict[str, Any]:
    """How many of the site's pages are in ``lang``, and a plain note when too few are."""
    total = len(page_lang)
    entry = languages.get(lang)
    name = entry.name if entry else lang
    found = Counter(page_lang.values())
    # the five most common (a hand-made pages.jsonl may give every page a language of its own)
    top = found.most_common(5)
    rest = (
        [f"{total - sum(n for _, n in top)} in {len(found) - 5} others"] if len(found) > 5 else []
    )
    others = ", ".join([f"{n} {shorten(code, 20)}" for code, n in top] + rest)
    note = ""
    if pages == 0:
        note = (
            f"No page of the site is in {name} ({lang}): its {total} pages are {others}. The "
            f"{terms} {lang} customer terms were not compared; crawl the {name} pages of the "
            "site (or its export), or check the pages' languages in crawl.json"
        )
    elif pages < FEW_PAGES or pages < FEW_SHARE * total:
        note = (
            f"Only {pages} of the site's {total} pages are in {name} ({lang}): a {lang} term "
            "may show as missing because the site says little in that language"
        )
    return {"terms": terms, "pages": pages, "compared": pages > 0, "note": note}


def _own_names(
    pages: list[dict[str, Any]], crawl_summary: dict[str, Any], settings: Settings
) -> list[str]:
    """The site's own names: ``[transcribe] own_names``, what mine crawl found, the title part
    most pages share and the start address's host."""
    listed = crawl_summary.get("own_names")
    if isinstance(listed, str):  # a hand-written crawl.json: one name, not a list of them
        listed = [listed]
    return sitenames.collect(
        names=[
            *settings.transcribe.own_names,
            *[n for n in (listed if isinstance(listed, list) else []) if isinstance(n, str)],
        ],
        start=str(crawl_summary.get("start") or ""),
        titles=(p.get("title") or "" for p in pages),
    )


def _own_keys(lang: str, site: _Site, names: list[str], own: list[dict[str, Any]]) -> set[str]:
    """The site's keys that are its own names (added to ``own`` with their counts)."""
    is_own = sitenames.matcher(names)
    keys = {k for k in site.forms if is_own(k)}
    for key in sorted(keys, key=lambda k: -site.mentions(k)):
        own.append(
            {
                "term": site.forms[key].most_common(1)[0][0],
                "key": key,
                "language": lang,
                "site_mentions": site.mentions(key),
                "site_pages": site.page_count(key),
            }
        )
    return keys


@dataclass
class _Site:
    """One language's pages as term keys: what the customers' terms are compared with.

    The pages' keys are held as one sparse matrix (page x key mentions, ``counts``), built page
    by page as the analyzer yields them: no page's ``Doc`` and no list of every page's keys is
    kept. Text that is the theme's rather than the page's (``Boilerplate``: lines repeated
    across pages, listing pages) is analysed once and counted apart (``shared``): it shows a
    term is on the site, but it is not the vocabulary of any page.
    """

    pages: list[dict[str, Any]]
    keys: list[str]  # column -> key
    ids: dict[str, int]  # key -> column
    counts: csr_matrix  # page x key: mentions in the page's own text
    count: Counter  # key -> mentions in the pages' own text
    shared: Counter  # key -> mentions in theme text (repeated lines, listing pages)
    heading_count: Counter  # key -> in titles and headings
    forms: dict[str, Counter]  # key -> surface form -> mentions
    names: set[str]  # keys of names (proper nouns): people, places, products; never jargon

    @classmethod
    def read(
        cls,
        analyzer: Analyzer,
        pages: list[dict[str, Any]],
        theme: Boilerplate,
        on_progress: ProgressCallback,
        *,
        total: int,
    ) -> _Site:
        """Analyse every page's own text, then its title and headings, then the theme text
        (once per distinct line); one progress step per page."""
        from scipy.sparse import csr_matrix

        ids: dict[str, int] = {}
        forms: dict[str, Counter] = defaultdict(Counter)
        names: set[str] = set()
        indptr, indices, data = [0], array("l"), array("l")
        bodies = analyzer.analyze(theme.own_text(p) for p in pages)
        for i, (p, cands) in enumerate(zip(pages, bodies, strict=True)):
            page: Counter = Counter()
            for c in cands:
                page[ids.setdefault(c.key, len(ids))] += 1
                forms[c.key][c.surface] += 1
                if c.kind == "name":
                    names.add(c.key)
            indices.extend(page.keys())
            data.extend(page.values())
            indptr.append(len(indices))
            on_progress(ProgressEvent("advance", done=i + 1, total=total, item=p["url"]))
        keys = list(ids)
        counts = csr_matrix(
            (np.frombuffer(data, dtype=np.int64), np.frombuffer(indices, dtype=np.int64), indptr),
            shape=(len(pages), len(keys)),
        )
        totals = np.asarray(counts.sum(axis=0)).ravel()
        heading_count: Counter = Counter()
        for cands in analyzer.analyze(theme.own_headings(p) for p in pages):
            heading_count.update(c.key for c in cands)
        shared: Counter = Counter()
        for cands in analyzer.analyze(theme.shared_text(pages)):
            for c in cands:
                shared[c.key] += 1
                forms[c.key][c.surface] += 0  # a form on the site, not a page's mention
        return cls(
            pages,
            keys,
            ids,
            counts,
            Counter({k: int(n) for k, n in zip(keys, totals, strict=True)}),
            shared,
            heading_count,
            forms,
            names,
        )

    @cached_property
    def _by_key(self) -> csc_matrix:
        return self.counts.tocsc()

    def pages_of(self, key: str) -> list[tuple[str, int]]:
        """(url, mentions) of the pages whose own text uses ``key``, most first (then in page
        order)."""
        j = self.ids.get(key)
        if j is None:
            return []
        m = self._by_key
        rows = m.indices[m.indptr[j] : m.indptr[j + 1]]
        vals = m.data[m.indptr[j] : m.indptr[j + 1]]
        order = np.lexsort((rows, -vals))
        return [(self.pages[rows[i]]["url"], int(vals[i])) for i in order]

    @cached_property
    def _pages_per_key(self) -> np.ndarray:
        return np.diff(self._by_key.indptr)

    def page_count(self, key: str) -> int:
        """How many pages' own text uses ``key``."""
        j = self.ids.get(key)
        return 0 if j is None else int(self._pages_per_key[j])

    def mentions(self, key: str) -> int:
        """Mentions of ``key`` anywhere on the site: the pages' own text and the theme's."""
        return self.count.get(key, 0) + self.shared.get(key, 0)

    @cached_property
    def index(self) -> _PageIndex | None:
        """The pages' TF-IDF, to suggest where a term fits; None when no page has a term."""
        return _PageIndex.of(self)

    @cached_property
    def _long_keys(self) -> dict[tuple[str, int], list[str]]:
        """Keys of 7 letters or more by first letter and length: few edit distances to run."""
        buckets: dict[tuple[str, int], list[str]] = defaultdict(list)
        for k in self.forms:
            if len(k) >= 7:
                buckets[k[0], len(k)].append(k)
        return buckets

    def spelling_variants(self, key: str) -> list[str]:
        """The site's keys within 1 edit of ``key`` (2 from 12 letters on), ``key`` itself not."""
        limit = 1 if len(key) < 12 else 2
        return [
            k
            for n in range(len(key) - limit, len(key) + limit + 1)
            for k in self._long_keys.get((key[0], n), ())
            if k != key and edit_distance(k, key, limit) <= limit
        ]

    def context_of(self, key: str) -> np.ndarray:
        """Mentions of every key (by column) on the pages that use ``key``, ``key`` itself not."""
        j = self.ids[key]
        m = self._by_key
        pages_with = m.indices[m.indptr[j] : m.indptr[j + 1]]
        ctx = np.asarray(self.counts[pages_with].sum(axis=0)).ravel()
        ctx[j] = 0
        return ctx


@dataclass(frozen=True)
class _PageIndex:
    """TF-IDF of one language's pages (their own keys), to find the pages where a term fits."""

    tfidf: TfidfTransformer
    matrix: spmatrix
    site: _Site

    @classmethod
    def of(cls, site: _Site) -> _PageIndex | None:
        """The index of ``site``'s pages; None when none of them has a term."""
        from sklearn.feature_extraction.text import TfidfTransformer  # heavy: once inputs are read

        if not site.counts.nnz:
            return None
        tfidf = TfidfTransformer(sublinear_tf=True)
        return cls(tfidf, tfidf.fit_transform(site.counts), site)

    @cached_property
    def _utility(self) -> np.ndarray:
        return np.array([utility_page(p) for p in self.site.pages], dtype=bool)

    @cached_property
    def _weight(self) -> np.ndarray:
        """A page's weight as a place for copy: ``ARTICLE_WEIGHT`` for a dated article."""
        return np.array(
            [ARTICLE_WEIGHT if article_page(p) else 1.0 for p in self.site.pages], dtype=float
        )

    def suggest(
        self, keys: list[str], about: Iterable[str] = ()
    ) -> tuple[tuple[SuggestedPage, ...], str]:
        """The pages whose text is most like ``keys`` (a term's contexts; TF-IDF cosine), and,
        when none reaches ``SUGGEST_FLOOR``, the title of the closest page (a topic for a new
        page). Legal and utility pages (``terms.answers.utility_page``) are left out unless
        ``about`` (the term's or question's own words) names them."""
        from scipy.sparse import csr_matrix

        # a compound's or phrase's parts too: "gas+rekening" fits where "gas" is the topic
        parts = [p for k in keys for p in re.split(r"[+ ]", k) if p and p != k]
        cols = sorted({self.site.ids[k] for k in [*keys, *parts] if k in self.site.ids})
        if not cols:
            return (), ""
        ones = np.ones(len(cols), dtype=np.int64)
        query = csr_matrix(
            (ones, (np.zeros(len(cols), dtype=np.int64), cols)), shape=(1, len(self.site.keys))
        )
        sims = np.asarray((self.matrix @ self.tfidf.transform(query).T).todense()).ravel()
        sims = sims * self._weight
        pages = self.site.pages
        about = [w for k in about for w in k.split("+")]
        for i in np.nonzero(self._utility)[0]:
            if not about_page(about, pages[i]):
                sims[i] = 0.0
        best = np.argsort(-sims, kind="stable")[:SUGGESTIONS]
        chosen = tuple(
            SuggestedPage(
                url=pages[i]["url"],
                title=pages[i].get("title", ""),
                similarity=round(float(sims[i]), 3),
            )
            for i in best
            if sims[i] >= SUGGEST_FLOOR
        )
        closest = ""
        if not chosen and sims[best[0]] > 0:
            closest = pages[best[0]].get("title") or pages[best[0]]["url"]
        return chosen, closest


def _customer_contexts(analyzer: Analyzer, terms: list[Term]) -> dict[str, list[str]]:
    """Each term's contexts: the other keys of its evidence quotes, analysed in one batch."""
    quotes = [(t.key, q.text) for t in terms for q in t.evidence]
    contexts: dict[str, list[str]] = {t.key: [] for t in terms}
    for (owner, _text), cands in zip(
        quotes, analyzer.analyze(text for _, text in quotes), strict=True
    ):
        contexts[owner].extend(c.key for c in cands if c.key != owner)
    return contexts


def _gap_rows(
    lang: str, terms: list[Term], site: _Site, contexts: dict[str, list[str]]
) -> list[GapRow]:
    """One row per customer term of ``lang``, in the order of ``terms``."""
    customer_total = sum(t.mentions for t in terms) or 1
    site_total = (sum(site.count.values()) + sum(site.shared.values())) or 1
    return [
        _gap_row(
            t, lang, site, contexts[t.key], customer_total=customer_total, site_total=site_total
        )
        for t in terms
    ]


def _match(term: Term, site: _Site) -> tuple[str, list[str]]:
    """How the site uses ``term`` (lemma, compound, spelling or not at all), and its keys there."""
    key = term.key
    if site.mentions(key):
        return ("compound" if "+" in key and set(site.forms[key]) != {term.term} else "lemma"), [
            key
        ]
    if len(key) >= 8:
        matched = site.spelling_variants(key)
        return ("spelling" if matched else ""), matched
    return "", []


def _status(mentions: int, site_share: float, customer_share: float) -> str:
    """missing, underused or covered (the rule in this module's docstring)."""
    if mentions == 0:
        return "missing"
    return "underused" if site_share < UNDERUSED_FACTOR * customer_share else "covered"


def _gap_row(
    term: Term,
    lang: str,
    site: _Site,
    context: list[str],
    *,
    customer_total: int,
    site_total: int,
) -> GapRow:
    """``term`` against the site: match, counts, status, gap score and where it would fit."""
    match, matched = _match(term, site)
    mentions = sum(site.mentions(k) for k in matched)
    pages_with: Counter = Counter()
    for k in matched:
        pages_with.update(dict(site.pages_of(k)))
    customer_share = term.mentions / customer_total
    site_share = mentions / site_total
    coverage = min(1.0, site_share / customer_share) if customer_share else 1.0
    status = _status(mentions, site_share, customer_share)
    salience = term.score * math.log2(1 + term.customers)
    suggested: tuple[SuggestedPage, ...] = ()
    closest = ""
    if status != "covered" and site.index is not None:
        suggested, closest = site.index.suggest(context + [term.key], about=[term.key])
    return GapRow(
        term=term.term,
        key=term.key,
        language=lang,
        status=status,
        score=round(salience * (1 - coverage), 4),
        term_score=term.score,
        customer_conversations=term.conversations,
        customer_mentions=term.mentions,
        customers=term.customers,
        site_mentions=mentions,
        site_heading_mentions=sum(site.heading_count[k] for k in matched),
        site_pages=tuple(PageMentions(url=u, mentions=n) for u, n in pages_with.most_common()),
        matched=match,
        matched_forms=tuple(sorted({f for k in matched for f in site.forms[k]})),
        suggested_pages=suggested,
        closest_topic=closest,
        evidence=term.evidence,
    )


def _jargon(
    lang: str,
    terms: list[Term],
    site: _Site,
    contexts: dict[str, list[str]],
    said: set[str],
) -> list[JargonRow]:
    """The site's most prominent words that no customer said (``said``), at most JARGON_ROWS."""
    term_contexts = {t.key: Counter(contexts[t.key] + [t.key]) for t in terms}
    surface_of = {t.key: t.term for t in terms}
    return [
        JargonRow(
            term=surface,
            key=key,
            language=lang,
            score=round(prominence, 4),
            site_mentions=count,
            site_heading_mentions=site.heading_count[key],
            site_pages=n_pages,
            pages=tuple(u for u, _ in site.pages_of(key)[:5]),
            customer_words=tuple(
                surface_of.get(k, k) for k in _customer_words_near(key, site, term_contexts)
            ),
        )
        for prominence, key, surface, count, n_pages in _prominent(lang, site, said)
    ]


def _prominent(lang: str, site: _Site, said: set[str]) -> list[tuple[float, str, str, int, int]]:
    """(prominence, key, surface, mentions, pages) of the site's words no customer said.

    Prominence: distinctive (rare in everyday language), frequent, on many pages, in headings.
    Names (proper nouns: the team, clients, places) are not the site's vocabulary: left out.
    """
    found = []
    for key, count in site.count.items():
        if key in said or count < 2 or key in site.names:
            continue
        surface = site.forms[key].most_common(1)[0][0]
        n_pages = site.page_count(key)
        d = distinctiveness(zipf(surface, lang))
        prominence = (
            d
            * math.log2(1 + count)
            * (1 + n_pages / len(site.pages))
            * (1 + site.heading_count[key])
        )
        found.append((prominence, key, surface, count, n_pages))
    found.sort(reverse=True)
    return found[:JARGON_ROWS]


def _customer_words_near(key: str, site: _Site, term_contexts: dict[str, Counter]) -> list[str]:
    """Customer terms whose contexts share the most words with where the site uses ``key``."""
    site_context = site.context_of(key)
    if not site_context.any():
        return []
    scored = []
    for term_key, ctx in term_contexts.items():
        overlap = sum(
            min(n, int(site_context[site.ids[k]])) for k, n in ctx.items() if k in site.ids
        )
        if overlap:
            scored.append((overlap / math.sqrt(sum(ctx.values())), term_key))
    scored.sort(reverse=True)
    return [k for _, k in scored[:3]]  # keys; mapped to the customers' surface forms by the caller


class _PageViews:
    """Per page, as found: the customer terms to add there, and the words only the site uses."""

    def __init__(self, pages: Iterable[dict[str, Any]]) -> None:
        """Start with every page, in order (a URL seen twice keeps its first place)."""
        self.pages = {p["url"]: p for p in pages}
        self.missing_here: dict[str, list[str]] = defaultdict(list)
        self.site_only: dict[str, list[str]] = defaultdict(list)

    def add_gaps(self, rows: list[GapRow]) -> None:
        """Each term that is not covered goes to the page it fits best."""
        for row in rows:
            for page in row.suggested_pages[:1]:
                self.missing_here[page.url].append(row.term)

    def add_jargon(self, rows: list[JargonRow], site: _Site) -> None:
        """Each word only the site uses goes to the three pages that use it most, unless it is
        a legal or utility page (a privacy statement's words are its own, not copy to fix)."""
        for row in rows:
            for url, _ in site.pages_of(row.key)[:3]:
                if not utility_page(self.pages[url]):
                    self.site_only[url].append(row.term)

    def records(self) -> tuple[PageView, ...]:
        """The views of the pages with something to add or drop, in page order."""
        return tuple(
            PageView(
                url=url,
                title=page.get("title", ""),
                lang=page.get("lang"),
                missing_here=tuple(self.missing_here.get(url, ())),
                site_only=tuple(self.site_only.get(url, ())),
            )
            for url, page in self.pages.items()
            if self.missing_here.get(url) or self.site_only.get(url)
        )


_STATUS_ORDER = {"unanswered": 0, "partly": 1, "answered": 2}


def _question_order(row: QuestionRow) -> tuple[Any, ...]:
    """Unanswered first, then partly, then answered; most asked first within each."""
    return (_STATUS_ORDER[row.status], -row.conversations, -row.customers, row.question)


def _question_rows(
    questions: list[AskedQuestion],
    pages: list[dict[str, Any]],
    theme: Boilerplate,
    site: _Site,
    analyzer: Analyzer,
) -> list[QuestionRow]:
    """Each question against one language's pages: its status, the answering passage, and
    where an answer fits when there is none: the page that touches the topic (partly, unless
    it is a legal or utility page), else the pages most like the question (``_PageIndex``)."""
    judged = SiteAnswers(pages, theme, questions[0].language).judge_all(questions)
    by_url = {p["url"]: p for p in pages}
    texts = ("\n".join([q.question, *q.wordings]) for q in questions)
    rows = []
    for q, j, cands in zip(questions, judged, analyzer.analyze(texts), strict=True):
        suggested, title, closest = "", "", ""
        if j.status != "answered":
            page = by_url.get(j.url)
            if (
                j.status == "partly"
                and page is not None
                and (not utility_page(page) or about_page(q.topic, page))
            ):
                suggested, title = j.url, page.get("title") or ""
            elif site.index is not None:
                found, closest = site.index.suggest([c.key for c in cands], about=q.topic)
                if found:
                    suggested, title = found[0].url, found[0].title or ""
        rows.append(
            QuestionRow(
                question=q.question,
                language=q.language,
                intent=q.intent,
                wordings=q.wordings,
                conversations=q.conversations,
                customers=q.customers,
                mentions=q.mentions,
                status=j.status,
                answer_url=j.url,
                answer_passage=j.passage,
                answer_source=j.source,
                coverage=j.coverage,
                suggested_page=suggested,
                suggested_title=title,
                closest_topic=closest,
                evidence=q.evidence,
                key=q.key,
                calls=q.calls,
            )
        )
    return rows


def _questions_meta(
    rows: list[QuestionRow],
    asked: dict[str, list[AskedQuestion]],
    coverage: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """questions.json's ``meta``: counts, what was not compared (no page in its language) and
    the rule."""
    from terms import answers

    return {
        "questions": len(rows),
        "status_counts": {s: sum(r.status == s for r in rows) for s in _STATUS_ORDER},
        "not_compared": {
            lang: len(qs) for lang, qs in asked.items() if not coverage.get(lang, {}).get("pages")
        },
        "rule": {
            "faq_match": answers.FAQ_MATCH,
            "answer_coverage": answers.ANSWER_COVERAGE,
            "partly_coverage": answers.PARTLY_COVERAGE,
            "suggest_floor": SUGGEST_FLOOR,
            "see": "terms/answers.py, terms/questions.py",
        },
    }


def _meta(
    terms_meta: dict[str, Any], crawl: dict[str, Any], pages: int, gaps: list[GapRow]
) -> dict[str, Any]:
    """gap.json's ``meta``: the terms' meta, the crawl, the counts and the rule."""
    return {
        "terms": terms_meta,
        "crawl": {k: crawl.get(k) for k in ("start", "pages_fetched", "seconds", "user_agent")},
        "pages": pages,
        "status_counts": dict(Counter(r.status for r in gaps)),
        "rule": {
            "underused_factor": UNDERUSED_FACTOR,
            "suggestions": SUGGESTIONS,
            "suggest_floor": SUGGEST_FLOOR,
        },
        "score": "salience * (1 - coverage); see terms/gap.py",
    }


#: gap.csv's columns: gap.json's rows, with suggested pages and evidence as text.
GAP_COLUMNS = [
    "term",
    "key",
    "language",
    "status",
    "score",
    "customer_conversations",
    "customer_mentions",
    "customers",
    "site_mentions",
    "site_heading_mentions",
    "matched",
    "suggested_pages",
    "evidence",
]
#: jargon.csv's columns: gap.json's jargon, with pages and customer words as text.
JARGON_COLUMNS = [
    "term",
    "key",
    "language",
    "score",
    "site_mentions",
    "site_heading_mentions",
    "site_pages",
    "pages",
    "customer_words",
]


def _gap_csv_row(row: GapRow) -> dict[str, Any]:
    """A gap row as gap.csv shows it: suggested URLs joined by spaces, quotes by " | "."""
    return {
        **{c: getattr(row, c) for c in GAP_COLUMNS[:-2]},
        "suggested_pages": " ".join(s.url for s in row.suggested_pages),
        "evidence": " | ".join(q.text for q in row.evidence),
    }


def _jargon_csv_row(row: JargonRow) -> dict[str, Any]:
    """A jargon row as jargon.csv shows it: pages joined by spaces, customer words by "; "."""
    return {
        **row.to_dict(),
        "pages": " ".join(row.pages),
        "customer_words": "; ".join(row.customer_words),
    }


#: questions.csv's columns: questions.json's rows, with wordings and evidence as text.
QUESTION_COLUMNS = [
    "question",
    "wordings",
    "conversations",
    "customers",
    "status",
    "answer_url",
    "answer_passage",
    "suggested_page",
    "evidence",
    "language",
    "intent",
    "closest_topic",
]


def _question_csv_row(row: QuestionRow) -> dict[str, Any]:
    """A question as questions.csv shows it: wordings joined by " | ", quotes by " | " with
    their call and time."""
    return {
        **{c: getattr(row, c) for c in QUESTION_COLUMNS},
        "wordings": " | ".join(row.wordings),
        "evidence": " | ".join(f"{q.text} ({q.source} @{q.start:.0f}s)" for q in row.evidence),
    }


def _write(data: GapFile, asked: QuestionsFile, out_dir: Path) -> list[Path]:
    """Write gap.json (canonical), gap.csv and jargon.csv (views of it), questions.json and
    questions.csv, all or nothing."""
    import pandas as pd

    table = pd.DataFrame([_gap_csv_row(r) for r in data.gaps], columns=GAP_COLUMNS)
    jtable = pd.DataFrame([_jargon_csv_row(r) for r in data.jargon], columns=JARGON_COLUMNS)
    qtable = pd.DataFrame([_question_csv_row(r) for r in asked.questions], columns=QUESTION_COLUMNS)
    targets = [
        out_dir / "gap.json",
        out_dir / "gap.csv",
        out_dir / "jargon.csv",
        out_dir / "questions.json",
        out_dir / "questions.csv",
    ]
    with staged_files(targets) as (js, csv, jcsv, qjs, qcsv):
        js.write_text(json.dumps(data.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
        table.to_csv(csv, index=False)
        jtable.to_csv(jcsv, index=False)
        qjs.write_text(json.dumps(asked.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
        qtable.to_csv(qcsv, index=False)
    return targets
