"""Who is the rep: the decisions every way of finding speakers shares.

A recording's speakers come from their voices (``transcribe.speakers``); a transcript from
another tool names them in labels ("Jan de Vries:", "<v Sanne>", "SPEAKER_00"). Either way a
speaker's role is decided in this order, the first that applies:

1. a **hand correction** (``mine speakers set FILE SPEAKER rep``);
2. for labels: a **role word** (Klant, Customer, Rep, Verkoper, …);
3. for labels: the **staff list** (``[roles] reps`` in mine.toml, ``--rep NAME``), matched on
   the full name or on a first name that is unique in the list and among the speakers, case and
   accents ignored; for voices: an enrolled voice profile;
4. for labels: the consent record's ``obtained_by`` name, matched the same way;
5. the **heuristic**: points for naming the own company (2 a mention), introducing oneself with
   a rep's name (3), speaking first (0.5); the speaker with most points is the rep, with
   confidence 0.5 + 0.15 × the lead over the runner-up (at most 0.95); below the minimum
   confidence every speaker stays ``unknown``.

Once a rep is known, every other speaker is a customer, except a speaker labelled with a
function ("Project Manager", "Marketing"), who stays ``unknown`` (a colleague as often as a
customer; a correction decides). One speaker alone stays ``unknown`` unless a label or a
correction says otherwise.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pipeline import languages
from pipeline.formats.labels import Label, bare, fold

_WORD = re.compile(r"[\wÀ-ÿ]+")


@dataclass(frozen=True)
class RoleDecision:
    """The role of one speaker id and why."""

    role: str
    source: str  # manual | label | staff | consent | enrolled | heuristic | none
    confidence: float
    reason: str


@dataclass(frozen=True)
class RoleHints:
    """What is known about who the rep is, besides what the speakers say."""

    reps: tuple[str, ...] = ()  # the staff list and --rep
    consent_by: str = ""  # the consent record's obtained_by
    own_names: tuple[str, ...] = ()  # the company's and products' names
    corrections: Mapping[str, str] = field(default_factory=dict)  # speaker id or label → role
    min_confidence: float = 0.5


@functools.cache
def _intro(generation: int) -> re.Pattern[str]:
    """A self-introduction in any registered language, and the up to three words after it."""
    phrases = "|".join(re.escape(p) for p in languages.merged("self_introductions"))
    return re.compile(rf"\b(?:{phrases})\s+((?:\w+\s+){{0,2}}\w+)", re.IGNORECASE)


def tokens(text: str) -> list[str]:
    """The lower-case words of ``text``."""
    return [w.lower() for w in _WORD.findall(text)]


def distinctive(names: Sequence[str]) -> set[str]:
    """The tokens of own names that identify them (not everyday words like 'heating')."""
    out = set()
    for name in names:
        toks = [t for t in tokens(name) if len(t) >= 3]
        rare = [t for t in toks if max(languages.zipf(t, c) for c in languages.codes()) < 3.5]
        out.update(rare or toks[:1])
    return out


def heuristic_points(
    said: Mapping[str, str], first: str | None, own_names: Sequence[str], rep_names: Sequence[str]
) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Each speaker's points for being the rep, and why (``said``: speaker → all they said)."""
    own = distinctive(own_names)
    rep_tokens = distinctive(rep_names) if rep_names else set()
    points = dict.fromkeys(said, 0.0)
    why: dict[str, list[str]] = {s: [] for s in said}
    for sid, text in said.items():
        toks = tokens(text)
        mentions = sum(any(t.startswith(o) for o in own) for t in toks) if own else 0
        if mentions:
            points[sid] += 2.0 * mentions
            why[sid].append(f"names the company {mentions}×")
        intro = (
            sum(
                any(t in rep_tokens for t in tokens(m.group(1)))
                for m in _intro(languages.generation()).finditer(text)
            )
            if rep_tokens
            else 0
        )
        if intro:
            points[sid] += 3.0 * intro
            why[sid].append("introduces self with the rep's name")
    if first in points:
        points[first] += 0.5
        why[first].append("speaks first")
    return points, why


def by_heuristic(
    said: Mapping[str, str],
    first: str | None,
    own_names: Sequence[str],
    rep_names: Sequence[str],
    min_confidence: float,
) -> dict[str, RoleDecision]:
    """The rep is the speaker with the most points, if ahead by enough (see the module)."""
    rest = list(said)
    points, why = heuristic_points(said, first, own_names, rep_names)
    ranked = sorted(rest, key=lambda s: points[s], reverse=True)
    lead = points[ranked[0]] - points[ranked[1]]
    confidence = round(min(0.95, 0.5 + 0.15 * lead), 3)
    if lead <= 0 or confidence < min_confidence:
        return {
            sid: RoleDecision(
                "unknown", "heuristic", confidence, "no speaker stands out as the rep"
            )
            for sid in rest
        }
    rep = ranked[0]
    out = {rep: RoleDecision("rep", "heuristic", confidence, ", ".join(why[rep]))}
    for sid in rest:
        if sid != rep:
            out[sid] = RoleDecision("customer", "heuristic", confidence, f"{rep} is the rep")
    return out


