"""What a JSON file a mine stage wrote must look like, checked once where it is read.

A small validator (``shape_problem``) whose answer is one line naming the place by keys and
indices, so a damaged or hand-edited file gets one line, not a traceback; and the JSON helpers
around it: ``load_json`` (integers of sane length, no deep recursion crash) and the lone UTF-16
surrogates a JSON string may spell (``"\\ud800"``), which no UTF-8 file can hold.

The records in ``pipeline.records`` check their JSON form with these shapes in ``from_dict``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any


class RecordError(ValueError):
    """A JSON value is not the record it should be; ``str()`` is one line naming the place."""


class Number:
    """Shape of a finite JSON number (not true/false); ``Number(0)`` also refuses negatives."""

    def __init__(self, minimum: float | None = None) -> None:
        """Set the smallest allowed value, if any."""
        self.minimum = minimum


class MapOf:
    """Shape of a JSON object with any keys whose values all have ``shape``."""

    def __init__(self, shape: Any) -> None:
        """Set the shape of every value."""
        self.shape = shape


#: A finite number, and one of 0 or more (counts, scores, seconds).
NUMBER, AMOUNT = Number(), Number(0)
#: No number mine reads may be larger than this (a trillion seconds is 31,700 years), so sums of
#: many of them stay finite: a 400-digit integer or 1e308 is refused where it is read.
LARGEST = 1e12


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "an object"


class OneOf:
    """Shape of text that is one of a set known only when checked (``OneOf(term_languages)``:
    the languages registered at that moment); reads like a frozenset of allowed strings."""

    def __init__(self, values: Callable[[], Iterable[str]]) -> None:
        """Ask ``values`` for the allowed strings at each check."""
        self.values = values

    def __contains__(self, value: object) -> bool:
        return value in set(self.values())

    def __iter__(self) -> Iterator[str]:
        return iter(self.values())


def _wanted(shape: Any) -> str:
    if isinstance(shape, tuple):
        return " or ".join(_wanted(s) for s in shape)
    if isinstance(shape, Number):
        return "a number" if shape.minimum is None else f"a number of {shape.minimum:g} or more"
    if isinstance(shape, frozenset | OneOf):
        return "one of " + ", ".join(sorted(shape))
    if isinstance(shape, dict | MapOf):
        return "an object"
    if isinstance(shape, list):
        return "a list"
    return {str: "text", bool: "true/false", None: "null"}.get(shape, "something else")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fits(value: Any, shape: Any) -> bool:
    """Whether ``value`` has the scalar ``shape`` (containers are walked by ``shape_problem``)."""
    if shape is object:
        return True
    if shape is None:
        return value is None
    if isinstance(shape, Number):
        return (  # int/float comparisons are exact: no overflow for a 400-digit integer
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and -LARGEST <= value <= LARGEST  # also false for NaN and infinities
            and (shape.minimum is None or value >= shape.minimum)
        )
    if isinstance(shape, frozenset | OneOf):
        return isinstance(value, str) and value in shape
    if shape is str:
        return isinstance(value, str)
    if shape is bool:
        return isinstance(value, bool)
    raise TypeError(f"unknown shape {shape!r}")


def shape_problem(value: Any, shape: Any, where: str = "") -> str | None:
    """Say where ``value`` differs from ``shape``, or return None when it fits.

    Shapes: ``str``, ``bool``, ``None``, ``object`` (anything), a ``Number``, a frozenset of
    allowed strings, a tuple (any of its shapes), ``[shape]`` (a list of it), ``MapOf(shape)``
    and ``{"key": shape, "optional?": shape}`` (an object; other keys are ignored). The answer
    names the place by keys and indices only, never by the file's text, so it stays one line.

    Example:
        >>> shape_problem({"rows": [{"n": "3"}]}, {"rows": [{"n": AMOUNT}]})
        'rows[0].n is text, not a number of 0 or more'
    """
    here = where or "the top level"
    if isinstance(shape, tuple):
        if any(shape_problem(value, s, where) is None for s in shape):
            return None
        return f"{here} is {_kind(value)}, not {_wanted(shape)}"
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return f"{here} is {_kind(value)}, not an object"
        for key, sub in shape.items():
            name = key.rstrip("?")
            inner = f"{where}.{name}" if where else name
            if name not in value:
                if key.endswith("?"):
                    continue
                return f"{inner} is missing"
            problem = shape_problem(value[name], sub, inner)
            if problem:
                return problem
        return None
    if isinstance(shape, MapOf):
        if not isinstance(value, dict):
            return f"{here} is {_kind(value)}, not an object"
        for key, item in value.items():
            problem = shape_problem(item, shape.shape, f"{where}[{key[:40]!r}]")
            if problem:
                return problem
        return None
    if isinstance(shape, list):
        if not isinstance(value, list):
            return f"{here} is {_kind(value)}, not a list"
        for i, item in enumerate(value):
            problem = shape_problem(item, shape[0], f"{where}[{i}]")
            if problem:
                return problem
        return None
    if _fits(value, shape):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return f"{here} is {value}, not a finite number"
    if isinstance(shape, Number) and _is_number(value) and abs(value) > LARGEST:
        digits = len(str(abs(value))) if isinstance(value, int) else 0
        size = f"a {digits}-digit number" if digits else f"{value:.3g}"
        return f"{here} is {size}, more than the {LARGEST:.0e} mine accepts"
    if isinstance(value, str) and isinstance(shape, frozenset | OneOf):
        return f"{here} is {value[:20]!r}, not {_wanted(shape)}"
    return f"{here} is {_kind(value)}, not {_wanted(shape)}"


# ---- JSON text: sane numbers, lone surrogates ----

#: Longer integers than this are refused while parsing (Python's int-string conversion limit).
_MAX_DIGITS = 4300
#: A lone UTF-16 surrogate: JSON can spell one (``"\\ud800"``), UTF-8 cannot hold it.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class _HugeNumber(ValueError):
    """An integer too long to be a number mine wrote."""


def _int(digits: str) -> int:
    count = len(digits.lstrip("-"))
    if count > _MAX_DIGITS:
        raise _HugeNumber(f"a number with {count} digits")
    return int(digits)


def load_json(text: str) -> tuple[Any, str | None]:
    """Parse JSON text: the value, or None and what is wrong (one line, no file text).

    Integers longer than 4300 digits are refused here (Python would raise its own
    int-string conversion error); shorter ones too large for a number field are refused by
    ``shape_problem``.
    """
    try:
        return json.loads(text, parse_int=_int), None
    except _HugeNumber as exc:
        return None, f"{exc}, more than mine accepts"
    except RecursionError:
        return None, "nested too deeply"
    except ValueError as exc:
        return None, f"not JSON: {exc}"


def may_hold_surrogates(text: str) -> bool:
    """True when JSON text may spell a lone surrogate: a quick test before the full walk."""
    return _SURROGATE_ESCAPE.search(text) is not None


def surrogate_problem(value: Any, where: str = "") -> str | None:
    """Where a parsed JSON value holds a lone surrogate (in a key or text), or None."""
    here = where or "the top level"
    if isinstance(value, str):
        bad = LONE_SURROGATE.search(value)
        if bad:
            return f"{here} holds the unpaired surrogate \\u{ord(bad.group()):04x}, not text"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if LONE_SURROGATE.search(key):
                return f"a key of {here} holds an unpaired surrogate, not text"
            if key.isidentifier():
                inner = f"{where}.{key[:40]}" if where else key[:40]
            else:
                inner = f"{where}[{key[:40]!r}]"
            problem = surrogate_problem(item, inner)
            if problem:
                return problem
        return None
    if isinstance(value, list):
        for i, item in enumerate(value):
            problem = surrogate_problem(item, f"{where}[{i}]")
            if problem:
                return problem
    return None


def replace_surrogates(value: Any) -> Any:
    """A parsed JSON value with every lone surrogate in keys and text replaced by U+FFFD."""
    if isinstance(value, str):
        return LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {LONE_SURROGATE.sub("\ufffd", k): replace_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [replace_surrogates(v) for v in value]
    return value
