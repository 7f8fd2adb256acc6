"""Progress reporting: library code calls a callback; only ``cli.py`` draws anything."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ProgressEvent:
    """One progress update.

    ``kind`` is ``total`` (the amount of work is known), ``advance`` (``done`` of ``total``
    units finished), ``status`` (a message such as "loading model") or ``result`` (one item
    finished, ``ok`` tells how).
    """

    kind: str
    done: float = 0.0
    total: float = 0.0
    item: str = ""
    message: str = ""
    ok: bool = True


ProgressCallback = Callable[[ProgressEvent], None]


def ignore(_event: ProgressEvent) -> None:
    """The default callback: report nothing."""
