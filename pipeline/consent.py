"""The consent gate: no recording is decoded or transcribed without a valid consent record for
*its bytes*.

A consent record is a sidecar ``<recording>.consent.toml`` beside the audio, or a row of a
``consent.csv`` register in the recording's folder. Symbolic links are resolved first: a record
always belongs to the real file, never to a link pointing at it. ``mine consent add`` writes the
sha256 of the recording's bytes into the record as ``call_id``; a record whose ``call_id`` does
not match the bytes is refused before any audio is decoded (hashing reads the bytes; decoding
does not happen).

``admit`` is the one decision that ``mine transcribe``, ``mine run`` and ``mine consent check``
share. In order: the record is found (sidecar, register rows); any withdrawal wins; conflicting
register rows are refused; the record is validated against the schema (one message per
problem); its ``file`` must name this recording; it must not be future-dated, out of scope or
expired; and last, its ``call_id`` (when present) must match the bytes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shlex
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import tomli_w

from pipeline.dates import FIRST_YEAR, plausible
from pipeline.errors import ConsentError, InputError
from pipeline.files import FileIdentity, append_jsonl, hash_file, real_file, write_atomic
from pipeline.formats import TRANSCRIPT_SUFFIXES, mine_output
from pipeline.records import AUDIO_SUFFIXES, CONSENT_METHODS, CONSENT_SCOPES, Consent

REGISTER_NAME = "consent.csv"
REGISTER_FIELDS = (
    "file",
    "customer",
    "participants",
    "obtained_at",
    "obtained_by",
    "method",
    "purpose",
    "scope",
    "retain_audio_until",
    "withdrawn_at",
    "call_id",
    "record_sha256",
    "recorded_at",
)
#: Columns a register must have (the others are optional).
REGISTER_REQUIRED = ("file", "customer", "obtained_at", "obtained_by", "method", "purpose", "scope")
_REQUIRED = ("customer", "obtained_at", "obtained_by", "method", "purpose")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
#: A consent record is a few hundred bytes; a register a few MB even for many thousand rows.
MAX_SIDECAR_BYTES = 1 << 20
MAX_REGISTER_BYTES = 64 << 20

Hasher = Callable[[Path], tuple[str, FileIdentity]]


def sidecar_path(audio: Path) -> Path:
    """Return the consent sidecar path for a recording: ``<name>.consent.toml`` beside it."""
    return audio.with_name(audio.name + ".consent.toml")


def _add_hint(audio: Path) -> str:
    return (
        f"mine consent add {shlex.quote(str(audio))} --customer NAME "
        "--method verbal-on-recording --by YOUR-NAME"
    )


def _loosely_same(a: str, b: str) -> bool:
    """Names that differ only in outer spaces or Unicode form: said in a hint, never matched."""
    return unicodedata.normalize("NFC", a.strip()) == unicodedata.normalize("NFC", b.strip())


def _naive(moment: datetime) -> datetime:
    """Compare datetimes in local time whether or not the record carries an offset."""
    return moment.astimezone().replace(tzinfo=None) if moment.tzinfo else moment


# ------------------------------------------------------------------------------ the schema


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime | date):
        return "a date"
    return type(value).__name__


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if not isinstance(value, str):
        raise TypeError(f"expected a date and time, got {_kind(value)}")
    return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise TypeError(f"expected a date, got {_kind(value)}")
    text = value.strip()
    if len(text) > 10:  # a date and time, as a CRM export writes it: its date
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    return date.fromisoformat(text)


def _as_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        parts = value.replace(",", ";").split(";")
    elif isinstance(value, list | tuple):
        wrong = [v for v in value if not isinstance(v, str)]
        if wrong:
            raise TypeError(f"expected a list of text, got {_kind(wrong[0])} in it")
        parts = list(value)
    else:
        raise TypeError(f"expected a list of text, got {_kind(value)}")
    return tuple(p.strip() for p in parts if p.strip())


def record_digest(data: dict[str, Any]) -> str:
    """sha256 of a record's fields as written: what the audit keeps once the record is erased."""
    canonical = {k: str(v) for k, v in data.items() if not _blank(v) and k != "record_sha256"}
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def parse_consent(data: dict[str, Any], *, source: str) -> Consent:
    """Validate a sidecar table or register row against the consent schema.

    Raises:
        ValueError: one message per problem, joined by "; " (unknown fields, missing or
            empty fields, wrong types, invalid values).
    """
    problems: list[str] = []
    unknown = sorted(str(k) for k in data if k not in REGISTER_FIELDS)
    if unknown:
        problems.append(
            f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
            f"(known: {', '.join(REGISTER_FIELDS)})"
        )
    missing = [k for k in _REQUIRED if _blank(data.get(k))]
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    fields: dict[str, Any] = {"source": source, "record_sha256": record_digest(data)}
    _read_text_fields(data, fields, problems)
    _read_typed_fields(data, fields, problems)
    problems += _value_problems(fields, problems)
    if problems:
        raise ValueError("; ".join(problems))
    return Consent(**fields)


