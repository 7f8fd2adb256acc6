"""A parsed transcript of another tool as a redacted mine ``Transcript``.

Annotations are stripped; each distinct label becomes a speaker id (``S1``, ``S2``, … in order
of first appearance) whose role ``pipeline.roles.label_roles`` decides; person labels join the
names to redact (with the consent record's participants and the staff list), so a named
speaker's name never stands in the text. The label of a person is not kept; a role, function
or placeholder label is (``diarization.speakers[].label``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pipeline.clock import now
from pipeline.formats import Parsed
from pipeline.formats.annotations import strip_annotations
from pipeline.formats.labels import Label, classify, spellings
from pipeline.formats.readers import Line
from pipeline.privacy import Redactor, ner_for
from pipeline.records import ModelInfo, Transcript, Utterance
from pipeline.roles import RoleDecision, RoleHints, label_roles

#: An utterance longer than this is cut at sentence ends (a whole call on one line of a .txt).
MAX_UTTERANCE = 2000


def pieces(text: str, limit: int = MAX_UTTERANCE) -> Iterator[str]:
    """Cut ``text`` into pieces of at most ``limit`` characters, at sentence ends where it can."""
    start, end = 0, len(text)
    while end - start > limit:
        head = text[start : start + limit]
        cut = max((m.end() for m in re.finditer(r"[.!?…]\s", head)), default=0)
        if cut < limit // 4:
            cut = head.rfind(" ") + 1
        if cut < limit // 4:
            cut = limit
        if piece := head[:cut].strip():
            yield piece
        start += cut
    if rest := text[start:].strip():
        yield rest


@dataclass(frozen=True)
class _Said:
    """One utterance before redaction: its line, text without annotations, speaker id."""

    line: Line
    text: str
    sid: str


def spoken(parsed: Parsed) -> str:
    """Everything said in a parsed transcript, annotations stripped (to guess its language)."""
    return " ".join(strip_annotations(x.text) for x in parsed.lines[:400])


def speaker_ids(parsed: Parsed) -> tuple[dict[str, str], dict[str, Label]]:
    """Each label as written → speaker id, and speaker id → its label, in order of first
    appearance."""
    ids: dict[str, str] = {}
    labels: dict[str, Label] = {}
    for x in parsed.lines:
        if x.label is not None and x.label not in ids:
            ids[x.label] = f"S{len(ids) + 1}"
            labels[ids[x.label]] = classify(x.label)
    return ids, labels


def _times(said: list[_Said]) -> list[tuple[float, float]]:
    """(start, end) of each utterance: as written, a missing start takes the one before, a
    missing end the next start; without any time, the utterance's number (as mine always did)."""
    if not any(s.line.start is not None for s in said):
        return [(float(i), float(i)) for i in range(len(said))]
    starts: list[float] = []
    last = 0.0
    for s in said:
        last = s.line.start if s.line.start is not None else last
        starts.append(last)
    out = []
    for i, s in enumerate(said):
        nxt = starts[i + 1] if i + 1 < len(said) else starts[i]
        end = s.line.end if s.line.end is not None else max(nxt, starts[i])
        out.append((starts[i], max(end, starts[i])))
    return out


def to_transcript(
    parsed: Parsed,
    *,
    call_id: str,
    source: str,
    language: str,
    hints: RoleHints | None = None,
    participants: tuple[str, ...] = (),
) -> Transcript:
    """The redacted mine transcript of a parsed file (see the module docstring)."""
    ids, labels = speaker_ids(parsed)
    said = [
        _Said(x, piece, ids[x.label] if x.label is not None else "")
        for x in parsed.lines
        for piece in pieces(strip_annotations(x.text))
    ]
    texts: dict[str, list[str]] = {sid: [] for sid in labels}
    for s in said:
        if s.sid:
            texts[s.sid].append(s.text)
    first = next((s.sid for s in said if s.sid), None)
    hints = hints or RoleHints()
    decisions = label_roles(labels, {k: " ".join(v) for k, v in texts.items()}, first, hints)
    # the staff are people too: their names go wherever they are said, labelled here or not
    names = [
        *participants,
        *hints.reps,
        *(v for lab in labels.values() if lab.kind == "person" for v in spellings(lab.text)),
    ]
    redactor = Redactor(names=names, ner=ner_for(language))
    redactor.warm(s.text for s in said)
    utterances = []
    for i, (s, (start, end)) in enumerate(zip(said, _times(said), strict=True)):
        role = decisions[s.sid].role if s.sid else "unknown"
        text, _spans = redactor.redact(s.text)
        utterances.append(Utterance(i, start, end, role, text, speaker_id=s.sid))  # type: ignore[arg-type]
    return Transcript(
        call_id=call_id,
        source=source,
        language=language,
        language_probability=1.0,
        model=ModelInfo("", "", f"transcript file ({parsed.format})"),
        options={"format": parsed.format},
        duration=max((u.end for u in utterances), default=0.0),
        utterances=tuple(utterances),
        speakers_source="labels",
        redacted=True,
        diarization=_speakers(labels, decisions, utterances, parsed.format),
        created_at=now(),
        mine_version=_version(),
        # a date in the file's head; the caller may know better (consent) or only worse (mtime)
        recorded_at=parsed.recorded_on.isoformat() if parsed.recorded_on else "",
        recorded_at_source="transcript" if parsed.recorded_on else "",
        extra={"format": parsed.format},
    )


def _speakers(
    labels: dict[str, Label],
    decisions: dict[str, RoleDecision],
    utterances: list[Utterance],
    fmt: str,
) -> dict[str, Any]:
    """The transcript's ``diarization`` block for labelled speakers (no person's name in it)."""
    speakers = []
    for sid, lab in labels.items():
        d = decisions[sid]
        own = [u for u in utterances if u.speaker_id == sid]
        entry: dict[str, Any] = {
            "id": sid,
            "seconds": round(sum(u.end - u.start for u in own), 3),
            "role": d.role,
            "role_source": d.source,
            "confidence": d.confidence,
            "reason": d.reason,
            "label_kind": lab.kind,
        }
        if lab.kind != "person":
            entry["label"] = lab.text
        speakers.append(entry)
    return {
        "backend": f"speaker labels ({fmt})",
        "requested_speakers": None,
        "speakers": speakers,
        "turns": [[u.start, u.end, u.speaker_id] for u in utterances if u.speaker_id],
        "notes": [],
    }


def _version() -> str:
    try:
        return version("mine")
    except PackageNotFoundError:
        return ""
