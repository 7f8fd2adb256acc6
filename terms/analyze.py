"""The analyzer shared by customer speech and website text: text in, term candidates out.

Candidates are noun phrases (tag pattern ADJ* NOUN+) and single nouns, keyed by lemma, and
names (a run of one to four proper nouns: the software, brands and places customers mention),
keyed by their words as written. Dutch keys are compound-aware: "onderhoudscontract", "onderhouds
contract" and "onderhoud-contract" all get the key "onderhoud+contract". Fillers, stop words,
numbers and PII placeholders never become candidates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pipeline import languages
from terms.nlp import LoadedPipeline

_PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|IBAN|BSN|CARD|POSTCODE|NAME)\]")
_WORD = re.compile(r"^[^\W\d_][\w'-]*$")
#: Changes whenever the candidates a text gives change, so that ``mine run`` analyses again what
#: an older release analysed (2: names, pieces of ``PIECE`` characters).
ANALYSIS = "2"
#: No word is longer ("hottentottententententoonstelling" has 33 letters); longer runs are junk,
#: and splitting them into compounds would take time quadratic in their length.
MAX_WORD = 60
#: Text goes through the pipeline in pieces of at most this many characters, cut at a paragraph,
#: else a sentence, else a space: a long page is analysed a few paragraphs at a time and its
#: candidates are joined, so memory depends on this size, not on the longest page.
PIECE = 2_000
#: A spaCy batch holds pieces up to this many characters in all (and at most ``MAX_BATCH``
#: pieces): batches are bounded by text length, not by the number of texts. Measured on a site
#: of 250,000 words (bench/gap_memory.py): whole pages in batches of 256 peaked at 4.2 GB and
#: took 22 s; pieces of 2,000 characters in batches of 40,000 characters, 0.5 GB and 11 s.
BATCH_CHARS = 40_000
MAX_BATCH = 256
LINKS = ("s", "e", "en", "")
#: Tokens after which a capital letter opens a sentence rather than a name.
_SENTENCE_OPENERS = frozenset(".?!:;…\"“”‘’'()-–—•*")
#: Endings that are suffixes, not the second half of a compound ("koel+ing" is "koeling").
_NOT_HEADS = {
    "ing",
    "heid",
    "tie",
    "lijk",
    "baar",
    "achtig",
    "loos",
    "ig",
    "isch",
    "tje",
    "je",
    "er",
}


@dataclass(frozen=True)
class Candidate:
    """One term occurrence in a text."""

    key: str
    surface: str
    kind: str  # "phrase", "word" or "name" (proper nouns only)


@lru_cache(maxsize=200_000)
def zipf(word: str, language: str) -> float:
    """General-language frequency on the Zipf scale (0 unknown, 7 the commonest words)."""
    return languages.zipf(word.replace("+", ""), language)


@lru_cache(maxsize=100_000)
def decompound(word: str, min_zipf: float = 3.0) -> tuple[str, ...]:
    """Split a Dutch compound into known words, dropping linking s/e/en ('onderhoudscontract').

    A word that is itself common (Zipf >= 3.5) is left whole: "onderhoud" is not "onder+houd".
    """
    if "-" in word:
        return tuple(p for part in word.split("-") if part for p in decompound(part, min_zipf))
    if len(word) < 7 or zipf(word, "nl") >= 3.5:
        return (word,)
    best: tuple[float, tuple[str, ...]] | None = None
    for i in range(3, len(word) - 2):
        left, right = word[:i], word[i:]
        for link in LINKS:
            if link and not left.endswith(link):
                continue
            base = left[: len(left) - len(link)] if link else left
            if len(base) < 3 or zipf(base, "nl") < min_zipf:
                continue
            if right in _NOT_HEADS:
                continue
            rest = decompound(right, min_zipf) if zipf(right, "nl") < min_zipf else (right,)
            if zipf(rest[-1], "nl") < min_zipf:
                continue
            # fewer parts win unless the longer split is clearly better ("onderhoud+contract",
            # not "onder+houd+contract")
            quality = min([zipf(base, "nl")] + [zipf(r, "nl") for r in rest]) - 1.0 * (
                len(rest) - 1
            )
            if best is None or quality > best[0]:
                best = (quality, (base, *rest))
    return best[1] if best else (word,)


def _strip_link(part: str) -> str:
    """'onderhouds' -> 'onderhoud' when the bare form is a word (a compound split by a space)."""
    for link in ("s", "en", "e"):
        if (
            part.endswith(link)
            and len(part) - len(link) >= 3
            and zipf(part[: -len(link)], "nl") >= 3.0
        ):
            return part[: -len(link)]
    return part


@lru_cache(maxsize=100_000)
def singular(word: str) -> str:
    """A Dutch plural's singular when the lemmatizer left it ('contracten' -> 'contract')."""
    for suffix in ("'s", "en", "s"):
        if not word.endswith(suffix) or len(word) - len(suffix) < 3:
            continue
        base = word[: -len(suffix)]
        options = [base]
        if base[-1] == "z":
            options.append(base[:-1] + "s")  # prijzen -> prijs
        if base[-1] == "v":
            options.append(base[:-1] + "f")  # brieven -> brief
        if len(base) > 3 and base[-1] == base[-2]:
            options.append(base[:-1])  # bakken -> bak
        if len(base) > 3 and base[-2] in "aeou" and base[-3] not in "aeiou":
            options.append(base[:-1] + base[-2] + base[-1])  # tafels ok; uren -> uur
        for option in options:
            if zipf(option, "nl") >= 3.0 and zipf(option, "nl") >= zipf(word, "nl") - 0.5:
                return option
    return word


