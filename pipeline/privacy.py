"""PII redaction, applied to every transcript before it is stored and to anything shown.

Finds e-mail addresses (written, non-ASCII, obfuscated as "jan [at] bakker [dot] nl", and
spoken, "jan punt de vries apenstaartje bakker punt nl"; a domain dictated on its own, "bakker
punt nl", counts as e-mail unless it is pointed to as a website), phone numbers (Dutch,
Belgian, international, also spoken as digits or number words), IBANs (mod-97, also with dashes
or a spaced country code), Dutch BSNs (11-proef, only where the context says it is a personal
number), payment cards (Luhn), Dutch postcodes, the names of the consent record's participants,
and person names from a named-entity recogniser where the language has one. Each span becomes a
typed placeholder such as ``[PHONE]``. Matching runs on a folded copy of the text (invisible
characters dropped, full-width and other unicode digits as ASCII), mapped back to the original
offsets.

Order numbers, prices, dates, quantities, product codes and opening hours are left alone: every
numeric type needs a structure (length, prefix, checksum or context) that those lack.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline import languages
from pipeline.records import Transcript, Utterance, Word

TYPES = ("EMAIL", "PHONE", "IBAN", "BSN", "CARD", "POSTCODE", "NAME")


@dataclass(frozen=True)
class Span:
    """One piece of personal data found in a text: ``text[start:end]`` is of type ``kind``."""

    kind: str
    start: int
    end: int


# ---------------------------------------------------------------- normalisation
# Detection runs on a folded copy of the text: invisible format characters (zero-width space
# and joiners, word joiner, BOM, soft hyphen, bidi marks, variation selectors) are dropped,
# unicode decimal digits ("０６", "٠٦") become ASCII digits, full-width and other compatibility
# forms of ASCII ("＠", "ｊａｎ", "⁰⁶") become ASCII, dashes become "-", any space becomes " ", and
# combining marks stay with their letter. Each folded character remembers the range of the
# original characters it came from, so spans map back onto the original text (and so onto the
# words and their timestamps); a dropped character inside a span is replaced with it.
_INVISIBLE = {"\u034f", "\u115f", "\u1160", "\u3164", "\uffa0"}


def _fold_char(c: str) -> str:
    """The folded form of one character: '' to drop it, else one character."""
    if c.isascii():
        return c
    cat = unicodedata.category(c)
    o = ord(c)
    if cat == "Cf" or c in _INVISIBLE or 0xFE00 <= o <= 0xFE0F or 0xE0100 <= o <= 0xE01EF:
        return ""
    if cat == "Zs":
        return " "
    digit = unicodedata.decimal(c, None)
    if digit is not None:
        return str(digit)
    if cat == "Pd":
        return "-"
    compat = unicodedata.normalize("NFKC", c)
    if len(compat) == 1 and compat.isascii() and (cat[0] in "LPS" or cat == "No"):
        return compat  # "＠" -> "@", "ｊ" -> "j", "²" -> "2"
    return c


def _fold(text: str) -> tuple[str, list[tuple[int, int]]] | None:
    """The folded text and, for each of its characters, its ``(start, end)`` in ``text``.

    None when folding changes nothing (plain ASCII text).
    """
    if text.isascii():
        return None
    out: list[str] = []
    where: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        f = _fold_char(text[i])
        j = i + 1
        if not f:
            i = j
            continue
        while j < n and unicodedata.category(text[j])[0] == "M":
            j += 1  # combining marks (and variation selectors) belong to the letter before them
        if j > i + 1:
            composed = unicodedata.normalize("NFC", f + text[i + 1 : j])
            f = composed if len(composed) == 1 else f
        out.append(f)
        where.append((i, j))
        i = j
    return "".join(out), where


# ---------------------------------------------------------------- e-mail
# Top-level domains accepted after a mailbox ("jan at bakker dot nl") ...
_TLD = (
    r"(?:com|nl|be|org|net|eu|de|fr|uk|co\s*\.?\s*uk|io|info|biz|nu|online|shop|email|app|"
    r"ie|es|ch|lu|dk|se|pl|pt|ca|dev|tech|tv|frl|cloud|xyz|amsterdam|brussels|vlaanderen)"
)
# ... and the stricter set for a domain said on its own ("bakker punt nl"): no word that is
# also Dutch or English ("punt de", "punt nu", "punt net", "dot me").
_BARE_TLD = r"(?:com|nl|be|org|eu|io|info|biz|frl|ie|co\s+(?:punt|dot)\s+uk|uk)"
# "[at]", "(at)", "{at}", "<at>", "[@]", "(apenstaartje)"; "[dot]", "(punt)", "[.]"
_BR_AT = r"\s*[\[({<]\s*(?:at|@|apenstaartje|apestaartje)\s*[\])}>]\s*"
_BR_DOT = r"\s*[\[({<]\s*(?:dot|punt|\.)\s*[\])}>]\s*"
_DOT = rf"(?:{_BR_DOT}|\s*\.\s*|\s+(?:punt|dot)\s+)"
_SAID_DOT = rf"(?:{_BR_DOT}|\s+(?:punt|dot)\s+)"
_AT = rf"(?:{_BR_AT}|\s*@\s*|\s+(?:apenstaartje|apestaartje|at)\s+)"
# One word of an address. Hyphens and underscores join words (see _JOIN), never sit inside
# one: a label that could also hold them makes "a-b-c-..." backtrack exponentially.
_LABEL = r"[^\W_]+(?:['+][^\W_]+)*"
_EMAIL_WRITTEN = re.compile(
    r"(?<![\w.+'-])[\w+%=~-]+(?:[.'][\w+%=~-]+)*@[^\W_](?:[\w-]*[^\W_])?"
    r"(?:\.[^\W_](?:[\w-]*[^\W_])?)*\.(?:[^\W\d_]{2,}|xn--[a-z0-9-]+)(?![\w-])"
)
_JOIN = (
    rf"(?:{_BR_DOT}|\.|[-_]|\s+(?:punt|dot|underscore|streepje|liggend streepje|laag streepje|"
    r"koppelteken|dash|hyphen)\s+)"
)
_DOMAIN_JOIN = r"(?:-|\s+(?:streepje|koppelteken|dash|hyphen)\s+)"
# Name particles: a spoken mailbox is often a name said with its spaces, "jan punt de vries",
# "pieter van den berg"; the particles and the words around them belong to the address. "het",
# "'t", "te", "in" and "op" only count inside a particle group ("van het", "in 't", "op den"):
# alone they are ordinary words ("copy in accounts@...", "is het jan@...").
_MAIL_PARTICLE = (
    r"(?:(?:de|der|den|van|von|vander|vd|ter|ten|la|le|du|da|di|del|della|dos|el|al|ben|bin|"
    r"ibn|abu|mc|mac|st)(?:\s+(?:de|der|den|het|'t|te|ter|ten|la|le))*"
    r"|in\s+(?:'t|het|de)|op\s+(?:de|den|het|'t))"
)
# Words that do not start a name said with particles ("naar de vries apenstaartje ..."): the
# address begins at the particle.
_NOT_A_NAME = (
    r"(?:naar|aan|is|was|op|bij|via|voor|met|van|en|of|dat|dit|die|het|een|de|ik|noteer|"
    r"noteert|stuur|stuurt|mail|mailen|mailt|email|e-mail|adres|mailadres|e-mailadres|schrijf|"
    r"schrijft|zeg|zegt|spel|luidt|wordt|graag|even|maar|ook|me|mij|ons|u|je|to|at|it's|"
    r"that's|its|it|my|our|your|address|send|write|reach|contact|cc|from|the|a|an|and|or)"
)
_PIECE = rf"(?:{_MAIL_PARTICLE}\s+)?(?:(?!{_NOT_A_NAME}\b){_LABEL}\s+{_MAIL_PARTICLE}\s+)?{_LABEL}"
# After the "at" everything up to the top-level domain is the domain, even words said with only
# a space between them ("apenstaartje bakker en zonen punt nl"), unless it is an English
# function word ("met at the office of x dot com" is no address).
_NOT_DOMAIN_WORD = r"(?:the|of|a|an|in|on|for|to|and|with|our|my|your|their|this|that|is|are|was)"
_DOMAIN_PIECE = rf"(?:{_MAIL_PARTICLE}\s+)?{_LABEL}(?:\s+(?!{_NOT_DOMAIN_WORD}\b){_LABEL}){{0,3}}"
# At most 12 joined words each side (no address is longer): a bound keeps a long run of
# "a punt a punt ..." linear instead of quadratic.
_EMAIL_SPOKEN = re.compile(
    rf"(?<![\w.+'-]){_PIECE}(?:{_JOIN}{_PIECE}){{0,12}}{_AT}{_DOMAIN_PIECE}"
    rf"(?:(?:{_DOT}|{_DOMAIN_JOIN}){_DOMAIN_PIECE}){{0,12}}{_DOT}{_TLD}\b",
    re.IGNORECASE,
)
# A domain said on its own, "bakker punt nl": at least one spoken "punt"/"dot".
_DOMAIN_SAID = re.compile(
    rf"(?<![\w.+'@-]){_LABEL}(?:(?:{_DOT}|{_DOMAIN_JOIN}){_LABEL}){{0,12}}{_SAID_DOT}{_BARE_TLD}\b",
    re.IGNORECASE,
)
# English "at" is also a preposition ("the price list is at example dot com" is a web address):
# a spoken local part is a name-like word, never a function word or a web-page noun.
_WEB_WORDS = set(
    "is are was were be been all everything here there now online available found list site "
    "website page pages web brochure brochures catalogue catalog shop store prices pricing "
    "details information more that this which what it's that's there's here's".split()
)
_NOT_A_MAILBOX = _WEB_WORDS | set("it its us them you we they me him her".split())
_NOT_LOCAL = {"email", "e-mail", "mail", "mailadres", "e-mailadres"}
# Said before a domain that is a web address, not a mailbox: a web noun earlier in the clause
# ("op onze website, x punt nl", "the price list: x dot com"), or right before it a word that
# points to a place ("kijk op x punt nl", "ga naar", "visit", "check out", "find us on").
_WEB_CUE = re.compile(
    r"\b(?:website|web\s?site|site|webshop|webwinkel|homepage|internet|online|url|link|www|"
    r"https?|webpagina|pagina|page|blog|portal|portaal|prijslijst|catalogus|catalogue|catalog|"
    r"brochure|price\s+list)\b[^.!?;]{0,40}$"
    r"|\b(?:op|on|visit|visiting|browse|see|check(?:\s+out)?|go\s+to|ga\s+naar|gaat\s+naar|"
    r"surf\s+naar|find\s+(?:us|it|them|this|that)(?:\s+(?:at|on))?)\s+$",
    re.IGNORECASE,
)
_WEB_AFTER = re.compile(r"\s*(?:/|slash\b|schuine\s+streep\b)", re.IGNORECASE)
_STOPWORD_LABEL = re.compile(rf"(?:{_NOT_A_NAME}|{_MAIL_PARTICLE})$", re.IGNORECASE)


def _spoken_emails(text: str) -> list[Span]:
    spans = []
    for m in _EMAIL_SPOKEN.finditer(text):
        found = m.group(0)
        at = re.search(r"\s+at\s+", found, re.IGNORECASE)
        if at and found[: at.start()].lower() in _NOT_LOCAL:
            # "my email at jan.devries.com": the cue word is not the address, what follows is
            spans.append(Span("EMAIL", m.start() + at.end(), m.end()))
            continue
        if at and not re.search(r"@|apenstaartje|apestaartje|[\[({<]\s*at", found, re.I):
            local = found[: at.start()].lower()
            verb_form = len(local) > 4 and local.endswith(("ed", "ing"))  # "listed at x dot com"
            if local in _NOT_A_MAILBOX or verb_form:
                continue
        start = m.start()
        at_sign = re.search(r"\s*@", found)
        if at_sign and not re.search(r"[\[({<]\s*$", found[: at_sign.start()]):
            # with a written "@" the mailbox has no name said with spaces: the words before
            # it are not part of it ("kwam van jan@...", "is het els @ ...")
            local = re.search(
                rf"(?<![\w.+'-]){_LABEL}(?:{_JOIN}{_LABEL})*$", found[: at_sign.start()], re.I
            )
            start += local.start() if local else 0
        spans.append(Span("EMAIL", start, m.end()))
    return spans


def _said_domains(text: str) -> list[Span]:
    """Domains said on their own ("ik zit bij bakker punt nl"), unless said as a web address.

    A domain dictated in a call is contact data (the mail domain, often a person's own name);
    a company's website pointed to as such ("op onze website, x punt nl", "the brochure is at
    x dot com", "www punt ...", "... slash downloads") is not, and stays.
    """
    spans = []
    for m in _DOMAIN_SAID.finditer(text):
        first = re.match(_LABEL, m.group(0)).group(0)
        if _STOPWORD_LABEL.match(first) or first.lower() in ("www", "http", "https"):
            continue
        before = re.split(r"[.!?;]\s", text[: m.start()])[-1]
        if _WEB_CUE.search(before) or _WEB_AFTER.match(text, m.end()):
            continue
        at_before = re.search(r"(\S+)\s+at\s+$", before, re.IGNORECASE)
        if at_before:
            word = at_before.group(1).lower()
            if word in _WEB_WORDS or (len(word) > 4 and word.endswith(("ed", "ing"))):
                continue  # "the price list is at x dot com", "listed at x dot com"
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
# Country letters and check digits, glued ("NL91", "nl91") or apart ("NL 91", "NL-91"); the
# rest comes in groups joined by nothing, one or two spaces, a dash or a dot. "is 35" is no
# IBAN start: the country must have an IBAN, the length must be right and mod-97 must hold.
# Apart from its digits, a lower-case country is a word ("de 12", "is 35"), except "nl".
_IBAN_START = re.compile(r"(?<![\w])([A-Za-z]{2})(\s|\s?[-.]\s?)?(\d{2})")
_IBAN_GROUP = re.compile(r"(?:\s{1,2}|\s?[-.]\s?)?([A-Za-z0-9]+)")


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
        country = m.group(1)
        if country.upper() not in _IBAN_LENGTHS:
            continue
        if m.group(2) and not country.isupper() and country.lower() != "nl":
            continue
        # extend over groups of letters/digits, keeping each group boundary as a possible end
        ends, pos, compact = [], m.end(), country + m.group(3)
        while len(compact) <= 34:
            g = _IBAN_GROUP.match(text, pos)
            if not g:
                break
            compact += g.group(1)
            pos = g.end()
            ends.append((pos, compact))
        for end, value in reversed(ends):
            if iban_ok(value):
                spans.append(Span("IBAN", m.start(), end))
                break
    return spans


# ---------------------------------------------------------------- numbers
# Spoken number words come from the language registry (``Language.spoken_numbers``).
_NL_COMPOUND = re.compile(
    r"(een|één|twee|drie|vier|vijf|zes|zeven|acht|negen)(?:en|ën)"
    r"(twintig|dertig|veertig|vijftig|zestig|zeventig|tachtig|negentig)"
)
_TOKEN = re.compile(r"\+|\(0\)|\d+|[A-Za-zÀ-ÿ]+(?:-[A-Za-zÀ-ÿ]+)?|[^\sA-Za-zÀ-ÿ\d]")
_GLUE = {"-", ".", "/", "(", ")", ","}
_DOUBLE = {"dubbel", "double"}


def _word_digits(word: str) -> str | None:
    """Digits a spoken number word stands for ('vierendertig' -> '34'), or None."""
    numbers = languages.merged("spoken_numbers")
    w = word.lower()
    if w in numbers:
        return str(numbers[w])
    m = _NL_COMPOUND.fullmatch(w)
    if m:
        return str(numbers[m.group(2)] + numbers[m.group(1)])
    if "-" in w:  # english "thirty-four"
        a, _, b = w.partition("-")
        tens, unit = numbers.get(a), numbers.get(b)
        if tens in _TENS_VALUES and unit in _UNIT_VALUES:
            return str(tens + unit)
    return None


_TENS_VALUES = frozenset(range(20, 100, 10))
_UNIT_VALUES = frozenset(range(1, 10))


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


# The start of an account number: country and check digits (and a bank code), "NL91 ABNA ",
# or the country letters right against the digits, "DE89...". Digits after it belong to an
# IBAN, one whose checksum failed when the IBAN pass did not take it: not a phone or card.
_IBAN_HEAD = re.compile(r"(?<![\w])([A-Z]{2}|nl)(?:[\s.-]?\d{2}[\s.-]?(?:[A-Za-z]{4}[\s.-]?)?)?$")


def _after_iban_head(before: str) -> bool:
    m = _IBAN_HEAD.search(before[-16:])
    if not m or m.group(1).upper() not in _IBAN_LENGTHS:
        return False
    head = m.group(0)  # "NL91 ABNA ", "NL91-", or "DE" glued to the digits; not "NL "
    return head == m.group(1) or any(c.isdigit() for c in head)


def _classify(digits: str, plus: bool, before: str, after: str = "") -> str | None:
    """Which numeric PII type a digit string is, given the text around it, or None."""
    n = len(digits)
    if _after_iban_head(before):
        return None
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
    """Patterns for each participant: the full name and the surname with particles in any case,
    each part as written or in capitals (a one-word name is a part: "Will" is not "will")."""
    full: set[str] = set()
    parts: set[str] = set()
    for name in names:
        folded = _fold(name)
        words = (folded[0] if folded else name).split()
        if not words:
            continue
        if len(words) > 1:  # a one-word name ("Will", "Mark", "Bos") only as written
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
        parts.update(w.upper() for w in core if len(w) >= 2)
    patterns = [
        re.compile(rf"(?<![\w]){re.escape(f)}(?![\w])", re.IGNORECASE)
        for f in sorted(full, key=len, reverse=True)
    ]
    patterns += [
        re.compile(rf"(?<![\w]){re.escape(p)}(?![\w])")
        for p in sorted(parts, key=len, reverse=True)
    ]
    return patterns


_CAP = r"[A-ZÀ-Þ][a-zà-ÿ'’-]+"
_PARTICLE_WORDS = "|".join(re.escape(p) for p in sorted(_PARTICLES, key=len, reverse=True))


@functools.cache
def _introduction(generation: int) -> re.Pattern[str]:
    """A self-introduction in any registered language followed by a first and last name
    ("this is Geron Packer from", "u spreekt met Sanne de Boer"); a bare "met" (Dutch "with")
    only where a phone call opens: at the start of the text."""
    phrases = [p for p in languages.merged("self_introductions") if p not in ("met", "it's")]
    opener = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    name = rf"{_CAP}(?:\s+(?:{_PARTICLE_WORDS}))*\s+{_CAP}"
    return re.compile(rf"(?:\b(?i:{opener})\s+|^\s*(?i:met)\s+)({name})(?![\w'’-])")


def _introduced(text: str) -> list[Span]:
    """A first and last name right after a self-introduction, whatever the recogniser says: a
    misheard staff name ("Geron Packer" for "Jeroen Bakker") is still a name."""
    return [
        Span("NAME", m.start(1), m.end(1))
        for m in _introduction(languages.generation()).finditer(text)
    ]


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
        """Return the non-overlapping PII spans of ``text``, in order.

        Detection runs on the folded text (see ``_fold``); the spans are offsets into ``text``.
        """
        folded = _fold(text)
        if folded is None:
            return self._find(text)
        plain, where = folded
        return [Span(s.kind, where[s.start][0], where[s.end - 1][1]) for s in self._find(plain)]

    def _find(self, text: str) -> list[Span]:
        spans = [Span("EMAIL", m.start(), m.end()) for m in _EMAIL_WRITTEN.finditer(text)]
        spans += _spoken_emails(text)
        spans += _said_domains(text)
        spans += [Span("PHONE", m.start(), m.end()) for m in _NANP.finditer(text)]
        spans += _ibans(text)
        spans += _numbers(text)
        spans += _postcodes(text)
        spans += _names(text, self._names)
        spans += _introduced(text)
        if self._ner is not None:
            spans += [Span("NAME", a, b) for a, b in self._ner(text)]
        return _merge(_with_initials(text, spans))

    def warm(self, texts: Iterable[str]) -> None:
        """Run the name recogniser over many texts at once (spaCy batches them), before they
        are redacted one by one; without a recogniser, nothing to do."""
        warm = getattr(self._ner, "warm", None)
        if warm is not None:
            warm((folded[0] if (folded := _fold(t)) else t) for t in texts)

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
        self.warm("".join(w.word for w in u.words) if u.words else u.text for u in t.utterances)
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


class _PersonFinder:
    """Person names from a spaCy pipeline's NER: one text at a time, or many at once (``warm``:
    spaCy batches them, several times faster; the next calls for those texts are answered from
    the batch)."""

    def __init__(self, nlp) -> None:  # noqa: ANN001 - a spaCy Language
        self.nlp = nlp
        self._ready: dict[str, list[tuple[int, int]]] = {}

    def __call__(self, text: str) -> list[tuple[int, int]]:
        found = self._ready.get(text)
        return found if found is not None else self._persons(text, self.nlp(text))

    def warm(self, texts: Iterable[str]) -> None:
        """Find the names of many texts in one batch, for the calls that follow."""
        todo = list(dict.fromkeys(t for t in texts if t.strip()))
        self._ready = {
            t: self._persons(t, doc)
            for t, doc in zip(todo, self.nlp.pipe(todo, batch_size=256), strict=True)
        }

    @staticmethod
    def _persons(text: str, doc) -> list[tuple[int, int]]:  # noqa: ANN001 - a spaCy Doc
        out = []
        for ent in doc.ents:
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


def _ner_only(nlp) -> None:  # noqa: ANN001 - a spaCy Language
    """Remove the components the person finder does not need: all but the NER and the shared
    token vectors it listens to, if it does (the small pipelines' NER has its own)."""
    ner = nlp.get_pipe("ner")
    listens = any("listener" in node.name for node in ner.model.walk())
    keep = {"ner"} | ({"tok2vec", "transformer"} if listens else set())
    for name in list(nlp.pipe_names):
        if name not in keep:
            nlp.remove_pipe(name)


def _installed(name: str) -> bool:
    """Whether the spaCy pipeline ``name`` (a package, or a folder) is there to load."""
    if os.sep in name or name.startswith("."):
        return Path(name).is_dir()
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def ner_for(language: str) -> NerFn | None:
    """A person-name finder for ``language`` from an installed spaCy pipeline with NER, or None."""
    if language in _NER_CACHE:
        return _NER_CACHE[language]
    entry = languages.get(language)
    # only installed ones: importing spaCy (and with it thinc, and torch where installed)
    # takes seconds, which a language without any NER pipeline should not pay
    candidates = [name for name in (entry.ner_pipelines if entry else ()) if _installed(name)]
    finder: NerFn | None = None
    for name in candidates:
        try:
            import spacy

            nlp = spacy.load(name, exclude=["parser", "lemmatizer"])
        except (OSError, ImportError):
            continue
        if "ner" in nlp.pipe_names:
            _ner_only(nlp)
            finder = _PersonFinder(nlp)
            break
    _NER_CACHE[language] = finder
    return finder


def guess_language(text: str) -> str | None:
    """The registered language ('nl', 'en', ...) whose stop words the text uses most, or None
    when the text gives no sign (no stop word, or a tie for the lowest)."""
    words = re.findall(r"[a-zà-ÿ']+", text.lower())
    scores = {lang.code: sum(w in lang.stop_words for w in words) for lang in languages.languages()}
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