def _read_text_fields(data: dict[str, Any], fields: dict[str, Any], problems: list[str]) -> None:
    """Copy the text fields of a record into ``fields`` (stripped; call_id lower-case)."""
    for key in ("file", "customer", "obtained_by", "purpose", "method", "call_id"):
        value = data.get(key)
        if _blank(value):
            continue
        if not isinstance(value, str):
            problems.append(f"{key}: expected text, got {_kind(value)}")
            continue
        fields[key] = value.strip()
    method = fields.get("method")
    if method is not None and method not in CONSENT_METHODS:
        problems.append(f"method '{method}' is not one of {', '.join(CONSENT_METHODS)}")
    call_id = fields.get("call_id")
    if call_id is not None:
        fields["call_id"] = call_id = call_id.lower()
        if not _SHA256.match(call_id):
            problems.append(f"call_id '{call_id[:70]}' is not a sha256 (64 hex digits)")


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "obtained_at": _as_datetime,
    "withdrawn_at": _as_datetime,
    "retain_audio_until": _as_date,
    "recorded_at": _as_date,
    "participants": _as_list,
    "scope": _as_list,
}


def _read_typed_fields(data: dict[str, Any], fields: dict[str, Any], problems: list[str]) -> None:
    """Convert the dates and lists of a record into ``fields``."""
    for key, convert in _CONVERTERS.items():
        raw = data.get(key)
        if _blank(raw):
            continue
        try:
            fields[key] = convert(raw)
        except TypeError as exc:
            problems.append(f"{key}: {exc}")
        except ValueError:
            problems.append(f"{key} '{str(raw)[:40]}' is not valid")


def _value_problems(fields: dict[str, Any], found: list[str]) -> list[str]:
    """What is wrong with the values taken together: no scope, unknown scope, dates reversed."""
    problems = []
    scope = fields.get("scope", ())
    if not scope and not any(p.startswith("scope:") for p in found):
        problems.append(
            "no scope given (list what the customer agreed to: transcribe, quote-in-reports)"
        )
    unknown_scope = [s for s in scope if s not in CONSENT_SCOPES]
    if unknown_scope:
        problems.append(f"scope '{unknown_scope[0]}' is not one of {', '.join(CONSENT_SCOPES)}")
    obtained, until = fields.get("obtained_at"), fields.get("retain_audio_until")
    if isinstance(obtained, datetime) and isinstance(until, date) and until < obtained.date():
        problems.append(f"retain_audio_until {until} is before obtained_at {obtained:%Y-%m-%d}")
    recorded = fields.get("recorded_at")
    if isinstance(recorded, date) and not plausible(recorded):
        problems.append(
            f"recorded_at {recorded} is in the future"
            if recorded.year >= FIRST_YEAR
            else f"recorded_at {recorded} is before {FIRST_YEAR}: give the real date"
        )
    return problems


# ------------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class RawRecord:
    """One consent record as written, before validation: a sidecar or one register row."""

    source: str  # the sidecar's path, or "<register>:<row number>"
    data: dict[str, Any]


def _read_limited(path: Path, limit: int, what: str) -> bytes:
    with path.open("rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit >> 20} MB: not a {what}")
    return data


_SIDECAR_CACHE: dict[tuple[str, FileIdentity], dict[str, Any]] = {}


def _read_sidecar(path: Path) -> RawRecord:
    """Read a sidecar as written (parsed once while the file is unchanged)."""
    import tomllib

    try:
        key = (str(path), FileIdentity.of(path.stat()))
    except OSError as exc:
        raise ValueError(f"cannot be read ({exc.strerror})") from None
    if key in _SIDECAR_CACHE:
        return RawRecord(str(path), dict(_SIDECAR_CACHE[key]))
    try:
        text = _read_limited(path, MAX_SIDECAR_BYTES, "consent record").decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"not valid TOML ({exc})") from None
    except OSError as exc:
        raise ValueError(f"cannot be read ({exc.strerror})") from None
    if len(_SIDECAR_CACHE) > 4096:
        _SIDECAR_CACHE.clear()
    _SIDECAR_CACHE[key] = data
    return RawRecord(str(path), dict(data))


