"""Data-subject rights: erasure on withdrawal (``forget``), retention, and access (``export``).

A recording is identified by its real path and its bytes (see ``pipeline/state.py``). Everything
derived from it is found through the workspace's state store, where every stage registers the
files it writes against the recording (transcripts) or against its call (tables and reports
built from many calls). Erasure is exact: it removes what the named recording produced and
never touches another recording, even one with identical bytes, unless asked to.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pipeline.config import Settings
from pipeline.consent import (
    REGISTER_NAME,
    _register_rows,
    _row_names,
    records_for,
    records_for_name,
    sidecar_path,
    withdraw,
)
from pipeline.errors import InputError
from pipeline.files import append_jsonl, hash_file, real_file, rewrite_jsonl, write_atomic
from pipeline.records import AUDIO_SUFFIXES
from pipeline.state import (
    KnownRecording,
    files_of_recording,
    managed_dirs,
    normal_path,
    now,
    open_state,
    outputs_of,
    recordings,
    workspace_lock,
)

_HEX = re.compile(r"^[0-9a-f]{8,64}$")
#: Corpus files a run builds from many calls; erased whole when they mention a forgotten call.
_CORPUS = ("terms", "gap", "report")


@dataclass(frozen=True)
class ForgetResult:
    """What ``forget`` erased for one recording."""

    call_id: str
    file: str
    deleted: tuple[str, ...] = ()
    audio_deleted: bool = False
    audio_kept_reason: str = ""
    consent_marked: str = ""
    path: str = ""


@dataclass(frozen=True)
class ForgetTarget:
    """One recording to erase: its real path, the name it was known by, its bytes' call_id."""

    path: str
    file: str
    call_id: str
    customer: str = ""
    given: str = ""  # the path as the user gave it (a link, say), when it exists


@dataclass(frozen=True)
class ForgetPlan:
    """What ``forget TARGET`` means: the recordings it names, and copies it does not name."""

    targets: tuple[ForgetTarget, ...]
    copies: tuple[KnownRecording, ...] = ()  # other recordings with the same bytes


def _from_known(rec: KnownRecording, given: str = "") -> ForgetTarget:
    return ForgetTarget(rec.path, rec.file, rec.call_id, rec.customer, given)


def plan_forget(target: str, *, settings: Settings) -> ForgetPlan:
    """Work out which recordings ``target`` names (an audio path or a call_id) without erasing.

    A path names exactly one recording: the real file behind it (links resolved), whatever
    other files share its bytes. A call_id names its content, so every recording with those
    bytes.

    Raises:
        InputError: nothing matches, or a call_id prefix is ambiguous.
    """
    with open_state(settings.workspace) as db:
        known = recordings(db)
    path = Path(target)
    if path.exists() or path.is_symlink():
        real = real_file(path)
        key = str(real)
        rows = [r for r in known if r.path == key]
        if rows:
            found = _from_known(rows[0], str(path.absolute()))
        else:
            records, _ = records_for(real)
            if not records and real.suffix.lower() not in AUDIO_SUFFIXES:
                raise _nothing(target, settings)
            try:
                call_id = hash_file(real)[0]
            except OSError:
                call_id = ""
            found = ForgetTarget(key, path.name, call_id, "", str(path.absolute()))
        copies = tuple(r for r in known if r.call_id == found.call_id and r.path != key)
        return ForgetPlan((found,), copies)
    low = target.lower()
    if _HEX.match(low):
        hits = [r for r in known if r.call_id.startswith(low)]
        if len({r.call_id for r in hits}) > 1:
            raise InputError(
                f"{target}: more than one call_id starts with this; give more of its digits "
                "(mine status lists the call_ids)"
            )
        if hits:
            return ForgetPlan(tuple(_from_known(r) for r in hits))
    key = normal_path(path)
    rows = [r for r in known if r.path == key]
    if not rows:
        raise _nothing(target, settings)
    copies = tuple(r for r in known if r.call_id == rows[0].call_id and r.path != key)
    return ForgetPlan((_from_known(rows[0]),), copies)


def _nothing(target: str, settings: Settings) -> InputError:
    return InputError(
        f"{target}: no recording in workspace {settings.workspace} matches; give the audio "
        "file or its call_id (mine status lists the call_ids), or pass the right --workspace"
    )


def _managed(path: Path, settings: Settings, dirs: list[Path]) -> bool:
    p = Path(normal_path(path))
    return any(p.is_relative_to(normal_path(d)) for d in [settings.workspace, *dirs])


