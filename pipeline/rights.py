"""Data-subject rights: erasure on withdrawal (``forget``), retention, and access (``export``).

Everything derived from a recording is found through the workspace's state store, where every
stage registers the files it writes against the recording's call_id.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import tomli_w

from pipeline.config import Settings
from pipeline.consent import REGISTER_NAME, sidecar_path
from pipeline.errors import InputError
from pipeline.files import append_jsonl, sha256_file, write_atomic
from pipeline.state import (
    KnownRecording,
    managed_dirs,
    now,
    open_state,
    outputs_of,
    recordings,
)

_HEX = re.compile(r"^[0-9a-f]{8,64}$")


@dataclass(frozen=True)
class ForgetResult:
    """What ``forget`` erased for one recording."""

    call_id: str
    file: str
    deleted: tuple[str, ...] = ()
    audio_deleted: bool = False
    audio_kept_reason: str = ""
    consent_marked: str = ""


def _resolve(target: str, known: list[KnownRecording]) -> list[KnownRecording]:
    """Recordings meant by ``target``: a call_id (or its first 8+ hex digits) or an audio path."""
    low = target.lower()
    if _HEX.match(low):
        hits = [r for r in known if r.call_id.startswith(low)]
        if hits:
            return hits
    path = Path(target)
    if path.exists():
        resolved = str(path.resolve())
        hits = [r for r in known if r.path == resolved]
        if hits:
            return hits
        if path.is_file():
            call_id = sha256_file(path)
            return [r for r in known if r.call_id == call_id]
    return []


def _managed(path: Path, settings: Settings, dirs: list[Path]) -> bool:
    p = path.resolve()
    return any(p.is_relative_to(d.resolve()) for d in [settings.workspace, *dirs])


def _mark_withdrawn(audio: Path, when: str) -> str:
    """Set ``withdrawn_at`` in the recording's consent record so it is refused from now on."""
    import tomllib

    sidecar = sidecar_path(audio)
    if sidecar.is_file():
        data = tomllib.loads(sidecar.read_text(encoding="utf-8"))
        data["withdrawn_at"] = datetime.fromisoformat(when)
        write_atomic(
            sidecar, "# Consent record; withdrawn (see withdrawn_at).\n" + tomli_w.dumps(data)
        )
        return str(sidecar)
    register = audio.parent / REGISTER_NAME
    if register.is_file():
        import csv
        import io

        with register.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
        fields = list(rows[0].keys()) if rows else []
        if "withdrawn_at" not in fields:
            fields.append("withdrawn_at")
        hit = False
        for row in rows:
            if (row.get("file") or "").strip() in (audio.name, str(audio)):
                row["withdrawn_at"] = when
                hit = True
        if hit:
            buf = io.StringIO()
            writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            write_atomic(register, buf.getvalue())
            return f"{register}"
    return ""


def forget(
    target: str,
    *,
    settings: Settings,
    delete_audio: bool = False,
    reason: str = "consent withdrawn",
) -> list[ForgetResult]:
    """Erase everything derived from a recording, after its consent was withdrawn.

    Deletes every registered output (transcripts in all formats, later stages' files), the
    recording's rows in the state store, and the audio itself where it lies in a folder mine
    manages (the workspace or a folder ``mine run`` manages) or ``delete_audio`` is set.
    The consent record gets ``withdrawn_at`` so the recording is refused from now on, and the
    audit log gets a tombstone without content.

    Raises:
        InputError: nothing in the workspace matches ``target``.
    """
    with open_state(settings.workspace) as db:
        known = recordings(db)
        hits = _resolve(target, known)
        if not hits:
            raise InputError(
                f"{target}: no recording in workspace {settings.workspace} matches; give the audio "
                "file or its call_id (mine status lists them), or pass the right --workspace"
            )
        dirs = managed_dirs(db)
        results = []
        for rec in hits:
            deleted = []
            for _stage, path in outputs_of(db, rec.call_id):
                if path.exists():
                    path.unlink()
                    deleted.append(str(path))
            audio = Path(rec.path)
            audio_deleted, kept = False, ""
            if audio.exists():
                if delete_audio or _managed(audio, settings, dirs):
                    audio.unlink()
                    audio_deleted = True
                else:
                    kept = (
                        f"{audio} was not deleted: mine does not manage that folder; delete it "
                        "yourself or run again with --delete-audio"
                    )
            when = datetime.now().astimezone().replace(microsecond=0).isoformat()
            marked = _mark_withdrawn(audio, when)
            db.execute("DELETE FROM outputs WHERE call_id=?", (rec.call_id,))
            db.execute("DELETE FROM speaker_roles WHERE call_id=?", (rec.call_id,))
            db.execute("DELETE FROM recordings WHERE call_id=?", (rec.call_id,))
            with contextlib.suppress(sqlite3.OperationalError):  # tables of mine run, if it ran
                db.execute("DELETE FROM stages WHERE item=? AND stage='transcribe'", (rec.file,))
                db.execute("DELETE FROM file_hashes WHERE path=?", (rec.path,))
            append_jsonl(
                settings.audit_log,
                {
                    "time": datetime.now(UTC).isoformat(timespec="seconds"),
                    "action": "forget",
                    "call_id": rec.call_id,
                    "decision": "erased",
                    "reason": reason,
                },
            )
            results.append(
                ForgetResult(rec.call_id, rec.file, tuple(deleted), audio_deleted, kept, marked)
            )
    with open_state(settings.workspace) as db:  # fold the WAL so no erased page lingers there
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return results


