"""Transcription in three phases, with plain records between them.

- ``admit_batch``: the consent gate and its audit entries for a batch; the admitted recordings
  become ``Job``s (the recording, its consent, call_id, where its outputs go, and what the
  workspace knows of its speakers).
- ``process_one``: decode → windows → transcribe → diarize → roles → redact → a ``Processed``
  record. No database, no file writes, no globals: a ``Job`` and a ``Processed`` pickle, so this
  phase can run in another process or on another machine. The models come from ``Engines``,
  loaded once per process (``engines_for``) and reused for every recording.
- ``persist``: registration for erasure, atomic writes of the JSON and its views, the file's
  ``FileResult``.

``transcribe_files`` (``mine transcribe``) and ``mine run`` compose the three.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np

from pipeline.config import Settings, TranscribeOptions, options_dict
from pipeline.consent import Admission, Hasher, admit, record_decision
from pipeline.dates import recording_date
from pipeline.errors import ConsentError, InputError, MineError
from pipeline.files import staged_files
from pipeline.privacy import Redactor, ner_for
from pipeline.records import Transcript
from pipeline.state import (
    KnownRecording,
    normal_path,
    open_state,
    output_owners,
    register_outputs,
    register_recording,
    speaker_corrections,
    unregister_recording,
    voice_embeddings,
)
from transcribe.audio import check_path, decode, media_created
from transcribe.diarize import Diarizer, wants_diarization
from transcribe.engine import Transcriber
from transcribe.imported import ImportHints, import_transcript, is_transcript
from transcribe.speakers import (
    apply_corrections,
    as_embeddings,
    assign_speakers,
    decide_roles,
    with_roles,
)
from transcribe.writers import render

Fraction = Callable[[float], None]


@dataclass(frozen=True)
class FileResult:
    """What happened to one recording."""

    file: str
    ok: bool
    error: str = ""
    call_id: str | None = None
    outputs: tuple[str, ...] = ()
    duration: float = 0.0
    language: str = ""
    utterances: int = 0
    flagged: int = 0
    speakers: str = ""  # e.g. "S1 rep (heuristic 0.95), S2 customer" when diarized


@dataclass(frozen=True)
class Job:
    """One admitted recording and everything ``process_one`` and ``persist`` need for it."""

    index: int  # its place in the batch
    admission: Admission
    folder: Path  # where its outputs go
    stem: str  # they are <folder>/<stem>.<format>
    options: TranscribeOptions
    voices: dict[str, np.ndarray]  # enrolled reps' voice embeddings, by name
    corrections: tuple[tuple[str, str, float | None], ...] = ()  # (speaker, role, anchor)
    reps: tuple[str, ...] = ()  # the staff list ([roles] reps, --rep)

    @property
    def is_transcript(self) -> bool:
        """True for a transcript file of another tool (imported, not transcribed)."""
        return is_transcript(self.admission)

    @property
    def targets(self) -> list[Path]:
        """The files ``persist`` writes, the raw JSON last when it is kept."""
        return _outputs(self.folder, self.stem, self.options.formats, self.options.keep_raw)


@dataclass(frozen=True)
class Processed:
    """What ``process_one`` made of a job: the redacted transcript (and the raw one if kept)."""

    index: int
    transcript: Transcript
    raw: Transcript | None = None


# ------------------------------------------------------------------------------- admit


def _outputs(folder: Path, stem: str, formats: tuple[str, ...], keep_raw: bool) -> list[Path]:
    targets = [folder / f"{stem}.{fmt}" for fmt in formats]
    if keep_raw:
        targets.append(folder / f"{stem}.raw.json")
    return targets


def _foreign_json(target: Path, name: str) -> bool:
    """True if a transcript JSON not registered anywhere was made from another recording."""
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
        return isinstance(data, dict) and str(data.get("source", "")) != name
    except (OSError, ValueError):
        return True  # unreadable: not ours to overwrite


Owner = Callable[[Path], tuple[str, str] | None]


def _output_stem(
    adm: Admission,
    folder: Path,
    formats: tuple[str, ...],
    keep_raw: bool,
    claimed: dict[Path, tuple[str, str]],
    owner: Owner,
) -> str | None:
    """The name a recording's outputs get: ``<stem>``, else ``<name>`` (``visit.mp3``), else the
    name with a tag of its real path and bytes, whichever no other recording's outputs use.

    A name is taken when another file of this batch claimed it or is it (a transcript of
    another tool is an input: ``meeting.vtt`` never becomes the view of itself), when the
    workspace registered it to another recording, when an unregistered transcript JSON there
    came from another file, or when a view there (.txt/.srt/.vtt) is registered to no one: a
    file mine did not write, such as a Teams transcript beside its recording. Outputs of two
    recordings never share a name; a recording keeps its name across runs.
    """
    me = (str(adm.real), adm.call_id)
    tag = hashlib.sha256(f"{adm.real}\0{adm.call_id}".encode()).hexdigest()[:8]
    for stem in (adm.path.stem, adm.path.name, f"{adm.path.name}.{tag}"):
        if stem.lower().endswith(".raw") or len(stem.encode()) > 200:
            continue  # would read as another file's raw transcript, or be too long a name
        targets = _outputs(folder, stem, formats, keep_raw)
        if any(
            claimed.get(q, me) != me
            for t in targets
            for q in (t, t.absolute(), Path(normal_path(t)))
        ):
            continue
        owned = {t: owner(t) for t in targets}
        if set(owned.values()) - {None, me}:  # another's, even an earlier one at this path
            continue
        json_target = folder / f"{stem}.json"
        if owned.get(json_target) is None and json_target.exists():
            if _foreign_json(json_target, adm.path.name):
                continue
        if any(o is None and t.suffix != ".json" and t.exists() for t, o in owned.items()):
            continue
        return stem
    return None


def _no_stem(path: Path, folder: Path) -> str:
    if len(path.stem.encode()) > 200:
        return (
            f"{path}: its name is too long for the outputs ({len(path.stem.encode())} bytes); "
            "rename it to under 200 characters, with its consent record"
        )
    return (
        f"{path}: every output name in {folder} is taken by another recording's transcript; "
        "transcribe it with a different --out"
    )


@dataclass(frozen=True)
class _Workspace:
    """What the workspace knows that jobs need: output owners, voices, hand-set roles."""

    owners: dict[str, tuple[str, str]]
    voices: dict[str, np.ndarray]
    corrections: dict[str, tuple[tuple[str, str, float | None], ...]]

    @classmethod
    def read(cls, workspace: Path) -> _Workspace:
        if not (workspace / "state.db").is_file():
            return cls({}, {}, {})
        with open_state(workspace) as db:
            voices = as_embeddings(voice_embeddings(db))
            return cls(output_owners(db), voices, speaker_corrections(db))


def admit_batch(
    paths: list[Path],
    *,
    settings: Settings,
    out_dir: Path | None = None,
    hasher: Hasher | None = None,
) -> tuple[list[Job], dict[int, FileResult]]:
    """The consent gate for a batch, before any audio is decoded; every decision is audited.

    Returns the admitted recordings as jobs, and a result for each refused one (by index).
    """
    opts = settings.transcribe
    jobs: list[Job] = []
    refused: dict[int, FileResult] = {}
    # every input is taken: no output may overwrite a file of the batch
    claimed: dict[Path, tuple[str, str]] = {
        q: ("input", "") for p in paths for q in (p.absolute(), Path(normal_path(p)))
    }
    known = _Workspace.read(settings.workspace)
    for i, path in enumerate(paths):
        try:
            adm = admit(path, hasher=hasher)
            check_path(adm.real)
        except ConsentError as exc:
            # The bytes of a file refused before its record was valid are not read, so such a
            # refusal is logged without a call_id.
            _audit(settings, path, "refused", str(exc), None)
            refused[i] = FileResult(str(path), False, str(exc))
            continue
        except InputError as exc:
            refused[i] = FileResult(str(path), False, str(exc))
            continue
        folder = out_dir if out_dir is not None else path.parent
        owner = lambda p: known.owners.get(normal_path(p))  # noqa: E731
        stem = _output_stem(adm, folder, opts.formats, opts.keep_raw, claimed, owner)
        if stem is None:
            refused[i] = FileResult(str(path), False, _no_stem(path, folder))
            continue
        for t in _outputs(folder, stem, opts.formats, opts.keep_raw):
            claimed[t] = (str(adm.real), adm.call_id)
        _audit(settings, path, "allowed", f"consent {Path(adm.consent.source).name}", adm)
        jobs.append(
            Job(
                i,
                adm,
                folder,
                stem,
                opts,
                known.voices,
                known.corrections.get(adm.call_id, ()),
                settings.roles.reps,
            )
        )
    return jobs, refused


def _audit(
    settings: Settings, path: Path, decision: str, reason: str, adm: Admission | None
) -> None:
    record_decision(
        settings.audit_log,
        audio=path,
        decision=decision,
        reason=reason,
        call_id=adm.call_id if adm else None,
        action="transcribe",
        consent=adm.consent if adm else None,
    )


# ------------------------------------------------------------------------------- process one


class Engines:
    """The models one process uses: the Whisper model and, when diarizing, the speaker model.

    Both are loaded before any recording is processed (a missing speaker model fails first),
    then reused for every recording, however the phases are driven.
    """

    def __init__(
        self,
        options: TranscribeOptions,
        *,
        cache_dir: Path,
        on_status: Callable[[str], None] | None = None,
        transcriber: Transcriber | None = None,
    ) -> None:
        """Load the models ``options`` name (``transcriber``: one already loaded)."""
        status = on_status or (lambda _m: None)
        if transcriber is None:
            status(f"loading model {options.model}")
            transcriber = Transcriber(options, cache_dir=cache_dir, on_status=status)
        self.transcriber = transcriber
        self.diarizer = (
            Diarizer(options.diarizer, on_status=status) if wants_diarization(options) else None
        )


_ENGINES: dict[str, Engines] = {}


def engines_for(
    options: TranscribeOptions, *, cache_dir: Path, on_status: Callable[[str], None] | None = None
) -> Engines:
    """This process's ``Engines`` for ``options``: loaded at the first call, then reused."""
    key = json.dumps([options_dict(options), str(cache_dir)], sort_keys=True, default=str)
    if key not in _ENGINES:
        _ENGINES.clear()  # one set of models per process
        _ENGINES[key] = Engines(options, cache_dir=cache_dir, on_status=on_status)
    return _ENGINES[key]


