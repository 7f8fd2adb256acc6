"""Small file helpers every stage uses: atomic writes, hashing, the append-only log."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import InputError, OutputError

_CHUNK = 1 << 20
_UMASK = os.umask(0)
os.umask(_UMASK)


_BREAKS = str.maketrans({c: f"\\u{ord(c):04x}" for c in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"})


def one_line(text: str) -> str:
    """``text`` with every character that could start a new line written as an escape."""
    return text.translate(_BREAKS)


def quote(path: Path | str) -> str:
    """A path as logs name it: in double quotes, on one line, so it is found exactly again."""
    return one_line(json.dumps(str(path), ensure_ascii=False))


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class FileIdentity:
    """What tells whether a file's bytes may have changed: a write changes mtime and ctime,
    a replacement changes the inode, and no program can set ctime back."""

    dev: int
    ino: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileIdentity:
        """The identity of a ``stat`` result."""
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def hash_file(path: Path) -> tuple[str, FileIdentity]:
    """Return a file's sha256 and the identity of the bytes that were hashed.

    Raises:
        OSError: it cannot be read, or it changed while it was read.
    """
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        before = FileIdentity.of(os.fstat(fh.fileno()))
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
        if FileIdentity.of(os.fstat(fh.fileno())) != before:
            raise OSError(0, "the file changed while it was read", str(path))
    return digest.hexdigest(), before


@contextlib.contextmanager
def staged_files(targets: list[Path], *, mode: int | None = None) -> Iterator[list[Path]]:
    """Yield temp paths beside ``targets``; on success rename them all into place, else delete them.

    Readers never see a half-written file: each target appears whole or not at all. ``mode``
    sets the files' permissions from the start (default: as an ordinary new file).
    """
    temps: list[Path] = []
    try:
        for target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=".part", dir=target.parent
            )
            os.fchmod(fd, mode if mode is not None else 0o666 & ~_UMASK)  # not mkstemp's 0600
            os.close(fd)
            temps.append(Path(name))
        yield temps
        for temp, target in zip(temps, targets, strict=True):
            with temp.open("rb") as fh:
                os.fsync(fh.fileno())
            os.replace(temp, target)
    except OSError as exc:
        raise OutputError(
            f"{exc.filename or targets[0]}: cannot write output ({exc.strerror}); "
            "check that the folder exists and is writable, or pass --out"
        ) from None
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with staged_files([path]) as (temp,):
        temp.write_text(text, encoding="utf-8")


def read_output_json(path: Path, *, keys: tuple[str, ...], made_by: str) -> dict[str, Any]:
    """Read a JSON file another mine stage wrote, checking it has ``keys``.

    Raises:
        InputError: missing or malformed, with the command that makes it.
    """
    from pipeline.errors import InputError

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        missing = [k for k in keys if k not in data]
        if missing:
            raise KeyError(", ".join(missing))
    except FileNotFoundError:
        raise InputError(
            f"{path}: not found; run {made_by} first and pass its --out folder"
        ) from None
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise InputError(
            f"{path}: not what {made_by} writes ({str(exc)[:120]}); run {made_by} again"
        ) from None
    return data


def _open_locked_log(path: Path) -> int:
    """Open an append-only log for appending, holding its lock, and make sure it is still the
    file at ``path`` (``rewrite_jsonl`` may have replaced it while we waited for the lock)."""
    while True:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


def append_jsonl(path: Path, entry: Mapping[str, Any]) -> None:
    """Append one JSON line and fsync, so a crash never leaves a torn entry behind."""
    line = json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = _open_locked_log(path)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)  # closing drops the lock
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot append to the log ({exc.strerror}); "
            "check that the workspace is writable or pass --workspace"
        ) from None


def rewrite_jsonl(path: Path, change: Callable[[dict[str, Any]], dict[str, Any]]) -> int:
    """Rewrite every entry of a JSON-lines log through ``change``, atomically and under the
    log's lock (appends wait). Lines that are not JSON objects are kept as they are.

    Returns how many entries changed.
    """
    try:
        fd = _open_locked_log(path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot rewrite the log ({exc.strerror})") from None
    try:
        # lines end at "\n" only: a name may hold U+2028, which JSON leaves unescaped
        lines = [x for x in path.read_text(encoding="utf-8", errors="replace").split("\n") if x]
        out, changed = [], 0
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                out.append(line)
                continue
            if not isinstance(entry, dict):
                out.append(line)
                continue
            new = change(entry)
            if new != entry:
                changed += 1
            out.append(json.dumps(new, ensure_ascii=False, sort_keys=True))
        if changed:
            with staged_files([path], mode=0o600) as (temp,):
                temp.write_text("".join(x + "\n" for x in out), encoding="utf-8")
        return changed
    finally:
        os.close(fd)


def remove_partials(folder: Path) -> int:
    """Delete temp files a killed writer left behind below ``folder`` (``.<name>.<random>.part``)."""
    n = 0
    for p in folder.rglob(".*.part"):
        p.unlink(missing_ok=True)
        n += 1
    return n


def real_file(path: Path) -> Path:
    """The real file behind ``path`` (symlinks resolved), checked to be a readable regular file.

    Raises:
        InputError: missing, a broken link, a folder, not a regular file, or a name too long.
    """
    try:
        if path.is_symlink() and not path.exists():
            raise InputError(f"{path}: a link to a file that does not exist; fix or remove it")
        if not path.exists():
            raise InputError(f"{path}: file not found; check the path")
        real = path.resolve(strict=True)
        if real.is_dir():
            raise InputError(
                f"{path}: is a folder, not a recording; pass the audio files in it, "
                f"e.g. mine transcribe {path}/*.m4a"
            )
        if not real.is_file():
            raise InputError(f"{path}: not a regular file; pass an audio file")
    except OSError as exc:
        raise InputError(
            f"{str(path)[:120]}: cannot be used ({exc.strerror}); "
            "rename it to a shorter name or check its permissions"
        ) from None
    except RuntimeError:  # a symlink loop
        raise InputError(f"{path}: a loop of symbolic links; point it at a recording") from None
    return real
