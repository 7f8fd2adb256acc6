"""The previous crawl's pages.jsonl as a re-crawl reuses it: rows checked before they are
trusted (``load_previous``), fresh enough to reuse unread (``fresh``), or asked again with the
validators they stored (``validator``: ETag, Last-Modified)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from crawl.report import CrawlReport
from crawl.urls import normalise, origin

_VALIDATOR = re.compile(r"[\x20-\x7e]{1,512}")  # an ETag or date that can be sent back as is


def _valid_time(value: Any) -> bool:
    """An ISO date-time with its time zone, not in the future (a day's slack)."""
    if not isinstance(value, str) or len(value) > 64:
        return False
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return False
    return moment.tzinfo is not None and moment <= datetime.now(UTC) + timedelta(days=1)


#: A row an older mine wrote (no FAQ entries): fetched again, without a warning.
OLDER = "older"


def _row_problem(row: Any) -> str | None:
    """Why a pages.jsonl row cannot be reused as is (a row mine wrote has none)."""
    if not isinstance(row, dict):
        return "not an object"
    for key in ("url", "final_url", "title", "description", "text", "content_hash"):
        if not isinstance(row.get(key), str):
            return f"{key} is not text"
    if origin(row["url"]) is None:
        return "url is not a web address"
    if type(row.get("status")) is not int:
        return "status is not a whole number"
    if not _valid_time(row.get("fetched_at")):
        return "fetched_at is not a date and time with a time zone"
    if row.get("lang") is not None and not isinstance(row["lang"], str):
        return "lang is not text"
    headings = row.get("headings")
    if not isinstance(headings, list) or not all(
        isinstance(h, dict) and isinstance(h.get("level"), str) and isinstance(h.get("text"), str)
        for h in headings
    ):
        return "headings are not a list of level and text"
    faq = row.get("faq")
    if not isinstance(faq, list) or not all(
        isinstance(f, dict)
        and isinstance(f.get("question"), str)
        and isinstance(f.get("answer"), str)
        for f in faq
    ):
        return OLDER
    links = row.get("links", [])
    if not isinstance(links, list) or not all(isinstance(u, str) for u in links):
        return "links are not a list of addresses"
    for key in ("etag", "last_modified", "source_file"):
        if row.get(key) is not None and not isinstance(row[key], str):
            return f"{key} is not text"
    return None


def load_previous(out_dir: Path, report: CrawlReport) -> dict[str, dict[str, Any]]:
    """The rows of the previous crawl's pages.jsonl that can be reused, by normalised URL;
    damaged rows are left out, with one warning."""
    path = out_dir / "pages.jsonl"
    if not path.is_file():
        return {}
    previous: dict[str, dict[str, Any]] = {}
    bad: list[str] = []
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except (ValueError, RecursionError):
                    problem: str | None = "not JSON"
                else:
                    problem = _row_problem(row)
                if problem == OLDER:
                    continue
                if problem:
                    bad.append(f"line {n}: {problem}")
                    continue
                row["links"] = row.get("links", [])[: 5 * 1024]
                previous[normalise(row["url"])] = row
    except OSError as exc:
        report.warnings.append(f"{path}: not read ({exc.strerror or exc}); every page is fetched")
        return {}
    if bad:
        report.warnings.append(
            f"{path}: {len(bad)} damaged rows ignored (first {bad[0]}); those pages are fetched"
        )
    return previous


def validator(value: Any) -> str | None:
    """An ETag or Last-Modified value that can be sent back as is (printable ASCII), or None."""
    return value if isinstance(value, str) and _VALIDATOR.fullmatch(value) else None


def fresh(row: dict[str, Any], max_age_hours: float) -> bool:
    """Whether a row was fetched less than ``max_age_hours`` ago."""
    try:
        fetched = datetime.fromisoformat(row["fetched_at"])
        return datetime.now(UTC) - fetched < timedelta(hours=max_age_hours)
    except (KeyError, TypeError, ValueError, OverflowError):
        return False
