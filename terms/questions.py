"""The questions customers ask: found in what they said (``asked_in``), grouped across
conversations (``group_questions``).

Detection (documented rule; the words are each language's ``QuestionWords`` in the registry):

- Only customer speech counts (all speech when a conversation's roles are unknown); an
  utterance flagged as a likely hallucination does not.
- Each utterance is cut into sentences. A sentence is a question when, after leading
  interjections ("sorry", "ja") are dropped, it
  - opens with a wh-word followed by its verb ("Hoe lang duurt...", "What happens..."; a
    subject right after the wh-word makes it a subordinate clause: "Wanneer we thuis zijn"),
  - or opens with a finite verb or auxiliary followed by a subject ("Kunnen jullie...",
    "Is er...", "Do you..."),
  - or ends in a question mark and has at least ``MIN_WORDS`` words (a statement said as a
    question: "Dus dat is inclusief btw?").
- Not a question: a tag or back-channel on its own ("toch?", "right?") or a statement that
  ends in one ("Dat is best duur, toch?"), a greeting ("Hoe gaat het?"), a question about
  the conversation itself ("Wat zei je?"), an exclamation ("Wat een gedoe").

Grouping: each question is reduced to what it asks for (``intent``: cost, time, amount,
reason, place, who, choice, how, or yes/no) and its topic words (Snowball stems of its
content words, with the language's synonyms; for a question with no topic of its own, "Wat
kost dat?", the words of the sentence said before it). Two questions are one when their
intents are equal and the Dice coefficient of their topic words is above
``GROUP_SIMILARITY`` ("subsidie voor de warmtepomp" and "herrie van de warmtepomp" share one
word of two each: 0.5, two questions); each group is compared through its first (most asked) question, so
groups do not drift.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from pipeline import languages
from pipeline.languages import QuestionWords
from pipeline.records import AskedQuestion, Quote, Utterance
from terms.inputs import counted

#: A sentence that only ends in "?" needs this many words to count (not "Echt?", "Nee?").
MIN_WORDS = 3
#: Dice coefficient of topic words from which two questions with one intent are one.
GROUP_SIMILARITY = 0.5
#: Groups kept per topic word for finding candidates (the most asked ones).
POSTINGS = 64
#: Topic words taken from the sentence before a question that has none of its own.
CONTEXT_WORDS = 3
#: A question longer than this many characters is not kept (a run-on transcript line).
MAX_CHARS = 300
#: Interjections dropped from the start of a sentence before it is judged.
_OPENERS = frozenset(
    "sorry pardon ja nee nou oké oke ok okay oh o ah eh ehm uh uhm hm hmm en maar dus so and "
    "but well yeah yes no right alright mevrouw meneer".split()
)
_SENTENCE = re.compile(r"(?<=[.?!…])\s+(?=\S)")
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


@dataclass(frozen=True)
class Asked:
    """One question as said in one conversation."""

    text: str  # the sentence
    start: float
    speaker: str
    call_id: str
    source: str
    language: str
    context: str = ""  # the sentence said before it (for a question without a topic)
    recorded_at: str = ""  # the conversation's recording date


@dataclass(frozen=True)
class Signature:
    """What a question asks for (``intent``) about what (``words``: topic stems)."""

    intent: str
    words: frozenset[str]


def rules(language: str) -> QuestionWords | None:
    """The question words of ``language``; None for a language mine has none for."""
    entry = languages.get(language)
    if entry is None or not entry.questions.wh:
        return None
    return entry.questions


def sentences(text: str) -> list[str]:
    """``text`` cut at sentence ends (., ?, !, …) followed by a space."""
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


def tokens(text: str) -> list[str]:
    """The lower-case words of ``text`` ("hoe", "what's")."""
    return [t.replace("’", "'") for t in _TOKEN.findall(text.lower())]


def _drop_openers(words: list[str]) -> list[str]:
    i = 0
    while i < len(words) - 1 and words[i] in _OPENERS:
        i += 1
    return words[i:]


def _starts(words: list[str], phrases: Iterable[str]) -> bool:
    """True when ``words`` begin with one of ``phrases`` (whole words)."""
    joined = " ".join(words) + " "
    return any(joined.startswith(p + " ") for p in phrases)


@cache
def _longest_first(tags: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(tags, key=len, reverse=True))


def _strip_tag(text: str, words: list[str], q: QuestionWords) -> tuple[list[str], bool]:
    """``words`` without a closing tag ("..., toch?"), and whether one was there. A tag of one
    word closes a sentence as is; a longer one ("is it") only after a comma."""
    body = text.rstrip(" ?!.…").rstrip()
    for tag in _longest_first(q.tags):
        n = len(tag.split())
        if len(words) > n and words[-n:] == tag.split():
            before = body[: len(body) - len(tag)].rstrip() if body.lower().endswith(tag) else ""
            if n == 1 or before.endswith(","):
                return words[:-n], True
    return words, False


def _form(words: list[str], q: QuestionWords) -> bool:
    """True when ``words`` have the form of a question: wh-word and verb (a preposition may
    stand before the wh-word: "na hoeveel jaar"), or verb-first with a subject."""
    if len(words) > 2 and words[0] in q.prepositions and words[1] in q.wh:
        words = words[1:]
    if not words:
        return False
    first = words[0]
    if first in q.wh:
        if _starts(words, q.exclamations):
            return False
        rest = words[1:]
        if first in q.wh_phrase and rest and rest[0] not in q.verbs_first:
            rest = rest[1:]  # "hoeveel panelen passen", "how long does", "which battery is"
        if first == "wat" and rest[:1] == ["voor"]:
            rest = rest[2:]  # "wat voor omvormer is dat"
        if first == "what" and rest[:1] in (["kind"], ["sort"], ["type"]):
            rest = rest[2:]  # "what kind of battery"
        return bool(rest) and rest[0] not in q.subjects
    return first in q.verbs_first and len(words) > 1 and words[1] in q.subjects


def is_question(sentence: str, language: str) -> bool:
    """True when ``sentence`` is a customer's question (the rule in this module's docstring)."""
    q = rules(language)
    if q is None or len(sentence) > MAX_CHARS:
        return False
    if sentence.rstrip().endswith("!"):
        return False  # "How on earth do people afford this!"
    words = _drop_openers(_expand(tokens(sentence), q))
    if not words:
        return False
    joined = " ".join(words)
    if joined in q.greetings or joined in q.tags or _starts(words, q.about_talk):
        return False
    if _starts(words, q.requests) or (
        words[0] in q.verbs_first and set(words) & q.request_particles
    ):
        return False  # a request or an offer: "Wilt u koffie?", "Kunt u dat even mailen?"
    words, tagged = _strip_tag(sentence, words, q)
    if _form(words, q):
        return True
    if tagged:
        return False  # a statement with a tag: "Dat is best duur, toch?"
    return sentence.rstrip().endswith("?") and len(words) >= MIN_WORDS


def _expand(words: list[str], q: QuestionWords) -> list[str]:
    """``words`` with contracted wh-words written out ("what's" -> "what is")."""
    if not q.contractions:
        return words
    return [part for w in words for part in q.contractions.get(w, w).split()]


def _counted(u: Utterance, roles_known: bool) -> bool:
    return (u.speaker == "customer" or not roles_known) and counted(u)


def asked_in(
    utterances: Iterable[Utterance],
    *,
    call_id: str,
    source: str,
    language: str,
    roles_known: bool,
    recorded_at: str = "",
) -> list[Asked]:
    """The questions customers asked in one conversation, in the order asked."""
    if rules(language) is None:
        return []
    found: list[Asked] = []
    before = ""
    for u in utterances:
        parts = sentences(u.text)
        if _counted(u, roles_known):
            for s in parts:
                if is_question(s, language):
                    found.append(
                        Asked(
                            s,
                            u.start,
                            u.speaker,
                            call_id,
                            source,
                            language,
                            context=before,
                            recorded_at=recorded_at,
                        )
                    )
                before = s
        elif parts:
            before = parts[-1]
    return found


@cache
def _stemmer(name: str):  # noqa: ANN202 - snowballstemmer has no types
    import snowballstemmer

    return snowballstemmer.stemmer(name)


def stems(text: str, language: str) -> list[str]:
    """The stems of ``text``'s words, synonyms mapped (``QuestionWords.synonyms``)."""
    q = rules(language)
    words = tokens(text)
    if q is None or not q.stemmer:
        return words
    stem = _stemmer(q.stemmer).stemWord
    return [q.synonyms.get(s, s) for s in (stem(w) for w in words)]