_REGISTER_CACHE: dict[tuple[str, FileIdentity], list[dict[str, Any]]] = {}


def _register_rows(register: Path) -> list[dict[str, Any]]:
    """Every row of a register as ``{"row": n, "data": {...}}``; cached while unchanged.

    Raises:
        ValueError: the register cannot be read, or its header is wrong.
    """
    try:
        identity = FileIdentity.of(register.stat())
    except OSError as exc:
        raise ValueError(f"cannot be read ({exc.strerror})") from None
    key = (str(register), identity)
    if key in _REGISTER_CACHE:
        return _REGISTER_CACHE[key]
    try:
        raw = _read_limited(register, MAX_REGISTER_BYTES, "consent register")
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        raise ValueError(f"cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text; save it as CSV UTF-8") from None
    if "\0" in text:
        raise ValueError("not a CSV text file (binary content)")
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [h.strip() for h in next(reader, [])]
        body = list(enumerate(reader, start=2))
    except csv.Error as exc:
        raise ValueError(f"not valid CSV ({exc})") from None
    unknown = [h for h in header if h not in REGISTER_FIELDS]
    absent = [h for h in REGISTER_REQUIRED if h not in header]
    if unknown or absent:
        said = []
        if unknown:
            said.append(f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
        if absent:
            said.append(f"no column {', '.join(absent)}")
        raise ValueError(
            f"{'; '.join(said)}: the columns are {', '.join(REGISTER_REQUIRED)} "
            f"and optionally {', '.join(f for f in REGISTER_FIELDS if f not in REGISTER_REQUIRED)}"
        )
    if len(set(header)) != len(header):
        raise ValueError("a column appears twice in the header")
    rows = []
    for number, cells in body:
        if not any(c.strip() for c in cells):
            continue
        row: dict[str, Any] = {"row": number, "data": dict(zip(header, cells, strict=False))}
        if len(cells) != len(header):
            row["problem"] = f"row {number} has {len(cells)} cells, the header has {len(header)}"
        rows.append(row)
    if len(_REGISTER_CACHE) > 64:
        _REGISTER_CACHE.clear()
    _REGISTER_CACHE[key] = rows
    return rows


def _row_names(cell: str, register: Path, real: Path) -> bool:
    """Does a register's ``file`` cell name the recording ``real`` itself?

    Exactly its name (two files whose names differ only in spaces or Unicode form are two
    recordings), or a path whose folder resolves to the recording's folder. A cell naming a
    link does not grant consent to the file the link points at.
    """
    if not cell:
        return False
    if "/" not in cell:
        return cell == real.name
    candidate = Path(cell) if Path(cell).is_absolute() else register.parent / cell
    try:
        return candidate.name == real.name and candidate.parent.resolve() == real.parent
    except (OSError, RuntimeError):
        return False


def _row_points_at(cell: str, register: Path, real: Path) -> bool:
    """Does a cell name ``real`` or a link that leads to it? (For withdrawals: any counts.)"""
    if _row_names(cell, register, real):
        return True
    if not cell:
        return False
    candidate = Path(cell) if Path(cell).is_absolute() else register.parent / cell
    try:
        return candidate.is_symlink() and candidate.resolve() == real
    except (OSError, RuntimeError):
        return False


def records_for(real: Path, *, pointing: bool = False) -> tuple[list[RawRecord], list[str]]:
    """Every consent record that names the recording ``real`` (a real path: links resolved).

    With ``pointing``, also the register rows and sidecars of links in its folder that lead
    to it: what counts for a withdrawal. Returns the records (sidecars first, then register
    rows) and problems that stop the records from being read at all.
    """
    found: list[RawRecord] = []
    problems: list[str] = []
    sidecars = [sidecar_path(real)]
    if pointing:
        sidecars += [sidecar_path(p) for p in _links_in(real.parent) if _resolves_to(p, real)]
    for sidecar in sidecars:
        try:
            has_sidecar = sidecar.is_file()
        except OSError:
            has_sidecar = False
        if has_sidecar:
            try:
                found.append(_read_sidecar(sidecar))
            except ValueError as exc:
                problems.append(f"{sidecar.name} is malformed ({exc})")
    register = real.parent / REGISTER_NAME
    if register.is_file():
        try:
            rows = _register_rows(register)
        except ValueError as exc:
            problems.append(f"{REGISTER_NAME} is malformed ({exc})")
            rows = []
        match = _row_points_at if pointing else _row_names
        for row in rows:
            if match(str(row["data"].get("file") or ""), register, real):
                if "problem" in row:
                    problems.append(f"{REGISTER_NAME} is malformed ({row['problem']})")
                found.append(RawRecord(f"{register}:{row['row']}", row["data"]))
    return found, problems


_LINKS_CACHE: dict[tuple[str, int, int], list[Path]] = {}


def _links_in(folder: Path) -> list[Path]:
    """The symbolic links in ``folder``; listed once while the folder is unchanged (a batch asks
    for every recording in it)."""
    try:
        st = folder.stat()
        key = (str(folder), st.st_ino, st.st_mtime_ns)
        if key not in _LINKS_CACHE:
            if len(_LINKS_CACHE) > 64:
                _LINKS_CACHE.clear()
            _LINKS_CACHE[key] = [p for p in folder.iterdir() if p.is_symlink()]
        return _LINKS_CACHE[key]
    except OSError:
        return []


def _resolves_to(link: Path, real: Path) -> bool:
    try:
        return link.resolve() == real
    except (OSError, RuntimeError):
        return False


def link_chain(path: Path) -> list[Path]:
    """Every link on the way from ``path`` to its real file (absolute), ``path`` first."""
    chain: list[Path] = []
    current = path.absolute()
    while current.is_symlink() and len(chain) < 40:
        chain.append(current)
        target = Path(os.readlink(current))
        current = target if target.is_absolute() else current.parent / target
    return chain


def _near_misses(real: Path) -> list[str]:
    """Register rows whose name differs from the recording's only in spaces or Unicode form."""
    register = real.parent / REGISTER_NAME
    try:
        rows = _register_rows(register) if register.is_file() else []
    except ValueError:
        return []
    return [
        f"row {row['row']}"
        for row in rows
        if str(row["data"].get("file") or "") != real.name
        and _loosely_same(str(row["data"].get("file") or ""), real.name)
    ]


def records_for_name(path: Path) -> list[RawRecord]:
    """Records beside ``path`` itself (a link, not its real file): for withdrawals only."""
    found = []
    try:
        found.append(_read_sidecar(sidecar_path(path)))
    except (ValueError, OSError):
        pass
    register = path.parent / REGISTER_NAME
    try:
        rows = _register_rows(register) if register.is_file() else []
    except (ValueError, OSError):
        rows = []
    for row in rows:
        if str(row["data"].get("file") or "") == path.name:
            found.append(RawRecord(f"{register}:{row['row']}", row["data"]))
    return found


# ------------------------------------------------------------------------------ the decision


@dataclass(frozen=True)
class Admission:
    """A recording that may be processed: its valid consent and the bytes it was given for."""

    path: Path  # as given
    real: Path  # symlinks resolved
    consent: Consent
    call_id: str  # sha256 of the bytes
    identity: FileIdentity  # of the bytes hashed: decoding checks it is still the same file

    @property
    def bound(self) -> bool:
        """True if the record names these bytes (carries their call_id)."""
        return self.consent.call_id == self.call_id


def _where(source: str) -> str:
    if ":" in source and not source.endswith(".toml"):
        register, row = source.rsplit(":", 1)
        return f"{Path(register).name} row {row}"
    return Path(source).name


def _refuse(path: Path, why: str) -> ConsentError:
    return ConsentError(f"{path}: refused, {why}")


def _withdrawal(records: list[RawRecord]) -> tuple[RawRecord, str] | None:
    for rec in records:
        raw = rec.data.get("withdrawn_at")
        if not _blank(raw):
            try:
                when = f"on {_as_datetime(raw):%Y-%m-%d}"
            except (TypeError, ValueError):
                when = f"({str(raw)[:40]})"
            return rec, when
    return None


def _conflicts(rows: list[RawRecord]) -> str:
    """Names the register rows for one recording that disagree (identical rows are fine)."""
    if len(rows) < 2:
        return ""
    first = rows[0].data
    differ = sorted(
        {
            k
            for r in rows[1:]
            for k in set(first) | set(r.data)
            if str(first.get(k) or "").strip() != str(r.data.get(k) or "").strip()
        }
    )
    if not differ:
        return ""
    numbers = [r.source.rsplit(":", 1)[1] for r in rows]
    return (
        f"{REGISTER_NAME} rows {', '.join(numbers[:-1])} and {numbers[-1]} are all for this "
        f"recording and disagree ({', '.join(differ)}); keep one row per recording"
    )


def judge(audio: Path, consent: Consent, *, now: datetime | None = None) -> None:
    """Raise ``ConsentError`` if a valid ``consent`` does not allow transcribing ``audio`` now."""
    now = now or datetime.now()
    file = shlex.quote(str(audio))
    if consent.withdrawn_at is not None:
        raise _refuse(
            audio,
            f"consent was withdrawn on {consent.withdrawn_at:%Y-%m-%d}; erase what was derived "
            f"from it with: mine forget {file}",
        )
    if _naive(consent.obtained_at) > now:
        raise _refuse(
            audio,
            f"consent obtained_at {consent.obtained_at:%Y-%m-%d %H:%M} is in the future; "
            f"correct it in {_where(consent.source)}",
        )
    if "transcribe" not in consent.scope:
        raise _refuse(
            audio,
            f"consent scope ({', '.join(consent.scope) or 'empty'}) does not include "
            f"transcribe; only if the customer agreed, record it with: "
            f"mine consent add {file} --scope transcribe,quote-in-reports --force ...",
        )
    if consent.retain_audio_until is not None and consent.retain_audio_until < now.date():
        raise _refuse(
            audio,
            f"consent expired on {consent.retain_audio_until} (retain_audio_until); delete the "
            f"audio, or record renewed consent with: "
            f"mine consent add {file} --retain-until YYYY-MM-DD --force ...",
        )


def default_hasher(real: Path) -> tuple[str, FileIdentity]:
    """Hash a recording's bytes (never decodes them)."""
    try:
        return hash_file(real)
    except OSError as exc:
        raise InputError(
            f"{real}: cannot be read ({exc.strerror}); check its permissions, or that nothing "
            "is still writing it"
        ) from None


def admit(path: Path, *, now: datetime | None = None, hasher: Hasher | None = None) -> Admission:
    """Decide whether the recording at ``path`` may be processed, and bind the decision to its bytes.

    This is the one consent decision of mine: ``mine transcribe``, ``mine run`` and
    ``mine consent check`` all call it. No audio is decoded; the bytes are hashed only once
    the record is otherwise valid.

    Raises:
        ConsentError: no valid record for these bytes (the message says why and how to fix it).
        InputError: the file is missing, a broken link, a folder or unreadable.
    """
    real = real_file(path)
    records, problems = records_for(real)
    _refuse_withdrawn(path, real, records)
    if problems:
        raise _refuse(
            path,
            f"consent record {'; '.join(problems)}; fix it, or rewrite it with: "
            f"{_add_hint(path)} --force",
        )
    if not records:
        raise _refuse_unrecorded(path, real)
    chosen, consent = _chosen_record(path, real, records)
    judge(path, consent, now=now)
    call_id, identity = (hasher or default_hasher)(real)
    if consent.call_id and consent.call_id != call_id:
        raise _refuse(
            path,
            f"the consent record {_where(chosen.source)} is for another recording (call_id "
            f"{consent.call_id[:12]}…, these bytes are {call_id[:12]}…): the file was "
            f"replaced or is another file; record consent for it with: {_add_hint(path)} --force",
        )
    return Admission(path, real, consent, call_id, identity)


def _refuse_withdrawn(path: Path, real: Path, records: list[RawRecord]) -> None:
    """Refuse when any record withdraws consent: the file's own, or one of a link to it."""
    # records of links to it never allow anything, but a withdrawal there still counts
    pointing = records_for(real, pointing=True)[0]
    for link in link_chain(path):
        pointing += records_for_name(link)
    withdrawn = _withdrawal(records + pointing)
    if withdrawn is not None:  # any withdrawal wins, whatever else the records say
        rec, when = withdrawn
        raise _refuse(
            path,
            f"consent was withdrawn {when} ({_where(rec.source)}); erase what was derived "
            f"from it with: mine forget {shlex.quote(str(path))}",
        )


def _refuse_unrecorded(path: Path, real: Path) -> ConsentError:
    """The refusal for a recording without any record, with what may have been meant."""
    note = ""
    misses = _near_misses(real)
    if misses:
        note = (
            f"; {REGISTER_NAME} {', '.join(misses)} name it with other spaces or another "
            "Unicode form: write the file name exactly"
        )
    if path.is_symlink():
        link_record = sidecar_path(path.absolute())
        note += f"; {path.name} is a link to {real}, and consent belongs to the real file" + (
            f" ({link_record.name} beside the link is not used)" if link_record.exists() else ""
        )
    return _refuse(
        path,
        f"no consent record (looked for {sidecar_path(real).name} and a row in "
        f"{REGISTER_NAME}{' beside ' + str(real) if real != path.absolute() else ''}){note}; "
        f"record the customer's consent with: {_add_hint(path)}",
    )


def _chosen_record(path: Path, real: Path, records: list[RawRecord]) -> tuple[RawRecord, Consent]:
    """The record that decides (a sidecar wins over register rows, which must agree), parsed
    and checked to name this recording."""
    sidecar = [r for r in records if r.source.endswith(".consent.toml")]
    rows = [r for r in records if r not in sidecar]
    if not sidecar:
        conflict = _conflicts(rows)
        if conflict:
            raise _refuse(path, conflict)
    chosen = (sidecar or rows)[0]
    try:
        consent = parse_consent(chosen.data, source=chosen.source)
    except ValueError as exc:
        raise _refuse(
            path,
            f"consent record {_where(chosen.source)} is malformed ({exc}); fix it, or "
            f"rewrite it with: {_add_hint(path)} --force",
        ) from None
    if consent.file and not _row_names(consent.file, real.parent / REGISTER_NAME, real):
        raise _refuse(
            path,
            f"the consent record {_where(chosen.source)} is for '{consent.file}', not for "
            f"{real.name}; record consent for this recording with: {_add_hint(path)}",
        )
    return chosen, consent


def refuse_if_recorded(path: Path) -> Consent | None:
    """Raise ``ConsentError`` when a consent record is about ``path`` and refuses it (withdrawn,
    expired, for other bytes, malformed); a file without any record passes (``mine terms``
    reads the transcripts it is given, and a withdrawal must still stop it). Returns the
    valid record, or None when there is none."""
    real = real_file(path)
    records, problems = records_for(real)
    pointing = records_for(real, pointing=True)[0]
    if records or problems or pointing:
        return admit(path).consent
    return None


def gate(audio: Path, *, now: datetime | None = None) -> Consent:
    """Return the valid consent for ``audio`` or raise ``ConsentError`` (see ``admit``)."""
    return admit(audio, now=now).consent


@dataclass(frozen=True)
class ConsentStatus:
    """One line of ``mine consent check``: a recording and whether it may be processed."""

    file: str
    ok: bool
    reason: str
    consent: Consent | None = None
    call_id: str | None = None
    bound: bool = False  # the record carries this recording's call_id


def check(
    audio: Path, *, now: datetime | None = None, hasher: Hasher | None = None
) -> ConsentStatus:
    """Judge one recording's consent as ``mine transcribe`` would; decodes no audio."""
    try:
        admission = admit(audio, now=now, hasher=hasher)
    except (ConsentError, InputError) as exc:
        return ConsentStatus(str(audio), False, str(exc))
    consent = admission.consent
    until = consent.retain_audio_until.isoformat() if consent.retain_audio_until else "no end date"
    reason = (
        f"{consent.customer}, {consent.method} by {consent.obtained_by}, audio kept until {until}"
    )
    if not admission.bound:
        reason += (
            "; the record is not bound to these bytes (no call_id): if this is the consented "
            "recording, bind it with: mine consent check --fix"
        )
    return ConsentStatus(str(audio), True, reason, consent, admission.call_id, admission.bound)


def record_decision(
    log: Path,
    *,
    audio: Path,
    decision: str,
    reason: str,
    call_id: str | None,
    action: str,
    consent: Consent | None = None,
) -> None:
    """Append one gate decision to the audit log: never any transcript text.

    The entry names the file and its real path, so ``mine forget`` can reduce it to a
    pseudonymous entry (call_id, the record's hash and dates) when the recording is erased.
    """
    entry: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "action": action,
        "file": audio.name,
        "path": _real_or_absolute(audio),
        "call_id": call_id,
        "decision": decision,
        "reason": reason,
    }
    if consent is not None:
        entry["consent_sha256"] = consent.record_sha256
        entry["consent_obtained_at"] = consent.obtained_at.isoformat()
    append_jsonl(log, entry)