def forget(
    target: str,
    *,
    settings: Settings,
    delete_audio: bool = False,
    all_copies: bool = False,
    reason: str = "consent withdrawn",
) -> list[ForgetResult]:
    """Erase everything derived from the recording ``target`` names, after consent was withdrawn.

    Deletes the recording's registered outputs (transcripts in every format; tables and reports
    built from its call, which the next ``mine run`` rebuilds without it), its rows in every
    table of the state store, the lines of the run logs and the details of the audit log that
    name it, and the audio itself where it lies in a folder mine manages (the workspace or a
    folder ``mine run`` manages) or ``delete_audio`` is set. Its consent records are marked
    withdrawn and lose their personal fields, so the recording is refused from now on. The
    audit log keeps a pseudonymous tombstone: call_id, the record's hash and the dates.

    Other recordings with the same bytes are kept unless ``all_copies``.

    Raises:
        InputError: nothing in the workspace matches ``target``.
        ConfigError: a ``mine run`` holds the workspace.
    """
    warnings: list[str] = []
    with workspace_lock(settings.workspace, warnings):
        plan = plan_forget(target, settings=settings)
        targets = list(plan.targets)
        if all_copies:
            targets += [_from_known(r) for r in plan.copies]
        with open_state(settings.workspace) as db:
            dirs = managed_dirs(db)
            results = [_erase(db, t, settings, dirs, delete_audio, reason) for t in targets]
            remaining = {r.call_id for r in recordings(db)}
            for t in targets:
                if t.call_id and t.call_id not in remaining:
                    db.execute("DELETE FROM speaker_roles WHERE call_id=?", (t.call_id,))
            _scrub(db, targets, results, settings)
        with open_state(settings.workspace) as db:  # no erased page may linger in the WAL or
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # in free pages of the file
        with open_state(settings.workspace) as db:
            db.isolation_level = None
            db.execute("VACUUM")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return results


def _erase(
    db: sqlite3.Connection,
    t: ForgetTarget,
    settings: Settings,
    dirs: list[Path],
    delete_audio: bool,
    reason: str,
) -> ForgetResult:
    deleted = []
    for _stage, path in outputs_of(db, t.call_id, recording=t.path) if t.call_id else []:
        if path.is_file() or path.is_symlink():
            path.unlink()
            deleted.append(str(path))
    audio = Path(t.path)
    given = Path(t.given) if t.given else None
    audio_deleted, kept = False, ""
    if audio.exists():
        if delete_audio or _managed(audio, settings, dirs):
            audio.unlink()
            audio_deleted = True
            if given is not None and given.is_symlink():
                given.unlink()
        else:
            kept = (
                f"{given or audio} was not deleted: mine does not manage that folder; delete it "
                "yourself or run again with --delete-audio"
            )
    when = datetime.now().astimezone().replace(microsecond=0)
    records = records_for(audio)[0] if audio.parent.is_dir() else []
    if given is not None and given != audio:
        records += records_for_name(given)
    tombstone: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "action": "forget",
        "call_id": t.call_id,
        "decision": "erased",
        "reason": reason,
        "withdrawn_at": when.isoformat(),
    }
    from pipeline.consent import record_digest

    digests = sorted({record_digest(r.data) for r in records})
    if digests:
        tombstone["consent_sha256"] = digests
        obtained = sorted(
            {str(r.data["obtained_at"]) for r in records if r.data.get("obtained_at")}
        )
        if obtained:
            tombstone["consent_obtained_at"] = obtained
    link = given if given is not None and given != audio else None
    marked = withdraw(audio, when=when, link=link) if audio.parent.is_dir() else []
    db.execute("DELETE FROM outputs WHERE recording=?", (t.path,))
    if t.call_id:
        db.execute("DELETE FROM outputs WHERE call_id=? AND recording=''", (t.call_id,))
    db.execute("DELETE FROM recordings WHERE path=?", (t.path,))
    db.execute("DELETE FROM file_hashes WHERE path=?", (t.path,))
    for path in deleted:
        db.execute("DELETE FROM file_hashes WHERE path=?", (normal_path(path),))
    names = {t.file, Path(t.path).name} | ({Path(t.given).name} if t.given else set())
    for name in names:
        db.execute("DELETE FROM stages WHERE item=?", (name,))
    append_jsonl(settings.audit_log, tombstone)
    return ForgetResult(
        t.call_id,
        t.file,
        tuple(deleted),
        audio_deleted,
        kept,
        ", ".join(marked),
        t.path,
    )


