"""``run_pipeline`` (``mine run``): consent → transcribe (redacted) → terms → crawl → gap → report,
for whatever is new, resumable and safe to start from cron.

Each stage's input and options are hashed; a stage whose hashes match its last successful run
(and whose outputs exist) is skipped. Outputs are written atomically before the state says they
are done, so a run killed at any moment is completed by the next one without duplicates.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.clock import now
from pipeline.config import Settings, options_dict
from pipeline.consent import conversations_in
from pipeline.errors import ConfigError, MineError
from pipeline.files import FileIdentity, one_line, quote, remove_partials
from pipeline.progress import ProgressCallback, ignore
from pipeline.records import AUDIO_SUFFIXES
from pipeline.state import (
    TermAnalyses,
    add_managed_dir,
    cached_hash,
    conversation_dates,
    normal_path,
    open_state,
    output_owners,
    record_stage,
    remember_hash,
    set_stage_input,
    stage_row,
    stage_rows,
    workspace_lock,
)
from pipeline.state import recordings as state_recordings
from terms.analyze import ANALYSIS

STAGES = ("transcribe", "terms", "crawl", "gap", "report")
#: Bumped when the questions (terms.json's, questions.json) change: terms and gap run again.
QUESTIONS = "questions-1"


@dataclass
class StageCounts:
    """Per stage: how many items were done, skipped (nothing changed) or failed."""

    done: int = 0
    skipped: int = 0
    failed: int = 0


@dataclass
class RunResult:
    """What one ``mine run`` did."""

    stages: dict[str, StageCounts] = field(
        default_factory=lambda: {s: StageCounts() for s in STAGES}
    )
    left_out: list[dict[str, str]] = field(default_factory=list)
    report: str = ""
    log: str = ""
    warnings: list[str] = field(default_factory=list)
    retention_deleted: int = 0
    #: With ``--cluster``: recordings each worker processed (its address -> count).
    workers: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 all done, 1 some items failed."""
        return 1 if any(c.failed for c in self.stages.values()) else 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON summary printed by ``mine run``."""
        return {
            "ok": self.exit_code == 0,
            "stages": {k: asdict(v) for k, v in self.stages.items()},
            "left_out": self.left_out,
            "report": self.report,
            "log": self.log,
            "warnings": self.warnings,
            "retention_deleted": self.retention_deleted,
            **({"workers": self.workers} if self.workers else {}),
        }


def _digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


class _Log:
    """The run's own log file in ``WORKSPACE/logs``: one line per event, flushed as it goes."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"run-{datetime.now(UTC):%Y%m%dT%H%M%S}-{os.getpid()}.log"
        self.fh = self.path.open("a", encoding="utf-8")

    def __call__(self, message: str) -> None:
        self.fh.write(f"{now()} {one_line(message)}\n")
        self.fh.flush()

    def close(self) -> None:
        self.fh.close()


def _file_hash(db: sqlite3.Connection, path: Path) -> str:
    """sha256 of a file, cached by its identity: unchanged recordings are not read again."""
    return _hasher(db)(path)[0]


def _hasher(db: sqlite3.Connection) -> Callable[[Path], tuple[str, FileIdentity]]:
    """The consent gate's hasher with the workspace's cache of file hashes.

    A cached hash is used only while the file's inode, size, mtime and ctime are unchanged;
    any write or replacement changes one of them, so the gate still sees the bytes as they are.
    """
    from pipeline.consent import default_hasher

    def hasher(path: Path) -> tuple[str, FileIdentity]:
        real = Path(normal_path(path))
        try:
            identity = FileIdentity.of(real.stat())
        except OSError:
            return default_hasher(real)  # says why it cannot be read
        sha = cached_hash(db, real, identity)
        if sha is None:
            sha, identity = default_hasher(real)
            remember_hash(db, real, identity, sha)
        return sha, identity

    return hasher