def _real_or_absolute(path: Path) -> str:
    try:
        return str(path.resolve())
    except (OSError, RuntimeError):
        return str(path.absolute())


# ------------------------------------------------------------------------------ writing


def add_consent(
    audio: Path,
    *,
    customer: str,
    method: str,
    obtained_by: str,
    purpose: str,
    participants: tuple[str, ...] = (),
    scope: tuple[str, ...] = CONSENT_SCOPES,
    obtained_at: datetime | None = None,
    retain_audio_until: date | None = None,
    recorded_at: date | None = None,
    force: bool = False,
) -> tuple[Path, Consent]:
    """Write the consent sidecar for ``audio``, bound to its bytes, and return its path and record.

    A link is resolved: the sidecar goes beside the real file, names it, and carries the sha256
    of its bytes as ``call_id``, so the record cannot be used for other audio.

    Example:
        >>> add_consent(Path("visit-acme.m4a"), customer="Acme BV", method="written",
        ...             obtained_by="Sanne", purpose="website copy")  # doctest: +SKIP

    Raises:
        InputError: the recording does not exist or cannot be read.
        ConsentError: a record exists already (without ``force``) or a field is invalid.
    """
    try:
        real = real_file(audio)
    except InputError as exc:
        raise InputError(f"{exc}; give the path of the audio file") from None
    target = sidecar_path(real)
    if len(target.name.encode()) > 255:
        raise ConsentError(
            f"{audio}: the name is too long for a sidecar record ({target.name[:40]}…); "
            f"record the consent as a row of {REGISTER_NAME} in its folder, or rename the file"
        )
    if target.exists() and not force:
        raise ConsentError(f"{target}: a consent record exists already; add --force to replace it")
    table: dict[str, Any] = {
        "file": real.name,
        "customer": customer,
        "participants": list(participants),
        "obtained_at": (obtained_at or datetime.now().astimezone()).replace(microsecond=0),
        "obtained_by": obtained_by,
        "method": method,
        "purpose": purpose,
        "scope": list(scope),
    }
    if retain_audio_until is not None:
        table["retain_audio_until"] = retain_audio_until
    if recorded_at is not None:
        table["recorded_at"] = recorded_at
    try:
        parse_consent(table, source=str(target))
    except ValueError as exc:
        raise ConsentError(f"{audio}: consent not written: {exc}") from None
    table["call_id"] = default_hasher(real)[0]
    write_atomic(target, "# Consent record written by `mine consent add`.\n" + tomli_w.dumps(table))
    return target, parse_consent(table, source=str(target))