class _Mentions:
    """Finds text that names a recording: its file names, paths, call_id or customer."""

    def __init__(self, targets: Iterable[ForgetTarget], extra: Iterable[str] = ()) -> None:
        plain: set[str] = set(extra)
        names: set[str] = set()
        for t in targets:
            plain |= {t.path, t.given} - {""}
            if t.call_id:
                plain |= {t.call_id, t.call_id[:12]}
            names |= {t.file, Path(t.path).name} | ({Path(t.given).name} if t.given else set())
        parts = [re.escape(p) for p in sorted(plain, key=len, reverse=True) if p]
        # a file name counts where it stands alone or starts a longer name (visit.wav.json),
        # not inside another name (old-visit.wav)
        parts += [rf"(?<![\w.-]){re.escape(n)}(?![\w-])" for n in names if n]
        self.pattern = re.compile("|".join(parts)) if parts else None

    def __call__(self, text: str) -> bool:
        return bool(self.pattern and self.pattern.search(text))


def _scrub(
    db: sqlite3.Connection,
    targets: list[ForgetTarget],
    results: list[ForgetResult],
    settings: Settings,
) -> None:
    """Remove every other trace of the erased recordings from the workspace."""
    ws = settings.workspace
    remaining = recordings(db)
    customers = {t.customer for t in targets if t.customer} - {r.customer for r in remaining}
    mentions = _Mentions(targets, extra=customers)
    ids = {(t.path, t.call_id) for t in targets}

    # The audit log: entries about these recordings keep only what proves consent and withdrawal.
    def pseudonymise(entry: dict[str, Any]) -> dict[str, Any]:
        if entry.get("action") == "forget" or not _names(entry, targets, ids):
            return entry
        kept = {k: entry[k] for k in ("time", "action", "decision") if k in entry}
        kept["call_id"] = entry.get("call_id") or next(
            (t.call_id for t in targets if t.call_id), None
        )
        for key in ("consent_sha256", "consent_obtained_at"):
            if key in entry:
                kept[key] = entry[key]
        kept["erased"] = True
        return kept

    if settings.audit_log.is_file():
        rewrite_jsonl(settings.audit_log, pseudonymise)

    # The run logs: lines that name them go.
    logs = ws / "logs"
    if logs.is_dir():
        for log in sorted(logs.glob("*.log")):
            lines = log.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
            kept_lines = [line for line in lines if not mentions(line)]
            if len(kept_lines) != len(lines):
                write_atomic(log, "".join(kept_lines))

    # Corpus files that still mention them (a report listing a left-out file, say) go too;
    # the next mine run rebuilds them without the recording.
    corpus = [ws / "terms", ws / "gap", ws / "report.html"]
    rows = db.execute("SELECT DISTINCT path FROM outputs WHERE recording=''").fetchall()
    candidates = [Path(p) for (p,) in rows]
    for place in corpus:
        candidates += list(place.rglob("*")) if place.is_dir() else [place]
    erased_any = any(r.deleted for r in results)
    for path in candidates:
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if mentions(text):
            path.unlink()
            db.execute("DELETE FROM outputs WHERE path=?", (normal_path(path),))
            erased_any = True
    if erased_any:
        db.execute("DELETE FROM stages WHERE item='corpus' AND stage IN (?,?,?)", _CORPUS)
    for item, stage, reason, output in db.execute(
        "SELECT item, stage, reason, output FROM stages"
    ).fetchall():
        if mentions(f"{item}\n{reason}\n{output}"):
            db.execute("DELETE FROM stages WHERE item=? AND stage=?", (item, stage))