def _done(
    db: sqlite3.Connection, item: str, stage: str, input_hash: str, options_hash: str
) -> bool:
    row = stage_row(db, item, stage)
    if (
        not row
        or row.status != "done"
        or (row.input_hash, row.options_hash)
        != (
            input_hash,
            options_hash,
        )
    ):
        return False
    return all(Path(p).exists() for p in row.outputs)


def run_pipeline(
    recordings: Path,
    *,
    site: str | None,
    settings: Settings,
    force: bool = False,
    on_progress: ProgressCallback = ignore,
) -> RunResult:
    """Run every stage for what is new or changed; skip the rest ("nothing changed").

    Args:
        recordings: folder of recordings (with consent sidecars or a consent.csv).
        site: the company website URL or a site export folder (``None``: no crawl, gap or report).
        settings: resolved settings; outputs go into ``settings.workspace``.
        force: rerun every stage even if nothing changed.
        on_progress: receives progress events.

    Raises:
        ConfigError: the recordings folder is missing, or another run holds the workspace.
    """
    if not recordings.is_dir():
        raise ConfigError(
            f"{recordings}: recordings folder not found; pass the folder with the "
            "recordings and their consent records"
        )
    result = RunResult()
    ws = settings.workspace
    with workspace_lock(ws, result.warnings):
        log = _Log(ws / "logs")
        result.log = str(log.path)
        try:
            _run(recordings, site, settings, force, result, log, on_progress)
        finally:
            for w in result.warnings:
                log(f"warning: {w}")
            log(f"finished: {json.dumps({k: asdict(v) for k, v in result.stages.items()})}")
            log.close()
    return result


def _run(
    recordings: Path,
    site: str | None,
    settings: Settings,
    force: bool,
    result: RunResult,
    log: _Log,
    on_progress: ProgressCallback,
) -> None:
    from pipeline.rights import enforce_retention

    ws = settings.workspace
    removed = remove_partials(ws)
    if removed:
        result.warnings.append(f"removed {removed} partial file(s) left by an interrupted run")
    log(f"run: recordings {recordings}, site {site}, workspace {ws}, force {force}")
    with open_state(ws) as db:
        add_managed_dir(db, recordings)
    retention = enforce_retention(settings=settings)
    result.retention_deleted = sum(i.deleted for i in retention)
    for item in retention:
        log(f"retention: deleted audio {quote(item.path)} (kept until {item.retain_audio_until})")

    if site and not settings.transcribe.own_names and _site_name(site):
        # The rep names the own company; the site's host name is the best guess of it.
        own = replace(settings.transcribe, own_names=(_site_name(site),))
        settings = replace(settings, transcribe=own)
    with open_state(ws) as db:
        transcripts = _stage_transcribe(db, recordings, settings, force, result, log, on_progress)
        terms_dir = _stage_terms(db, transcripts, settings, force, result, log)
        if terms_dir:
            _record_conversations(db, terms_dir / "terms.json")
        pages_dir = _stage_crawl(db, site, settings, force, result, log) if site else None
        gap_dir = (
            _stage_gap(db, terms_dir, pages_dir, settings, force, result, log)
            if terms_dir and pages_dir
            else None
        )
        trends = _write_trends(settings, terms_dir, log) if terms_dir else None
        if gap_dir:
            _stage_report(db, gap_dir, settings, force, result, log, trends)


_GENERIC_HOST_PARTS = {"www", "shop", "online", "site", "info", "home", "web", "app", "the"}


def _site_name(site: str) -> str:
    """The company name a website's host suggests: ``www.northwind-heating.com`` → northwind heating."""
    from urllib.parse import urlsplit

    from pipeline.sitenames import generic

    if "://" not in site:
        return ""
    try:
        host = (urlsplit(site).hostname or "").lower()
    except ValueError:  # "http://[::1/": no host to read
        return ""
    if not host or host.replace(".", "").isdigit() or host == "localhost":
        return ""
    labels = host.split(".")[:-1] or host.split(".")
    words = [w for label in labels for w in label.split("-") if w and w not in _GENERIC_HOST_PARTS]
    name = " ".join(w for w in words if len(w) >= 3)
    # an ordinary word ("www.systeem.nl") is no name: it would hide the site's own vocabulary
    return "" if generic(name) else name


