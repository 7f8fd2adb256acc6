"""Reading transcripts for term extraction: mine's JSON, SRT, VTT and plain text.

Plain text may carry ``Speaker: text`` lines; speaker labels such as Customer/Klant and
Rep/Verkoper/Sales become roles, anything else stays ``unknown``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import InputError
from pipeline.privacy import guess_language
from pipeline.records import Transcript, Utterance

SUFFIXES = (".json", ".srt", ".vtt", ".txt")
_CUSTOMER = {"customer", "klant", "client", "cliënt", "prospect", "buyer", "koper", "opdrachtgever"}
_REP = {
    "rep",
    "sales",
    "salesperson",
    "verkoper",
    "adviseur",
    "accountmanager",
    "account manager",
    "seller",
    "vertegenwoordiger",
    "consultant",
    "sales rep",
    "interviewer",
    "marketeer",
}
_LABEL = re.compile(r"^\s*([A-Za-zÀ-ÿ][\wÀ-ÿ .'-]{0,30}?)\s*(\d+)?\s*:\s+(.*)$")
_TIME = r"(\d{1,2}:)?(\d{1,2}):(\d{2})[,.](\d{1,3})"
_CUE = re.compile(rf"^{_TIME}\s*-->\s*{_TIME}")


@dataclass(frozen=True)
class Conversation:
    """One conversation's utterances, whatever file format they came from."""

    call_id: str
    source: str
    language: str | None
    utterances: tuple[Utterance, ...]
    model: str = ""  # the speech model that made a mine transcript: "base 905e5bf8336b"

    @property
    def roles_known(self) -> bool:
        """True if any utterance is attributed to the customer or the rep."""
        return any(u.speaker in ("customer", "rep") for u in self.utterances)


def role_of(label: str) -> str:
    """Map a speaker label to customer, rep or unknown."""
    low = re.sub(r"\s*\d+$", "", label.strip().lower())
    if low in _CUSTOMER:
        return "customer"
    if low in _REP:
        return "rep"
    return "unknown"


def _seconds(groups: tuple[str | None, ...]) -> float:
    h, m, s, frac = groups
    return int(h[:-1] if h else 0) * 3600 + int(m) * 60 + int(s) + int(frac.ljust(3, "0")) / 1000


def _from_subtitles(text: str) -> list[Utterance]:
    utterances: list[Utterance] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = [ln for ln in block.strip().splitlines() if ln.strip()]
        cue = next((i for i, ln in enumerate(lines) if _CUE.match(ln.strip())), None)
        if cue is None:
            continue
        m = _CUE.match(lines[cue].strip())
        assert m is not None
        start, end = _seconds(m.groups()[:4]), _seconds(m.groups()[4:])
        body = " ".join(lines[cue + 1 :]).strip()
        speaker = "unknown"
        voice = re.match(r"^<v(?:\.[\w.]+)?\s+([^>]+)>", body)
        if voice:
            speaker = role_of(voice.group(1))
        else:
            label = _LABEL.match(body)
            if label and role_of(label.group(1)) != "unknown":
                speaker, body = role_of(label.group(1)), label.group(3)
        body = re.sub(r"<[^>]+>", "", body)
        body = body.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()
        if body:
            utterances.append(Utterance(len(utterances), start, end, speaker, body))
    return utterances


_MINE_TXT = re.compile(r"^\[(\d+):(\d\d):(\d\d)\.(\d)(?: (customer|rep))?\] (.*?)( \(\?\))?$")


def _from_text(text: str) -> list[Utterance]:
    utterances: list[Utterance] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        view = _MINE_TXT.match(line.strip())
        if view:  # mine's own .txt view: "[00:01:02.3 customer] text"
            h, m, s, tenth, who, body, unsure = view.groups()
            start = int(h) * 3600 + int(m) * 60 + int(s) + int(tenth) / 10
            flags = ("low-confidence",) if unsure else ()
            utterances.append(
                Utterance(len(utterances), start, start, who or "unknown", body, flags=flags)
            )  # type: ignore[arg-type]
            continue
        speaker, body = "unknown", line.strip()
        label = _LABEL.match(line)
        if label:
            role = role_of(label.group(1))
            if role != "unknown" or re.fullmatch(r"(speaker|spreker|s)\s*", label.group(1).lower()):
                speaker, body = role, label.group(3).strip()
        # plain text has no times: the line number stands in for the start time
        utterances.append(
            Utterance(
                len(utterances), float(len(utterances)), float(len(utterances)), speaker, body
            )
        )  # type: ignore[arg-type]
    return utterances


def read_conversation(path: Path, *, language: str | None = None) -> Conversation:
    """Read one transcript file into a ``Conversation``.

    Raises:
        InputError: unreadable, malformed or empty, naming the file and the fix.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror}); check the path") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # subtitle tools on Windows often write cp1252; it decodes any byte, so it goes last
        text = raw.decode("cp1252", errors="replace")
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            t = Transcript.from_dict(json.loads(text))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f"{path}: not a mine transcript JSON ({type(exc).__name__}: {exc}); "
                "pass the .json that mine transcribe wrote, or an .srt/.vtt/.txt transcript"
            ) from None
        conv = Conversation(
            t.call_id,
            path.name,
            language or t.language,
            t.utterances,
            f"{t.model.name} {t.model.sha256[:12]}",
        )
    elif suffix in (".srt", ".vtt"):
        utterances = _from_subtitles(text)
        if not utterances and text.strip():
            raise InputError(
                f"{path}: no subtitle cues found (expected 'HH:MM:SS,mmm --> ...' "
                "lines); check that it is a valid subtitle file"
            )
        conv = Conversation(hashlib.sha256(raw).hexdigest(), path.name, language, tuple(utterances))
    elif suffix == ".txt":
        conv = Conversation(
            hashlib.sha256(raw).hexdigest(), path.name, language, tuple(_from_text(text))
        )
    else:
        raise InputError(f"{path}: unsupported transcript type; use .json, .srt, .vtt or .txt")
    if not any(u.text.strip() for u in conv.utterances):
        raise InputError(f"{path}: the transcript is empty; nothing to extract terms from")
    if conv.language is None:
        sample = " ".join(u.text for u in conv.utterances[:200])
        guessed = guess_language(sample)
        if guessed is None:
            raise InputError(
                f"{path}: cannot tell the language; pass --language nl or --language en"
            )
        conv = Conversation(conv.call_id, conv.source, guessed, conv.utterances, conv.model)
    return conv


def find_transcripts(paths: list[Path]) -> list[Path]:
    """Expand folders into the transcript files directly inside them (sorted).

    mine writes one recording as ``.json`` plus views (``.txt``, ``.srt``, ``.vtt``) with the same
    stem; only the richest format of each stem is read, so a call is never counted twice.
    """
    rank = {".json": 0, ".vtt": 1, ".srt": 2, ".txt": 3}
    found: list[Path] = []
    for p in paths:
        if not p.is_dir():
            found.append(p)
            continue
        best: dict[str, Path] = {}
        for f in sorted(p.iterdir()):
            if (
                f.suffix.lower() not in SUFFIXES
                or f.name.endswith(".raw.json")
                or f.name in ("terms.json", "gap.json", "crawl.json")
            ):
                continue
            if f.stem not in best or rank[f.suffix.lower()] < rank[best[f.stem].suffix.lower()]:
                best[f.stem] = f
        found += sorted(best.values())
    return found
