"""When a conversation was recorded: the first of the consent record's ``recorded_at``, a date
in the transcript file itself, the media file's creation-time tag and the file's modification
time (``recording_date``); and dates written in a transcript's header (``date_in_text``).

The transcript JSON carries the date (``recorded_at``, ``YYYY-MM-DD``) and where it came from
(``recorded_at_source``: ``consent``, ``transcript``, ``media`` or ``file``).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from pipeline import languages

#: How far into a transcript file a date is looked for (its header: title, date, attendees).
HEAD_CHARS = 4_000
#: The earliest year taken for a recording date (a header's "1900" is not one).
FIRST_YEAR = 1990
SOURCES: tuple[str, ...] = ("consent", "transcript", "media", "file")

_ISO = re.compile(r"\b((?:19|20)\d\d)[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_DAY_MONTH_YEAR = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th|e)?\.?\s+([^\W\d_]{3,10})\.?,?\s+((?:19|20)\d\d)\b"
)
_MONTH_DAY_YEAR = re.compile(
    r"\b([^\W\d_]{3,10})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+((?:19|20)\d\d)\b"
)


def _months() -> dict[str, int]:
    """Month names and their common abbreviations in every registered language -> 1..12."""
    table: dict[str, int] = {}
    for lang in languages.languages():
        for i, name in enumerate(lang.months, start=1):
            table.setdefault(name, i)
            table.setdefault(name[:3], i)
    table.setdefault("sept", 9)
    return table


def plausible(found: date, *, today: date | None = None) -> bool:
    """True for a date a conversation can have been recorded on: from ``FIRST_YEAR`` to a day
    after ``today`` (a clock a time zone ahead)."""
    return FIRST_YEAR <= found.year and found <= (today or date.today()) + timedelta(days=1)


def _valid(year: int, month: int, day: int, today: date | None) -> date | None:
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    return found if plausible(found, today=today) else None


def date_in_text(text: str, *, today: date | None = None) -> date | None:
    """The first date written in the head of ``text`` ("2026-03-04", "4 maart 2026",
    "March 4, 2026", "4th March 2026"), or None. Numeric dates other than year first
    ("04/03/2026") are left alone: day and month cannot be told apart."""
    head = text[:HEAD_CHARS]
    months = _months()
    found: list[tuple[int, date]] = []
    for m in _ISO.finditer(head):
        d = _valid(int(m[1]), int(m[2]), int(m[3]), today)
        if d:
            found.append((m.start(), d))
    for m in _DAY_MONTH_YEAR.finditer(head):
        month = months.get(m[2].lower())
        d = _valid(int(m[3]), month, int(m[1]), today) if month else None
        if d:
            found.append((m.start(), d))
    for m in _MONTH_DAY_YEAR.finditer(head):
        month = months.get(m[1].lower())
        d = _valid(int(m[3]), month, int(m[2]), today) if month else None
        if d:
            found.append((m.start(), d))
    return min(found)[1] if found else None


def recording_date(
    *,
    consent: date | None,
    transcript: date | None = None,
    media: date | None = None,
    mtime_ns: int | None = None,
) -> tuple[str, str]:
    """The recording date (``YYYY-MM-DD``) and its source, from the first that is known."""
    for value, source in ((consent, "consent"), (transcript, "transcript"), (media, "media")):
        if value is not None:
            return value.isoformat(), source
    if mtime_ns is not None:
        return datetime.fromtimestamp(mtime_ns / 1e9, UTC).date().isoformat(), "file"
    return "", ""