def _linking(word: str) -> bool:
    """True for a rare lower-case word that is a common word plus a linking s ('onderhouds')."""
    low = word.lower()
    return (
        word.islower() and low.endswith("s") and zipf(low, "nl") < 3.0 and _strip_link(low) != low
    )


def dutch_lemma(text: str, lemma: str) -> str:
    """The model's lemma unless it is less plausible than the word itself (unseen domain nouns).

    A small pipeline guesses lemmas of words it never saw ("offerte" -> "offert", "offertes"
    -> "offertes"); the general-language frequency decides, and plurals fall back to
    ``singular``.
    """
    low = text.lower()
    plural = low.endswith(("en", "s", "'s"))
    if (
        lemma != low
        and zipf(lemma, "nl") >= 3.0
        and (plural or zipf(lemma, "nl") >= zipf(low, "nl"))
    ):
        return lemma
    return singular(low)


def compound_key(lemmas: list[str]) -> str:
    """The compound-aware key of a Dutch noun sequence."""
    parts: list[str] = []
    for i, lemma in enumerate(lemmas):
        pieces = list(decompound(lemma))
        if i < len(lemmas) - 1:
            pieces[-1] = _strip_link(pieces[-1])
        parts += pieces
    parts[-1] = singular(parts[-1])
    return "+".join(parts)


def _stop_words(pipeline: LoadedPipeline, entry: languages.Language) -> frozenset[str] | set[str]:
    """spaCy's stop words for the language (the pipeline's, else a blank one's); else the
    registry's, for a language spaCy does not know."""
    if pipeline.nlp is not None:
        return pipeline.nlp.Defaults.stop_words
    import spacy

    try:
        return spacy.blank(pipeline.language).Defaults.stop_words
    except (ImportError, KeyError, ValueError) as exc:  # spaCy has no class for this language
        if entry.stop_words:
            return entry.stop_words
        raise exc from None


