"""Reading the files a stage wrote: regular files only, a size cap, JSON checked as records.

Every file is read through ``read_bounded``: regular files only (a FIFO or device named by
mistake is refused, never waited on or read without end) and at most a cap. A JSON file a mine
stage wrote is checked where it is read (``read_record`` with the record's ``from_dict``, or
``read_json`` with a shape), so a damaged or hand-edited file gets one line naming the file
and the command that makes it again, not a traceback. A file name that is not valid UTF-8 is
shown with U+FFFD in messages and outputs (``shown``).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, TypeVar

from pipeline.errors import InputError
from pipeline.records import JsonRecord
from pipeline.shapes import (
    LONE_SURROGATE,
    RecordError,
    load_json,
    may_hold_surrogates,
    shape_problem,
    surrogate_problem,
)

R = TypeVar("R", bound=JsonRecord)

MB = 1024 * 1024
#: The most mine reads of one JSON file a stage wrote (terms.json, gap.json, crawl.json).
STAGE_FILE_CAP = 200 * MB


def shown(path: Path | str) -> str:
    """``path`` as text that can be printed and written: undecodable bytes become U+FFFD.

    A file name that is not valid UTF-8 reaches Python with surrogate escapes
    (``os.fsdecode``); those cannot be written as UTF-8, so messages and outputs use this.
    """
    text = str(path)
    try:
        return os.fsencode(text).decode("utf-8", "replace")
    except UnicodeError:  # a surrogate that no file name decoded to
        return LONE_SURROGATE.sub("\ufffd", text)


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a plain file"


def read_bounded(path: Path, *, cap: int, fix: str, too_large: str, missing: str = "") -> bytes:
    """The bytes of a regular file of at most ``cap`` bytes.

    The file is opened without blocking and checked on the open descriptor, so a FIFO, a
    device such as /dev/zero or a folder is refused at once, never waited on or read on and on.

    Args:
        path: the file.
        cap: the most bytes read; a larger file is refused.
        fix: what to do, ending the message of an unreadable or irregular file.
        too_large: the message's end for a file over ``cap``.
        missing: the message's end for a file that does not exist (default: like unreadable).

    Raises:
        InputError: missing, unreadable, not a regular file or larger than ``cap``, in one line
            naming the file.
    """
    name = shown(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        end = missing or f"cannot be read (No such file or directory); {fix}"
        raise InputError(f"{name}: {end}") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror}); {fix}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{name}: {_file_kind(info.st_mode)}, not a regular file; {fix}")
        if info.st_size > cap:
            raise InputError(f"{name}: larger than {cap // MB} MB, {too_large}")
        chunks, size = [], 0
        while size <= cap and (chunk := os.read(fd, min(cap + 1 - size, 16 * MB))):
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror}); {fix}") from None
    finally:
        os.close(fd)
    if size > cap:  # it grew while it was read
        raise InputError(f"{name}: larger than {cap // MB} MB, {too_large}")
    return b"".join(chunks)


def _stage_json(path: Path, made_by: str, cap: int) -> tuple[str, Any, str | None]:
    """The text and parsed JSON of a file ``made_by`` wrote, or what is wrong with it."""
    raw = read_bounded(
        path,
        cap=cap,
        fix=f"run {made_by} again or check the path",
        too_large=f"more than mine reads of a file {made_by} writes; run {made_by} again",
        missing=f"not found; run {made_by} first and pass its --out folder",
    )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "", None, "not UTF-8 JSON: binary, damaged or saved in another encoding"
    data, problem = load_json(text)
    return text, data, problem


def _refusal(path: Path, made_by: str, problem: str) -> InputError:
    return InputError(f"{shown(path)}: not what {made_by} writes ({problem}); run {made_by} again")


def read_json(path: Path, *, shape: Any, made_by: str, cap: int = STAGE_FILE_CAP) -> Any:
    """Read a JSON file a mine stage wrote and check it has ``shape`` (``shape_problem``).

    A lone surrogate anywhere in it (``"\\ud800"``: mine never writes one) is refused, naming
    the field, so nothing fails later when the data is written again.

    Raises:
        InputError: missing, unreadable, not a regular file, larger than ``cap``, not JSON or
            not of that shape, naming the file and the command (``made_by``) that makes it again.
    """
    text, data, problem = _stage_json(path, made_by, cap)
    if not problem:
        problem = shape_problem(data, shape)
    if not problem and may_hold_surrogates(text):
        problem = surrogate_problem(data)
    if problem:
        raise _refusal(path, made_by, problem)
    return data


def read_record(path: Path, cls: type[R], *, made_by: str, cap: int = STAGE_FILE_CAP) -> R:
    """Read a JSON file a mine stage wrote as the record ``cls`` (its ``from_dict``).

    Raises:
        InputError: missing, unreadable, not a regular file, larger than ``cap``, not JSON or
            not what ``cls.from_dict`` accepts (a lone surrogate included), in one line naming
            the file, the place in it and the command (``made_by``) that makes it again.

    Example:
        >>> read_record(Path("gap/gap.json"), GapFile, made_by="mine gap")
    """
    text, data, problem = _stage_json(path, made_by, cap)
    if problem:
        raise _refusal(path, made_by, problem)
    try:
        return cls.from_dict(data, check_text=may_hold_surrogates(text))
    except RecordError as exc:
        raise _refusal(path, made_by, str(exc)) from None
