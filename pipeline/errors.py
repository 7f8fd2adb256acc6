"""The one exception tree of `mine`: every message says what happened, where, and what to do."""

from __future__ import annotations


class MineError(Exception):
    """Base of every error `mine` raises on purpose.

    Messages are one line: what happened, which file or URL, and the fix.
    Only ``cli.py`` turns these into exit codes.
    """

    exit_code = 1

    @property
    def lines(self) -> list[str]:
        """What ``mine`` prints, one ``error:`` line each: the message (a subclass may list more)."""
        return [str(self)]


class ConfigError(MineError):
    """A setting, flag or ``mine.toml`` value is invalid."""

    exit_code = 2


class InputError(MineError):
    """An input file is missing, unreadable, empty, corrupt or not audio."""


class ConsentError(MineError):
    """A recording has no valid consent record; nothing of it was processed."""


class ModelError(MineError):
    """A model cannot be found, assembled, verified or loaded; no file can be transcribed."""

    exit_code = 2


class CrawlError(MineError):
    """A website or site export cannot be read."""


class OutputError(MineError):
    """An output file cannot be written."""


class StateError(MineError):
    """The workspace's state store is damaged or was made by a newer release."""

    exit_code = 2
