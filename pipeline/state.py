"""The workspace's state store (SQLite, ``state.db``): which recordings mine knows and what it wrote.

Every output file is registered against its recording's call_id, so erasure (``mine forget``),
retention and subject-access export can find everything derived from one conversation.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.errors import OutputError

SCHEMA = """
CREATE TABLE IF NOT EXISTS recordings (
    call_id TEXT PRIMARY KEY,
    file TEXT NOT NULL,
    path TEXT NOT NULL,
    customer TEXT NOT NULL DEFAULT '',
    consent_source TEXT NOT NULL DEFAULT '',
    retain_audio_until TEXT,
    transcribed_at TEXT,
    audio_deleted_at TEXT
);
CREATE TABLE IF NOT EXISTS outputs (
    call_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (call_id, path)
);
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
"""


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


def now() -> str:
    """The current UTC time as stored in the state."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextmanager
def open_state(workspace: Path) -> Iterator[sqlite3.Connection]:
    """Open (and create) ``workspace/state.db``; commits on success, rolls back on error."""
    try:
        workspace.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(workspace / "state.db", timeout=30)
    except (OSError, sqlite3.Error) as exc:
        raise OutputError(
            f"{workspace / 'state.db'}: cannot open the state store ({exc}); "
            "check that the workspace is writable or pass --workspace"
        ) from None
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA secure_delete=ON")  # erased rows are overwritten, not left in free pages
        db.executescript(SCHEMA)
        with db:
            yield db
    finally:
        db.close()


def register_recording(db: sqlite3.Connection, rec: KnownRecording) -> None:
    """Insert or update what is known of a recording."""
    db.execute(
        "INSERT INTO recordings VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(call_id) DO UPDATE SET "
        "file=excluded.file, path=excluded.path, customer=excluded.customer, "
        "consent_source=excluded.consent_source, retain_audio_until=excluded.retain_audio_until, "
        "transcribed_at=excluded.transcribed_at, audio_deleted_at=NULL",
        (
            rec.call_id,
            rec.file,
            rec.path,
            rec.customer,
            rec.consent_source,
            rec.retain_audio_until,
            rec.transcribed_at,
            rec.audio_deleted_at,
        ),
    )


def register_outputs(db: sqlite3.Connection, call_id: str, stage: str, paths: list[Path]) -> None:
    """Record files written for ``call_id`` by ``stage``."""
    stamp = now()
    db.executemany(
        "INSERT OR REPLACE INTO outputs VALUES (?,?,?,?)",
        [(call_id, stage, str(p.resolve()), stamp) for p in paths],
    )


def recordings(db: sqlite3.Connection) -> list[KnownRecording]:
    """Every known recording."""
    return [KnownRecording(*row) for row in db.execute("SELECT * FROM recordings ORDER BY file")]


def outputs_of(db: sqlite3.Connection, call_id: str) -> list[tuple[str, Path]]:
    """(stage, path) of every file registered for ``call_id``."""
    rows = db.execute("SELECT stage, path FROM outputs WHERE call_id=? ORDER BY path", (call_id,))
    return [(stage, Path(path)) for stage, path in rows]


def managed_dirs(db: sqlite3.Connection) -> list[Path]:
    """Folders whose recordings mine manages (their audio may be deleted by mine)."""
    return [Path(p) for (p,) in db.execute("SELECT path FROM managed_dirs")]


def add_managed_dir(db: sqlite3.Connection, folder: Path) -> None:
    """Declare that mine manages the recordings in ``folder``."""
    db.execute("INSERT OR IGNORE INTO managed_dirs VALUES (?)", (str(folder.resolve()),))


def register_for_calls(workspace: Path, terms_meta: dict, stage: str, paths: list[Path]) -> None:
    """Register files built from many calls (term tables, gap tables, reports) under each call.

    ``mine forget`` then removes them with the call; the next ``mine run`` rebuilds them without it.
    """
    call_ids = [s["call_id"] for s in terms_meta.get("sources", []) if s.get("call_id")]
    if not call_ids:
        return
    with open_state(workspace) as db:
        for call_id in call_ids:
            register_outputs(db, call_id, stage, paths)