def others_customers(
    speakers: Mapping[str, Label], decided: dict[str, RoleDecision]
) -> dict[str, RoleDecision]:
    """With a rep among ``decided``, every undecided named or numbered speaker is a customer;
    one labelled with a function ("Project Manager") names no one and stays unknown."""
    rep = next((d for d in decided.values() if d.role == "rep"), None)
    if rep is None:
        return decided
    out = dict(decided)
    for sid, lab in speakers.items():
        if lab.kind == "function" and sid not in out:
            out[sid] = RoleDecision(
                "unknown", "none", 0.0, "a function, not a person: set it with mine speakers set"
            )
        out.setdefault(
            sid, RoleDecision("customer", rep.source, rep.confidence, "another speaker is the rep")
        )
    return out


# --------------------------------------------------------------------------- named speakers


def _first_last(name: str) -> str:
    """ "Jansen, Pieter" as "Pieter Jansen"; other names as they are."""
    last, comma, first = bare(name).partition(",")
    return f"{first.strip()} {last.strip()}" if comma and first.strip() else bare(name)


def matches(label: str, names: Sequence[str], labels: Sequence[str]) -> str | None:
    """The name of ``names`` that ``label`` is: the same full name, or a first name that is
    unique among ``names`` and among the speakers' ``labels`` (case and accents ignored)."""
    names = [n for n in names if n.strip()]
    mine = fold(_first_last(label))
    folded = [fold(_first_last(n)) for n in names]
    for name, f in zip(names, folded, strict=False):
        if f == mine:
            return name
    first = mine.split()[0] if mine else ""
    label_firsts = [fold(_first_last(x)).split()[0] for x in labels if fold(x)]
    if not first or label_firsts.count(first) != 1:
        return None
    name_firsts = [f.split()[0] if f else "" for f in folded]
    if name_firsts.count(first) != 1:
        return None
    name = names[name_firsts.index(first)]
    # "Sanne" matches "Sanne de Boer" and the reverse; two different surnames do not
    if len(mine.split()) > 1 and len(fold(_first_last(name)).split()) > 1:
        return None
    return name


def label_roles(
    speakers: Mapping[str, Label], said: Mapping[str, str], first: str | None, hints: RoleHints
) -> dict[str, RoleDecision]:
    """Decide the role of each labelled speaker (speaker id → its label), in the module's order."""
    ids = list(speakers)
    decided: dict[str, RoleDecision] = {}
    for sid, lab in speakers.items():
        role = hints.corrections.get(sid) or hints.corrections.get(fold(lab.text))
        if role:
            decided[sid] = RoleDecision(role, "manual", 1.0, "set by hand (mine speakers set)")
        elif lab.kind == "role":
            decided[sid] = RoleDecision(lab.role, "label", 1.0, f"labelled {lab.text!r}")
    if any(d.role == "rep" for d in decided.values()):
        return others_customers(speakers, decided)
    named = [lab.text for lab in speakers.values() if lab.kind == "person"]
    for source, names, why in (
        ("staff", hints.reps, "on the staff list"),
        ("consent", (hints.consent_by,) if hints.consent_by else (), "took the consent"),
    ):
        reps = [
            sid
            for sid, lab in speakers.items()
            if sid not in decided and lab.kind == "person" and matches(lab.text, names, named)
        ]
        if reps:
            for sid in reps:
                decided[sid] = RoleDecision("rep", source, 1.0, why)
            return others_customers(speakers, decided)
    rest = {sid: said.get(sid, "") for sid in ids if sid not in decided}
    other = [sid for sid in rest if speakers[sid].kind != "function"]
    if len(other) == 1 and any(d.role == "customer" for d in decided.values()):
        # a labelled customer and one other speaker: the other is the one selling
        return decided | {
            other[0]: RoleDecision("rep", "label", 0.75, "the other speaker of a labelled customer")
        }
    if len(rest) < 2:
        return decided | {
            sid: RoleDecision("unknown", "none", 0.0, "one speaker: role unknown") for sid in rest
        }
    rep_names = tuple(hints.reps) + ((hints.consent_by,) if hints.consent_by else ())
    return decided | by_heuristic(
        rest, first if first in rest else None, hints.own_names, rep_names, hints.min_confidence
    )