def _names(entry: dict[str, Any], targets: list[ForgetTarget], ids: set[tuple[str, str]]) -> bool:
    """Does an audit entry concern one of the erased recordings (and not a copy of it)?"""
    path, call_id, file = entry.get("path"), entry.get("call_id"), entry.get("file")
    for t in targets:
        if path:
            if path in (t.path, t.given):
                return True
            continue
        # entries written before audit entries carried the path: match by name and call_id
        if file in (t.file, Path(t.path).name) and call_id in (None, t.call_id):
            return True
    return False


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
                    "UPDATE recordings SET audio_deleted_at=? WHERE path=?", (now(), rec.path)
                )
                append_jsonl(
                    settings.audit_log,
                    {
                        "time": now(),
                        "action": "retention",
                        "call_id": rec.call_id,
                        "path": rec.path,
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


def _subject_recordings(subject: str, known: list[KnownRecording]) -> list[KnownRecording]:
    import unicodedata

    def norm(text: str) -> str:
        return unicodedata.normalize("NFC", text).strip().casefold()

    by_customer = [r for r in known if r.customer and norm(r.customer) == norm(subject)]
    if by_customer:
        return by_customer
    path = Path(subject)
    if path.exists() or path.is_symlink():
        key = normal_path(path)
        return [r for r in known if r.path == key]
    low = subject.lower()
    if _HEX.match(low):
        hits = [r for r in known if r.call_id.startswith(low)]
        if len({r.call_id for r in hits}) == 1:
            return hits
    return []


def export_subject(subject: str, *, settings: Settings, out: Path) -> ExportResult:
    """Gather everything held about one customer (by name) or one recording into ``out``.

    Per recording: its consent record (the sidecar, or only its own register rows), the audio
    if still held, its own transcripts (checked to be of its call), the audit entries about it;
    from the tables built from many calls (terms, gaps) only the rows with quotes from its
    conversation, and only those quotes. Nothing of another recording is copied, not even a
    count. ``manifest.json`` lists it all.

    Raises:
        InputError: nothing matches ``subject``.
    """
    with open_state(settings.workspace) as db:
        hits = _subject_recordings(subject, recordings(db))
        if not hits:
            raise InputError(
                f"{subject}: no customer or call in workspace {settings.workspace} matches; give "
                "the customer name as in the consent record, the recording, or a call_id"
            )
        own_files = {r.path: files_of_recording(db, r.path) for r in hits}
    audit = _read_audit(settings.audit_log)
    out.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {"subject": subject, "exported_at": now(), "recordings": []}
    files: list[str] = []
    used: set[str] = set()
    for rec in hits:
        name = rec.call_id[:16]
        while name in used:
            name = f"{rec.call_id[:16]}-{len(used)}"
        used.add(name)
        folder = out / name
        folder.mkdir(exist_ok=True)
        entry: dict[str, Any] = {
            "call_id": rec.call_id,
            "file": rec.file,
            "customer": rec.customer,
            "files": [],
        }

        def put(src: Path, dest_name: str, folder: Path = folder, entry: dict = entry) -> None:
            dest = folder / dest_name
            shutil.copyfile(src, dest)
            entry["files"].append(str(dest.relative_to(out)))
            files.append(str(dest))

        def put_json(dest_name: str, data: Any, folder: Path = folder, entry: dict = entry) -> None:
            dest = folder / dest_name
            write_atomic(dest, json.dumps(data, ensure_ascii=False, indent=1))
            entry["files"].append(str(dest.relative_to(out)))
            files.append(str(dest))

        audio = Path(rec.path)
        sidecar = sidecar_path(audio)
        if sidecar.is_file():
            put(sidecar, sidecar.name)
        register = audio.parent / REGISTER_NAME
        if register.is_file():
            try:
                rows = [
                    r["data"]
                    for r in _register_rows(register)
                    if _row_names(str(r["data"].get("file") or ""), register, audio)
                ]
            except ValueError:
                rows = []
            if rows:
                put_json("consent.json", rows)
        if audio.is_file():
            put(audio, audio.name)
        for path in own_files[rec.path]:
            if path.is_file() and _is_of_call(path, rec.call_id):
                put(path, path.name)
        put_json("audit.json", [a for a in audit if _audit_about(a, rec)])
        quotes = _corpus_rows(settings, rec.call_id)
        if quotes:
            put_json("quotes.json", quotes)
        entry["quotes_in_reports"] = sum(len(q["quotes"]) for q in quotes)
        manifest["recordings"].append(entry)
    write_atomic(out / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    return ExportResult(out, tuple(r.call_id for r in hits), tuple(files))


def _read_audit(log: Path) -> list[dict[str, Any]]:
    if not log.is_file():
        return []
    entries = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def _audit_about(entry: dict[str, Any], rec: KnownRecording) -> bool:
    path = entry.get("path")
    if path:
        return path == rec.path
    return entry.get("call_id") == rec.call_id and entry.get("file") in (None, rec.file)


def _is_of_call(path: Path, call_id: str) -> bool:
    """A transcript JSON must carry the call's id; its views were registered with it."""
    if path.suffix != ".json":
        return True
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and data.get("call_id") == call_id


def _corpus_rows(settings: Settings, call_id: str) -> list[dict[str, Any]]:
    """The terms and gaps quoting this call: each with only this call's quotes."""
    out: list[dict[str, Any]] = []
    for path, table in (
        (settings.workspace / "terms" / "terms.json", "terms"),
        (settings.workspace / "gap" / "gap.json", "gaps"),
    ):
        if not path.is_file():
            continue
        try:
            rows = json.loads(path.read_text(encoding="utf-8")).get(table, [])
        except (OSError, ValueError, RecursionError, AttributeError):
            continue
        for row in rows if isinstance(rows, list) else []:
            if not isinstance(row, dict):
                continue
            quotes = [
                {k: q.get(k) for k in ("call_id", "start", "speaker", "text")}
                for q in row.get("evidence") or []
                if isinstance(q, dict) and q.get("call_id") == call_id
            ]
            if quotes:
                out.append(
                    {
                        "table": f"{path.parent.name}/{path.name}",
                        "term": row.get("term"),
                        "quotes": quotes,
                    }
                )
    return out
