"""What changed: customer language over time, and whether the website's gaps closed
(``compute_trends``, ``mine trends``; ``mine run`` writes trends.json and trends.csv).

Everything is recomputed from the workspace's state each time: each conversation's stored term
analysis (``term_analyses``) and recording date (``conversations``), and the gap snapshots each
run keeps (``gap_history``). A forgotten conversation is gone from all of them, so it is gone
from every period and every snapshot.

Rules (documented in docs/trends.md):

- A period is a month (``2026-03``) or a quarter (``2026-Q1``) of the recording date;
  conversations without a date are counted apart (``undated``), in no period.
- **new** in a period: first said in that period (never in an earlier one), by at least
  ``NEW_CUSTOMERS`` customers in at least ``NEW_CONVERSATIONS`` conversations there. The first
  period has no new terms (everything is new there).
- **rising** / **falling** in a period: the term's share of all customer term mentions there
  against its share in all earlier periods together, by the log-likelihood ratio G² (Dunning
  1993; a 2×2 table: the term and all other mentions, this period and the earlier ones). A
  term counts when G² ≥ ``G2_THRESHOLD`` (3.84: p < 0.05 with one degree of freedom) and it was
  said at least ``MIN_COUNT`` times in the two together; G² suits the small counts of a few
  conversations a month, where a χ² approximation does not.
- **gaps closed**: a term that was ``missing``/``underused`` and is ``covered`` (a question
  ``unanswered``/``partly`` and then ``answered``) between two gap snapshots, with the page
  that now covers it and the crawl date of the later snapshot; **gaps opened**: the reverse (a
  page that lost a term customers use). Given since the previous run and since the first.
"""

from __future__ import annotations

import gc
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.config import Settings
from pipeline.errors import InputError
from pipeline.files import staged_files
from pipeline.reading import shown
from pipeline.state import ConversationDate, GapState

NEW_CUSTOMERS = 2
NEW_CONVERSATIONS = 2
G2_THRESHOLD = 3.84
MIN_COUNT = 5
#: Terms listed per period as new, rising or falling (all are in trends.csv).
LISTED = 50
_OPEN = {"term": ("missing", "underused"), "question": ("unanswered", "partly")}
_CLOSED = {"term": ("covered",), "question": ("answered",)}


def period_of(recorded_at: str, by: str) -> str | None:
    """The period of a ``YYYY-MM-DD`` date: ``2026-03`` (month) or ``2026-Q1`` (quarter)."""
    try:
        d = date.fromisoformat(recorded_at)
    except ValueError:
        return None
    return (
        f"{d.year:04d}-{d.month:02d}"
        if by == "month"
        else f"{d.year:04d}-Q{(d.month - 1) // 3 + 1}"
    )


def g2(a: int, n_a: int, b: int, n_b: int) -> float:
    """Dunning's log-likelihood ratio for a term said ``a`` times of ``n_a`` mentions in one
    period and ``b`` times of ``n_b`` before it."""
    total = n_a + n_b
    if not total or not (a + b) or a > n_a or b > n_b:
        return 0.0
    out = 0.0
    for observed, row, col in (
        (a, a + b, n_a),
        (b, a + b, n_b),
        (n_a - a, total - a - b, n_a),
        (n_b - b, total - a - b, n_b),
    ):
        expected = row * col / total
        if observed > 0 and expected > 0:
            out += observed * math.log(observed / expected)
    return round(2 * out, 3)


@dataclass
class _Term:
    key: str
    language: str
    surfaces: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # period -> customer mentions
    calls: dict[str, int] = field(default_factory=dict)  # period -> conversations
    customers: dict[str, set[str]] = field(default_factory=dict)  # period -> customers


@dataclass(frozen=True)
class Trends:
    """What ``compute_trends`` found: trends.json as a dict (``data``) and its CSV rows."""

    data: dict[str, Any]
    rows: list[dict[str, Any]]

    @property
    def periods(self) -> list[str]:
        """The periods covered, oldest first."""
        return [p["period"] for p in self.data["periods"]]