@cache
def _cue_stems(language: str) -> frozenset[str]:
    """Every one-word intent cue as a stem (left out of a question's topic)."""
    q = rules(language)
    if q is None:
        return frozenset()
    one = [c for _, cues in q.intents for c in cues if " " not in c]
    return frozenset(one) | frozenset(stems(" ".join(one), language))


@cache
def _skip(language: str, generation: int) -> frozenset[str]:
    """The words of ``language`` that carry no topic (``generation``: the registry's state)."""
    del generation
    q, entry = rules(language), languages.get(language)
    if q is None or entry is None:
        return frozenset()
    return (
        q.function_words
        | q.auxiliaries
        | q.wh
        | q.subjects
        | q.verbs_first
        | entry.stop_words
        | entry.fillers
        | entry.determiners
    )


def topic(text: str, language: str) -> frozenset[str]:
    """The topic stems of ``text``: its content words (no function words, auxiliaries,
    wh-words, subjects or intent cues), stemmed, of two letters or more. Compounds stay whole:
    adding their parts ("geluidsniveau": "geluid", "niveau") was tried and found more topics
    partly covered, not more answers (BENCHMARKS.md)."""
    q = rules(language)
    if q is None:
        return frozenset(tokens(text))
    skip = _skip(language, languages.generation())
    words = [w for w in tokens(text) if w not in skip and not w.isdigit() and len(w) > 1]
    cues = _cue_stems(language)
    return frozenset(
        s
        for w in words
        if w not in skip and w not in cues
        for s in stems(w, language)
        if s not in cues and len(s) > 1
    )


