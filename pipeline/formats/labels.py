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
    """A label without what follows a name in parentheses ("Jan Smit (Warmtewerk)")."""
    return " ".join(re.sub(r"\([^()]*\)", " ", label).split()) or " ".join(label.split())


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
    if words and all(w in FUNCTION_WORDS or w.isdigit() for w in words):
        return Label(text, "function")
    return Label(text, "person")


@functools.lru_cache(maxsize=4096)
def looks_like_label(candidate: str) -> bool:
    """True if ``candidate`` (text before a colon or a time) can be a speaker label: a role,
    a placeholder, a function, or a name of one to four words (initials and particles free),
    each capitalised, such as "Jan de Vries", "J.P. van der Berg", "Pieter 't Hart"."""
    text = bare(candidate)
    if not text or len(candidate) > 60:
        return False
    kind = classify(text).kind
    if kind in ("role", "placeholder", "function"):
        return True
    words = text.split()
    names = [w for w in words if fold(w) not in PARTICLES and not re.fullmatch(r"[A-Z]\.+", w)]
    if not 1 <= len(names) <= 4:
        return False
    return all(_NAME_WORD.fullmatch(w) and (w[0].isupper() or w[0] in "'’") for w in names)


def name_parts(label: str) -> list[str]:
    """The words of a person's label that identify them (no particles or initials)."""
    return [
        w
        for w in bare(label).split()
        if fold(w) not in PARTICLES and not re.fullmatch(r"(?:[A-Z]\.)+", w) and len(w) >= 2
    ]
