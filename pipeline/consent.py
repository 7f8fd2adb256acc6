"""The consent gate: no recording is decoded or transcribed without a valid consent record.

A consent record is a sidecar ``<recording>.consent.toml`` beside the audio, or a row of a
``consent.csv`` register in the recording's folder (the sidecar wins when both exist). Nothing
but the file's name is looked at before a record is found valid.
"""

from __future__ import annotations

import csv
import shlex
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import tomli_w

from pipeline.errors import ConsentError, InputError
from pipeline.files import append_jsonl, write_atomic
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
)
_REQUIRED = ("customer", "obtained_at", "obtained_by", "method", "purpose")


def sidecar_path(audio: Path) -> Path:
    """Return the consent sidecar path for a recording: ``<name>.consent.toml`` beside it."""
    return audio.with_name(audio.name + ".consent.toml")


def _add_hint(audio: Path) -> str:
    return (
        f"mine consent add {shlex.quote(str(audio))} --customer NAME "
        "--method verbal-on-recording --by YOUR-NAME"
    )


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    text = str(value).strip()
    if not text:
        raise ValueError("empty")
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip())


def _as_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        parts = value.replace(",", ";").split(";")
    elif isinstance(value, list | tuple):
        parts = [str(v) for v in value]
    else:
        raise ValueError("expected a list")
    return tuple(p.strip() for p in parts if p.strip())


def _naive(moment: datetime) -> datetime:
    """Compare datetimes in local time whether or not the record carries an offset."""
    return moment.astimezone().replace(tzinfo=None) if moment.tzinfo else moment


def parse_consent(data: dict[str, Any], *, source: str) -> Consent:
    """Build a ``Consent`` from a sidecar table or register row.

    Raises:
        ValueError: naming the first missing or invalid field.
    """
    missing = [k for k in _REQUIRED if not str(data.get(k, "")).strip()]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    fields: dict[str, Any] = {"source": source}
    for key in ("customer", "obtained_by", "purpose"):
        fields[key] = str(data[key]).strip()
    method = str(data["method"]).strip()
    if method not in CONSENT_METHODS:
        raise ValueError(f"method '{method}' is not one of {', '.join(CONSENT_METHODS)}")
    fields["method"] = method
    converters = {
        "obtained_at": _as_datetime,
        "withdrawn_at": _as_datetime,
        "retain_audio_until": _as_date,
        "participants": _as_list,
        "scope": _as_list,
    }
    for key, convert in converters.items():
        raw = data.get(key)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            fields[key] = convert(raw)
        except (ValueError, TypeError):
            raise ValueError(f"{key} '{raw}' is not valid") from None
    unknown_scope = [s for s in fields.get("scope", ()) if s not in CONSENT_SCOPES]
    if unknown_scope:
        raise ValueError(f"scope '{unknown_scope[0]}' is not one of {', '.join(CONSENT_SCOPES)}")
    if str(data.get("call_id") or "").strip():
        fields["call_id"] = str(data["call_id"]).strip().lower()
    return Consent(**fields)


def _read_sidecar(path: Path) -> Consent:
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not valid TOML ({exc})") from None
    return parse_consent(data, source=str(path))


def _read_register_row(register: Path, audio: Path) -> Consent | None:
    try:
        with register.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"{register.name} cannot be read ({exc})") from None
    for number, row in enumerate(rows, start=2):
        if (row.get("file") or "").strip() in (audio.name, str(audio)):
            clean = {k: v for k, v in row.items() if k is not None}
            return parse_consent(clean, source=f"{register}:{number}")
    return None


def find_consent(audio: Path) -> Consent:
    """Return the consent record for ``audio`` without judging it.

    Raises:
        ConsentError: no record, or a malformed one (the message says how to fix it).
    """
    sidecar = sidecar_path(audio)
    register = audio.parent / REGISTER_NAME
    try:
        if sidecar.is_file():
            return _read_sidecar(sidecar)
        if register.is_file():
            found = _read_register_row(register, audio)
            if found is not None:
                return found
    except ValueError as exc:
        where = sidecar.name if sidecar.is_file() else register.name
        raise ConsentError(
            f"{audio}: refused, consent record {where} is malformed ({exc}); fix it, "
            f"or rewrite it with: {_add_hint(audio)} --force"
        ) from None
    raise ConsentError(
        f"{audio}: refused, no consent record (looked for {sidecar.name} and a row in "
        f"{REGISTER_NAME}); record the customer's consent with: {_add_hint(audio)}"
    )


