"""``transcribe_files``: the consent-gated transcription of a batch of recordings, in process.

It composes the three phases of ``transcribe/phases.py``: admit the batch, process each
admitted recording with the models of this process, persist each result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import av

from pipeline.config import Settings
from pipeline.consent import Hasher
from pipeline.errors import MineError, ModelError
from pipeline.progress import ProgressCallback, ProgressEvent, ignore
from pipeline.state import workspace_lock
from transcribe.engine import Transcriber
from transcribe.models import resolve_model
from transcribe.phases import (
    Engines,
    FileResult,
    Job,
    admit_batch,
    persist,
    process_one,
)

__all__ = ["FileResult", "TranscribeReport", "transcribe_files"]


@dataclass(frozen=True)
class TranscribeReport:
    """The outcome of one ``transcribe_files`` call."""

    results: tuple[FileResult, ...]
    model: dict[str, str] = field(default_factory=dict)
    workers: dict[str, int] = field(default_factory=dict)  # on a cluster: recordings per worker

    @property
    def ok(self) -> bool:
        """True only if every file was transcribed."""
        return all(r.ok for r in self.results)

    def to_dict(self) -> dict:
        """JSON summary for ``--json``."""
        return {
            "ok": self.ok,
            "transcribed": sum(r.ok for r in self.results),
            "failed": sum(not r.ok for r in self.results),
            "model": self.model,
            "files": [r.__dict__ for r in self.results],
        }


def _probe_duration(path: Path) -> float:
    """The duration a container declares (header only; 0 if unknown or unreadable)."""
    try:
        with av.open(str(path), metadata_errors="ignore") as c:
            return c.duration / av.time_base if c.duration else 0.0
    except (av.error.FFmpegError, ValueError, OSError):
        return 0.0


def transcribe_files(
    paths: list[Path],
    *,
    settings: Settings,
    out_dir: Path | None = None,
    on_progress: ProgressCallback = ignore,
    transcriber: Transcriber | None = None,
    hasher: Hasher | None = None,
    lock: bool = True,
    cluster: str = "",
) -> TranscribeReport:
    """Transcribe recordings that pass the consent gate; one model load for the whole batch.

    A file without valid consent for its bytes is refused before any audio is decoded, and its
    refusal is written to the workspace's audit log. A bad file is reported and the rest go on.

    Args:
        paths: recordings to transcribe.
        settings: resolved settings (model, language, formats, workspace).
        out_dir: where outputs go; default next to each recording.
        on_progress: receives ``ProgressEvent``s (audio seconds, per-file results).
        transcriber: a loaded ``Transcriber`` to reuse (e.g. in ``mine run``).
        hasher: how recordings are hashed for the gate (``mine run`` caches hashes).
        lock: share the workspace lock while working, so ``mine forget`` waits for no
            half-registered transcript (``mine run`` holds the workspace itself: False).
        cluster: process on a Dask cluster (``local:N`` or a scheduler's address; see
            ``transcribe.cluster``) instead of in this process; admission and persistence stay
            here.

    Returns:
        One ``FileResult`` per input, in input order.

    Raises:
        ModelError: the model cannot be loaded (no file can be transcribed then).
        OutputError: the audit log cannot be written.
        ConfigError: a ``mine run`` or ``mine forget`` holds the workspace.
        ClusterError: the cluster cannot be reached, or Dask is not installed.

    Example:
        >>> report = transcribe_files([Path("visit-acme.m4a")], settings=load_settings())
    """
    args = (paths, settings, out_dir, on_progress, transcriber, hasher, cluster)
    if not lock:
        return _transcribe_files(*args)
    with workspace_lock(settings.workspace, [], shared=True):
        return _transcribe_files(*args)


def _transcribe_files(
    paths: list[Path],
    settings: Settings,
    out_dir: Path | None,
    on_progress: ProgressCallback,
    transcriber: Transcriber | None,
    hasher: Hasher | None,
    cluster: str,
) -> TranscribeReport:
    jobs, results = admit_batch(paths, settings=settings, out_dir=out_dir, hasher=hasher)
    if cluster and jobs:
        return _on_cluster(jobs, results, len(paths), settings, on_progress, cluster)
    engines = None
    if any(not j.is_transcript for j in jobs):  # transcripts of other tools need no model

        def status(message: str) -> None:
            on_progress(ProgressEvent("status", message=message))

        engines = Engines(
            settings.transcribe,
            cache_dir=settings.cache_dir,
            on_status=status,
            transcriber=transcriber,
        )
    if jobs:
        results.update(_process_all(jobs, engines, settings, on_progress))
    model = {}
    if engines is not None:
        info = engines.transcriber.model_info
        model = {"name": info.name, "sha256": info.sha256, "source": info.source}
    return TranscribeReport(tuple(results[i] for i in range(len(paths))), model)


def _on_cluster(
    jobs: list[Job],
    results: dict[int, FileResult],
    count: int,
    settings: Settings,
    on_progress: ProgressCallback,
    cluster: str,
) -> TranscribeReport:
    """The admitted jobs processed on a Dask cluster, persisted here as each one finishes."""
    from transcribe.cluster import connect, process_on_cluster

    model: dict[str, str] = {}
    if any(not j.is_transcript for j in jobs):  # the workers must hold this very model
        resolved = resolve_model(settings.transcribe.model, cache_dir=settings.cache_dir)
        model = {
            "name": settings.transcribe.model,
            "sha256": resolved.sha256,
            "source": resolved.source,
        }
    progress = _Progress(jobs, on_progress)
    on_progress(ProgressEvent("status", message=f"connecting to the cluster {cluster}"))
    with connect(cluster) as client:
        outcome = process_on_cluster(
            jobs,
            client,
            settings=settings,
            model_sha=model.get("sha256", ""),
            persist=lambda job, processed: persist(job, processed, settings=settings),
            finished=progress.finished,
            local=cluster.startswith("local:"),
        )
    results.update(outcome.results)
    return TranscribeReport(tuple(results[i] for i in range(count)), model, outcome.workers)


class _Progress:
    """Seconds of audio done over the batch, as each recording advances."""

    def __init__(self, jobs: list[Job], on_progress: ProgressCallback) -> None:
        self.on_progress = on_progress
        self.seconds = {
            j.index: 0.0 if j.is_transcript else _probe_duration(j.admission.real) for j in jobs
        }
        self.total = sum(self.seconds.values())
        self.done = 0.0
        on_progress(ProgressEvent("total", total=self.total))

    def within(self, job: Job):  # noqa: ANN201 - a fraction callback
        """The callback for one recording's fraction done (0 to 1)."""
        base, span, item = self.done, self.seconds[job.index], str(job.admission.path)

        def advance(fraction: float) -> None:
            done = base + min(fraction, 1.0) * span
            self.on_progress(ProgressEvent("advance", done=done, total=self.total, item=item))

        return advance

    def finished(self, job: Job, result: FileResult) -> None:
        """One recording is done, well or not."""
        item = str(job.admission.path)
        self.done += self.seconds[job.index]
        self.on_progress(ProgressEvent("advance", done=self.done, total=self.total, item=item))
        self.on_progress(ProgressEvent("result", item=item, ok=result.ok, message=result.error))


def _process_all(
    jobs: list[Job], engines: Engines | None, settings: Settings, on_progress: ProgressCallback
) -> dict[int, FileResult]:
    """Process and persist each admitted recording in turn; a bad one does not stop the rest."""
    progress = _Progress(jobs, on_progress)
    results: dict[int, FileResult] = {}
    for job in jobs:
        path = job.admission.path
        on_progress(ProgressEvent("status", item=str(path), message=f"transcribing {path.name}"))
        try:
            processed = process_one(
                job,
                engines,
                on_fraction=progress.within(job),
                on_status=lambda m, item=str(path): on_progress(
                    ProgressEvent("status", item=item, message=m)
                ),
            )
            results[job.index] = persist(job, processed, settings=settings)
        except ModelError:
            raise
        except MineError as exc:
            results[job.index] = FileResult(str(path), False, str(exc), job.admission.call_id)
        progress.finished(job, results[job.index])
    return results