def conversations_in(folder: Path, *, skip: frozenset[str] = frozenset()) -> list[Path]:
    """The recordings and other tools' transcripts directly in ``folder`` (files and links),
    sorted; not mine's own outputs (``pipeline.formats.mine_output``) nor the real paths in
    ``skip``."""
    found = []
    for p in folder.iterdir():
        suffix = p.suffix.lower()
        if not (p.is_file() or p.is_symlink()) or os.path.realpath(p.absolute()) in skip:
            continue
        if suffix in AUDIO_SUFFIXES or (suffix in TRANSCRIPT_SUFFIXES and not mine_output(p)):
            found.append(p)
    return sorted(found)


def _audio_in(path: Path) -> list[Path]:
    if path.is_dir():
        return conversations_in(path)
    if path.is_file() or path.is_symlink():
        return [path]
    raise InputError(f"{path}: not found; pass recordings or a folder of recordings")


def check_paths(
    paths: list[Path], *, now: datetime | None = None, hasher: Hasher | None = None
) -> list[ConsentStatus]:
    """Judge every recording in ``paths`` (files, or the audio files directly in a folder).

    Raises:
        InputError: a path does not exist.
    """
    statuses = []
    for path in paths:
        statuses.extend(check(f, now=now, hasher=hasher) for f in _audio_in(path))
    return statuses


