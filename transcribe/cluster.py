"""*Process one* on a Dask cluster: the coordinator admits and persists, workers transcribe.

``mine run --cluster ADDRESS`` (or ``[run] cluster``) sends each admitted ``Job`` to a Dask
worker, which runs ``transcribe.phases.process_one`` with models loaded once per worker process
(``engines_for``) and returns the ``Processed`` record: redacted, the raw transcript only with
``--keep-raw``. Everything that is state or policy stays in the coordinator (the ``mine run``
process): the consent gate (a recording without valid consent is never submitted), the
workspace lock, ``state.db``, registration for erasure, atomic writes, the audit log.

- Audio reaches a worker by path (a shared recordings folder at the same path) or, with
  ``[run] ship_audio = true``, as bytes (held in an anonymous in-memory file). Either way the
  worker checks their sha256 against the call_id the gate hashed before anything is decoded,
  and decoding checks the file did not change since: audio replaced after the gate, or a
  different file at that path on the worker's machine, is refused. No copy of the audio is
  left on a worker's disk, even when the worker is killed.
- A worker's model must be the coordinator's (same sha256), or the task fails with a message
  naming both.
- Faults: a failure of the file itself (corrupt audio, no speech) comes back as that file's
  error and is not retried; a task that raises is retried once; a worker that dies holding a
  task costs that task a retry on another worker, and a task that takes two workers down is
  that recording's failure (``distributed.scheduler.allowed-failures`` = 1 in ``local:N``; an
  existing scheduler applies its own setting, 3 by default). The run goes on either way.

No more than two tasks per worker thread are in flight at once, so shipped audio and results
held in memory stay bounded by the cluster's size, not the batch's.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.config import Settings, TranscribeOptions, options_dict
from pipeline.errors import InputError, MineError, ModelError
from pipeline.files import FileIdentity
from transcribe.phases import FileResult, Job, Processed, engines_for, process_one

#: How long the coordinator waits for a scheduler to answer.
CONNECT_TIMEOUT_S = 10
#: Tasks in flight per worker thread.
IN_FLIGHT_PER_THREAD = 2
#: How often the coordinator looks whether the cluster still has workers while none finishes.
POLL_S = 1.0
_CHUNK = 1 << 20


class ClusterError(MineError):
    """The cluster cannot be used: unreachable, or the extra is not installed."""

    exit_code = 2


@dataclass
class ClusterOutcome:
    """Per job index, its result; and how many recordings each worker did."""

    results: dict[int, FileResult] = field(default_factory=dict)
    workers: dict[str, int] = field(default_factory=dict)


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ClusterError(
            "--cluster needs Dask: install the cluster extra, pip install 'mine[cluster]' "
            "(make installs it)"
        ) from None
    return distributed


@contextlib.contextmanager
def connect(address: str) -> Iterator[Any]:
    """A Dask ``Client`` for ``address``: ``local:N`` starts a LocalCluster of N single-threaded
    worker processes on 127.0.0.1 (closed afterwards); anything else is a scheduler's address.

    Raises:
        ClusterError: Dask is not installed, or the scheduler cannot be reached.
    """
    distributed = _distributed()
    import dask

    quiet = logging.getLogger("distributed")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # a refused connection is our one-line error, not a trace
    try:
        with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
            if address.startswith("local:"):
                # Dask sets its workers' variables (OMP_NUM_THREADS=1, MALLOC_TRIM_THRESHOLD_,
                # PYTHONHASHSEED, ...) in this process's environment to spawn them, and leaves
                # them: whatever this process starts later would inherit them
                saved = dict(os.environ)
                try:
                    cluster = distributed.LocalCluster(
                        n_workers=int(address.split(":", 1)[1]),
                        threads_per_worker=1,
                        processes=True,
                        host="127.0.0.1",
                        dashboard_address=None,
                        silence_logs=logging.CRITICAL,
                    )
                finally:
                    _restore(saved)
                try:
                    with distributed.Client(cluster, set_as_default=False) as client:
                        yield client
                finally:
                    cluster.close()
                    _restore(saved)  # a restarted worker sets them again
                return
            if address.startswith("tls://") and not _tls_configured(distributed):
                raise ClusterError(
                    f"{address}: a tls:// scheduler needs this machine's TLS certificate and "
                    "key in the Dask configuration (distributed.comm.tls: ca-file, client.cert, "
                    "client.key; or DASK_DISTRIBUTED__COMM__TLS__CA_FILE and so on); set them, "
                    "or use a tcp:// address"
                )
            try:
                client = distributed.Client(
                    address, timeout=CONNECT_TIMEOUT_S, set_as_default=False
                )
            except (OSError, TimeoutError, ValueError) as exc:
                raise ClusterError(
                    f"{address}: cannot reach the Dask scheduler ({type(exc).__name__}); start "
                    "one with `dask scheduler` and its workers with `dask worker "
                    f"{address} --nthreads 1`, or fix --cluster / [run] cluster"
                ) from None
            with client:
                yield client
    finally:
        quiet.setLevel(level)


def _restore(saved: dict[str, str]) -> None:
    """Put this process's environment back as ``saved``."""
    for key in [k for k in os.environ if k not in saved]:
        del os.environ[key]
    os.environ.update(saved)