def process_one(
    job: Job,
    engines: Engines | None,
    *,
    on_fraction: Fraction | None = None,
    on_status: Callable[[str], None] | None = None,
) -> Processed:
    """Transcribe one admitted recording: decode, transcribe, find speakers, redact; or read
    one admitted transcript file of another tool (``transcribe.imported``; no engines needed).

    Reads the file (checked to be the bytes the gate hashed) and nothing else: no database, no
    writes. ``on_fraction`` hears how much of the recording is done (0 to 1).

    Raises:
        InputError: the audio is unusable, changed since the gate, or holds no speech; the
            transcript is unreadable or empty.
        ModelError: a model fails (no recording can be transcribed then).
    """
    adm, opts = job.admission, job.options
    if job.is_transcript:
        hints = ImportHints(job.reps, tuple((s, r) for s, r, _anchor in job.corrections))
        return Processed(job.index, import_transcript(adm, opts, hints))
    assert engines is not None, "a recording needs the models"
    status = on_status or (lambda _m: None)
    audio = decode(adm.real, keep_stereo=bool(opts.channels), expect=adm.identity)
    transcript = engines.transcriber.transcribe(
        audio, call_id=adm.call_id, source=adm.path.name, on_progress=on_fraction
    )
    if not transcript.utterances:
        raise InputError(
            f"{adm.path}: no speech found in {transcript.duration:.0f} s of audio; "
            "check that the recording has speech and the microphone worked"
        )
    found = None
    if engines.diarizer is not None:
        status(f"finding speakers in {adm.path.name}")
        found = _speakers(job, engines.diarizer, transcript, audio.channel(None))
    del audio
    redactor = Redactor(names=adm.consent.participants, ner=ner_for(transcript.language))
    # Redact whole utterances, then split both versions by speaker: a number or name cut in
    # two at a speaker change would escape redaction.
    raw = transcript
    transcript = replace(redactor.redact_transcript(transcript), redacted=True)
    if found is not None:
        raw, transcript = _label(raw, found), _label(transcript, found)
    return Processed(job.index, transcript, raw if opts.keep_raw else None)