@dataclass(frozen=True)
class FixResult:
    """A record that ``mine consent check --fix`` bound to its recording's bytes."""

    file: str
    record: str
    call_id: str


def bind_records(statuses: list[ConsentStatus]) -> list[FixResult]:
    """Write the call_id into every valid record that lacks one (``mine consent check --fix``).

    Only records that are otherwise valid are bound: the hash is of the bytes on disk now, so
    run this only for recordings you know are the consented ones.
    """
    fixed = []
    for status in statuses:
        if not status.ok or status.bound or status.consent is None or not status.call_id:
            continue
        source = status.consent.source
        if source.endswith(".consent.toml"):
            _bind_sidecar(Path(source), status.call_id)
        else:
            register = source.rsplit(":", 1)[0]
            rows = _unbound_rows(Path(status.file), register)  # identical rows are one record
            _rewrite_register(Path(register), rows, _with_call_id(status.call_id))
        fixed.append(FixResult(status.file, source, status.call_id))
    return fixed


def _unbound_rows(audio: Path, register: str) -> set[int]:
    """The row numbers of ``register`` that are records of ``audio`` without a call_id."""
    rows = set()
    for rec in records_for(real_file(audio))[0]:
        where, _sep, row = rec.source.rpartition(":")
        if where == register and row.isdigit() and not str(rec.data.get("call_id") or "").strip():
            rows.add(int(row))
    return rows