def _tls_configured(distributed: Any) -> bool:
    """True if the Dask configuration gives a client a TLS context (else Client fails with a
    TypeError and a traceback from its destructor)."""
    args = distributed.security.Security().get_connection_args("client")
    return args.get("ssl_context") is not None


def _nthreads(client: Any) -> int:
    return max(1, sum(client.nthreads().values()))


def process_on_cluster(
    jobs: list[Job],
    client: Any,
    *,
    settings: Settings,
    model_sha: str,
    persist: Callable[[Job, Processed], FileResult],
    finished: Callable[[Job, FileResult], None],
    local: bool,
) -> ClusterOutcome:
    """Run ``process_one`` for every job on the cluster and ``persist`` each result here, in
    the order they finish; a failed recording is its ``FileResult``, the rest go on.

    ``local``: the workers share this machine's settings (``local:N``): they use its model
    cache; remote workers use their own (``MINE_CACHE_DIR`` or the default).
    """
    distributed = _distributed()
    ship = settings.run.ship_audio
    cache = str(settings.cache_dir) if local else None
    outcome = ClusterOutcome()
    by_key: dict[str, Job] = {}
    queue = iter(jobs)

    def fail(job: Job, message: str) -> None:
        result = FileResult(str(job.admission.path), False, message, job.admission.call_id)
        outcome.results[job.index] = result
        finished(job, result)

    def submit() -> Any | None:
        """The next job's future; a job whose audio cannot be read here fails at once."""
        while (job := next(queue, None)) is not None:
            audio = None
            if ship:
                try:
                    audio = job.admission.real.read_bytes()
                except OSError as exc:  # gone or unreadable since the gate
                    fail(
                        job,
                        f"{job.admission.path}: cannot be read to send it to the cluster "
                        f"({exc.strerror or type(exc).__name__}); nothing of it was used",
                    )
                    continue
            key = f"mine-transcribe-{job.index}-{job.admission.call_id}"
            by_key[key] = job
            return client.submit(work, job, audio, cache, model_sha, key=key, retries=1, pure=False)
        return None

    first = [submit() for _ in range(IN_FLIGHT_PER_THREAD * _nthreads(client))]
    pending = {f for f in first if f is not None}
    empty = (
        "no Dask worker was connected to the scheduler for "
        f"{settings.run.worker_wait} s; start workers (docs/scaling.md), then run again"
    )
    gave_up = False
    for future in _finishing(pending, client, distributed, settings.run.worker_wait):
        job = by_key.pop(future.key)
        path = job.admission.path
        if future.status == "pending":  # no worker to run it: the cluster is empty
            future.cancel()
            fail(job, f"{path}: {empty}")
            gave_up = True
            continue
        try:
            worker, value = future.result()
        except MineError as exc:  # a model that differs, twice
            result = FileResult(str(path), False, str(exc), job.admission.call_id)
        except CancelledError:  # the scheduler went away, or dropped it
            result = FileResult(
                str(path),
                False,
                f"{path}: the Dask scheduler dropped it (restarted or unreachable); run again",
                job.admission.call_id,
            )
        except distributed.KilledWorker:
            result = FileResult(
                str(path),
                False,
                f"{path}: the workers transcribing it died twice (killed, or out of memory); "
                "check the workers' logs and memory, then run again",
                job.admission.call_id,
            )
        except Exception as exc:  # noqa: BLE001 - any worker-side crash is this file's failure
            result = FileResult(
                str(path),
                False,
                f"{path}: failed on the cluster twice ({type(exc).__name__}: {exc}); "
                "check the workers' logs, then run again",
                job.admission.call_id,
            )
        else:
            outcome.workers[worker] = outcome.workers.get(worker, 0) + 1
            if isinstance(value, str):
                result = FileResult(str(path), False, value, job.admission.call_id)
            elif (problem := returned_problem(job, value)) is not None:
                result = FileResult(str(path), False, problem, job.admission.call_id)
            else:
                try:
                    result = persist(job, value)
                except ModelError:
                    raise
                except MineError as exc:
                    result = FileResult(str(path), False, str(exc), job.admission.call_id)
        future.release()
        outcome.results[job.index] = result
        finished(job, result)
        if not gave_up and (more := submit()) is not None:
            pending.add(more)
    for job in queue if gave_up else ():
        fail(job, f"{job.admission.path}: {empty}")
    return outcome