@dataclass(frozen=True)
class RetentionItem:
    """A recording whose audio is past ``retain_audio_until``."""

    call_id: str
    path: str
    retain_audio_until: str
    deleted: bool


def enforce_retention(
    *, settings: Settings, dry_run: bool = False, today: date | None = None
) -> list[RetentionItem]:
    """Delete the audio of every known recording past its ``retain_audio_until``.

    Redacted transcripts stay: they hold no personal data. With ``dry_run`` nothing is deleted.
    """
    today = today or date.today()
    due = []
    with open_state(settings.workspace) as db:
        for rec in recordings(db):
            if not rec.retain_audio_until or rec.audio_deleted_at:
                continue
            if date.fromisoformat(rec.retain_audio_until) >= today:
                continue
            audio = Path(rec.path)
            deleted = False
            if not dry_run:
                if audio.exists():
                    audio.unlink()
                    deleted = True
                db.execute(
                    "UPDATE recordings SET audio_deleted_at=? WHERE call_id=?", (now(), rec.call_id)
                )
                append_jsonl(
                    settings.audit_log,
                    {
                        "time": now(),
                        "action": "retention",
                        "call_id": rec.call_id,
                        "decision": "audio deleted",
                        "reason": f"retain_audio_until {rec.retain_audio_until}",
                    },
                )
            due.append(RetentionItem(rec.call_id, rec.path, rec.retain_audio_until, deleted))
    return due


@dataclass(frozen=True)
class ExportResult:
    """What ``export_subject`` wrote."""

    folder: Path
    recordings: tuple[str, ...]
    files: tuple[str, ...] = field(default=())


def export_subject(subject: str, *, settings: Settings, out: Path) -> ExportResult:
    """Gather everything held about one customer (by name) or one call (call_id) into ``out``.

    Writes per recording: the consent record, the audio if still held, every registered output
    (transcripts), the audit entries about it; and ``manifest.json`` listing it all.

    Raises:
        InputError: nothing matches ``subject``.
    """
    with open_state(settings.workspace) as db:
        known = recordings(db)
        hits = [r for r in known if r.customer.casefold() == subject.casefold()] or _resolve(
            subject, known
        )
        if not hits:
            raise InputError(
                f"{subject}: no customer or call in workspace {settings.workspace} matches; give the "
                "customer name as in the consent record, or a call_id"
            )
        outputs = {r.call_id: outputs_of(db, r.call_id) for r in hits}
    audit = []
    if settings.audit_log.is_file():
        audit = [
            json.loads(line)
            for line in settings.audit_log.read_text(encoding="utf-8").splitlines()
            if line
        ]
    out.mkdir(parents=True, exist_ok=True)
    manifest: dict = {"subject": subject, "exported_at": now(), "recordings": []}
    files: list[str] = []
    for rec in hits:
        folder = out / rec.call_id[:16]
        folder.mkdir(exist_ok=True)
        entry: dict = {
            "call_id": rec.call_id,
            "file": rec.file,
            "customer": rec.customer,
            "files": [],
        }

        def put(
            src: Path, name: str | None = None, folder: Path = folder, entry: dict = entry
        ) -> None:
            dest = folder / (name or src.name)
            shutil.copyfile(src, dest)
            entry["files"].append(str(dest.relative_to(out)))
            files.append(str(dest))

        audio = Path(rec.path)
        consent_file = Path(rec.consent_source.rsplit(":", 1)[0]) if rec.consent_source else None
        if consent_file and consent_file.is_file():
            if consent_file.name == REGISTER_NAME:
                import csv

                with consent_file.open(newline="", encoding="utf-8-sig") as fh:
                    rows = [
                        r for r in csv.DictReader(fh) if (r.get("file") or "").strip() == rec.file
                    ]
                write_atomic(
                    folder / "consent.json", json.dumps(rows, ensure_ascii=False, indent=1)
                )
                entry["files"].append(str((folder / "consent.json").relative_to(out)))
            else:
                put(consent_file)
        if audio.is_file():
            put(audio)
        for _stage, path in outputs[rec.call_id]:
            if path.is_file():
                put(path)
        mine = [a for a in audit if a.get("call_id") == rec.call_id or a.get("file") == rec.file]
        write_atomic(folder / "audit.json", json.dumps(mine, ensure_ascii=False, indent=1))
        entry["files"].append(str((folder / "audit.json").relative_to(out)))
        entry["quotes_in_reports"] = []  # filled once reports quote transcripts
        manifest["recordings"].append(entry)
    write_atomic(out / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    return ExportResult(out, tuple(r.call_id for r in hits), tuple(files))
