"""Whether the website answers a customer's question (``SiteAnswers.judge``), and which pages
are legal or utility pages that copy is never suggested for (``utility_page``).

The site is read as units: each FAQ entry (``mine crawl``'s ``faq``: FAQPage JSON-LD,
``<details>``, ``<dt>``/``<dd>``, headings ending in "?") and each passage (a line of a page's
own text, with the page's title and the heading above it as its context). Words are the topic
stems of ``terms.questions.topic``, weighted by their idf over the units (a word every passage
has counts little, a rare one much; a word the site never uses counts most).

Status of a question (documented rule):

- ``answered``: an FAQ entry asks the same thing (same intent, Dice of topic words above
  ``FAQ_MATCH``) and its answer holds what the intent asks for; or a unit covers at least
  ``ANSWER_COVERAGE`` of the question's topic (idf-weighted) and holds what the intent asks for
  (a price for ``cost``, a duration for ``time``, a number for ``amount``: the language's
  ``answer_cues``; other intents need the topic only).
- ``partly``: a unit covers at least ``PARTLY_COVERAGE`` of the topic but does not hold the
  asked thing (the site speaks of subsidy, not of how much).
- ``unanswered``: otherwise, and for a question with no topic words.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from textwrap import shorten
from typing import Any

import numpy as np

from pipeline import languages
from pipeline.records import AskedQuestion
from pipeline.sitenames import page_path
from terms.boilerplate import Boilerplate, listing_page
from terms.questions import dice, intent, rules, topic

FAQ_MATCH = 0.5
ANSWER_COVERAGE = 0.7
PARTLY_COVERAGE = 0.4
PASSAGE_CHARS = 300  # an answer passage as shown
_CHUNK = 256  # questions scored at once (a chunk x units matrix)


@dataclass(frozen=True)
class Unit:
    """An FAQ entry or a passage of one page."""

    url: str
    text: str  # the passage, or the FAQ entry's answer
    question: str = ""  # the FAQ entry's question ("" for a passage)
    form: str = "text"  # "text", or the FAQ markup: "jsonld", "details", "dl", "heading"


@dataclass(frozen=True)
class Judgement:
    """What the site does with one question."""

    status: str
    url: str = ""
    passage: str = ""
    source: str = ""  # "faq" or "text"
    coverage: float = 0.0


def _split(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.split("\n") if line.strip()]


def units_of(page: dict[str, Any], theme: Boilerplate) -> Iterable[tuple[Unit, str]]:
    """The page's FAQ entries and passages, each with its context text (title, heading)."""
    title = page.get("title") or ""
    for entry in page.get("faq") or []:
        yield (
            Unit(page["url"], entry["answer"], entry["question"], entry.get("form") or "faq"),
            f"{title}\n{entry['question']}",
        )
    headings = {" ".join(h["text"].split()) for h in page.get("headings") or []}
    heading = ""
    for line in _split(theme.own_text(page)):
        if line in headings:
            heading = line
            continue
        yield Unit(page["url"], line), f"{title}\n{heading}"