def _with_call_id(call_id: str) -> Callable[[dict[str, str]], dict[str, str]]:
    """A register row change that sets its call_id."""
    return lambda _row: {"call_id": call_id}


def _bind_sidecar(sidecar: Path, call_id: str) -> None:
    import tomllib

    data = tomllib.loads(sidecar.read_text(encoding="utf-8"))
    data["call_id"] = call_id
    write_atomic(
        sidecar,
        "# Consent record; call_id (sha256 of the recording) added by `mine consent check --fix`.\n"
        + tomli_w.dumps(data),
    )


def _rewrite_register(
    register: Path, rows: set[int], change: Callable[[dict[str, str]], dict[str, str]]
) -> None:
    """Rewrite the given rows of a register (1-based line numbers, header = 1) atomically."""
    text = register.read_text(encoding="utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    body = list(reader)
    updates: dict[int, dict[str, str]] = {}
    for number, cells in enumerate(body, start=2):
        if number in rows:
            updates[number] = change(dict(zip(header, cells, strict=False)))
    for key in {k for u in updates.values() for k in u}:
        if key not in header:
            header.append(key)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for number, cells in enumerate(body, start=2):
        cells = cells + [""] * (len(header) - len(cells))
        for key, value in updates.get(number, {}).items():
            cells[header.index(key)] = value
        writer.writerow(cells)
    write_atomic(register, out.getvalue())
    _REGISTER_CACHE.clear()


#: Fields of a withdrawn record that name or describe people; erased on withdrawal.
PERSONAL_FIELDS = ("customer", "participants", "obtained_by", "file")


def records_about(
    audio: Path, *, call_id: str, ours: bool, via: list[Path] | None = None
) -> list[RawRecord]:
    """The consent records that belong to one recording: what a withdrawal must reach.

    Its own records and those of links to it (``via`` and links in its folder), plus records
    left in its folder that name its file (a sidecar copied to another recording, say). A
    record bound to other bytes is another recording's; an unbound one counts only while
    the audio at ``audio`` is still this recording's (``ours``) or gone.
    """
    found = records_for(audio, pointing=True)[0]
    for link in via or []:
        found += records_for_name(link)
    for sidecar in sorted(audio.parent.glob("*.consent.toml")):
        if sidecar in {Path(r.source) for r in found} or not sidecar.is_file():
            continue
        try:
            rec = _read_sidecar(sidecar)
        except ValueError:
            continue
        if rec.data.get("file") == audio.name:
            found.append(rec)
    mine = []
    for rec in found:
        bound = rec.data.get("call_id")
        if isinstance(bound, str) and bound.strip():
            if bound.strip().lower() == call_id:
                mine.append(rec)
        elif ours or not audio.exists():
            mine.append(rec)
    unique = {r.source: r for r in mine}
    return list(unique.values())


def withdraw(records: list[RawRecord], *, when: datetime) -> list[str]:
    """Mark ``records`` withdrawn and erase their personal fields; returns the records changed.

    What stays is what proves that consent was given and withdrawn: the record's hash and its
    dates. A withdrawal is bound by name and wins over everything else, so the recording is
    refused from now on.
    """
    return _withdraw_records(records, when)


def refuse_from_now(real: Path, *, when: datetime) -> str:
    """Write a withdrawn sidecar for a recording that has no record, so it stays refused."""
    write_atomic(
        sidecar_path(real),
        "# Consent withdrawn (`mine forget`): this recording is refused.\n"
        + tomli_w.dumps({"withdrawn_at": when}),
    )
    return str(sidecar_path(real))


def _withdraw_records(records: list[RawRecord], when: datetime) -> list[str]:
    import tomllib

    changed = []
    for rec in records:
        digest = record_digest(rec.data)
        if rec.source.endswith(".consent.toml"):
            try:
                data = tomllib.loads(Path(rec.source).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = {}
            kept = {k: data[k] for k in ("obtained_at", "retain_audio_until") if k in data}
            kept |= {"record_sha256": digest, "withdrawn_at": when}
            write_atomic(
                Path(rec.source),
                "# Consent withdrawn: the personal fields were erased by `mine forget`.\n"
                + tomli_w.dumps(kept),
            )
        else:
            register, row = rec.source.rsplit(":", 1)

            def blank(cells: dict[str, str], digest: str = digest) -> dict[str, str]:
                erased = {k: "" for k in PERSONAL_FIELDS if k in cells and k != "file"}
                erased |= {"call_id": "", "purpose": ""}
                return erased | {"record_sha256": digest, "withdrawn_at": when.isoformat()}

            _rewrite_register(Path(register), {int(row)}, blank)
        changed.append(rec.source)
    return changed
