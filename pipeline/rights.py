"""Data-subject rights: erasure on withdrawal (``forget``), retention, and access (``export``).

A recording is its real path and its bytes together (see ``pipeline/state.py``): new bytes at a
known path are another recording, and identical bytes at two paths are two recordings.
Everything derived from a recording is found through the workspace's state store, where every
stage registers the files it writes against the recording (transcripts) or against its call
(tables and reports built from many calls). Erasure is exact: it removes what the named
recording produced and never touches another recording, even one with identical bytes or one
that now lies at the same path, unless asked to. Before any audio is deleted or handed out, its
bytes are checked to still be the recording's.
"""

from __future__ import annotations

import glob
import json
import re
import shutil
import sqlite3
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pipeline.clock import now
from pipeline.config import Settings
from pipeline.consent import (
    link_chain,
    record_digest,
    records_about,
    refuse_from_now,
    withdraw,
)
from pipeline.errors import ConfigError, InputError
from pipeline.files import (
    append_jsonl,
    hash_file,
    quote,
    real_file,
    remove_partials,
    rewrite_jsonl,
    write_atomic,
)
from pipeline.state import (
    KnownRecording,
    compact,
    corpus_outputs,
    delete_speaker_roles,
    delete_stages,
    erase_recording,
    files_of_recording,
    is_workspace,
    managed_dirs,
    mark_audio_deleted,
    normal_path,
    open_state,
    outputs_of,
    recordings,
    stage_rows,
    unregister_output,
    workspace_lock,
)

_HEX = re.compile(r"^[0-9a-f]{8,64}$")
#: Corpus stages whose files are built from many calls; erased whole when they name a forgotten one.
_CORPUS = ("terms", "gap", "report")


def _require_workspace(settings: Settings) -> None:
    if not is_workspace(settings.workspace):
        raise ConfigError(
            f"{settings.workspace}: no mine workspace here (no state.db); pass the --workspace "
            "that transcribed the recordings"
        )


def _current_call_id(path: Path) -> str:
    """The sha256 of the file at ``path`` now ('' if there is none or it cannot be read)."""
    try:
        return hash_file(path)[0] if path.is_file() else ""
    except OSError:
        return ""


def _holds(path: Path, call_id: str) -> bool:
    """True if the file at ``path`` still holds the recording ``call_id``."""
    return bool(call_id) and _current_call_id(path) == call_id


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

    path: str  # the real path it was transcribed at (the key in the state store)
    file: str
    call_id: str
    customer: str = ""
    given: str = ""  # the path as the user gave it (a link, say), when it exists
    audio: str = ""  # where its audio lies now, when moved since (default: ``path``)

    @property
    def audio_path(self) -> Path:
        """Where the recording's audio is (or was)."""
        return Path(self.audio or self.path)


@dataclass(frozen=True)
class ForgetPlan:
    """What ``forget TARGET`` means: the recordings it names, and others it does not name."""

    targets: tuple[ForgetTarget, ...]
    copies: tuple[KnownRecording, ...] = ()  # other recordings with the same bytes
    earlier: tuple[KnownRecording, ...] = ()  # other bytes transcribed earlier at the same path


def _from_known(rec: KnownRecording, given: str = "", audio: str = "") -> ForgetTarget:
    return ForgetTarget(rec.path, rec.file, rec.call_id, rec.customer, given, audio)


def _ids(rows: Iterable[KnownRecording]) -> str:
    return ", ".join(f"{r.call_id[:12]} ({r.path})" for r in rows)