@dataclass(frozen=True)
class _Todo:
    """A recording this run transcribes: its path, its stage item and input hash."""

    path: Path
    item: str
    input_hash: str


def _stage_transcribe(
    db: sqlite3.Connection,
    recordings: Path,
    settings: Settings,
    force: bool,
    result: RunResult,
    log: _Log,
    on_progress: ProgressCallback,
) -> list[Path]:
    hasher = _hasher(db)
    todo = _transcriptions_to_do(db, recordings, settings, force, result, log, hasher)
    if todo:
        from transcribe.api import transcribe_files  # the models: only when there is work

        started = now()
        report = transcribe_files(
            [t.path for t in todo],
            settings=settings,
            out_dir=settings.workspace / "transcripts",
            on_progress=on_progress,
            hasher=hasher,
            lock=False,  # this run holds the workspace
            cluster=settings.run.cluster,
        )
        for worker, n in report.workers.items():
            result.workers[worker] = result.workers.get(worker, 0) + n
            log(f"transcribe: worker {worker} processed {n} recording(s)")
        opts_hash = _transcribe_options_hash(settings, report.model.get("sha256"))
        for t, r in zip(todo, report.results, strict=True):
            _record_transcription(db, t, r, opts_hash, started, result, log)
    return _transcripts_done(db)


def _transcribe_options_hash(settings: Settings, model_sha: str | None = None) -> str:
    """What the transcription options and the models make of the transcripts."""
    from transcribe.diarize import diarization_label
    from transcribe.models import resolve_model

    opts = settings.transcribe
    model_sha = model_sha or resolve_model(opts.model, cache_dir=settings.cache_dir).sha256
    if settings.roles.reps:  # the staff list decides roles: a new list, new roles
        return _digest(options_dict(opts), model_sha, diarization_label(opts), settings.roles.reps)
    return _digest(options_dict(opts), model_sha, diarization_label(opts))


def _transcriptions_to_do(
    db: sqlite3.Connection,
    recordings: Path,
    settings: Settings,
    force: bool,
    result: RunResult,
    log: _Log,
    hasher: Callable[[Path], tuple[str, FileIdentity]],
) -> list[_Todo]:
    """The gate for every recording of the folder, and which of them changed since last run."""
    from pipeline.consent import check

    counts = result.stages["transcribe"]
    opts_hash = ""  # once per run: asking which speaker model is installed is slow
    todo: list[_Todo] = []
    seen: dict[str, Path] = {}
    found = _recordings_in(recordings, frozenset(output_owners(db)))
    instead = _same_conversation(found)
    for path in found:
        if path in instead:  # a recording and a transcript of one conversation: the recording
            counts.skipped += 1
            log(
                f"transcribe: skipping {path.name}: the recording {instead[path].name} of the "
                f"same conversation is used instead ({quote(path)})"
            )
            continue
        item = normal_path(path)  # stages are kept per recording, by its real path
        if item in seen:  # a link to a recording of this folder: the same recording
            counts.skipped += 1
            log(
                f"transcribe: skipping {path.name}: the same recording as {quote(seen[item])} "
                f"({quote(path)})"
            )
            continue
        seen[item] = path
        status = check(path, hasher=hasher)
        if not status.ok or status.consent is None:
            counts.failed += 1
            result.left_out.append({"file": path.name, "reason": status.reason})
            record_stage(
                db,
                item,
                "transcribe",
                input_hash=None,
                options_hash=None,
                status="failed",
                reason=status.reason,
            )
            log(f"transcribe: left out {path.name}: {status.reason} ({quote(item)})")
            continue
        opts_hash = opts_hash or _transcribe_options_hash(settings)
        # the bytes and the consent record they were transcribed under: a corrected record
        # (other participants to redact, another retention date) transcribes again
        input_hash = _digest(status.call_id, status.consent.record_sha256)
        if not force and _done(db, item, "transcribe", status.call_id or "", opts_hash):
            # done by a release that hashed the bytes alone: taken as is, once
            set_stage_input(db, item, "transcribe", input_hash)
        if not force and _done(db, item, "transcribe", input_hash, opts_hash):
            counts.skipped += 1
            log(f"transcribe: skipping {path.name}: nothing changed ({quote(item)})")
            continue
        todo.append(_Todo(path, item, input_hash))
    return todo


