"""The one clock of mine's records: the current UTC time as every stored timestamp has it."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> str:
    """The current UTC time to the second, ISO 8601 (``2026-12-02T15:16:12+00:00``)."""
    return datetime.now(UTC).isoformat(timespec="seconds")