class Analyzer:
    """Turns texts into term candidates with one language pipeline (or rules).

    Example:
        >>> a = Analyzer(load_pipeline("nl"))
        >>> [c.key for c in next(a.analyze(["Het onderhoudscontract is te duur."]))]
        ['onderhoud+contract']
    """

    def __init__(self, pipeline: LoadedPipeline) -> None:
        """Use ``pipeline`` (its language decides stop words, fillers and compounding)."""
        self.pipeline = pipeline
        self.language = pipeline.language
        entry = languages.get(self.language) or languages.Language(self.language, self.language)
        #: Dutch rules (compound keys, Dutch lemmas) apply to languages that split compounds.
        self.compounds = entry.splits_compounds
        self.noun_suffixes = entry.noun_suffixes
        self.calendar = languages.merged("calendar")
        self.fillers = entry.fillers
        self.determiners = languages.merged("determiners")
        self._filler_re = (
            re.compile(
                r"\b(?:" + "|".join(re.escape(p) for p in entry.filler_phrases) + r")\b",
                re.IGNORECASE,
            )
            if entry.filler_phrases
            else None
        )
        self.stop = _stop_words(pipeline, entry)

    def clean(self, text: str) -> str:
        """Break phrases at PII placeholders and filler phrases."""
        text = _PLACEHOLDER.sub(" , ", text)
        if self._filler_re is not None:
            text = self._filler_re.sub(" , ", text)
        return text

    def _skip(self, word: str) -> bool:
        low = word.lower()
        return (
            low in self.stop
            or low in self.fillers
            or len(low) < 2
            or len(low) > MAX_WORD
            or not _WORD.match(word)
            or low in self.determiners
        )

    def _key(self, lemmas: list[str], nouns_only: bool) -> str:
        if self.compounds and nouns_only:
            return compound_key(lemmas)
        if self.compounds:
            return " ".join(lemmas[:-1] + [compound_key([lemmas[-1]])])
        return " ".join(lemmas)

    def _from_tokens(self, toks: list[tuple[str, str, str]]) -> list[Candidate]:
        """Candidates from (text, lemma, pos) triples of one text."""
        out: list[Candidate] = []
        run: list[tuple[str, str, str]] = []

        def close() -> None:
            while run and run[0][2] == "ADJ":
                if any(t[2] in ("NOUN", "PROPN") for t in run):
                    break
                run.pop(0)
            while run and run[-1][2] == "ADJ":
                run.pop()
            if run and all(t[2] == "PROPN" for t in run) and len(run) <= 4:
                # a name: software, a brand, a place ("Kubernetes", "Microsoft Teams"); keyed by
                # its words as written, since names do not inflect (people's names are redacted)
                surface = " ".join(t[0] for t in run).lower()
                out.append(Candidate(surface, surface, "name"))
            elif run and any(t[2] in ("NOUN", "PROPN") for t in run):
                lemmas = [t[1] for t in run]
                surface = " ".join(t[0] for t in run)
                nouns_only = all(t[2] in ("NOUN", "PROPN") for t in run)
                if 2 <= len(run) <= 4:
                    out.append(Candidate(self._key(lemmas, nouns_only), surface.lower(), "phrase"))
                for text, lemma, pos in run:
                    if pos == "NOUN":
                        out.append(Candidate(self._key([lemma], True), text.lower(), "word"))
            run.clear()

        for i, (text, lemma, pos) in enumerate(toks):
            if self._skip(text):
                close()
                continue
            prev = toks[i - 1][0].lower() if i else ""
            nxt = toks[i + 1][2] if i + 1 < len(toks) else "PUNCT"
            if (
                pos not in ("NOUN", "PROPN")
                and prev in self.determiners
                and nxt not in ("NOUN", "PROPN", "ADJ")
            ):
                pos = (
                    "NOUN"  # "de offerte" tagged as a verb or adjective: after a determiner, a noun
                )
            elif pos == "ADJ" and self.compounds and nxt == "NOUN" and _linking(text):
                pos = "NOUN"  # "onderhouds contract": the first half of a compound split by a space
            elif (
                pos == "VERB"
                and self.noun_suffixes
                and len(text) >= 6
                and text.lower().endswith(self.noun_suffixes)
            ):
                pos = "NOUN"
            alone = nxt != "PROPN" and not (i and toks[i - 1][2] == "PROPN")
            if pos == "PROPN" and alone and text.lower() in self.calendar:
                pos = "X"  # "June", "Maandag" alone: a date, not a name ("Black Friday" is one)
            elif pos == "PROPN" and text.islower():
                pos = "NOUN"  # a word the tagger does not know ("legionella"): a noun, not a name
            elif (
                pos == "PROPN"
                and nxt != "PROPN"
                and (i == 0 or toks[i - 1][0] in _SENTENCE_OPENERS or toks[i - 1][0].isspace())
                and not text.isupper()
                and zipf(text.lower(), self.language) >= 3.0
            ):
                pos = "X"  # a common word opening a sentence ("Kijk, ..."), capitalised: no name
            if pos == "ADJ" and run and run[-1][2] in ("NOUN", "PROPN"):
                close()
            if pos in ("NOUN", "PROPN", "ADJ"):
                run.append((text, lemma, pos))
            else:
                close()
        close()
        return out

    def _rules(self, text: str) -> list[Candidate]:
        """Without a pipeline: runs of non-stop words are phrases, each of their words a word."""
        toks = re.findall(r"[^\W\d_][\w'-]*|[^\w\s]|\d+", text)
        triples = [(t, t.lower(), "NOUN" if not self._skip(t) else "X") for t in toks]
        return self._from_tokens(triples)

    def analyze(self, texts: Iterable[str]) -> Iterator[list[Candidate]]:
        """Yield the candidates of each text, in order, reading ``texts`` lazily.

        Every text goes to the pipeline in pieces of at most ``PIECE`` characters, and pieces
        go in batches of at most ``BATCH_CHARS`` characters (``_batches``): the memory this
        takes is bounded by those sizes, whatever the length of a text or the number of texts.
        """
        cleaned = (self.clean(t) for t in texts)
        if self.pipeline.nlp is None:
            for text in cleaned:
                yield self._rules(text)
            return
        nlp = self.pipeline.nlp
        found: list[Candidate] = []
        for batch in _batches(p for text in cleaned for p in _pieces(text)):
            for doc, last in nlp.pipe(batch, batch_size=len(batch), as_tuples=True):
                if self.compounds:
                    triples = [
                        (t.text, dutch_lemma(t.text, (t.lemma_ or t.text).lower()), t.pos_)
                        for t in doc
                    ]
                else:
                    triples = [(t.text, (t.lemma_ or t.text).lower(), t.pos_) for t in doc]
                found += self._from_tokens(triples)
                if last:
                    yield found
                    found = []