def plan_forget(target: str, *, settings: Settings) -> ForgetPlan:
    """Work out which recordings ``target`` names (an audio path or a call_id) without erasing.

    A path names exactly one recording: the bytes in the real file behind it (links resolved),
    as transcribed at that path, or moved there since. A call_id names its content, so every
    recording with those bytes. A recording the workspace never transcribed is not forgotten
    (nothing was derived from it there): the message says where to look.

    Raises:
        ConfigError: the workspace does not exist.
        InputError: nothing matches, or the target is ambiguous.
    """
    _require_workspace(settings)
    with open_state(settings.workspace) as db:
        known = recordings(db)
    path = Path(target)
    if path.exists() or path.is_symlink():
        return _plan_for_file(target, path, known, settings)
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
    at_path = [r for r in known if r.path == normal_path(path)]
    if len(at_path) > 1:
        raise InputError(
            f"{target}: several recordings were transcribed at this path ({_ids(at_path)}); "
            "forget one by its call_id"
        )
    if not at_path:
        raise InputError(
            f"{target}: no recording in workspace {settings.workspace} matches; give the audio "
            "file or its call_id (mine status lists the call_ids), or pass the right --workspace"
        )
    copies = tuple(r for r in known if r.call_id == at_path[0].call_id and r != at_path[0])
    return ForgetPlan((_from_known(at_path[0]),), copies)


