"""Speaker labels of transcripts from other tools: a role, a function, a placeholder or a person.

- **role** words say who is who: Customer/Klant/Client, Rep/Sales/Verkoper/Adviseur/Interviewer
  (the full lists are ``CUSTOMER_WORDS`` and ``REP_WORDS``);
- **placeholder** labels name nobody: ``Speaker 2``, ``SPEAKER_00``, ``Spreker 1``,
  ``Unknown Speaker``, ``Participant 3``, ``S1``;
- **function** labels name a job or a team, not a person: ``Project Manager``, ``Marketing``,
  ``Industrial Designer``, ``Monteur`` (every word is one of ``FUNCTION_WORDS``);
- anything else is a **person**: personal data. Their names (and the parts of them) are
  redacted wherever they occur in the text.

A label is never part of the utterance's text.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

CUSTOMER_WORDS = frozenset(
    "customer klant client cliënt prospect buyer koper opdrachtgever consumer consument "
    "homeowner huiseigenaar bewoner".split()
)
REP_WORDS = frozenset(
    [
        *"rep sales salesperson verkoper adviseur accountmanager seller vertegenwoordiger "
        "consultant interviewer marketeer".split(),
        "account manager",
        "sales rep",
        "sales representative",
    ]
)
#: Words of job titles and teams (English and Dutch): a label made only of these names no one.
FUNCTION_WORDS = frozenset(
    """
    project product program programme account sales marketing support service customer success
    manager management director head lead leader chief officer president vice vp ceo cfo cto coo
    cmo hr finance legal operations ops it engineering engineer developer designer design
    industrial user interface ux ui research researcher analyst assistant secretary receptionist
    coordinator specialist expert advisor adviser consultant technician installer planner
    moderator host co-host cohost presenter facilitator chair chairman chairperson note taker
    notetaker interviewee respondent participant guest caller agent operator owner team member
    staff office front back desk the of and a
    projectleider projectmanager teamleider directeur manager medewerker adviseur monteur
    installateur werkvoorbereider planner binnendienst buitendienst klantenservice verkoop inkoop
    administratie financiën boekhouding notulist voorzitter gespreksleider gast beller eigenaar
    bedrijfsleider vestigingsmanager afdeling team de het van en
    """.split()
)
_PLACEHOLDER = re.compile(
    r"(?:(?:unknown|onbekende?|other|andere)\s+)?"
    r"(?:speaker|spreker|participant|deelnemer|person|persoon|voice|stem|guest|gast|attendee|"
    r"caller|beller|s|spk)?[\s_#-]*(?:\d{1,3}|[a-z])?|unknown|onbekend",
    re.IGNORECASE,
)
#: Parts of a name that are not a name on their own ("van der Berg", "Pieter 't Hart").
PARTICLES = frozenset(
    "van de der den het ter ten te 't in op von le la du da di del dos das vander vd bin ben "
    "el al ibn".split()
)
_NAME_WORD = re.compile(r"(?:[^\W\d_][\w'’.-]*|[A-Z]\.(?:[A-Z]\.)*)")


@dataclass(frozen=True)
class Label:
    """One speaker label as written, and what it is."""

    text: str
    kind: str  # "role", "placeholder", "function" or "person"
    role: str = "unknown"  # for kind "role": customer or rep


def fold(text: str) -> str:
    """Lower case without accents and with single spaces: how labels and staff names match."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.replace("’", "'").replace("ı", "i").replace("ø", "o").split())


_CUSTOMER_FOLDED = frozenset(fold(w) for w in CUSTOMER_WORDS)


def role_word(label: str) -> str:
    """customer, rep or unknown for a role word, also numbered ("Klant 2", "Rep:")."""
    low = re.sub(r"[\s_#-]*\d+$", "", fold(label)).strip(" .:")
    if low in _CUSTOMER_FOLDED:
        return "customer"
    if low in REP_WORDS:
        return "rep"
    return "unknown"


def bare(label: str) -> str:
    """A label without what follows a name in parentheses ("Jan Smit (Warmtewerk)"); a label
    that is all parentheses ("(Sanne)") without them."""
    kept = " ".join(re.sub(r"\([^()]*\)", " ", label).split())
    return kept or " ".join(label.replace("(", " ").replace(")", " ").split())


@functools.lru_cache(maxsize=4096)
def classify(label: str) -> Label:
    """What a speaker label is: a role word, a placeholder, a function or a person."""
    text = bare(label)
    role = role_word(text)
    if role != "unknown":
        return Label(text, "role", role)
    folded = fold(text)
    if not folded or _PLACEHOLDER.fullmatch(folded):
        return Label(text, "placeholder")
    words = re.findall(r"[^\W\d_][\w-]*|\d+", folded)
    named = [w for w in words if not w.isdigit()]
    if named and all(w in FUNCTION_WORDS for w in named) and not re.search(r"[@+]", text):
        return Label(text, "function")
    return Label(text, "person")  # anything else, a phone number or an e-mail address too


@functools.lru_cache(maxsize=4096)
def looks_like_label(candidate: str, *, lower: bool = False) -> bool:
    """True if ``candidate`` (text before a colon or a time) can be a speaker label: a role,
    a placeholder, a function, or a name of one to four words (initials and particles free),
    each capitalised, such as "Jan de Vries", "J.P. van der Berg", "Pieter 't Hart"; with
    ``lower``, also a name written in lower case ("sanne"), which a file must then use as a
    label more than once."""
    text = bare(candidate)
    if not text or len(candidate) > 60:
        return False
    kind = classify(text).kind
    if kind in ("role", "placeholder", "function"):
        return True
    words = text.replace(",", " ").split()  # "Jansen, Pieter" too
    names = [w for w in words if fold(w) not in PARTICLES and not re.fullmatch(r"[A-Z]\.+", w)]
    if not 1 <= len(names) <= 4:
        return False
    capital = all(w[0].isupper() or w[0] in "'’" for w in names)
    return all(_NAME_WORD.fullmatch(w) for w in names) and (capital or lower)


def spellings(label: str) -> list[str]:
    """The ways a person's label may be written in the text: as labelled, in title case (for a
    label in capitals or lower case), without accents, hyphenated first names apart
    ("Anne-Marie": "Anne", "Marie"), "Last, First" turned round, and the name in an e-mail
    address label (jan.devries@...: "Jan", "Devries")."""
    text = bare(label)
    out = [text]
    if "@" in text:
        local = text.split("@", 1)[0]
        out += [w.capitalize() for w in re.split(r"[._+-]+", local) if len(w) >= 3]
    if "," in text:
        last, _sep, first = text.partition(",")
        out.append(f"{first.strip()} {last.strip()}")
    if text.isupper() or text.islower():
        out.append(" ".join(w if fold(w) in PARTICLES else w.capitalize() for w in text.split()))
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    ).replace("ı", "i")
    if plain != text:
        out.append(plain)
    for variant in list(out):
        out += [p for w in variant.split() if "-" in w for p in w.split("-") if len(p) >= 3]
    return list(dict.fromkeys(x for x in out if x.strip()))


def name_parts(label: str) -> list[str]:
    """The words of a person's label that identify them (no particles or initials)."""
    return [
        w
        for w in bare(label).split()
        if fold(w) not in PARTICLES and not re.fullmatch(r"(?:[A-Z]\.)+", w) and len(w) >= 2
    ]