def _record_transcription(
    db: sqlite3.Connection,
    todo: _Todo,
    r: Any,
    opts_hash: str,
    started: str,
    result: RunResult,
    log: _Log,
) -> None:
    """Record one recording's transcription (a ``FileResult``) in the stages and the log."""
    counts, name, item = result.stages["transcribe"], todo.path.name, todo.item
    if r.ok:
        counts.done += 1
        record_stage(
            db,
            item,
            "transcribe",
            input_hash=todo.input_hash,
            options_hash=opts_hash,
            status="done",
            outputs=list(r.outputs),
            started=started,
        )
        log(f"transcribe: done {name} -> {', '.join(map(quote, r.outputs))} ({quote(item)})")
    else:
        counts.failed += 1
        result.left_out.append({"file": name, "reason": r.error})
        record_stage(
            db,
            item,
            "transcribe",
            input_hash=todo.input_hash,
            options_hash=opts_hash,
            status="failed",
            reason=r.error,
            started=started,
        )
        log(f"transcribe: failed {name}: {r.error} ({quote(item)})")


def _transcripts_done(db: sqlite3.Connection) -> list[Path]:
    """Every transcript JSON of a recording done, also of recordings whose audio is gone
    (retention deleted it)."""
    jsons = []
    for row in stage_rows(db, "transcribe"):
        if row.status != "done":
            continue
        for p in row.outputs:
            if p.endswith(".json") and not p.endswith(".raw.json") and Path(p).exists():
                jsons.append(Path(p))
    return sorted(set(jsons))


def _recordings_in(folder: Path, owned: frozenset[str] = frozenset()) -> list[Path]:
    """The recordings and other tools' transcripts directly in ``folder`` (not mine's own
    outputs, nor the files the workspace registered as outputs, ``owned``): files first, then
    links (the gate resolves them)."""
    found = conversations_in(folder, skip=owned)
    return sorted(found, key=lambda p: (p.is_symlink(), p.name))


def _conversation_key(path: Path) -> str:
    """What names one conversation in a folder: the name without its ending (``visit`` for
    ``visit.m4a`` and ``visit.vtt``; ``visit.m4a.vtt`` is a transcript of ``visit.m4a``)."""
    return path.stem.casefold()


def _same_conversation(paths: list[Path]) -> dict[Path, Path]:
    """Transcript files → the recording of the same conversation, which is used instead."""
    recordings: dict[str, Path] = {}
    for p in paths:
        if p.suffix.lower() in AUDIO_SUFFIXES:
            recordings.setdefault(_conversation_key(p), p)
            recordings.setdefault(p.name.casefold(), p)
    return {
        p: recordings[_conversation_key(p)]
        for p in paths
        if p.suffix.lower() not in AUDIO_SUFFIXES and _conversation_key(p) in recordings
    }