def _speakers(job: Job, diarizer: Diarizer, transcript: Transcript, mono: np.ndarray) -> tuple:
    """Who spoke when, and who is the rep (decided on the unredacted words)."""
    o, adm = job.options, job.admission
    try:
        diar = diarizer.diarize(mono, speakers=o.speakers or None, max_speakers=o.max_speakers)
    except MineError:
        raise
    except Exception as exc:  # one file's failure must not end the batch
        raise InputError(
            f"{adm.path}: finding the speakers failed ({type(exc).__name__}: {exc}); "
            "transcribe it with --no-diarize or --diarizer features"
        ) from exc
    decisions = decide_roles(
        assign_speakers(transcript.utterances, diar),
        diar,
        profiles=job.voices,
        manual=apply_corrections(job.corrections, diar),
        own_names=o.own_names,
        rep_names=((adm.consent.obtained_by,) if adm.consent.obtained_by else ()) + job.reps,
        rep_threshold=o.rep_threshold,
        min_confidence=o.min_role_confidence,
    )
    return diar, decisions


def _label(transcript: Transcript, found: tuple) -> Transcript:
    """Speaker ids on words and utterances (split where the speaker changes), and roles."""
    diar, decisions = found
    utterances = tuple(assign_speakers(transcript.utterances, diar))
    return with_roles(replace(transcript, utterances=utterances), decisions, diar)