def intent(text: str, language: str) -> str:
    """What the question asks for: the first of the language's intents whose cue it holds;
    ``yesno`` for a verb-first question, ``other`` for the rest."""
    q = rules(language)
    if q is None:
        return "other"
    words = _drop_openers(tokens(text))
    joined = " " + " ".join(words) + " "
    stemmed = set(stems(" ".join(words), language)) | set(words)
    for name, cues in q.intents:
        for cue in cues:
            if (" " in cue and f" {cue} " in joined) or (" " not in cue and cue in stemmed):
                return name
    if words and words[0] in q.verbs_first:
        return "yesno"
    return "other"


def signature(asked: Asked) -> Signature:
    """What one question asks, about what; the sentence before it lends its topic when the
    question has none ("Wat kost dat?")."""
    words = topic(asked.text, asked.language)
    if not words and asked.context:
        from terms.analyze import zipf

        ctx = sorted(
            topic(asked.context, asked.language), key=lambda w: (zipf(w, asked.language), w)
        )
        words = frozenset(ctx[:CONTEXT_WORDS])
    return Signature(intent(asked.text, asked.language), words)


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    """2|a ∩ b| / (|a| + |b|); 1 for two empty sets."""
    if not a and not b:
        return 1.0
    return 2 * len(a & b) / (len(a) + len(b))


def _best_group(
    s: Signature, leaders: list[Signature], index: dict[tuple[str, str], list[int]]
) -> int:
    """The group whose leader ``s`` is most like (Dice above ``GROUP_SIMILARITY``), or -1.

    Candidates are the groups that share a word with ``s``, counted from the postings of each
    word (at most ``POSTINGS`` groups a word, the most asked ones: groups are made most asked
    first), so 20,000 questions on one common topic stay linear."""
    if not s.words:
        found = index[s.intent, ""]
        return found[0] if found else -1
    shared: Counter = Counter()
    for w in s.words:
        shared.update(index[s.intent, w])
    best, best_sim = -1, GROUP_SIMILARITY
    for g, n in sorted(shared.items()):
        sim = 2 * n / (len(s.words) + len(leaders[g].words))
        if sim > best_sim:
            best, best_sim = g, sim
    return best