def _corpus_stage(
    db: sqlite3.Connection,
    stage: str,
    input_hash: str,
    opts_hash: str,
    *,
    force: bool,
    result: RunResult,
    log: _Log,
    work: Callable[[], tuple[list[str], str]],
    fresh: bool | None = None,
) -> bool:
    """Skip, run or record the failure of one whole-corpus stage; True unless it failed.

    ``work`` does the stage and returns its output files and a note for the log. A stage is
    skipped when ``fresh`` (default: its last run had the same input and options and its outputs
    exist), unless ``force``.
    """
    counts = result.stages[stage]
    if fresh is None:
        fresh = _done(db, "corpus", stage, input_hash, opts_hash)
    if not force and fresh:
        counts.skipped += 1
        log(f"{stage}: skipping: nothing changed")
        return True
    started = now()
    try:
        outputs, note = work()
    except MineError as exc:
        counts.failed += 1
        record_stage(
            db,
            "corpus",
            stage,
            input_hash=input_hash,
            options_hash=opts_hash,
            status="failed",
            reason=str(exc),
            started=started,
        )
        log(f"{stage}: failed: {exc}")
        return False
    counts.done += 1
    record_stage(
        db,
        "corpus",
        stage,
        input_hash=input_hash,
        options_hash=opts_hash,
        status="done",
        outputs=outputs,
        started=started,
    )
    log(f"{stage}: done, {note}")
    return True


def _stage_terms(
    db: sqlite3.Connection,
    transcripts: list[Path],
    settings: Settings,
    force: bool,
    result: RunResult,
    log: _Log,
) -> Path | None:
    out = settings.workspace / "terms"
    if not transcripts:
        log("terms: no transcripts yet")
        return None
    input_hash = _digest([(str(p), _file_hash(db, p)) for p in transcripts])
    opts_hash = _digest(options_dict(settings.terms), ANALYSIS, QUESTIONS)

    def work() -> tuple[list[str], str]:
        from terms.api import extract_terms  # heavy (scikit-learn, pandas): only when there is work

        # each conversation's analysis is kept: only new or changed transcripts are analysed
        store = TermAnalyses(db)
        report = extract_terms(transcripts, settings=settings, out_dir=out, store=store)
        pruned = store.prune()
        result.left_out.extend({"file": Path(f).name, "reason": e} for f, e in report.failed)
        return list(report.outputs), (
            f"{len(report.rows)} terms ({report.analysed} conversations analysed, "
            f"{report.reused} kept from earlier runs, {pruned} stale analyses dropped)"
        )

    ok = _corpus_stage(
        db, "terms", input_hash, opts_hash, force=force, result=result, log=log, work=work
    )
    return out if ok else None


def _stage_crawl(
    db: sqlite3.Connection, site: str, settings: Settings, force: bool, result: RunResult, log: _Log
) -> Path | None:
    out = settings.workspace / "site"
    folder = Path(site)
    target = str(folder.resolve()) if folder.is_dir() else site
    opts_hash = _digest(target, options_dict(settings.crawl))
    if folder.is_dir():
        input_hash = _digest(
            sorted(
                (str(p), p.stat().st_size, p.stat().st_mtime_ns)
                for p in folder.rglob("*")
                if p.is_file()
            )
        )
        fresh = _done(db, "corpus", "crawl", input_hash, opts_hash)
    else:
        # a website changes by itself: re-crawl (incrementally) once the last crawl is max_age old
        input_hash = "web"
        row = stage_row(db, "corpus", "crawl")
        age_h = (
            (datetime.now(UTC) - datetime.fromisoformat(row.finished_at)).total_seconds() / 3600
            if row and row.finished_at
            else None
        )
        fresh = (
            age_h is not None
            and age_h < settings.crawl.max_age
            and _done(db, "corpus", "crawl", input_hash, opts_hash)
        )

    def work() -> tuple[list[str], str]:
        from crawl import crawl_site

        try:
            report = crawl_site(site, out_dir=out, options=settings.crawl)
        except MineError as exc:
            result.left_out.append({"file": site, "reason": str(exc)})
            raise
        return list(report.outputs), f"{len(report.pages)} pages"

    if _corpus_stage(
        db,
        "crawl",
        input_hash,
        opts_hash,
        force=force,
        fresh=fresh,
        result=result,
        log=log,
        work=work,
    ):
        return out
    pages = out / "pages.jsonl"  # a failed crawl keeps what it fetched: compare with that
    return out if pages.is_file() and pages.stat().st_size else None