def compute_trends(
    conversations: list[ConversationDate],
    analyses: Iterable[tuple[str, Any]],
    snapshots: list[tuple[str, str, list[GapState]]],
    *,
    customer: Callable[[str], str],
    by: str = "month",
    since: date | None = None,
    labels: dict[tuple[str, str], str] | None = None,
) -> Trends:
    """Trends over the periods of the conversations' recording dates, and the gaps that
    closed or opened between gap snapshots (the rules in this module's docstring).

    Args:
        conversations: the corpus's conversations with their dates (``conversations``).
        analyses: (call, stored term analysis) pairs (``term_analyses``).
        snapshots: the gap snapshots, oldest first (``gap_history``).
        customer: call -> customer (two calls of one customer count as one customer).
        by: ``month`` or ``quarter``.
        since: leave out conversations recorded before this date.
        labels: (kind, key) -> the text to show for a question (its current wording).
    """
    when = {c.call_id: c for c in conversations}
    period: dict[str, str] = {}
    undated = 0
    minutes: Counter = Counter()
    convs: Counter = Counter()
    for c in conversations:
        p = period_of(c.recorded_at, by)
        if p is None:
            undated += 1
            continue
        if since is not None and c.recorded_at < since.isoformat():
            continue
        period[c.call_id] = p
        convs[p] += 1
        minutes[p] += c.customer_seconds / 60
    terms: dict[tuple[str, str], _Term] = {}
    mentions: Counter = Counter()  # period -> all customer term mentions
    for call_id, data in analyses:
        p = period.get(call_id)
        if p is None or not isinstance(data, dict) or not isinstance(data.get("terms"), dict):
            continue
        lang = when[call_id].language if call_id in when else ""
        who = customer(call_id)
        total = 0
        for key, entry in data["terms"].items():  # each key once per conversation
            if not (isinstance(entry, list) and len(entry) == 5 and type(entry[2]) is int):
                continue
            said = entry[2]
            if said <= 0:
                continue
            t = terms.get((lang, key))
            if t is None:
                t = terms[lang, key] = _Term(key, lang)
            if isinstance(entry[0], dict):
                for form, n in entry[0].items():
                    if type(n) is int:
                        t.surfaces[form] = t.surfaces.get(form, 0) + n
            t.counts[p] = t.counts.get(p, 0) + said
            t.calls[p] = t.calls.get(p, 0) + 1
            t.customers.setdefault(p, set()).add(who)
            total += said
        mentions[p] += total
    periods = sorted(convs)
    rows = [_row(t, periods, mentions) for t in terms.values()]
    rows.sort(key=lambda r: (-r["mentions"], r["language"], r["term"]))
    marked = _listed(rows, periods)
    data = {
        "meta": {
            "by": by,
            "since": since.isoformat() if since else None,
            "conversations": sum(convs.values()),
            "undated": undated,
            "rules": {
                "new": f"first said in the period, by >= {NEW_CUSTOMERS} customers in >= "
                f"{NEW_CONVERSATIONS} conversations",
                "rising_falling": f"G2 >= {G2_THRESHOLD} (p < 0.05, 1 df) of the share of "
                f"customer mentions against all earlier periods, said >= {MIN_COUNT} times",
                "see": "docs/trends.md",
            },
        },
        "periods": [
            {
                "period": p,
                "conversations": convs[p],
                "customer_minutes": round(minutes[p], 1),
                "mentions": mentions[p],
                **marked[p],
            }
            for p in periods
        ],
        "gaps": _gaps(snapshots, labels or {}),
    }
    listed = {
        (t["language"], t["key"])
        for p in data["periods"]
        for k in ("new", "rising", "falling")
        for t in p[k]
    }
    # each listed term's share of the customer mentions per period (the report's small lines)
    data["series"] = [
        {"term": r["term"], "key": r["key"], "language": r["language"], "shares": r["shares"]}
        for r in rows
        if (r["language"], r["key"]) in listed
    ]
    return Trends(data, rows)


