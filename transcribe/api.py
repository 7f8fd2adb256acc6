"""``transcribe_files``: the consent-gated transcription of a batch of recordings."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

import av

from pipeline.config import Settings
from pipeline.consent import gate, record_decision
from pipeline.errors import ConsentError, InputError, MineError, ModelError
from pipeline.files import sha256_file, staged_files
from pipeline.privacy import Redactor, ner_for
from pipeline.progress import ProgressCallback, ProgressEvent, ignore
from pipeline.records import Consent, Transcript
from pipeline.state import KnownRecording, open_state, register_outputs, register_recording
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


def _targets(path: Path, out_dir: Path | None, formats: tuple[str, ...]) -> list[Path]:
    folder = out_dir if out_dir is not None else path.parent
    return [folder / f"{path.stem}.{fmt}" for fmt in formats]


def transcribe_files(
    paths: list[Path],
    *,
    settings: Settings,
    out_dir: Path | None = None,
    on_progress: ProgressCallback = ignore,
    transcriber: Transcriber | None = None,
) -> TranscribeReport:
    """Transcribe recordings that pass the consent gate; one model load for the whole batch.

    A file without valid consent is refused before any audio is decoded, and its refusal is
    written to the workspace's audit log. A bad file is reported and the rest go on.

    Args:
        paths: recordings to transcribe.
        settings: resolved settings (model, language, formats, workspace).
        out_dir: where outputs go; default next to each recording.
        on_progress: receives ``ProgressEvent``s (audio seconds, per-file results).
        transcriber: a loaded ``Transcriber`` to reuse (e.g. in ``mine run``).

    Returns:
        One ``FileResult`` per input, in input order.

    Raises:
        ModelError: the model cannot be loaded (no file can be transcribed then).
        OutputError: the audit log cannot be written.

    Example:
        >>> report = transcribe_files([Path("visit-acme.m4a")], settings=load_settings())
    """
    opts = settings.transcribe
    results: dict[int, FileResult] = {}
    admitted: list[tuple[int, Path, Consent, str]] = []
    claimed: dict[Path, str] = {}

    # 1. The gate, for every file, before any audio is decoded.
    for i, path in enumerate(paths):
        try:
            check_path(path)
            consent = gate(path)
        except ConsentError as exc:
            # A refused file's bytes are not read, so it is logged without a call_id.
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
        call_id = sha256_file(path)
        if consent.call_id and consent.call_id != call_id:
            reason = (
                f"{path}: refused, the consent record {Path(consent.source).name} is for "
                f"another recording (call_id {consent.call_id[:12]}…, this file is "
                f"{call_id[:12]}…); record consent for this file with: mine consent add"
            )
            record_decision(
                settings.audit_log,
                audio=path,
                decision="refused",
                reason=reason,
                call_id=call_id,
                action="transcribe",
            )
            results[i] = FileResult(str(path), False, reason, call_id)
            continue
        clash = next(
            (claimed[t] for t in _targets(path, out_dir, opts.formats) if t in claimed), None
        )
        if clash:
            results[i] = FileResult(
                str(path),
                False,
                f"{path}: would overwrite the output of "
                f"{clash} (same name); transcribe it with a different --out",
            )
            continue
        for t in _targets(path, out_dir, opts.formats):
            claimed[t] = str(path)
        record_decision(
            settings.audit_log,
            audio=path,
            decision="allowed",
            reason=f"consent {Path(consent.source).name}",
            call_id=call_id,
            action="transcribe",
        )
        admitted.append((i, path, consent, call_id))

    # 2. Transcription of the admitted files, with one model.
    durations = {i: _probe_duration(p) for i, p, _, _ in admitted}
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
    for i, path, consent, call_id in admitted:
        on_progress(ProgressEvent("status", item=str(path), message=f"transcribing {path.name}"))
        try:
            audio = decode(path, keep_stereo=bool(opts.channels))
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
            raw, transcript = transcript, redactor.redact_transcript(transcript)
            if found is not None:
                raw, transcript = (
                    speakers_ctx.label(raw, found),
                    speakers_ctx.label(transcript, found),
                )
            outputs = _write(
                transcript, path, out_dir, opts.formats, raw=raw if opts.keep_raw else None
            )
            _register(settings, path, consent, transcript, outputs)
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
    settings: Settings, path: Path, consent: Consent, transcript: Transcript, outputs: list[Path]
) -> None:
    """Record the recording and its outputs, so forget, retention and export can find them."""
    until = consent.retain_audio_until.isoformat() if consent.retain_audio_until else None
    with open_state(settings.workspace) as db:
        register_recording(
            db,
            KnownRecording(
                transcript.call_id,
                path.name,
                str(path.resolve()),
                consent.customer,
                consent.source,
                until,
                transcript.created_at,
                None,
            ),
        )
        register_outputs(db, transcript.call_id, "transcribe", outputs)


def _write(
    transcript: Transcript,
    path: Path,
    out_dir: Path | None,
    formats: tuple[str, ...],
    *,
    raw: Transcript | None = None,
) -> list[Path]:
    """Write every format of one transcript, all or nothing (plus the raw JSON if asked)."""
    targets = _targets(path, out_dir, formats)
    texts = [render(transcript, fmt) for fmt in formats]
    if raw is not None:
        targets.append(targets[0].with_name(f"{path.stem}.raw.json"))
        texts.append(render(raw, "json"))
    with staged_files(targets) as temps:
        for temp, text in zip(temps, texts, strict=True):
            temp.write_text(text, encoding="utf-8")
    return targets