def _stage_gap(
    db: sqlite3.Connection,
    terms_dir: Path,
    pages_dir: Path,
    settings: Settings,
    force: bool,
    result: RunResult,
    log: _Log,
) -> Path | None:
    out = settings.workspace / "gap"
    inputs = [terms_dir / "terms.json", pages_dir / "pages.jsonl"]
    if not all(p.is_file() for p in inputs):
        return None
    # what the pages say, not when they were fetched: a re-crawl of an unchanged site changes nothing
    input_hash = _digest(
        _file_hash(db, inputs[0]), _pages_seen(db, inputs[1]), _site_names(pages_dir / "crawl.json")
    )
    opts_hash = _digest(
        options_dict(settings.terms), settings.transcribe.own_names, ANALYSIS, QUESTIONS
    )

    def work() -> tuple[list[str], str]:
        from terms.gap import analyze_gap

        report = analyze_gap(terms_dir, pages_dir, settings=settings, out_dir=out)
        result.warnings.extend(report.meta["warnings"])
        _record_gap(db, report, pages_dir / "pages.jsonl")
        return list(report.outputs), f"{len(report.rows)} rows"

    ok = _corpus_stage(
        db, "gap", input_hash, opts_hash, force=force, result=result, log=log, work=work
    )
    return out if ok else None


def _record_conversations(db: sqlite3.Connection, terms_json: Path) -> None:
    """Keep each conversation of the corpus with its recording date (the history the trends
    are computed from). A transcript made before dates were kept has none: its recording's
    date is found again by the same rules (``_date_again``)."""
    from pipeline.state import ConversationDate, put_conversations

    try:
        sources = json.loads(terms_json.read_text(encoding="utf-8"))["meta"]["sources"]
    except (OSError, ValueError, KeyError, TypeError):
        return  # no readable terms.json: the history keeps what it had
    paths = {r.call_id: r.path for r in state_recordings(db)}
    known = {c.call_id: c for c in conversation_dates(db)}
    rows = []
    for s in sources if isinstance(sources, list) else []:
        if not isinstance(s, dict) or not isinstance(s.get("call_id"), str):
            continue
        call_id = s["call_id"]
        recorded = s.get("recorded_at") if isinstance(s.get("recorded_at"), str) else ""
        source = s.get("recorded_at_source") if isinstance(s.get("recorded_at_source"), str) else ""
        if not recorded and call_id in known and known[call_id].recorded_at:
            recorded, source = known[call_id].recorded_at, known[call_id].recorded_at_source
        elif not recorded and call_id in paths:
            recorded, source = _date_again(Path(paths[call_id]))
        seconds = s.get("customer_seconds")
        rows.append(
            ConversationDate(
                call_id,
                recorded,
                source,
                str(s.get("language") or ""),
                float(seconds) if isinstance(seconds, int | float) else 0.0,
            )
        )
    put_conversations(db, rows)


def _date_again(path: Path) -> tuple[str, str]:
    """The recording date of a recording whose transcript has none (made before dates were
    kept): its consent record's, a date in its head (a transcript file), its media tag (a
    recording), its modification time; ("", "") when the file is gone."""
    from pipeline.consent import admit
    from pipeline.dates import recording_date

    try:
        mtime_ns = os.stat(path).st_mtime_ns
    except OSError:
        return "", ""
    consent = transcript = media = None
    try:
        consent = admit(path).consent.recorded_at
    except MineError:
        pass  # no valid record now: the other sources still tell
    if path.suffix.lower() in AUDIO_SUFFIXES:
        from transcribe.audio import media_created

        media = media_created(path)
    else:
        from pipeline.formats import FOREIGN_CAP, parse
        from pipeline.reading import read_bounded

        try:
            raw = read_bounded(path, cap=FOREIGN_CAP, fix="", too_large="")
            transcript = parse(raw, path).recorded_on
        except (MineError, OSError, ValueError):
            transcript = None
    return recording_date(consent=consent, transcript=transcript, media=media, mtime_ns=mtime_ns)