def judge(audio: Path, consent: Consent, *, now: datetime | None = None) -> None:
    """Raise ``ConsentError`` if ``consent`` does not allow transcribing ``audio`` now."""
    now = now or datetime.now()
    file = shlex.quote(str(audio))
    if consent.withdrawn_at is not None:
        raise ConsentError(
            f"{audio}: refused, consent was withdrawn on {consent.withdrawn_at:%Y-%m-%d}; "
            f"erase what was derived from it with: mine forget {file}"
        )
    if _naive(consent.obtained_at) > now:
        raise ConsentError(
            f"{audio}: refused, consent obtained_at {consent.obtained_at:%Y-%m-%d %H:%M} is in the "
            f"future; correct it in {Path(consent.source.split(':')[0]).name}"
        )
    if "transcribe" not in consent.scope:
        raise ConsentError(
            f"{audio}: refused, consent scope ({', '.join(consent.scope) or 'empty'}) does not "
            f"include transcribe; only if the customer agreed, record it with: "
            f"mine consent add {file} --scope transcribe,quote-in-reports --force ..."
        )
    if consent.retain_audio_until is not None and consent.retain_audio_until < now.date():
        raise ConsentError(
            f"{audio}: refused, consent expired on {consent.retain_audio_until} "
            f"(retain_audio_until); delete the audio, or record renewed consent with: "
            f"mine consent add {file} --retain-until YYYY-MM-DD --force ..."
        )


@dataclass(frozen=True)
class ConsentStatus:
    """One line of ``mine consent check``: a recording and whether it may be processed."""

    file: str
    ok: bool
    reason: str
    consent: Consent | None = None


def check(audio: Path, *, now: datetime | None = None) -> ConsentStatus:
    """Judge one recording's consent without touching the audio."""
    try:
        consent = find_consent(audio)
        judge(audio, consent, now=now)
    except ConsentError as exc:
        return ConsentStatus(str(audio), False, str(exc))
    until = consent.retain_audio_until.isoformat() if consent.retain_audio_until else "no end date"
    reason = (
        f"{consent.customer}, {consent.method} by {consent.obtained_by}, audio kept until {until}"
    )
    return ConsentStatus(str(audio), True, reason, consent)


def gate(audio: Path, *, now: datetime | None = None) -> Consent:
    """Return the valid consent for ``audio`` or raise ``ConsentError``; reads only file names."""
    consent = find_consent(audio)
    judge(audio, consent, now=now)
    return consent


def record_decision(
    log: Path, *, audio: Path, decision: str, reason: str, call_id: str | None, action: str
) -> None:
    """Append one gate decision to the audit log: never any transcript text."""
    append_jsonl(
        log,
        {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "action": action,
            "file": audio.name,
            "call_id": call_id,
            "decision": decision,
            "reason": reason,
        },
    )


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
    force: bool = False,
) -> tuple[Path, Consent]:
    """Write the consent sidecar for ``audio`` and return its path and record.

    Example:
        >>> add_consent(Path("visit-acme.m4a"), customer="Acme BV", method="written",
        ...             obtained_by="Sanne", purpose="website copy")  # doctest: +SKIP

    Raises:
        InputError: the recording does not exist.
        ConsentError: a record exists already (without ``force``) or a field is invalid.
    """
    if not audio.is_file():
        raise InputError(f"{audio}: recording not found; give the path of the audio file")
    target = sidecar_path(audio)
    if target.exists() and not force:
        raise ConsentError(f"{target}: a consent record exists already; add --force to replace it")
    table: dict[str, Any] = {
        "file": audio.name,
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
    try:
        consent = parse_consent(table, source=str(target))
    except ValueError as exc:
        raise ConsentError(f"{audio}: consent not written: {exc}") from None
    write_atomic(target, "# Consent record written by `mine consent add`.\n" + tomli_w.dumps(table))
    return target, replace(consent, source=str(target))


def check_paths(paths: list[Path], *, now: datetime | None = None) -> list[ConsentStatus]:
    """Judge every recording in ``paths`` (files, or the audio files directly in a folder).

    Raises:
        InputError: a path does not exist.
    """
    statuses = []
    for path in paths:
        if path.is_dir():
            files = sorted(
                p for p in path.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES
            )
        elif path.is_file():
            files = [path]
        else:
            raise InputError(f"{path}: not found; pass recordings or a folder of recordings")
        statuses.extend(check(f, now=now) for f in files)
    return statuses