def _representative(texts: list[str], calls: dict[str, set[str]]) -> str:
    """The wording said in most conversations, then one with a question mark, then the one
    closest to 60 characters."""
    return min(
        texts,
        key=lambda t: (-len(calls[t]), not t.endswith("?"), abs(len(t) - 60), t),
    )


def group_questions(
    asked: list[Asked],
    *,
    customers: Callable[[str], str],
    evidence: int = 3,
) -> list[AskedQuestion]:
    """Group paraphrases of one question across conversations, per language; most asked first.

    Each group: its representative wording, the other wordings (most said first), how many
    conversations and customers asked it, and up to ``evidence`` quotes from as many
    conversations as possible.
    """
    out: list[AskedQuestion] = []
    by_lang: dict[str, list[Asked]] = defaultdict(list)
    for a in asked:
        by_lang[a.language].append(a)
    for lang, items in sorted(by_lang.items()):
        sigs = [signature(a) for a in items]
        # identical signatures first, then most asked first: leaders are the common questions
        exact: dict[Signature, list[int]] = defaultdict(list)
        for i, s in enumerate(sigs):
            exact[s].append(i)
        order = sorted(
            exact, key=lambda s: (-len({items[i].call_id for i in exact[s]}), exact[s][0])
        )
        leaders: list[Signature] = []
        members: list[list[int]] = []
        index: dict[tuple[str, str], list[int]] = defaultdict(list)  # (intent, word) -> groups
        for s in order:
            best = _best_group(s, leaders, index)
            if best < 0:
                best = len(leaders)
                leaders.append(s)
                members.append([])
                for w in s.words or {""}:
                    if len(index[s.intent, w]) < POSTINGS:
                        index[s.intent, w].append(best)
            members[best].extend(exact[s])
        for lead, idx in zip(leaders, members, strict=True):
            out.append(_group_row(lang, lead, [items[i] for i in sorted(idx)], customers, evidence))
    out.sort(key=lambda r: (-r.conversations, -r.mentions, r.language, r.question))
    return out


def _group_row(
    lang: str,
    lead: Signature,
    items: list[Asked],
    customers: Callable[[str], str],
    evidence: int,
) -> AskedQuestion:
    calls: dict[str, set[str]] = defaultdict(set)
    for a in items:
        calls[a.text].add(a.call_id)
    texts = list(dict.fromkeys(a.text for a in items))
    rep = _representative(texts, calls)
    said = Counter({t: len(c) for t, c in calls.items()})
    others = [t for t, _ in sorted(said.items(), key=lambda kv: (-kv[1], kv[0])) if t != rep]
    quotes: list[Quote] = []
    seen: set[str] = set()
    for rule in ("new-call", "any"):
        for a in items:
            if len(quotes) >= evidence:
                break
            if (rule == "new-call" and a.call_id in seen) or any(
                q.text == a.text and q.call_id == a.call_id for q in quotes
            ):
                continue
            quotes.append(
                Quote(
                    call_id=a.call_id,
                    source=a.source,
                    start=round(a.start, 2),
                    speaker=a.speaker,
                    text=a.text,
                    recorded_at=a.recorded_at,
                )
            )
            seen.add(a.call_id)
    return AskedQuestion(
        question=rep,
        language=lang,
        intent=lead.intent,
        topic=tuple(sorted(lead.words)),
        wordings=tuple(others[:20]),
        conversations=len({a.call_id for a in items}),
        customers=len({customers(a.call_id) for a in items}),
        mentions=len(items),
        evidence=tuple(quotes),
        key=f"{lead.intent}|{' '.join(sorted(lead.words))}",
        calls=tuple(sorted({a.call_id for a in items})),
    )