def returned_problem(job: Job, value: Any) -> str | None:
    """Why a worker's answer is not this job's transcript (None when it is): the coordinator
    registers and writes what comes back under the job's call, so a transcript of another
    recording (a worker of another mine version, a broken one) must never be persisted."""
    path = job.admission.path
    if not isinstance(value, Processed) or value.index != job.index:
        return f"{path}: a worker returned no transcript of this recording; nothing was written"
    if value.transcript.call_id != job.admission.call_id or (
        value.raw is not None and value.raw.call_id != job.admission.call_id
    ):
        return (
            f"{path}: a worker returned the transcript of another recording; nothing was "
            "written: check that every worker runs this mine version, then run again"
        )
    if not value.transcript.redacted:
        return f"{path}: a worker returned an unredacted transcript; nothing was written"
    return None


def _finishing(
    pending: set[Any], client: Any, distributed: Any, worker_wait: float
) -> Iterator[Any]:
    """The futures of ``pending`` (which may grow meanwhile) as they finish. When the cluster
    has had no worker at all for ``worker_wait`` seconds, the unfinished ones come out still
    pending, for the caller to fail: an empty cluster never hangs the run."""
    empty_since: float | None = None
    while pending:
        try:
            with client.as_current():  # wait() asks the current client
                distributed.wait(list(pending), timeout=POLL_S, return_when="FIRST_COMPLETED")
        except TimeoutError:
            if _has_workers(client):
                empty_since = None
                continue
            empty_since = empty_since if empty_since is not None else time.monotonic()
            if time.monotonic() - empty_since >= worker_wait:
                while pending:
                    yield pending.pop()
            continue
        for future in [f for f in pending if f.done()]:
            pending.discard(future)
            yield future


def _has_workers(client: Any) -> bool:
    try:
        return bool(client.nthreads())
    except Exception:  # noqa: BLE001 - a scheduler that does not answer has no workers for us
        return False


# ------------------------------------------------------------------------------- on a worker


def work(
    job: Job, audio: bytes | None, cache_dir: str | None, model_sha: str
) -> tuple[str, Processed | str]:
    """On a worker: ``process_one`` for one job. Returns (this worker's address, the processed
    record), or the file's own error as text (not retried: the same bytes fail the same way).

    Raises:
        ModelError: this worker's model is not the coordinator's, or fails to load.
    """
    from distributed import get_worker

    _undo_malloc_trim()
    worker = get_worker()
    threads = max(1, int(worker.state.nthreads))
    try:
        with _local_view(job, audio) as local:
            engines = None
            opts = job.options
            if not job.is_transcript:
                engines = engines_for(
                    replace(opts, cpu_threads=opts.cpu_threads or threads),
                    cache_dir=Path(cache_dir) if cache_dir else _own_cache_dir(),
                )
                sha = engines.transcriber.model_info.sha256
                if model_sha and sha != model_sha:
                    raise ModelError(
                        f"worker {worker.address}: model '{opts.model}' has sha256 {sha[:12]}, "
                        f"the coordinator's {model_sha[:12]}; install the same mine version "
                        "and models on every worker"
                    )
            processed = process_one(local, engines)
    except ModelError:
        raise
    except MineError as exc:
        return worker.address, str(exc)
    return worker.address, _as_configured(processed, job.options)