# ------------------------------------------------------------------------------- persist


def persist(job: Job, processed: Processed, *, settings: Settings) -> FileResult:
    """Register the recording and its outputs, then write them atomically; its ``FileResult``.

    Registered before they are written: a kill in between leaves a row forget can use, never a
    file it cannot find. A failed write takes the registration back.

    Raises:
        OutputError: the outputs or the state cannot be written.
    """
    adm, targets = job.admission, job.targets
    transcript, raw = dated(processed.transcript, adm), processed.raw
    raw = dated(raw, adm) if raw is not None else None
    _register(settings, adm, transcript, targets)
    try:
        outputs = _write(transcript, targets, job.options.formats, raw=raw)
    except Exception:
        with open_state(settings.workspace) as db:
            unregister_recording(db, adm.real, adm.call_id)
        raise
    return FileResult(
        str(adm.path),
        True,
        "",
        adm.call_id,
        tuple(str(p) for p in outputs),
        transcript.duration,
        transcript.language,
        len(transcript.utterances),
        sum(bool(u.flags) for u in transcript.utterances),
        _speakers_line(transcript),
    )


def dated(transcript: Transcript, adm: Admission) -> Transcript:
    """``transcript`` with its recording date: the consent record's ``recorded_at``, else a
    date in the transcript file (set when it was read), else the media's creation-time tag,
    else the file's modification time (``pipeline.dates``). Done here, where the file lies:
    a cluster worker may have had only a copy of its bytes."""
    media = None
    if adm.consent.recorded_at is None and transcript.recorded_at_source != "transcript":
        media = media_created(adm.real)
    found = recording_date(
        consent=adm.consent.recorded_at,
        transcript=(
            date.fromisoformat(transcript.recorded_at)
            if transcript.recorded_at_source == "transcript"
            else None
        ),
        media=media,
        mtime_ns=adm.identity.mtime_ns,
    )
    return replace(transcript, recorded_at=found[0], recorded_at_source=found[1])


def _speakers_line(t: Transcript) -> str:
    parts = []
    for s in t.diarization.get("speakers", []):
        how = f" ({s['role_source']} {s['confidence']:.2f})" if s["role"] == "rep" else ""
        parts.append(f"{s['id']} {s['role']}{how}")
    return ", ".join(parts)


def _register(
    settings: Settings, adm: Admission, transcript: Transcript, outputs: list[Path]
) -> None:
    """Record the recording and its outputs, so forget, retention and export can find them."""
    consent = adm.consent
    until = consent.retain_audio_until.isoformat() if consent.retain_audio_until else None
    with open_state(settings.workspace) as db:
        register_recording(
            db,
            KnownRecording(
                transcript.call_id,
                adm.path.name,
                str(adm.real),
                consent.customer,
                consent.source,
                until,
                transcript.created_at,
                None,
                consent.record_sha256,
            ),
        )
        register_outputs(db, transcript.call_id, "transcribe", outputs, recording=adm.real)


def _write(
    transcript: Transcript,
    targets: list[Path],
    formats: tuple[str, ...],
    *,
    raw: Transcript | None = None,
) -> list[Path]:
    """Write every format of one transcript, all or nothing (plus the raw JSON if kept)."""
    texts = [render(transcript, fmt) for fmt in formats]
    if raw is not None:
        texts.append(render(raw, "json"))
    with staged_files(targets) as temps:
        for temp, text in zip(temps, texts, strict=True):
            temp.write_text(text, encoding="utf-8")
    return targets
