"""``transcribe_files``: the consent-gated transcription of a batch of recordings."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import av

from pipeline.config import Settings
from pipeline.consent import Admission, Hasher, admit, record_decision
from pipeline.errors import ConsentError, InputError, MineError, ModelError
from pipeline.files import staged_files
from pipeline.privacy import Redactor, ner_for
from pipeline.progress import ProgressCallback, ProgressEvent, ignore
from pipeline.records import Consent, Transcript
from pipeline.state import (
    KnownRecording,
    normal_path,
    open_state,
    output_owners,
    register_outputs,
    register_recording,
    unregister_recording,
    workspace_lock,
)
from transcribe.audio import DecodedAudio, check_path, decode
from transcribe.diarize import Diarization, Diarizer, wants_diarization
from transcribe.engine import Transcriber
from transcribe.speakers import (
    RoleDecision,
    assign_speakers,
    corrections,
    decide_roles,
    load_profiles,
    with_roles,
)
from transcribe.writers import render

log = logging.getLogger(__name__)


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
class TranscribeReport:
    """The outcome of one ``transcribe_files`` call."""

    results: tuple[FileResult, ...]
    model: dict[str, str] = field(default_factory=dict)

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


@dataclass(frozen=True)
class _Admitted:
    """A recording that passed the gate, with the name its outputs get."""

    index: int
    admission: Admission
    stem: str


def _outputs(folder: Path, stem: str, formats: tuple[str, ...], keep_raw: bool) -> list[Path]:
    targets = [folder / f"{stem}.{fmt}" for fmt in formats]
    if keep_raw:
        targets.append(folder / f"{stem}.raw.json")
    return targets


def _foreign_json(target: Path, name: str) -> bool:
    """True if a transcript JSON not registered anywhere was made from another recording."""
    try:
        import json

        data = json.loads(target.read_text(encoding="utf-8"))
        return isinstance(data, dict) and str(data.get("source", "")) != name
    except (OSError, ValueError):
        return True  # unreadable: not ours to overwrite


def _output_stem(
    adm: Admission,
    folder: Path,
    formats: tuple[str, ...],
    keep_raw: bool,
    claimed: dict[Path, tuple[str, str]],
    owner: Callable[[Path], tuple[str, str] | None],
) -> str | None:
    """The name a recording's outputs get: ``<stem>``, else ``<name>`` (``visit.mp3``), else the
    name with a tag of its real path, whichever no other recording's outputs use.

    A name is taken when another recording of this batch claimed it, when the workspace
    registered it to another recording, or when an unregistered transcript there came from
    another file. Outputs of two recordings never share a name; a recording keeps its name
    across runs.
    """
    import hashlib

    me = (str(adm.real), adm.call_id)
    tag = hashlib.sha256(f"{adm.real}\0{adm.call_id}".encode()).hexdigest()[:8]
    candidates = [adm.path.stem, adm.path.name, f"{adm.path.name}.{tag}"]
    for stem in candidates:
        if stem.lower().endswith(".raw") or len(stem.encode()) > 200:
            continue  # would read as another file's raw transcript, or be too long a name
        targets = _outputs(folder, stem, formats, keep_raw)
        if any(claimed.get(t, me) != me for t in targets):
            continue
        owners = {owner(t) for t in targets} - {None}
        if owners - {me}:  # another recording's, even an earlier one at this same path
            continue
        json_target = folder / f"{stem}.json"
        if not owners and json_target.exists() and _foreign_json(json_target, adm.path.name):
            continue
        return stem
    return None


def _admit(
    paths: list[Path],
    *,
    settings: Settings,
    out_dir: Path | None,
    hasher: Hasher | None,
    results: dict[int, FileResult],
) -> list[_Admitted]:
    """The consent gate for a batch, before any audio is decoded; every decision is audited."""
    opts = settings.transcribe
    admitted: list[_Admitted] = []
    claimed: dict[Path, tuple[str, str]] = {}
    owner = _output_owners(settings.workspace)
    for i, path in enumerate(paths):
        try:
            adm = admit(path, hasher=hasher)
            check_path(adm.real)
        except ConsentError as exc:
            # The bytes of a file refused before its record was valid are not read, so such a
            # refusal is logged without a call_id.
            record_decision(
                settings.audit_log,
                audio=path,
                decision="refused",
                reason=str(exc),
                call_id=None,
                action="transcribe",
            )
            results[i] = FileResult(str(path), False, str(exc))
            continue
        except InputError as exc:
            results[i] = FileResult(str(path), False, str(exc))
            continue
        folder = out_dir if out_dir is not None else path.parent
        stem = _output_stem(adm, folder, opts.formats, opts.keep_raw, claimed, owner)
        if stem is None:
            why = (
                f"its name is too long for the outputs ({len(path.stem.encode())} bytes); "
                "rename it to under 200 characters, with its consent record"
                if len(path.stem.encode()) > 200
                else f"every output name in {folder} is taken by another recording's "
                "transcript; transcribe it with a different --out"
            )
            results[i] = FileResult(str(path), False, f"{path}: {why}")
            continue
        for t in _outputs(folder, stem, opts.formats, opts.keep_raw):
            claimed[t] = (str(adm.real), adm.call_id)
        record_decision(
            settings.audit_log,
            audio=path,
            decision="allowed",
            reason=f"consent {Path(adm.consent.source).name}",
            call_id=adm.call_id,
            action="transcribe",
            consent=adm.consent,
        )
        admitted.append(_Admitted(i, adm, stem))
    return admitted


def _output_owners(workspace: Path) -> Callable[[Path], tuple[str, str] | None]:
    """Which recording (real path, call_id) owns an output file, by the workspace's registry."""
    if not (workspace / "state.db").is_file():
        return lambda _path: None
    with open_state(workspace) as db:
        owners = output_owners(db)
    return lambda path: owners.get(normal_path(path))