def _plan_for_file(
    target: str, path: Path, known: list[KnownRecording], settings: Settings
) -> ForgetPlan:
    """``plan_forget`` for a file that exists: the recording of its bytes at its real path."""
    real = real_file(path)
    key, given = str(real), str(path.absolute())
    current = _current_call_id(real)
    at_path = [r for r in known if r.path == key]
    exact = [r for r in at_path if r.call_id == current]
    others = [r for r in known if r.call_id == current and r.path != key]
    earlier = tuple(r for r in at_path if r.call_id != current)
    if exact:
        return ForgetPlan((_from_known(exact[0], given),), tuple(others), earlier)
    moved = [r for r in others if not Path(r.path).exists()]
    if moved:  # transcribed elsewhere, then moved or renamed to here
        copies = tuple(r for r in others if r not in moved)
        return ForgetPlan(tuple(_from_known(r, given, key) for r in moved), copies, earlier)
    hints = []
    if earlier:
        hints.append(
            f"the file was replaced since: the recording transcribed there is "
            f"{_ids(earlier)}; forget it by its call_id"
        )
    if others:
        hints.append(f"the same bytes were transcribed at {_ids(others)}; forget that path")
    raise InputError(
        f"{target}: these bytes were never transcribed in workspace {settings.workspace}"
        + (f" ({'; '.join(hints)})" if hints else "; pass the --workspace that transcribed it")
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
    name it, and the audio itself (once its bytes are checked to be the recording's) where it
    lies in a folder mine manages (the workspace or a folder ``mine run`` manages) or
    ``delete_audio`` is set. Its consent records are marked withdrawn and lose their personal
    fields, so the recording is refused from now on. The audit log keeps a pseudonymous
    tombstone: call_id, the record's hash and the dates.

    Other recordings with the same bytes are kept unless ``all_copies``.

    Raises:
        InputError: nothing in the workspace matches ``target``.
        ConfigError: no workspace, or another mine command holds it.
    """
    _require_workspace(settings)
    warnings: list[str] = []
    with workspace_lock(settings.workspace, warnings):
        remove_partials(settings.workspace)  # a killed earlier forget may have left a copy
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
                    delete_speaker_roles(db, t.call_id)
            _scrub(db, targets, results, settings)
        compact(settings.workspace)  # no erased page may linger in the WAL or in free pages
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
        # the file, and any temp copy of it a killed writer left beside it
        for found in [path, *path.parent.glob(f".{glob.escape(path.name)}.*.part")]:
            if found.is_file() or found.is_symlink():
                found.unlink()
                deleted.append(str(found))
    audio = t.audio_path
    given = Path(t.given) if t.given else None
    ours = _holds(audio, t.call_id)
    records = records_about(
        audio, call_id=t.call_id, ours=ours, via=link_chain(given) if given else []
    )
    audio_deleted, kept = False, ""
    if audio.exists() and not ours:
        kept = f"{audio} now holds other audio than the forgotten recording; it was left as it is"
    elif audio.exists():
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
    tombstone: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "action": "forget",
        "call_id": t.call_id,
        "decision": "erased",
        "reason": reason,
        "withdrawn_at": when.isoformat(),
    }
    live = [r for r in records if not r.data.get("withdrawn_at")]
    if live:
        tombstone["consent_sha256"] = sorted({record_digest(r.data) for r in live})
        obtained = sorted({str(r.data["obtained_at"]) for r in live if r.data.get("obtained_at")})
        if obtained:
            tombstone["consent_obtained_at"] = obtained
    marked = withdraw(records, when=when) if audio.parent.is_dir() else []
    if not records and ours and audio.exists():  # still here (not managed): keep it refused
        marked.append(refuse_from_now(audio, when=when))
    erase_recording(db, t.path, t.call_id, other_paths=[str(audio), *deleted])
    append_jsonl(settings.audit_log, tombstone)
    return ForgetResult(
        t.call_id, t.file, tuple(deleted), audio_deleted, kept, ", ".join(marked), t.path
    )


class _Mentions:
    """Finds text that names one of the erased recordings exactly: a quoted path (as mine's logs
    write them), an unquoted full path, its call_id, or a line of the older log format."""

    def __init__(self, targets: Iterable[ForgetTarget], outputs: Iterable[str]) -> None:
        parts: list[str] = []
        for t in targets:
            for path in {t.path, t.given, t.audio, *outputs} - {""}:
                parts.append(re.escape(quote(path)))
                parts.append(re.escape(path) + r"(?![^\s:;,'\")\]])")  # not a longer path
            if t.call_id:
                parts.append(re.escape(t.call_id[:12]))
            for name in {t.file, Path(t.path).name}:  # lines written before paths were quoted
                parts.append(
                    r'^[^"]*\btranscribe: (?:done|failed|left out|skipping) '
                    rf'{re.escape(name)}(?::| ->)[^"]*$'
                )
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
    mentions = _Mentions(targets, [p for r in results for p in r.deleted])
    names = {n for t in targets for n in (t.file, Path(t.path).name, Path(t.audio_path).name)}

    # The audit log: entries about these recordings keep only what proves consent and withdrawal;
    # another entry whose reason names one of them loses that reason.
    def pseudonymise(entry: dict[str, Any]) -> dict[str, Any]:
        if entry.get("action") == "forget":
            return entry
        if not _about(entry, targets):
            reason = str(entry.get("reason") or "")
            if reason and (mentions(reason) or any(n and n in reason for n in names)):
                return {**entry, "reason": "[erased: it named a forgotten recording]"}
            return entry
        kept = {k: entry[k] for k in ("time", "action", "decision") if k in entry}
        kept["call_id"] = entry.get("call_id")
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
            lines = log.read_text(encoding="utf-8", errors="replace").split("\n")
            kept_lines = [line for line in lines if not mentions(line)]
            if len(kept_lines) != len(lines):
                write_atomic(log, "\n".join(kept_lines))

    # Corpus files that still name them (a report listing a left-out file, say) go too;
    # the next mine run rebuilds them without the recording.
    candidates = corpus_outputs(db)
    for place in (ws / "terms", ws / "gap", ws / "report.html"):
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
            unregister_output(db, path)
            erased_any = True
    if erased_any:
        delete_stages(db, ["corpus"], _CORPUS)
    for row in stage_rows(db):
        if mentions(f"{row.item}\n{row.reason}\n{json.dumps(row.outputs)}"):
            delete_stages(db, [row.item], (row.stage,))


def _about(entry: dict[str, Any], targets: list[ForgetTarget]) -> bool:
    """Does an audit entry concern one of the erased recordings (and not a copy of it)?"""
    path, call_id, file = entry.get("path"), entry.get("call_id"), entry.get("file")
    for t in targets:
        if path:
            if path in (t.path, t.given, t.audio) and call_id in (None, t.call_id):
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

    Only audio whose bytes are still the recording's is deleted: a new recording at the same
    path is not touched. Redacted transcripts stay: they hold no personal data. With
    ``dry_run`` nothing is deleted.
    """
    if not is_workspace(settings.workspace):
        return []  # a workspace that never transcribed holds no audio to expire
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
                if _holds(audio, rec.call_id):
                    audio.unlink()
                    deleted = True
                mark_audio_deleted(db, rec.path, rec.call_id)
                append_jsonl(
                    settings.audit_log,
                    {
                        "time": now(),
                        "action": "retention",
                        "call_id": rec.call_id,
                        "path": rec.path,
                        "decision": "audio deleted" if deleted else "audio already gone",
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


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _subject_recordings(subject: str, known: list[KnownRecording]) -> list[KnownRecording]:
    """The recordings ``subject`` names: a customer (exactly, else case-insensitively when
    that is one customer), a recording's path, or a call_id of one customer's recordings.

    Raises:
        InputError: the subject is ambiguous.
    """
    exact = [r for r in known if r.customer and _norm(r.customer) == _norm(subject)]
    if exact:
        return exact
    folded = [
        r for r in known if r.customer and _norm(r.customer).casefold() == _norm(subject).casefold()
    ]
    spellings = sorted({r.customer for r in folded})
    if len(spellings) > 1:
        raise InputError(
            f"{subject}: several customers match ({', '.join(spellings)}); give the name exactly "
            "as in the consent record"
        )
    if folded:
        return folded
    path = Path(subject)
    if path.exists() or path.is_symlink():
        key = normal_path(path)
        at_path = [r for r in known if r.path == key]
        current = _current_call_id(Path(key))
        return [r for r in at_path if r.call_id == current] or at_path
    low = subject.lower()
    if _HEX.match(low):
        hits = [r for r in known if r.call_id.startswith(low)]
        if len({r.call_id for r in hits}) == 1:
            customers = sorted({r.customer for r in hits})
            if len(customers) > 1:
                raise InputError(
                    f"{subject}: this audio was recorded for several customers "
                    f"({', '.join(customers)}); export by the customer's name or the recording"
                )
            return hits
    return []


def export_subject(subject: str, *, settings: Settings, out: Path) -> ExportResult:
    """Gather everything held about one customer (by name) or one recording into ``out``.

    Per recording: its consent records (the sidecar, or only its own register rows; only those
    for its bytes), the audio if it is still held (checked to be its bytes), its own transcripts
    (a transcript JSON checked to carry its call_id), the audit entries about it; from the
    tables built from many calls (terms, gaps) only the rows with quotes from its conversation,
    and only those quotes. Nothing of another recording is copied, not even a count.
    ``manifest.json`` lists it all. ``out`` must be new or empty.

    Raises:
        ConfigError: no workspace, or ``out`` is not an empty folder.
        InputError: nothing (or more than one customer) matches ``subject``.
    """
    _require_workspace(settings)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(
            f"{out}: exists and is not an empty folder; give a new folder for the export"
        )
    with open_state(settings.workspace) as db:
        everyone = recordings(db)
        hits = _subject_recordings(subject, everyone)
        if not hits:
            raise InputError(
                f"{subject}: no customer or call in workspace {settings.workspace} matches; give "
                "the customer name as in the consent record, the recording, or a call_id"
            )
        own_files = {(r.path, r.call_id): files_of_recording(db, r.path, r.call_id) for r in hits}
    shared_paths = {r.path for r in everyone if r not in hits}
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
        folder = _ExportFolder(out, name, files)
        audit_entries = [a for a in audit if _audit_about(a, rec, rec.path in shared_paths)]
        entry = _export_recording(
            rec, folder, own_files[(rec.path, rec.call_id)], audit_entries, settings
        )
        manifest["recordings"].append(entry)
    write_atomic(out / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    return ExportResult(out, tuple(r.call_id for r in hits), tuple(files))


class _ExportFolder:
    """One recording's folder of a subject export: copies files in and lists what it holds."""

    def __init__(self, out: Path, name: str, files: list[str]) -> None:
        """Make ``out/name``; every file put here is also appended to ``files``."""
        self.out, self.folder, self.files = out, out / name, files
        self.folder.mkdir()
        self.listed: list[str] = []

    def _added(self, dest: Path) -> None:
        self.listed.append(str(dest.relative_to(self.out)))
        self.files.append(str(dest))

    def put(self, src: Path, dest_name: str) -> None:
        """Copy ``src`` in as ``dest_name``."""
        dest = self.folder / dest_name
        shutil.copyfile(src, dest)
        self._added(dest)

    def put_json(self, dest_name: str, data: Any) -> None:
        """Write ``data`` as JSON to ``dest_name``."""
        dest = self.folder / dest_name
        write_atomic(dest, json.dumps(data, ensure_ascii=False, indent=1, default=str))
        self._added(dest)


def _export_recording(
    rec: KnownRecording,
    folder: _ExportFolder,
    own_files: Iterable[Path],
    audit_entries: list[dict[str, Any]],
    settings: Settings,
) -> dict[str, Any]:
    """Copy what is held about one recording into ``folder``; return its manifest entry."""
    audio = Path(rec.path)
    ours = _holds(audio, rec.call_id)
    records = records_about(audio, call_id=rec.call_id, ours=ours)
    for record in records:
        if record.source.endswith(".consent.toml"):
            folder.put(Path(record.source), Path(record.source).name)
    rows = [r.data for r in records if not r.source.endswith(".consent.toml")]
    if rows:
        folder.put_json("consent.json", rows)
    if ours:
        folder.put(audio, audio.name)
    for path in own_files:
        if path.is_file() and _is_of_call(path, rec.call_id):
            folder.put(path, path.name)
    folder.put_json("audit.json", audit_entries)
    quotes = _corpus_rows(settings, rec.call_id)
    if quotes:
        folder.put_json("quotes.json", quotes)
    return {
        "call_id": rec.call_id,
        "file": rec.file,
        "customer": rec.customer,
        "files": folder.listed,
        "quotes_in_reports": sum(len(q["quotes"]) for q in quotes),
    }


def _read_audit(log: Path) -> list[dict[str, Any]]:
    if not log.is_file():
        return []
    entries = []
    for line in log.read_text(encoding="utf-8", errors="replace").split("\n"):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def _audit_about(entry: dict[str, Any], rec: KnownRecording, path_shared: bool) -> bool:
    """An audit entry of this recording: its path and call_id; a refusal (no call_id) at its
    path only while no other recording was known at that path."""
    path, call_id = entry.get("path"), entry.get("call_id")
    if path:
        if path != rec.path:
            return False
        return call_id == rec.call_id or (call_id is None and not path_shared)
    return call_id == rec.call_id and entry.get("file") == rec.file


def _is_of_call(path: Path, call_id: str) -> bool:
    """A transcript JSON must carry the call's id; its views were registered with it."""
    if not path.name.endswith(".json"):
        return True
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and data.get("call_id") == call_id


def _corpus_rows(settings: Settings, call_id: str) -> list[dict[str, Any]]:
    """The terms, gaps and questions quoting this call: each with only this call's quotes."""
    out: list[dict[str, Any]] = []
    for path, table, name in (
        (settings.workspace / "terms" / "terms.json", "terms", "term"),
        (settings.workspace / "terms" / "terms.json", "questions", "question"),
        (settings.workspace / "gap" / "gap.json", "gaps", "term"),
        (settings.workspace / "gap" / "questions.json", "questions", "question"),
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
                        # a question's wording may be another customer's: this call's own
                        name: row.get(name) if name == "term" else quotes[0]["text"],
                        "quotes": quotes,
                    }
                )
    return out