def _row(t: _Term, periods: list[str], mentions: Counter) -> dict[str, Any]:
    """One term over the periods: counts, shares, and where it was new, rising or falling."""
    counts = [t.counts.get(p, 0) for p in periods]
    row: dict[str, Any] = {
        "term": max(t.surfaces, key=lambda f: (t.surfaces[f], f)) if t.surfaces else t.key,
        "key": t.key,
        "language": t.language,
        "mentions": sum(counts),
        "counts": counts,
        "shares": [
            round(c / mentions[p], 5) if mentions[p] else 0.0
            for c, p in zip(counts, periods, strict=True)
        ],
        "new_in": [],
        "rising_in": [],
        "falling_in": [],
    }
    before = 0
    total_before = 0
    for i, p in enumerate(periods):
        a, n_a = t.counts.get(p, 0), mentions[p]
        if i > 0 and a and not before:
            if t.calls[p] >= NEW_CONVERSATIONS and len(t.customers[p]) >= NEW_CUSTOMERS:
                row["new_in"].append(p)
        if i > 0 and a + before >= MIN_COUNT and n_a and total_before:
            score = g2(a, n_a, before, total_before)
            if score >= G2_THRESHOLD:
                rising = a / n_a > before / total_before
                row["rising_in" if rising else "falling_in"].append({"period": p, "g2": score})
        before += a
        total_before += n_a
    return row


def _listed(rows: list[dict[str, Any]], periods: list[str]) -> dict[str, dict[str, list]]:
    """Per period, the terms new, rising and falling in it: most said (or strongest) first."""
    found: dict[str, dict[str, list]] = {
        p: {"new": [], "rising": [], "falling": []} for p in periods
    }
    for r in rows:  # most said first already
        base = {"term": r["term"], "key": r["key"], "language": r["language"]}
        for p in r["new_in"]:
            found[p]["new"].append({**base, "g2": None})
        for kind in ("rising", "falling"):
            for hit in r[f"{kind}_in"]:
                found[hit["period"]][kind].append({**base, "g2": hit["g2"]})
    for lists in found.values():
        for kind in ("rising", "falling"):
            lists[kind].sort(key=lambda x: -x["g2"])
        for kind in lists:
            del lists[kind][LISTED:]
    return found


def _gaps(
    snapshots: list[tuple[str, str, list[GapState]]], labels: dict[tuple[str, str], str]
) -> dict[str, Any]:
    """Gaps closed and opened since the previous snapshot and since the first."""
    out: dict[str, Any] = {"snapshots": len(snapshots)}
    if len(snapshots) < 2:
        return out
    first, previous, last = snapshots[0], snapshots[-2], snapshots[-1]
    for name, then in (("previous", previous), ("first", first)):
        closed, opened = _changes(then, last, labels)
        out[f"since_{name}"] = {
            "run_at": then[0],
            "crawl_at": then[1],
            "closed": closed,
            "opened": opened,
        }
    out["latest"] = {"run_at": last[0], "crawl_at": last[1]}
    return out