_ALLOCATION_SET = False
#: glibc ``mallopt`` parameters and what a worker sets them to (see ``_undo_malloc_trim``).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_KEEP_FREE, _MMAP_ABOVE = 128 << 20, 64 << 20


def _undo_malloc_trim() -> None:
    """Dask starts worker processes with ``MALLOC_TRIM_THRESHOLD_=65536``, which turns off
    glibc's adaptive mmap threshold: every array over 128 kB is then its own mmap and munmap,
    and transcription took 1.6 to 2 times as long as in process (bench/cluster_overhead.py).
    Once per worker process, large blocks come from the heap again (up to 64 MB) and up to
    128 MB of freed heap is kept for reuse. No-op where libc has no ``mallopt``."""
    global _ALLOCATION_SET
    if _ALLOCATION_SET:
        return
    _ALLOCATION_SET = True
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_ABOVE)
        libc.mallopt(_M_TRIM_THRESHOLD, _KEEP_FREE)
    except (OSError, AttributeError, TypeError):
        pass


def _own_cache_dir() -> Path:
    from pipeline.config import load_settings

    return load_settings().cache_dir


def _as_configured(processed: Processed, options: TranscribeOptions) -> Processed:
    """The transcripts record the options as the coordinator set them (a worker's thread
    count is how it ran, not what was asked)."""
    asked = options_dict(options)
    raw = replace(processed.raw, options=asked) if processed.raw is not None else None
    return replace(processed, transcript=replace(processed.transcript, options=asked), raw=raw)


@contextlib.contextmanager
def _local_view(job: Job, audio: bytes | None) -> Iterator[Job]:
    """The job as this worker may process it: its bytes checked to be the ones the gate hashed
    (sha256 == call_id), and its admission's identity that of the file *here*, so decoding
    refuses the file if it changes after this check (as in process).

    A shared file is read where it lies: no copy. Shipped bytes live in an anonymous in-memory
    file (``memfd``, freed by the kernel when this process ends, even killed); where there is
    none, in a private temporary file removed afterwards.
    """
    adm = job.admission
    if audio is None:
        try:
            fd = os.open(adm.real, os.O_RDONLY)
        except OSError as exc:
            raise InputError(
                f"{adm.path}: this worker cannot read it ({exc.strerror}); share the recordings "
                "folder at the same path on every worker, or set [run] ship_audio = true"
            ) from None
        try:
            before = FileIdentity.of(os.fstat(fd))
            digest = hashlib.sha256()
            while chunk := os.read(fd, _CHUNK):
                digest.update(chunk)
            same = FileIdentity.of(os.fstat(fd)) == before
        finally:
            os.close(fd)
        _check_bytes(adm, digest.hexdigest(), same)
        yield replace(job, admission=replace(adm, identity=before))
        return
    _check_bytes(adm, hashlib.sha256(audio).hexdigest(), True)
    with _in_memory(audio, adm.real.suffix) as (path, identity):
        local = replace(job, admission=replace(adm, real=path, identity=identity))
        try:
            yield local
        except MineError as exc:  # name the recording, not the in-memory file
            text = str(exc).replace(str(path), str(adm.path))
            raise (ModelError(text) if isinstance(exc, ModelError) else InputError(text)) from None


def _check_bytes(adm: Any, sha: str, unchanged: bool) -> None:
    if sha != adm.call_id or not unchanged:
        raise InputError(
            f"{adm.path}: the bytes this worker read are not the ones whose consent was checked "
            "(replaced, still being written, or another file at that path on this machine); "
            "nothing of it was used: run again once the file is complete"
        )


@contextlib.contextmanager
def _in_memory(data: bytes, suffix: str) -> Iterator[tuple[Path, FileIdentity]]:
    """A path to a file holding ``data`` that no other process can list."""
    if hasattr(os, "memfd_create") and Path("/proc/self/fd").is_dir():
        fd = os.memfd_create("mine-recording", 0)
        try:
            _write_all(fd, data)
            yield Path(f"/proc/self/fd/{fd}"), FileIdentity.of(os.fstat(fd))
        finally:
            os.close(fd)
        return
    fd, name = tempfile.mkstemp(prefix="mine-", suffix=suffix)
    try:
        _write_all(fd, data)
        yield Path(name), FileIdentity.of(os.fstat(fd))
    finally:
        os.close(fd)
        Path(name).unlink(missing_ok=True)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