def transcribe_files(
    paths: list[Path],
    *,
    settings: Settings,
    out_dir: Path | None = None,
    on_progress: ProgressCallback = ignore,
    transcriber: Transcriber | None = None,
    hasher: Hasher | None = None,
    lock: bool = True,
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

    Returns:
        One ``FileResult`` per input, in input order.

    Raises:
        ModelError: the model cannot be loaded (no file can be transcribed then).
        OutputError: the audit log cannot be written.
        ConfigError: a ``mine run`` or ``mine forget`` holds the workspace.

    Example:
        >>> report = transcribe_files([Path("visit-acme.m4a")], settings=load_settings())
    """
    if not lock:
        return _transcribe_files(paths, settings, out_dir, on_progress, transcriber, hasher)
    with workspace_lock(settings.workspace, [], shared=True):
        return _transcribe_files(paths, settings, out_dir, on_progress, transcriber, hasher)


def _transcribe_files(
    paths: list[Path],
    settings: Settings,
    out_dir: Path | None,
    on_progress: ProgressCallback,
    transcriber: Transcriber | None,
    hasher: Hasher | None,
) -> TranscribeReport:
    opts = settings.transcribe
    results: dict[int, FileResult] = {}

    # 1. The gate, for every file, before any audio is decoded.
    admitted = _admit(paths, settings=settings, out_dir=out_dir, hasher=hasher, results=results)

    # 2. Transcription of the admitted files, with one model.
    durations = {a.index: _probe_duration(a.admission.real) for a in admitted}
    total = sum(durations.values())
    on_progress(ProgressEvent("total", total=total))
    done_before = 0.0
    if admitted and transcriber is None:
        on_progress(ProgressEvent("status", message=f"loading model {opts.model}"))
        transcriber = Transcriber(
            opts,
            cache_dir=settings.cache_dir,
            on_status=lambda m: on_progress(ProgressEvent("status", message=m)),
        )
    speakers_ctx: _SpeakerContext | None = None
    if admitted and wants_diarization(opts):  # a missing speaker model fails before any work
        speakers_ctx = _SpeakerContext(settings, on_progress)
    for entry in admitted:
        i, adm = entry.index, entry.admission
        path, consent, call_id = adm.path, adm.consent, adm.call_id
        on_progress(ProgressEvent("status", item=str(path), message=f"transcribing {path.name}"))
        try:
            audio = decode(adm.real, keep_stereo=bool(opts.channels), expect=adm.identity)
            if not durations[i]:
                total += audio.duration
                durations[i] = audio.duration
                on_progress(ProgressEvent("total", total=total))

            def advance(
                fraction: float,
                base: float = done_before,
                span: float = durations[i],
                item: str = str(path),
                whole: float = total,
            ) -> None:
                on_progress(
                    ProgressEvent(
                        "advance", done=base + min(fraction, 1.0) * span, total=whole, item=item
                    )
                )

            transcript = transcriber.transcribe(
                audio, call_id=call_id, source=path.name, on_progress=advance
            )
            if not transcript.utterances:
                raise InputError(
                    f"{path}: no speech found in {transcript.duration:.0f} s of audio; "
                    "check that the recording has speech and the microphone worked"
                )
            found = None
            if speakers_ctx is not None:
                on_progress(
                    ProgressEvent(
                        "status", item=str(path), message=f"finding speakers in {path.name}"
                    )
                )
                found = speakers_ctx.analyse(transcript, audio, consent, path)
            del audio
            redactor = Redactor(names=consent.participants, ner=ner_for(transcript.language))
            # Redact whole utterances, then split both versions by speaker: a number or name
            # cut in two at a speaker change would escape redaction.
            raw = transcript
            transcript = replace(redactor.redact_transcript(transcript), redacted=True)
            if found is not None:
                raw, transcript = (
                    speakers_ctx.label(raw, found),
                    speakers_ctx.label(transcript, found),
                )
            folder = out_dir if out_dir is not None else path.parent
            targets = _outputs(folder, entry.stem, opts.formats, opts.keep_raw)
            # registered before they are written: a kill in between leaves a row forget can
            # use, never a file it cannot find
            _register(settings, adm, transcript, targets)
            try:
                outputs = _write(
                    transcript, targets, opts.formats, raw=raw if opts.keep_raw else None
                )
            except MineError:
                with open_state(settings.workspace) as db:
                    unregister_recording(db, adm.real, adm.call_id)
                raise
            flagged = sum(bool(u.flags) for u in transcript.utterances)
            results[i] = FileResult(
                str(path),
                True,
                "",
                call_id,
                tuple(str(p) for p in outputs),
                transcript.duration,
                transcript.language,
                len(transcript.utterances),
                flagged,
                _speakers_line(transcript),
            )
        except ModelError:
            raise
        except MineError as exc:
            results[i] = FileResult(str(path), False, str(exc), call_id)
        done_before += durations[i]
        on_progress(ProgressEvent("advance", done=done_before, total=total, item=str(path)))
        on_progress(
            ProgressEvent("result", item=str(path), ok=results[i].ok, message=results[i].error)
        )
    model = {}
    if transcriber is not None:
        info = transcriber.model_info
        model = {"name": info.name, "sha256": info.sha256, "source": info.source}
    return TranscribeReport(tuple(results[i] for i in range(len(paths))), model)


class _SpeakerContext:
    """One diarizer and the workspace's voice profiles for a batch."""

    def __init__(self, settings: Settings, on_progress: ProgressCallback) -> None:
        self.settings = settings
        self.opts = settings.transcribe
        self.diarizer = Diarizer(
            self.opts.diarizer,
            on_status=lambda m: on_progress(ProgressEvent("status", message=m)),
        )
        has_state = (settings.workspace / "state.db").exists()
        self.profiles = load_profiles(settings.workspace) if has_state else {}

    def analyse(
        self, transcript: Transcript, audio: DecodedAudio, consent: Consent, path: Path
    ) -> tuple[Diarization, dict[str, RoleDecision]]:
        """Who spoke when, and who is the rep (decided on the unredacted words)."""
        o = self.opts
        try:
            diar = self.diarizer.diarize(
                audio.channel(None), speakers=o.speakers or None, max_speakers=o.max_speakers
            )
        except MineError:
            raise
        except Exception as exc:  # one file's failure must not end the batch
            raise InputError(
                f"{path}: finding the speakers failed ({type(exc).__name__}: {exc}); "
                "transcribe it with --no-diarize or --diarizer features"
            ) from exc
        utterances = assign_speakers(transcript.utterances, diar)
        decisions = decide_roles(
            utterances,
            diar,
            profiles=self.profiles,
            manual=corrections(self.settings.workspace, transcript.call_id, diar),
            own_names=o.own_names,
            rep_names=(consent.obtained_by,) if consent.obtained_by else (),
            rep_threshold=o.rep_threshold,
            min_confidence=o.min_role_confidence,
        )
        return diar, decisions

    @staticmethod
    def label(
        transcript: Transcript, found: tuple[Diarization, dict[str, RoleDecision]]
    ) -> Transcript:
        """Speaker ids on words and utterances (split where the speaker changes), and roles."""
        diar, decisions = found
        utterances = tuple(assign_speakers(transcript.utterances, diar))
        return with_roles(replace(transcript, utterances=utterances), decisions, diar)


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
    """Write every format of one transcript, all or nothing (plus the raw JSON if asked)."""
    texts = [render(transcript, fmt) for fmt in formats]
    if raw is not None:
        texts.append(render(raw, "json"))
    with staged_files(targets) as temps:
        for temp, text in zip(temps, texts, strict=True):
            temp.write_text(text, encoding="utf-8")
    return targets