def _changes(
    then: tuple[str, str, list[GapState]],
    now: tuple[str, str, list[GapState]],
    labels: dict[tuple[str, str], str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    before = {(r.kind, r.key, r.language): r for r in then[2]}
    closed, opened = [], []
    for r in now[2]:
        old = before.get((r.kind, r.key, r.language))
        if old is None:
            continue
        item = {
            "kind": r.kind,
            "key": r.key,
            "label": labels.get((r.kind, r.key), r.key if r.kind == "term" else _topic(r.key)),
            "language": r.language,
            "from": old.status,
            "to": r.status,
            "crawl_at": now[1],
        }
        if old.status in _OPEN[r.kind] and r.status in _CLOSED[r.kind]:
            closed.append({**item, "page": r.page})
        elif old.status in _CLOSED[r.kind] and r.status in _OPEN[r.kind]:
            opened.append({**item, "page": old.page})
    return closed, opened


def _topic(key: str) -> str:
    """A question's key ("cost|maand") as words to show when its wording is not at hand."""
    intent, _, words = key.partition("|")
    return f"{words.replace(' ', ', ')} ({intent})"


#: trends.csv: one row per term and period.
CSV_COLUMNS = [
    "term",
    "key",
    "language",
    "period",
    "mentions",
    "share",
    "new",
    "rising",
    "falling",
    "g2",
]


def csv_rows(trends: Trends) -> list[dict[str, Any]]:
    """trends.csv's rows: each term in each period it was said in, or marked in."""
    out = []
    periods = trends.periods
    for r in trends.rows:
        marks = {
            "new": set(r["new_in"]),
            "rising": {h["period"]: h["g2"] for h in r["rising_in"]},
            "falling": {h["period"]: h["g2"] for h in r["falling_in"]},
        }
        for i, p in enumerate(periods):
            if not r["counts"][i] and p not in marks["falling"]:
                continue
            out.append(
                {
                    "term": r["term"],
                    "key": r["key"],
                    "language": r["language"],
                    "period": p,
                    "mentions": r["counts"][i],
                    "share": r["shares"][i],
                    "new": p in marks["new"],
                    "rising": p in marks["rising"],
                    "falling": p in marks["falling"],
                    "g2": marks["rising"].get(p) or marks["falling"].get(p) or "",
                }
            )
    return out


def from_workspace(settings: Settings, *, by: str = "month", since: date | None = None) -> Trends:
    """The trends of a workspace: its conversations, their stored analyses and its gap
    snapshots (``mine trends``).

    Raises:
        InputError: the workspace has no state yet (``mine run`` makes it).
    """
    from pipeline.state import conversation_dates, gap_snapshots, open_state, term_analyses_of
    from pipeline.state import recordings as known

    if not (settings.workspace / "state.db").is_file():
        raise InputError(
            f"{shown(settings.workspace)}: no workspace state; run mine run first or pass the "
            "workspace with --workspace"
        )
    if by not in ("month", "quarter"):
        raise InputError(f"--by {by}: use month or quarter")
    with open_state(settings.workspace) as db, _no_cycle_collection():
        names = {r.call_id: r.customer for r in known(db) if r.customer}
        return compute_trends(
            conversation_dates(db),
            term_analyses_of(db),
            gap_snapshots(db),
            customer=lambda c: names.get(c, c),
            by=by,
            since=since,
            labels=_labels(settings.workspace / "gap" / "questions.json"),
        )


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector off while millions of small containers are made (the stored
    analyses, parsed one by one): it would walk the growing tables again and again, tripling
    the time; nothing made here forms a cycle."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _labels(path: Path) -> dict[tuple[str, str], str]:
    """(question, key) -> the question's current wording (questions.json), where there is one."""
    try:
        rows = json.loads(path.read_text(encoding="utf-8")).get("questions", [])
    except (OSError, ValueError, AttributeError):
        return {}
    return {
        ("question", r["key"]): r["question"]
        for r in rows
        if isinstance(r, dict)
        and isinstance(r.get("key"), str)
        and isinstance(r.get("question"), str)
    }


def write_trends(trends: Trends, out_dir: Path) -> list[Path]:
    """Write trends.json and trends.csv into ``out_dir``, all or nothing."""
    import pandas as pd

    table = pd.DataFrame(csv_rows(trends), columns=CSV_COLUMNS)
    targets = [out_dir / "trends.json", out_dir / "trends.csv"]
    with staged_files(targets) as (js, csv):
        js.write_text(json.dumps(trends.data, ensure_ascii=False, indent=1), encoding="utf-8")
        table.to_csv(csv, index=False)
    return targets