class SiteAnswers:
    """One language's pages as answer units, to judge the questions of that language."""

    def __init__(self, pages: list[dict[str, Any]], theme: Boilerplate, language: str) -> None:
        """Read every unit's topic words and which answer cues it holds."""
        from scipy.sparse import csr_matrix

        self.language = language
        self.units: list[Unit] = []
        self.ids: dict[str, int] = {}
        q = rules(language)
        cues = {k: re.compile(v, re.I) for k, v in (q.answer_cues if q else {}).items()}
        self.cued: dict[str, np.ndarray] = {}
        held: dict[str, list[bool]] = {k: [] for k in cues}
        rows, cols = [], []
        self.faq_topics: list[tuple[int, str, frozenset[str]]] = []  # unit, intent, topic
        self.faq_by_word: dict[str, list[int]] = defaultdict(list)
        for page in pages:
            for unit, context in units_of(page, theme):
                i = len(self.units)
                self.units.append(unit)
                words = topic(f"{unit.question}\n{unit.text}\n{context}", language)
                for w in words:
                    rows.append(i)
                    cols.append(self.ids.setdefault(w, len(self.ids)))
                for k, pattern in cues.items():
                    held[k].append(bool(pattern.search(unit.text)))
                if unit.question:
                    asked = topic(unit.question, language)
                    self.faq_topics.append((i, intent(unit.question, language), asked))
                    for w in asked:
                        self.faq_by_word[w].append(len(self.faq_topics) - 1)
        self.cued = {k: np.array(v, dtype=bool) for k, v in held.items()}
        n = len(self.units)
        self.matrix = csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)),
            shape=(n, len(self.ids)),
        )
        df = np.asarray((self.matrix > 0).sum(axis=0)).ravel()
        self.n = n
        self.df = df

    def idf(self, word: str) -> float:
        """A word's weight: ln((units + 1) / (units with it + 1)) + 1."""
        j = self.ids.get(word)
        df = int(self.df[j]) if j is not None else 0
        return math.log((self.n + 1) / (df + 1)) + 1

    def judge_all(self, questions: list[AskedQuestion]) -> list[Judgement]:
        """Each question's judgement, in order (scored ``_CHUNK`` questions at a time)."""
        from scipy.sparse import csr_matrix

        out: list[Judgement] = []
        for start in range(0, len(questions), _CHUNK):
            chunk = questions[start : start + _CHUNK]
            rows, cols, vals, totals = [], [], [], []
            for r, q in enumerate(chunk):
                total = 0.0
                for w in q.topic:
                    weight = self.idf(w)
                    total += weight
                    if w in self.ids:
                        rows.append(r)
                        cols.append(self.ids[w])
                        vals.append(weight)
                totals.append(total)
            weights = csr_matrix((vals, (rows, cols)), shape=(len(chunk), len(self.ids)))
            scores = (weights @ self.matrix.T).toarray() if self.n and self.ids else None
            for r, q in enumerate(chunk):
                cover = (
                    scores[r] / totals[r]
                    if scores is not None and totals[r]
                    else np.zeros(self.n, dtype=np.float32)
                )
                out.append(self._judge(q, cover))
        return out

    def _judge(self, q: AskedQuestion, cover: np.ndarray) -> Judgement:
        if not q.topic or not self.n:
            return Judgement("unanswered")
        cue = self.cued.get(q.intent)
        holds = cue if cue is not None else np.ones(self.n, dtype=bool)
        faq = self._faq_match(q)
        if faq is not None and holds[faq]:
            return self._found("answered", faq, float(cover[faq]))
        # best unit that holds the asked thing, among those that cover enough of the topic
        answering = np.where((cover >= ANSWER_COVERAGE - 1e-9) & holds)[0]
        if answering.size:
            best = int(answering[np.argmax(cover[answering] + 0.01 * self._faq_bonus(answering))])
            return self._found("answered", best, float(cover[best]))
        best = int(np.argmax(cover))
        if cover[best] >= PARTLY_COVERAGE - 1e-9:
            return self._found("partly", best, float(cover[best]))
        return Judgement("unanswered", coverage=round(float(cover[best]), 3))

    def _faq_bonus(self, idx: np.ndarray) -> np.ndarray:
        return np.array([bool(self.units[i].question) for i in idx], dtype=float)

    def _faq_match(self, q: AskedQuestion) -> int | None:
        """The unit of the FAQ entry that asks what ``q`` asks, or None."""
        best, best_sim = None, FAQ_MATCH  # above it: two words of two share one is not a match
        topic_words = frozenset(q.topic)
        for k in sorted({k for w in topic_words for k in self.faq_by_word.get(w, ())}):
            unit, faq_intent, asked = self.faq_topics[k]
            if faq_intent != q.intent:
                continue
            sim = dice(topic_words, asked)
            if sim > best_sim:
                best, best_sim = unit, sim
        return best

    def _found(self, status: str, i: int, coverage: float) -> Judgement:
        unit = self.units[i]
        passage = f"{unit.question} {unit.text}" if unit.question else unit.text
        return Judgement(
            status,
            unit.url,
            shorten(passage, PASSAGE_CHARS, placeholder=" …"),
            "faq" if unit.question else "text",
            round(coverage, 3),
        )


@cache
def _utility_words(generation: int) -> frozenset[str]:
    del generation  # the cache key: the registry's state
    return frozenset().union(*(lang.utility_pages for lang in languages.languages()))


@cache
def _article_words(generation: int) -> frozenset[str]:
    del generation  # the cache key: the registry's state
    return frozenset().union(*(lang.article_pages for lang in languages.languages()))


def article_page(page: dict[str, Any]) -> bool:
    """True for a dated article (a blog or news post): a folder of its address path names one
    ("/blog/...", "/nieuws/..."); the listing itself is a utility page."""
    folders = [s for s in page_path(page["url"]).split("/") if s][:-1]
    return bool(set(folders) & _article_words(languages.generation()))


_PARTS = re.compile(r"[^\w-]+|_")


def _page_words(page: dict[str, Any]) -> set[str]:
    """The words of a page's address path and title, lower case ("algemene-voorwaarden" as one
    word and as its parts)."""
    path = page_path(page["url"])
    title = (page.get("title") or "").lower()
    words: set[str] = set()
    for part in _PARTS.split(f"{path} {title}"):
        part = part.strip("-")
        if part:
            words.add(part)
            words.update(p for p in part.split("-") if p)
    return words


def utility_page(page: dict[str, Any]) -> bool:
    """True for a legal or utility page (privacy, terms, cookies, contact, search, tag and
    category lists): the words of its address path or title name one, or it is a listing."""
    if listing_page(page["url"]):
        return True
    path = page_path(page["url"])
    segments = {s for s in re.split(r"[/_.]+", path) if s}
    words = _utility_words(languages.generation())
    parts = {p for s in segments for p in s.split("-")} | segments
    title = (page.get("title") or "").lower()
    title_words = set(re.findall(r"[\w-]+", title.split("|")[0]))
    return bool((parts | title_words) & words)


def about_page(words: Iterable[str], page: dict[str, Any]) -> bool:
    """True when ``words`` (a term's key parts or a question's words) name what a utility page
    is about ("privacy" for the privacy statement)."""
    named = _page_words(page)
    return any(w.lower() in named for w in words if len(w) > 2)
