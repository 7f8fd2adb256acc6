"""The workspace's state store (SQLite, ``state.db``): which recordings mine knows and what it wrote.

This module owns every table, index and migration of ``state.db`` (versioned with
``PRAGMA user_version``; a workspace made by an older release is upgraded in place).

A recording's identity is its real path (symlinks resolved, absolute: the one normal form every
table uses) together with its content (``call_id``, the sha256 of its bytes): two files with
identical bytes are two recordings that share a call_id. Every output file is registered
against the recording it was made from, so erasure (``mine forget``), retention and
subject-access export find exactly what is derived from one recording.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.clock import now
from pipeline.errors import ConfigError, OutputError, StateError
from pipeline.files import FileIdentity

#: The layout version this release writes; older workspaces are migrated up to it.
SCHEMA_VERSION = 4

_TABLES = """
CREATE TABLE IF NOT EXISTS recordings (
    path TEXT NOT NULL,               -- real path of the audio (normal form)
    call_id TEXT NOT NULL,            -- sha256 of its bytes: (path, call_id) is a recording
    file TEXT NOT NULL,               -- the name it was given under
    customer TEXT NOT NULL DEFAULT '',
    consent_source TEXT NOT NULL DEFAULT '',
    retain_audio_until TEXT,
    transcribed_at TEXT,
    audio_deleted_at TEXT,
    consent_sha256 TEXT NOT NULL DEFAULT '',  -- the consent record it was transcribed under
    PRIMARY KEY (path, call_id)
);
CREATE INDEX IF NOT EXISTS recordings_call_id ON recordings (call_id);
CREATE TABLE IF NOT EXISTS outputs (
    call_id TEXT NOT NULL,
    recording TEXT NOT NULL DEFAULT '',  -- real path of the recording; '' for corpus files
    stage TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (call_id, recording, path)
);
CREATE INDEX IF NOT EXISTS outputs_path ON outputs (path);
CREATE TABLE IF NOT EXISTS managed_dirs (
    path TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS voice_profiles (
    name TEXT PRIMARY KEY,
    backend TEXT NOT NULL,
    embedding BLOB NOT NULL,
    seconds REAL NOT NULL,
    samples INTEGER NOT NULL,
    consent_note TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS speaker_roles (
    call_id TEXT NOT NULL,
    speaker TEXT NOT NULL,
    role TEXT NOT NULL,
    set_at TEXT NOT NULL,
    anchor REAL,  -- a time inside the speaker's longest turn: finds them again if ids change
    PRIMARY KEY (call_id, speaker)
);
CREATE TABLE IF NOT EXISTS stages (
    item TEXT NOT NULL,               -- a recording's real path, or 'corpus'
    stage TEXT NOT NULL,
    input_hash TEXT,
    options_hash TEXT,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    output TEXT NOT NULL DEFAULT '',
    started_at TEXT,
    finished_at TEXT,
    PRIMARY KEY (item, stage)
);
CREATE TABLE IF NOT EXISTS term_analyses (
    call_id TEXT NOT NULL,
    analysis TEXT NOT NULL,           -- digest of the conversation as analysed and the analyzer
    data TEXT NOT NULL,               -- JSON: {call_id, analysis, terms} (terms/api.py)
    created_at TEXT NOT NULL,
    PRIMARY KEY (call_id, analysis)
);
CREATE INDEX IF NOT EXISTS term_analyses_analysis ON term_analyses (analysis);
CREATE TABLE IF NOT EXISTS conversations (
    call_id TEXT PRIMARY KEY,
    recorded_at TEXT NOT NULL DEFAULT '',        -- YYYY-MM-DD ('' when not known)
    recorded_at_source TEXT NOT NULL DEFAULT '', -- consent, transcript, media, file
    language TEXT NOT NULL DEFAULT '',
    customer_seconds REAL NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS gap_history (
    run_at TEXT NOT NULL,             -- when the gap stage ran
    crawl_at TEXT NOT NULL DEFAULT '',-- when the pages it compared with were crawled
    kind TEXT NOT NULL,               -- 'term' or 'question'
    key TEXT NOT NULL,                -- a term's key; a question's intent and topic stems
    language TEXT NOT NULL,
    status TEXT NOT NULL,
    page TEXT NOT NULL DEFAULT '',    -- the page that uses the term / answers the question
    calls TEXT NOT NULL,              -- JSON list of the calls that said or asked it
    PRIMARY KEY (run_at, kind, key, language)
);
CREATE TABLE IF NOT EXISTS page_history (
    crawl_at TEXT NOT NULL,
    url TEXT NOT NULL,
    content_hash TEXT NOT NULL DEFAULT '',
    terms TEXT NOT NULL DEFAULT '[]', -- JSON: the customer terms the page uses (their keys)
    PRIMARY KEY (crawl_at, url)
);
CREATE TABLE IF NOT EXISTS file_hashes (
    path TEXT PRIMARY KEY,            -- real path (normal form)
    dev INTEGER NOT NULL,
    ino INTEGER NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL
);
"""


def _migrate_v1(db: sqlite3.Connection) -> None:
    """Version 0/1 (no user_version): recordings keyed by call_id, outputs by call_id only,
    stages by file name, file hashes by the path as given. Re-key them by (real path, call_id)."""
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "recordings" in tables:
        db.execute("ALTER TABLE recordings RENAME TO recordings_v1")
    if "outputs" in tables:
        db.execute("ALTER TABLE outputs RENAME TO outputs_v1")
    if "file_hashes" in tables:
        db.execute("DROP TABLE file_hashes")  # a cache: rebuilt by the next run
    _create_tables(db)
    if "recordings" in tables:
        db.execute(
            "INSERT OR IGNORE INTO recordings SELECT path, call_id, file, customer, "
            "consent_source, retain_audio_until, transcribed_at, audio_deleted_at, '' "
            "FROM recordings_v1"
        )
        db.execute("DROP TABLE recordings_v1")
    if "stages" in tables:  # a transcription done under a file name: under its real path now
        db.execute(
            "UPDATE OR IGNORE stages SET item = (SELECT r.path FROM recordings r "
            "WHERE r.file = stages.item) WHERE stage = 'transcribe' AND "
            "(SELECT count(*) FROM recordings r WHERE r.file = stages.item) = 1"
        )
    if "outputs" in tables:
        db.execute(
            "INSERT OR IGNORE INTO outputs SELECT o.call_id, "
            "CASE WHEN o.stage IN ('transcribe', 'speakers') THEN "
            "COALESCE((SELECT r.path FROM recordings r WHERE r.call_id = o.call_id), '') "
            "ELSE '' END, o.stage, o.path, o.created_at FROM outputs_v1 o"
        )
        db.execute("DROP TABLE outputs_v1")


def _create_tables(db: sqlite3.Connection) -> None:
    # statement by statement: executescript would commit the migration's transaction midway
    statement = ""
    for line in _TABLES.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""


@dataclass(frozen=True)
class KnownRecording:
    """A recording the workspace has processed."""

    call_id: str
    file: str
    path: str
    customer: str
    consent_source: str
    retain_audio_until: str | None
    transcribed_at: str | None
    audio_deleted_at: str | None
    consent_sha256: str = ""


_RECORDING_COLUMNS = (
    "call_id, file, path, customer, consent_source, retain_audio_until, transcribed_at, "
    "audio_deleted_at, consent_sha256"
)


def normal_path(path: Path | str) -> str:
    """The one form in which the state stores a file's path: absolute, symlinks resolved."""
    return os.path.realpath(os.path.abspath(os.fspath(path)))


def _prepare(db: sqlite3.Connection, path: Path) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StateError(
            f"{path}: made by a newer release of mine (layout {version}, this one reads up "
            f"to {SCHEMA_VERSION}); upgrade mine, or pass another --workspace"
        )
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA secure_delete=ON")  # erased rows are overwritten, not left in free pages
    if version < SCHEMA_VERSION:
        with db:
            db.execute("BEGIN IMMEDIATE")
            current = db.execute("PRAGMA user_version").fetchone()[0]
            if current < SCHEMA_VERSION:
                if current < 2:
                    _migrate_v1(db)
                _create_tables(db)  # 3: term_analyses; 4: conversations, gap and page history
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


def _state_problem(path: Path, exc: BaseException) -> StateError | OutputError:
    text = str(exc)
    if isinstance(exc, sqlite3.DatabaseError) and (
        "not a database" in text or "malformed" in text or "corrupt" in text
    ):
        return StateError(
            f"{path}: the workspace state is damaged ({text}); move it aside (mine run rebuilds "
            "it, forget and export then know only what is registered again) or pass --workspace"
        )
    if "disk is full" in text or "disk I/O" in text or getattr(exc, "errno", 0) == errno.ENOSPC:
        return OutputError(f"{path}: cannot write the workspace state ({text}); free disk space")
    return OutputError(
        f"{path}: the workspace state cannot be used ({text}); check that the workspace is "
        "writable, that no other program holds it, or pass --workspace"
    )


@contextlib.contextmanager
def open_state(workspace: Path) -> Iterator[sqlite3.Connection]:
    """Open (and create or upgrade) ``workspace/state.db``; commits on success, rolls back on error.

    Raises:
        StateError: the database is damaged or from a newer release.
        OutputError: it cannot be created or written (permissions, disk full).
    """
    path = workspace / "state.db"
    if workspace.exists() and not workspace.is_dir():
        raise ConfigError(f"{workspace}: not a folder; pass a workspace folder with --workspace")
    try:
        workspace.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=30)
    except (OSError, sqlite3.Error) as exc:
        raise OutputError(
            f"{path}: cannot open the state store ({exc}); "
            "check that the workspace is writable or pass --workspace"
        ) from None
    try:
        try:
            _prepare(db, path)
        except sqlite3.Error as exc:
            raise _state_problem(path, exc) from None
        try:
            with db:
                yield db
        except sqlite3.Error as exc:
            raise _state_problem(path, exc) from None
    finally:
        db.close()


def is_workspace(workspace: Path) -> bool:
    """True if ``workspace`` is a folder holding mine's state."""
    return workspace.is_dir() and (workspace / "state.db").is_file()


@contextlib.contextmanager
def workspace_lock(workspace: Path, warn: list[str], *, shared: bool = False) -> Iterator[None]:
    """``mine run`` and ``mine forget`` hold a workspace alone; ``mine transcribe`` calls share it.

    So a forget never runs while a transcription of the same workspace could still write and
    register what it erases. The OS drops the lock when its holder dies, even by kill -9; a
    lock note left by a dead run is taken over with a warning.

    Raises:
        ConfigError: another process holds the workspace in a way that excludes this one.
    """
    if workspace.exists() and not workspace.is_dir():
        raise ConfigError(f"{workspace}: not a folder; pass a workspace folder with --workspace")
    try:
        workspace.mkdir(parents=True, exist_ok=True)
        fh = (workspace / "run.lock").open("a+", encoding="utf-8")
    except OSError as exc:
        raise OutputError(
            f"{workspace}: cannot use the workspace ({exc.strerror}); check that it is "
            "writable or pass --workspace"
        ) from None
    try:
        fcntl.flock(fh, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except OSError as exc:
        fh.seek(0)
        holder = fh.read().strip()
        fh.close()
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            who = f"another mine run is active ({holder})" if holder else "a mine transcribe is"
            raise ConfigError(
                f"{workspace}: {who} using this workspace; wait for it to finish, or use "
                "another --workspace"
            ) from None
        raise
    if shared:  # several may hold it: no note of who
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
            fh.close()
        return
    fh.seek(0)
    previous = fh.read().strip()
    if previous:
        warn.append(f"took over the lock of a run that did not finish ({previous})")
    fh.seek(0)
    fh.truncate()
    fh.write(f"pid {os.getpid()} since {now()}")
    fh.flush()
    try:
        yield
    finally:
        fh.seek(0)
        fh.truncate()
        fh.flush()
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


# ------------------------------------------------------------------ recordings and outputs


def register_recording(db: sqlite3.Connection, rec: KnownRecording) -> None:
    """Insert or update what is known of a recording (keyed by real path and call_id).

    New bytes at a known path are another recording: the earlier one keeps its row.
    """
    db.execute(
        f"INSERT INTO recordings ({_RECORDING_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(path, call_id) DO UPDATE SET file=excluded.file, "
        "customer=excluded.customer, consent_source=excluded.consent_source, "
        "retain_audio_until=excluded.retain_audio_until, "
        "transcribed_at=excluded.transcribed_at, audio_deleted_at=NULL, "
        "consent_sha256=excluded.consent_sha256",
        (
            rec.call_id,
            rec.file,
            normal_path(rec.path),
            rec.customer,
            rec.consent_source,
            rec.retain_audio_until,
            rec.transcribed_at,
            rec.audio_deleted_at,
            rec.consent_sha256,
        ),
    )


def unregister_recording(db: sqlite3.Connection, path: Path | str, call_id: str) -> None:
    """Forget a recording's row and its own outputs' rows (not its corpus files)."""
    key = normal_path(path)
    db.execute("DELETE FROM recordings WHERE path=? AND call_id=?", (key, call_id))
    db.execute("DELETE FROM outputs WHERE recording=? AND call_id=?", (key, call_id))


def register_outputs(
    db: sqlite3.Connection,
    call_id: str,
    stage: str,
    paths: list[Path],
    *,
    recording: Path | str | None = None,
) -> None:
    """Record files written for ``call_id`` by ``stage``.

    ``recording`` names the one recording a file belongs to (a transcript); files built from
    many calls (term tables, reports) are registered under each call without one.
    """
    stamp = now()
    owner = normal_path(recording) if recording is not None else ""
    db.executemany(
        "INSERT OR REPLACE INTO outputs VALUES (?,?,?,?,?)",
        [(call_id, owner, stage, normal_path(p), stamp) for p in paths],
    )


def recordings(db: sqlite3.Connection) -> list[KnownRecording]:
    """Every known recording."""
    rows = db.execute(f"SELECT {_RECORDING_COLUMNS} FROM recordings ORDER BY file, path")
    return [KnownRecording(*row) for row in rows]


def outputs_of(
    db: sqlite3.Connection, call_id: str, *, recording: Path | str | None = None
) -> list[tuple[str, Path]]:
    """(stage, path) of every file registered for ``call_id``.

    With ``recording``, only that recording's own files and the corpus files built from the
    call, never the files of another recording with the same bytes.
    """
    if recording is None:
        rows = db.execute(
            "SELECT DISTINCT stage, path FROM outputs WHERE call_id=? ORDER BY path", (call_id,)
        )
    else:
        rows = db.execute(
            "SELECT DISTINCT stage, path FROM outputs WHERE call_id=? AND recording IN ('', ?) "
            "ORDER BY path",
            (call_id, normal_path(recording)),
        )
    return [(stage, Path(path)) for stage, path in rows]


def files_of_recording(db: sqlite3.Connection, recording: Path | str, call_id: str) -> list[Path]:
    """The files registered to one recording alone (its transcripts), never corpus files."""
    rows = db.execute(
        "SELECT DISTINCT path FROM outputs WHERE recording=? AND call_id=? ORDER BY path",
        (normal_path(recording), call_id),
    )
    return [Path(p) for (p,) in rows]


def output_owners(db: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    """Every registered transcript file: its path -> (real path, call_id) of its recording."""
    rows = db.execute(
        "SELECT path, recording, call_id FROM outputs WHERE recording != ''"
    ).fetchall()
    return {path: (recording, call_id) for path, recording, call_id in rows}


def managed_dirs(db: sqlite3.Connection) -> list[Path]:
    """Folders whose recordings mine manages (their audio may be deleted by mine)."""
    return [Path(p) for (p,) in db.execute("SELECT path FROM managed_dirs")]


def add_managed_dir(db: sqlite3.Connection, folder: Path) -> None:
    """Declare that mine manages the recordings in ``folder``."""
    db.execute("INSERT OR IGNORE INTO managed_dirs VALUES (?)", (normal_path(folder),))


def register_for_calls(
    workspace: Path, terms_meta: dict, stage: str, paths: list[Path]
) -> None:
    """Register files built from many calls (term tables, gap tables, reports) under each call.

    ``mine forget`` then removes them with the call; the next ``mine run`` rebuilds them without it.
    """
    call_ids = [s["call_id"] for s in terms_meta.get("sources", []) if s.get("call_id")]
    if not call_ids:
        return
    with open_state(workspace) as db:
        for call_id in call_ids:
            register_outputs(db, call_id, stage, paths)


# ------------------------------------------------------------------ term analyses


class TermAnalyses:
    """Each conversation's term analysis, kept in ``term_analyses`` so that the terms stage
    analyses only new or changed transcripts (``terms.api.extract_terms``'s ``store``).

    A row is keyed by the call and a digest of the conversation as analysed and of the analyzer;
    ``mine forget`` deletes a call's rows with the rest of it (``erase_recording``). Each ``put``
    commits: a run killed midway keeps what it analysed. ``prune`` drops the rows no ``get`` or
    ``put`` of this run touched (a transcript that changed or left the corpus).
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        """Keep rows in ``db`` (the run's connection; it holds no write lock meanwhile)."""
        self.db = db
        self.used: set[tuple[str, str]] = set()

    def get(self, call_id: str, analysis: str) -> Any | None:
        """The stored analysis, or None."""
        row = self.db.execute(
            "SELECT data FROM term_analyses WHERE call_id=? AND analysis=?", (call_id, analysis)
        ).fetchone()
        if row is None:
            return None
        try:
            data = json.loads(row[0])
        except ValueError:  # a damaged row: analysed again
            return None
        self.used.add((call_id, analysis))
        return data

    def find(self, analysis: str) -> tuple[str, Any] | None:
        """The call and data of the row stored under ``analysis``, whatever its call; None
        when there is none (or several, or a damaged one)."""
        rows = self.db.execute(
            "SELECT call_id, data FROM term_analyses WHERE analysis=? LIMIT 2", (analysis,)
        ).fetchall()
        if len(rows) != 1:
            return None
        try:
            data = json.loads(rows[0][1])
        except ValueError:
            return None
        self.used.add((rows[0][0], analysis))
        return rows[0][0], data

    def put(self, call_id: str, analysis: str, data: Any) -> None:
        """Store one conversation's analysis, and commit."""
        self.db.execute(
            "INSERT OR REPLACE INTO term_analyses VALUES (?,?,?,?)",
            (call_id, analysis, json.dumps(data, ensure_ascii=False, separators=(",", ":")), now()),
        )
        self.db.commit()
        self.used.add((call_id, analysis))

    def prune(self) -> int:
        """Delete the rows this run did not use; how many."""
        rows = self.db.execute("SELECT call_id, analysis FROM term_analyses").fetchall()
        stale = [r for r in rows if tuple(r) not in self.used]
        self.db.executemany("DELETE FROM term_analyses WHERE call_id=? AND analysis=?", stale)
        self.db.commit()
        return len(stale)


def term_analysis_calls(db: sqlite3.Connection) -> set[str]:
    """The calls that have a stored term analysis."""
    return {c for (c,) in db.execute("SELECT DISTINCT call_id FROM term_analyses")}


# ------------------------------------------------------------------ history (trends)


@dataclass(frozen=True)
class ConversationDate:
    """One conversation of the corpus as the trends see it."""

    call_id: str
    recorded_at: str
    recorded_at_source: str
    language: str
    customer_seconds: float


def put_conversations(db: sqlite3.Connection, rows: list[ConversationDate]) -> None:
    """Make ``rows`` the corpus's conversations (the terms stage's sources), and commit."""
    db.execute("DELETE FROM conversations")
    db.executemany(
        "INSERT OR REPLACE INTO conversations VALUES (?,?,?,?,?,?)",
        [
            (r.call_id, r.recorded_at, r.recorded_at_source, r.language, r.customer_seconds, now())
            for r in rows
        ],
    )
    db.commit()


def conversation_dates(db: sqlite3.Connection) -> list[ConversationDate]:
    """The corpus's conversations, by call."""
    rows = db.execute(
        "SELECT call_id, recorded_at, recorded_at_source, language, customer_seconds "
        "FROM conversations ORDER BY call_id"
    ).fetchall()
    return [ConversationDate(*r) for r in rows]


def term_analyses_of(db: sqlite3.Connection) -> Iterator[tuple[str, Any]]:
    """(call, stored analysis) for each call's newest stored term analysis."""
    # SQLite gives the other columns of the row that holds the max() ("bare columns")
    rows = db.execute(
        "SELECT call_id, data, max(created_at) FROM term_analyses GROUP BY call_id ORDER BY call_id"
    )
    for call_id, data, _newest in rows:
        try:
            yield call_id, json.loads(data)
        except (ValueError, TypeError, RecursionError):  # damaged: it counts no terms
            continue


@dataclass(frozen=True)
class GapState:
    """One term or question in one gap snapshot."""

    kind: str  # "term" or "question"
    key: str
    language: str
    status: str
    page: str
    calls: tuple[str, ...]


def add_gap_snapshot(
    db: sqlite3.Connection, run_at: str, crawl_at: str, rows: list[GapState]
) -> None:
    """Keep the status of every term and question of one gap run, and commit."""
    db.executemany(
        "INSERT OR REPLACE INTO gap_history VALUES (?,?,?,?,?,?,?,?)",
        [
            (run_at, crawl_at, r.kind, r.key, r.language, r.status, r.page, json.dumps(r.calls))
            for r in rows
        ],
    )
    db.commit()


def gap_snapshots(db: sqlite3.Connection) -> list[tuple[str, str, list[GapState]]]:
    """Every gap snapshot, oldest first: (run_at, crawl_at, its rows)."""
    found: dict[tuple[str, str], list[GapState]] = {}
    for run_at, crawl_at, kind, key, lang, status, page, calls in db.execute(
        "SELECT * FROM gap_history ORDER BY run_at, kind, key, language"
    ):
        said = _text_list(calls)
        if said is None or not all(isinstance(v, str) for v in (run_at, crawl_at, kind, key)):
            continue  # a damaged row: left out of the comparison
        found.setdefault((run_at, crawl_at), []).append(
            GapState(kind, key, str(lang), str(status), str(page), tuple(said))
        )
    return [(run_at, crawl_at, rows) for (run_at, crawl_at), rows in found.items()]


def add_pages(
    db: sqlite3.Connection, crawl_at: str, pages: list[tuple[str, str, list[str]]]
) -> None:
    """Keep each page's content hash and the customer terms it uses at one crawl (url,
    content_hash, term keys), and commit."""
    db.executemany(
        "INSERT OR REPLACE INTO page_history VALUES (?,?,?,?)",
        [(crawl_at, url, content, json.dumps(sorted(set(keys)))) for url, content, keys in pages],
    )
    db.commit()


# ------------------------------------------------------------------ content hashes


def cached_hash(db: sqlite3.Connection, real: Path, identity: FileIdentity) -> str | None:
    """A file's sha256 from the cache, if the file is unchanged since it was hashed."""
    row = db.execute(
        "SELECT dev, ino, size, mtime_ns, ctime_ns, sha256 FROM file_hashes WHERE path=?",
        (normal_path(real),),
    ).fetchone()
    if row and FileIdentity(*row[:5]) == identity:
        return row[5]
    return None


def remember_hash(db: sqlite3.Connection, real: Path, identity: FileIdentity, sha: str) -> None:
    """Cache a file's sha256 against its identity, and commit (the cache is written while
    stages work through connections of their own: no write lock may be held meanwhile)."""
    db.execute(
        "INSERT OR REPLACE INTO file_hashes VALUES (?,?,?,?,?,?,?)",
        (
            normal_path(real),
            identity.dev,
            identity.ino,
            identity.size,
            identity.mtime_ns,
            identity.ctime_ns,
            sha,
        ),
    )
    db.commit()


# ------------------------------------------------------------------ voices and speaker roles


def voice_embeddings(db: sqlite3.Connection) -> dict[str, bytes]:
    """Enrolled reps' voice embeddings (float32 bytes) by name."""
    return dict(db.execute("SELECT name, embedding FROM voice_profiles").fetchall())


def voice_profiles(db: sqlite3.Connection) -> list[tuple]:
    """Every enrolled profile without its embedding: name, backend, seconds, samples, consent
    note, created_at."""
    return db.execute(
        "SELECT name, backend, seconds, samples, consent_note, created_at "
        "FROM voice_profiles ORDER BY name"
    ).fetchall()


def save_voice_profile(
    db: sqlite3.Connection,
    *,
    name: str,
    backend: str,
    embedding: bytes,
    seconds: float,
    samples: int,
    consent_note: str,
    created_at: str,
) -> None:
    """Store (or replace) a rep's voice profile."""
    db.execute(
        "INSERT OR REPLACE INTO voice_profiles VALUES (?,?,?,?,?,?,?)",
        (name, backend, embedding, seconds, samples, consent_note, created_at),
    )


def delete_voice_profile(db: sqlite3.Connection, name: str) -> bool:
    """Delete a rep's voice profile; True if there was one."""
    return db.execute("DELETE FROM voice_profiles WHERE name=?", (name,)).rowcount > 0


def hand_set_roles(workspace: Path, call_id: str) -> dict[str, str]:
    """One call's hand-set roles, speaker → role; none when the workspace has no state yet
    (reading creates nothing)."""
    if not (workspace / "state.db").is_file():
        return {}
    with open_state(workspace) as db:
        rows = speaker_corrections(db, call_id).get(call_id, ())
    return {speaker: role for speaker, role, _anchor in rows}


def speaker_corrections(
    db: sqlite3.Connection, call_id: str | None = None
) -> dict[str, tuple[tuple[str, str, float | None], ...]]:
    """Hand-set roles by call_id: (speaker, role, anchor) each; one call's with ``call_id``."""
    if call_id is None:
        rows = db.execute("SELECT call_id, speaker, role, anchor FROM speaker_roles").fetchall()
    else:
        rows = db.execute(
            "SELECT call_id, speaker, role, anchor FROM speaker_roles WHERE call_id=?", (call_id,)
        ).fetchall()
    out: dict[str, list[tuple[str, str, float | None]]] = {}
    for call, speaker, role, anchor in rows:
        out.setdefault(call, []).append((speaker, role, anchor))
    return {call: tuple(items) for call, items in out.items()}


def set_speaker_role(
    db: sqlite3.Connection, call_id: str, speaker: str, role: str, anchor: float | None
) -> None:
    """Keep a hand-set role of one speaker of one recording."""
    db.execute(
        "INSERT OR REPLACE INTO speaker_roles VALUES (?,?,?,?,?)",
        (call_id, speaker, role, now(), anchor),
    )


def checkpoint(workspace: Path) -> None:
    """Fold the WAL into the database file, so no erased row lingers there."""
    with open_state(workspace) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# ------------------------------------------------------------------ mine run's stages


@dataclass(frozen=True)
class StageRow:
    """What the last run of one stage for one item (a recording's real path, or 'corpus') did."""

    item: str
    stage: str
    input_hash: str | None
    options_hash: str | None
    status: str
    reason: str
    outputs: tuple[str, ...]
    started_at: str | None
    finished_at: str | None


def stage_row(db: sqlite3.Connection, item: str, stage: str) -> StageRow | None:
    """The stage row of one item, if there is one."""
    row = db.execute(
        "SELECT item, stage, input_hash, options_hash, status, reason, output, started_at, "
        "finished_at FROM stages WHERE item=? AND stage=?",
        (item, stage),
    ).fetchone()
    return _stage(row) if row else None


def stage_rows(db: sqlite3.Connection, stage: str | None = None) -> list[StageRow]:
    """Every stage row (of one stage), ordered by stage and item."""
    sql = (
        "SELECT item, stage, input_hash, options_hash, status, reason, output, started_at, "
        "finished_at FROM stages"
    )
    rows = (
        db.execute(sql + " WHERE stage=? ORDER BY item", (stage,))
        if stage
        else db.execute(sql + " ORDER BY stage, item")
    )
    return [_stage(r) for r in rows.fetchall()]


def _stage(row: tuple) -> StageRow:
    try:
        outputs = tuple(json.loads(row[6] or "[]"))
    except ValueError:
        outputs = ()
    return StageRow(*row[:6], outputs, row[7], row[8])


def record_stage(
    db: sqlite3.Connection,
    item: str,
    stage: str,
    *,
    input_hash: str | None,
    options_hash: str | None,
    status: str,
    reason: str = "",
    outputs: list[str] | None = None,
    started: str | None = None,
) -> None:
    """Record a stage's outcome for an item and commit (a stage writes through its own
    connection: no write lock may be held meanwhile)."""
    db.execute(
        "INSERT OR REPLACE INTO stages VALUES (?,?,?,?,?,?,?,?,?)",
        (
            item,
            stage,
            input_hash,
            options_hash,
            status,
            reason,
            json.dumps(outputs or []),
            started or now(),
            now(),
        ),
    )
    db.commit()


def set_stage_input(db: sqlite3.Connection, item: str, stage: str, input_hash: str) -> None:
    """Replace the input hash a stage row was recorded with (a layout upgrade)."""
    db.execute("UPDATE stages SET input_hash=? WHERE item=? AND stage=?", (input_hash, item, stage))
    db.commit()


def delete_stages(db: sqlite3.Connection, items: list[str], stages: tuple[str, ...] = ()) -> None:
    """Forget the stage rows of ``items`` (of ``stages`` only, when given)."""
    for item in items:
        if stages:
            db.executemany(
                "DELETE FROM stages WHERE item=? AND stage=?", [(item, s) for s in stages]
            )
        else:
            db.execute("DELETE FROM stages WHERE item=?", (item,))


# ------------------------------------------------------------------ erasure and retention


def erase_recording(
    db: sqlite3.Connection, path: str, call_id: str, *, other_paths: list[str] = ()
) -> None:
    """Delete every row about one recording: its own outputs and the corpus outputs of its call,
    its row, its call's stored term analyses, the cached hashes of its files, its stage rows."""
    db.execute("DELETE FROM outputs WHERE recording=? AND call_id=?", (path, call_id))
    if call_id:
        db.execute("DELETE FROM outputs WHERE call_id=? AND recording=''", (call_id,))
    db.execute("DELETE FROM recordings WHERE path=? AND call_id=?", (path, call_id))
    copies = (
        db.execute("SELECT count(*) FROM recordings WHERE call_id=?", (call_id,)).fetchone()[0]
        if call_id
        else 0
    )
    if call_id and not copies:  # the conversation is gone (no identical copy is kept)
        db.execute("DELETE FROM term_analyses WHERE call_id=?", (call_id,))
        db.execute("DELETE FROM conversations WHERE call_id=?", (call_id,))
        _drop_call_from_history(db, call_id)
    for p in {path, *other_paths}:
        db.execute("DELETE FROM file_hashes WHERE path=?", (normal_path(p),))
    db.executemany("DELETE FROM stages WHERE item=?", [(p,) for p in {path, *other_paths}])


def _drop_call_from_history(db: sqlite3.Connection, call_id: str) -> None:
    """Take a call out of every gap snapshot: a term or question only it said goes (a row that
    names the call but cannot be read goes too); then out of the pages' term lists, the
    terms no snapshot holds any more."""
    rows = db.execute(
        "SELECT rowid, calls FROM gap_history WHERE instr(calls, ?) > 0", (call_id,)
    ).fetchall()
    for rowid, calls in rows:
        said = _text_list(calls)
        left = [c for c in said if c != call_id] if said is not None else []
        if left:
            db.execute("UPDATE gap_history SET calls=? WHERE rowid=?", (json.dumps(left), rowid))
        else:
            db.execute("DELETE FROM gap_history WHERE rowid=?", (rowid,))
    kept = {k for (k,) in db.execute("SELECT DISTINCT key FROM gap_history WHERE kind='term'")}
    for rowid, terms in db.execute("SELECT rowid, terms FROM page_history").fetchall():
        listed = _text_list(terms)
        left = [k for k in listed or () if k in kept]
        if listed is None or left != listed:
            db.execute("UPDATE page_history SET terms=? WHERE rowid=?", (json.dumps(left), rowid))


def _text_list(text: Any) -> list[str] | None:
    """A stored JSON list of text (calls, term keys), or None when the row is damaged."""
    try:
        value = json.loads(text)
    except (ValueError, TypeError, RecursionError):
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def delete_speaker_roles(db: sqlite3.Connection, call_id: str) -> None:
    """Forget the hand-set roles of a call."""
    db.execute("DELETE FROM speaker_roles WHERE call_id=?", (call_id,))


def corpus_outputs(db: sqlite3.Connection) -> list[Path]:
    """Every file registered as built from many calls (term tables, gap tables, reports)."""
    rows = db.execute("SELECT DISTINCT path FROM outputs WHERE recording=''").fetchall()
    return [Path(p) for (p,) in rows]


def unregister_output(db: sqlite3.Connection, path: Path) -> None:
    """Forget every registration of an output file."""
    db.execute("DELETE FROM outputs WHERE path=?", (normal_path(path),))


def mark_audio_deleted(db: sqlite3.Connection, path: str, call_id: str) -> None:
    """Note that a recording's audio is gone (retention)."""
    db.execute(
        "UPDATE recordings SET audio_deleted_at=? WHERE path=? AND call_id=?",
        (now(), path, call_id),
    )


def compact(workspace: Path) -> None:
    """Fold the WAL and rebuild the file, so no erased row lingers in the WAL or free pages."""
    checkpoint(workspace)
    with open_state(workspace) as db:
        db.isolation_level = None
        db.execute("VACUUM")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