def _pieces(text: str, size: int = PIECE) -> Iterator[tuple[str, bool]]:
    """``text`` in pieces of at most ``size`` characters; True marks the last.

    Each cut falls at the last line break of the piece's second half, else at its last
    sentence end, else at its last space (a piece of one unbroken run is cut hard).
    """
    start = 0  # an offset, not text = text[cut:]: that copies the rest each time (quadratic)
    while len(text) - start > size:
        half, end = start + size // 2, start + size
        cut = text.rfind("\n", half, end)
        if cut < 0:
            cut = max(text.rfind(mark, half, end - 1) for mark in (". ", "? ", "! "))
        if cut < 0:
            cut = text.rfind(" ", half, end)
        cut = cut + 1 if cut >= 0 else end
        yield text[start:cut], False
        start = cut
    yield text[start:], True


def _batches(pieces: Iterable[tuple[str, bool]]) -> Iterator[list[tuple[str, bool]]]:
    """``pieces`` in lists of at most ``BATCH_CHARS`` characters (or ``MAX_BATCH`` pieces)."""
    batch: list[tuple[str, bool]] = []
    chars = 0
    for piece in pieces:
        batch.append(piece)
        chars += len(piece[0])
        if chars >= BATCH_CHARS or len(batch) >= MAX_BATCH:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


def describe(pipeline: LoadedPipeline) -> dict[str, Any]:
    """How the analyzer ran, for the output's metadata."""
    return {"language": pipeline.language, "pipeline": pipeline.name, "version": pipeline.version}