def _record_gap(db: sqlite3.Connection, report: Any, pages_jsonl: Path) -> None:
    """Keep this gap run's snapshot: every term's and question's status and page, the calls
    that said them, and each page's content hash at the crawl."""
    from pipeline.state import GapState, add_gap_snapshot, add_pages, term_analyses_of

    said: dict[str, set[str]] = {}
    for call_id, data in term_analyses_of(db):
        for key, entry in (data.get("terms") or {}).items() if isinstance(data, dict) else ():
            if isinstance(entry, list) and len(entry) == 5 and entry[2]:
                said.setdefault(key, set()).add(call_id)
    pages: list[tuple[str, str, list[str]]] = []
    uses: dict[str, list[str]] = {}  # page -> the customer terms it uses
    for g in report.data.gaps:
        for m in g.site_pages:
            uses.setdefault(m.url, []).append(g.key or g.term)
    crawl_at = ""
    try:
        with pages_jsonl.open(encoding="utf-8") as lines:
            for line in lines:
                row = json.loads(line) if line.strip() else None
                if isinstance(row, dict) and isinstance(row.get("url"), str):
                    url = row["url"]
                    pages.append((url, str(row.get("content_hash") or ""), uses.get(url, [])))
                    crawl_at = max(crawl_at, str(row.get("fetched_at") or ""))
    except (OSError, ValueError):
        pass
    rows = [
        GapState(
            "term",
            g.key or g.term,
            g.language,
            g.status,
            g.site_pages[0].url if g.site_pages else "",
            tuple(sorted(said.get(g.key, ()))),
        )
        for g in report.data.gaps
    ]
    rows += [
        GapState(
            "question",
            q.key,
            q.language,
            q.status,
            q.answer_url if q.status == "answered" else q.suggested_page,
            q.calls,
        )
        for q in (report.asked.questions if report.asked else ())
        if q.key
    ]
    add_gap_snapshot(db, now(), crawl_at, rows)
    if crawl_at:
        add_pages(db, crawl_at, pages)


def _pages_seen(db: sqlite3.Connection, pages_jsonl: Path) -> object:
    """What the pages say (address, text hash, title, headings, language, FAQ entries), in a
    stable order; a pages.jsonl mine cannot read is taken by its bytes, and ``analyze_gap``
    names the fault."""
    try:
        with pages_jsonl.open(encoding="utf-8") as lines:
            return sorted(
                json.dumps(
                    [p.get(k) for k in ("url", "content_hash", "title", "headings", "lang", "faq")],
                    sort_keys=True,
                )
                for p in (json.loads(line) for line in lines if line.strip())
            )
    except (ValueError, AttributeError):  # not UTF-8, not JSON, a row that is not an object
        return _file_hash(db, pages_jsonl)


def _site_names(crawl_json: Path) -> object:
    """The site's own names as crawl.json records them (they change the jargon table)."""
    try:
        return json.loads(crawl_json.read_text(encoding="utf-8")).get("own_names")
    except (OSError, ValueError, AttributeError):
        return None


def _write_trends(settings: Settings, terms_dir: Path, log: _Log) -> dict[str, Any] | None:
    """Write trends.json and trends.csv (every run: they are recomputed from the history,
    quickly); their data for the report, or None when they cannot be made."""
    from pipeline.state import register_for_calls
    from terms.trends import from_workspace, write_trends

    try:
        trends = from_workspace(settings)
        made = write_trends(trends, settings.workspace)
        meta = json.loads((terms_dir / "terms.json").read_text(encoding="utf-8"))["meta"]
    except (MineError, OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
        log(
            f"trends: not written ({type(exc).__name__}: {one_line(str(exc))}); the history in "
            f"{settings.workspace / 'state.db'} may be damaged: move it aside to start anew"
        )
        return None
    # built from every conversation: forget removes them, the next run makes them again
    register_for_calls(settings.workspace, meta, "trends", made)
    log(f"trends: {len(trends.periods)} periods -> {', '.join(map(quote, map(str, made)))}")
    return trends.data


def _stage_report(
    db: sqlite3.Connection,
    gap_dir: Path,
    settings: Settings,
    force: bool,
    result: RunResult,
    log: _Log,
    trends: dict[str, Any] | None = None,
) -> None:
    out = settings.workspace / "report.html"
    briefs = settings.workspace / "briefs"
    asked = gap_dir / "questions.json"
    input_hash = _digest(
        _file_hash(db, gap_dir / "gap.json"),
        _file_hash(db, asked) if asked.is_file() else None,
        result.left_out,
        trends,
    )
    opts_hash = _digest("report-3")
    result.report = str(out)

    def work() -> tuple[list[str], str]:
        from reports.brief import write_briefs
        from reports.html import render_report

        render_report(gap_dir, out=out, settings=settings, left_out=result.left_out, trends=trends)
        written = write_briefs(gap_dir, out=briefs, settings=settings)
        return [str(out), *written.outputs], f"{out}, {written.pages} page briefs"

    _corpus_stage(
        db, "report", input_hash, opts_hash, force=force, result=result, log=log, work=work
    )


def status(recordings: Path | None, *, settings: Settings) -> dict[str, Any]:
    """What is pending, failed and done in a workspace (``mine status``)."""
    ws = settings.workspace
    if not ws.is_dir():
        raise ConfigError(
            f"{ws}: no mine workspace here ({'not a folder' if ws.exists() else 'not found'}); "
            "pass the --workspace that mine run used"
        )
    if recordings is not None and not recordings.is_dir():
        raise ConfigError(
            f"{recordings}: recordings folder not found; pass the folder mine run reads"
        )
    db_path = ws / "state.db"
    rows: list[tuple] = []
    calls: dict[str, str] = {}
    owned: frozenset[str] = frozenset()
    if db_path.is_file():
        with open_state(ws) as db:
            owned = frozenset(output_owners(db))
            rows = [(r.item, r.stage, r.status, r.reason, r.finished_at) for r in stage_rows(db)]
            for rec in sorted(state_recordings(db), key=lambda r: r.transcribed_at or ""):
                calls[rec.path] = rec.call_id  # the latest recording at each path
    known = {(r[0], r[1]): r for r in rows}
    items = []
    if recordings is not None and recordings.is_dir():
        found = _recordings_in(recordings, owned)
        instead = _same_conversation(found)
        for p in found:
            r = known.get((normal_path(p), "transcribe")) or known.get((p.name, "transcribe"))
            if p in instead:  # never transcribed itself: the recording stands for it
                r = (p.name, "transcribe", "skipped", f"{instead[p].name} is used instead", None)
            items.append(
                {
                    "file": p.name,
                    "status": r[2] if r else "pending",
                    "reason": r[3] if r else "",
                    "at": r[4] if r else None,
                    "call_id": calls.get(normal_path(p)),
                }
            )
    else:
        items = [
            {
                "file": Path(r[0]).name,
                "status": r[2],
                "reason": r[3],
                "at": r[4],
                "call_id": calls.get(r[0]),
            }
            for r in rows
            if r[1] == "transcribe"
        ]
    corpus = {r[1]: {"status": r[2], "reason": r[3], "at": r[4]} for r in rows if r[0] == "corpus"}
    counts = {s: sum(i["status"] == s for i in items) for s in ("pending", "done", "failed")}
    return {
        "workspace": str(settings.workspace),
        "recordings": items,
        "counts": counts,
        "stages": corpus,
    }
