"""The transcriber: faster-whisper on the CPU, windowed for bounded memory, with quality flags.

This is the only module that imports faster-whisper; its objects are converted to
``pipeline.records`` here and nowhere else.
"""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np

from pipeline import languages
from pipeline.clock import now
from pipeline.config import TranscribeOptions, options_dict, parse_channels
from pipeline.errors import ModelError
from pipeline.records import ModelInfo, Transcript, Utterance, Word
from transcribe.audio import (
    FRAME_S,
    SAMPLE_RATE,
    DecodedAudio,
    frame_levels,
    plan_windows,
    window_samples,
)
from transcribe.models import ResolvedModel, resolve_model

log = logging.getLogger(__name__)

#: Flag thresholds, as in OpenAI Whisper's own fallback rules.
NO_SPEECH_PROB = 0.6
LOW_LOGPROB = -1.0
MAX_COMPRESSION = 2.4
_SENTENCE_END = re.compile(r"[.?!…]['\")\]]*$")

ProgressFn = Callable[[float], None]


@dataclass(frozen=True)
class _Seg:
    """A segment converted from faster-whisper, with times already absolute."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...]
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float


def compression_ratio(text: str) -> float:
    """gzip-style compression ratio of ``text``, Whisper's measure of repetitive output."""
    raw = text.encode("utf-8")
    return len(raw) / len(zlib.compress(raw)) if raw else 0.0


def has_loop(text: str) -> bool:
    """True if ``text`` repeats an n-gram back to back: a word 5 times, or 2-4 words 3 times."""
    tokens = re.findall(r"\w+", text.lower())
    for n, times in ((1, 5), (2, 3), (3, 3), (4, 3)):
        for i in range(len(tokens) - n * times + 1):
            gram = tokens[i : i + n]
            if all(tokens[i + k * n : i + (k + 1) * n] == gram for k in range(1, times)):
                return True
    return False


def quality_flags(seg: _Seg, levels: np.ndarray, silence_db: float) -> tuple[str, ...]:
    """Return the likely-hallucination flags of one utterance (see docs/transcripts.md)."""
    flags = []
    if seg.no_speech_prob > NO_SPEECH_PROB and seg.avg_logprob < LOW_LOGPROB:
        flags.append("no-speech")
    elif seg.avg_logprob < LOW_LOGPROB:
        flags.append("low-confidence")
    if seg.compression_ratio > MAX_COMPRESSION or has_loop(seg.text):
        flags.append("repetition")
    lo, hi = (
        int(seg.start / FRAME_S),
        max(int(np.ceil(seg.end / FRAME_S)), int(seg.start / FRAME_S) + 1),
    )
    span = levels[lo:hi]
    if span.size and float(np.mean(span > silence_db)) < 0.1:
        flags.append("in-silence")
    low = seg.text.lower()
    # phrases Whisper is known to invent over silence or music (from subtitle training data)
    if any(p in low for p in languages.merged("hallucinations")):
        flags.append("known-hallucination")
    return tuple(flags)


def split_sentences(seg: _Seg, *, min_words: int = 3) -> list[_Seg]:
    """Split a multi-sentence segment at sentence ends, using its word timestamps.

    Batched decoding returns one segment per speech chunk (up to 30 s); quotes and
    subtitles read better a sentence at a time.
    """
    if len(seg.words) < 2 * min_words:
        return [seg]
    pieces: list[list[Word]] = [[]]
    for word in seg.words:
        pieces[-1].append(word)
        if _SENTENCE_END.search(word.word.strip()) and len(pieces[-1]) >= min_words:
            pieces.append([])
    if not pieces[-1]:
        pieces.pop()
    if len(pieces) > 1 and len(pieces[-1]) < min_words:
        pieces[-2].extend(pieces.pop())
    if len(pieces) == 1:
        return [seg]
    out = []
    for words in pieces:
        text = "".join(w.word for w in words).strip()
        out.append(
            _Seg(
                words[0].start,
                words[-1].end,
                text,
                tuple(words),
                seg.avg_logprob,
                seg.no_speech_prob,
                compression_ratio(text),
            )
        )
    return out


def _convert(segments: Iterable, offset: float, on_advance: ProgressFn) -> Iterable[_Seg]:
    for s in segments:
        words = tuple(
            Word(
                w.word,
                round(w.start + offset, 3),
                round(w.end + offset, 3),
                round(w.probability, 4),
            )
            for w in (s.words or ())
        )
        on_advance(s.end + offset)
        yield _Seg(
            round(s.start + offset, 3),
            round(s.end + offset, 3),
            s.text.strip(),
            words,
            float(s.avg_logprob),
            float(s.no_speech_prob),
            float(s.compression_ratio),
        )


class Transcriber:
    """Holds one loaded Whisper model and transcribes decoded recordings with it.

    Example:
        >>> t = Transcriber(TranscribeOptions(model="base"), cache_dir=Path("~/.cache/mine"))
        >>> transcript = t.transcribe(decode(Path("visit.m4a")), call_id="…", source="visit.m4a")
    """

    def __init__(
        self,
        options: TranscribeOptions,
        *,
        cache_dir: Path,
        on_status: Callable[[str], None] | None = None,
    ) -> None:
        """Resolve, verify and load the model named in ``options``."""
        self.options = options
        self.resolved: ResolvedModel = resolve_model(
            options.model, cache_dir=cache_dir, on_progress=on_status
        )
        if self.resolved.english_only and options.language not in ("auto", "en"):
            raise ModelError(
                f"model '{options.model}' only transcribes English, not "
                f"'{options.language}'; use --model base for other languages"
            )
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        try:
            self.model = WhisperModel(
                str(self.resolved.path),
                device="cpu",
                compute_type=options.compute_type,
                cpu_threads=options.cpu_threads,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(
                f"{self.resolved.path}: cannot load the model ({exc}); delete the "
                "folder so it is assembled again, or choose another --model"
            ) from None
        self.pipeline = BatchedInferencePipeline(self.model) if options.batch_size else None

    @property
    def model_info(self) -> ModelInfo:
        """Name, sha256 and source of the loaded model."""
        return ModelInfo(self.options.model, self.resolved.sha256, self.resolved.source)

    def detect_language(self, audio: np.ndarray) -> tuple[str, float, dict[str, float]]:
        """Detect the language of float32 ``audio`` among the expected languages only.

        Whisper's unrestricted detection answered Latin on poor Dutch audio; restricting the
        choice to the workspace's languages (default nl, en) avoids such answers.

        Returns:
            (language, Whisper's own probability for it, probabilities over the allowed ones).
        """
        from faster_whisper.vad import VadOptions, collect_chunks, get_speech_timestamps

        allowed = self.options.languages
        if len(allowed) == 1:
            return allowed[0], 1.0, {allowed[0]: 1.0}
        if not self.options.vad:
            return self._detect_in(audio, allowed)[0]
        # The first 45 s usually hold the 20 s of speech one confident 30 s piece needs; only
        # when that piece is not confident does the detection look at up to three pieces from
        # the first two minutes (or the whole file when those hold too little speech).
        heads = [audio[: s * SAMPLE_RATE] for s in (45, 120) if s * SAMPLE_RATE < audio.shape[0]]
        heads.append(audio)
        for head in heads:
            last = head is heads[-1]
            speech = get_speech_timestamps(head, VadOptions())
            if sum(c["end"] - c["start"] for c in speech) < 20 * SAMPLE_RATE and not last:
                continue
            spoken = np.concatenate(collect_chunks(head, speech)[0]) if speech else head
            quick = head is heads[0] and not last  # the first 45 s: one piece, or look further
            result, confident = self._detect_in(spoken, allowed, pieces=1 if quick else 3)
            if confident or not quick:
                return result
        raise AssertionError("unreachable: the last head always returns")

    def _detect_in(
        self, audio: np.ndarray, allowed: Sequence[str], pieces: int = 3
    ) -> tuple[tuple[str, float, dict[str, float]], bool]:
        """Detection over up to ``pieces`` 30 s pieces of ``audio``; whether it was confident
        (an average share of 0.8 or more for the best language)."""
        totals = {lang: 0.0 for lang in allowed}
        raw = dict.fromkeys(allowed, 0.0)
        piece = 30 * SAMPLE_RATE
        confident = False
        for i in range(0, min(audio.shape[0], pieces * piece), piece):
            _, _, probs = self.model.detect_language(audio[i : i + piece])
            table = dict(probs)
            mass = sum(table.get(lang, 0.0) for lang in allowed) or 1e-9
            for lang in allowed:
                totals[lang] += table.get(lang, 0.0) / mass
                raw[lang] = max(raw[lang], table.get(lang, 0.0))
            best = max(totals, key=totals.get)  # type: ignore[arg-type]
            if totals[best] / (i // piece + 1) >= 0.8:
                confident = True
                break
        count = sum(totals.values()) or 1.0
        share = {lang: round(v / count, 4) for lang, v in totals.items()}
        best = max(share, key=share.get)  # type: ignore[arg-type]
        return (best, round(raw[best], 4), share), confident

    def _decode_window(
        self, audio: np.ndarray, language: str, offset: float, on_advance: ProgressFn
    ) -> list[_Seg]:
        o = self.options
        common = dict(
            language=language,
            beam_size=o.beam_size,
            word_timestamps=True,
            vad_filter=o.vad,
            temperature=list(o.temperature),
        )
        if self.pipeline is not None:
            segments, _ = self.pipeline.transcribe(audio, batch_size=o.batch_size, **common)
        else:
            segments, _ = self.model.transcribe(audio, **common)
        out: list[_Seg] = []
        for seg in _convert(segments, offset, on_advance):
            out.extend(split_sentences(seg))
        return out

    def transcribe(
        self,
        audio: DecodedAudio,
        *,
        call_id: str,
        source: str,
        on_progress: ProgressFn | None = None,
    ) -> Transcript:
        """Transcribe one decoded recording into a ``Transcript``.

        Args:
            audio: the decoded recording (two channels kept when ``options.channels`` is set).
            call_id: sha256 of the audio file's bytes.
            source: the file name recorded in the transcript.
            on_progress: called with the fraction of the work done so far (0 to 1).
        """
        o = self.options
        report = on_progress or (lambda _s: None)
        roles = _channel_roles(o.channels)
        mix = audio.channel(None)
        levels_mix = frame_levels(mix)
        windows = plan_windows(levels_mix, window_s=o.window_s)
        language, prob, share = self._language(mix, windows)
        del mix
        work = max(audio.duration * len(roles), 1e-6)
        segs: list[tuple[_Seg, str, tuple[str, ...]]] = []
        for n, (index, role) in enumerate(roles):
            levels = levels_mix if index is None else None
            progress = _Share(report, done=n * audio.duration, work=work)
            segs += self._channel(audio, index, role, windows, language, levels, progress)
        segs.sort(key=lambda item: (item[0].start, item[0].end))
        utterances = tuple(
            _utterance(i, s, role, flags) for i, (s, role, flags) in enumerate(segs) if s.text
        )
        report(1.0)
        return Transcript(
            call_id=call_id,
            source=source,
            language=language,
            language_probability=prob,
            model=self.model_info,
            options=options_dict(o),
            duration=round(audio.duration, 3),
            utterances=utterances,
            speakers_source="channels" if o.channels else "none",
            created_at=now(),
            mine_version=version("mine"),
            extra={
                "language_shares": share,
                "windows": [[round(a, 1), round(b, 1)] for a, b in windows],
                "faster_whisper": version("faster-whisper"),
            },
        )

    def _language(
        self, mix: np.ndarray, windows: Sequence[tuple[float, float]]
    ) -> tuple[str, float, dict[str, float]]:
        """The language, its probability and shares: the one set, English for an English-only
        model, else detected on the first window."""
        o = self.options
        if o.language != "auto":
            return o.language, 1.0, {o.language: 1.0}
        if self.resolved.english_only:
            return "en", 1.0, {"en": 1.0}
        w0, w1 = windows[0]
        return self.detect_language(window_samples(mix, w0, w1))

    def _channel(
        self,
        audio: DecodedAudio,
        index: int | None,
        role: str,
        windows: Sequence[tuple[float, float]],
        language: str,
        levels: np.ndarray | None,
        progress: _Share,
    ) -> list[tuple[_Seg, str, tuple[str, ...]]]:
        """Transcribe one channel (``None``: the mix) window by window, with quality flags."""
        samples = audio.channel(index)
        if levels is None:
            levels = frame_levels(samples)
        silence_db = max(-60.0, float(np.percentile(levels, 10)) + 3.0)
        segs = []
        for start, end in windows:
            chunk = window_samples(samples, start, end)
            found = self._decode_window(chunk, language, start, progress)
            del chunk
            segs.extend((s, role, quality_flags(s, levels, silence_db)) for s in found)
            progress(end)
        return segs


def _channel_roles(channels: str | None) -> Sequence[tuple[int | None, str]]:
    """(channel index, role) to transcribe: each named channel, or the mix as ``unknown``."""
    if not channels:
        return [(None, "unknown")]
    side = {"left": 0, "right": 1}
    return [(side[s], r) for s, r in sorted(parse_channels(channels).items())]


@dataclass(frozen=True)
class _Share:
    """Progress of one channel as a share of the whole file's work (channels x duration)."""

    report: ProgressFn
    done: float  # seconds of work finished before this channel
    work: float  # seconds of work in all

    def __call__(self, seconds: float) -> None:
        """Report that this channel is done up to ``seconds``."""
        self.report((self.done + seconds) / self.work)


def _utterance(idx: int, s: _Seg, role: str, flags: tuple[str, ...]) -> Utterance:
    return Utterance(
        idx=idx,
        start=s.start,
        end=s.end,
        speaker=role,
        text=s.text,
        words=s.words,
        avg_logprob=round(s.avg_logprob, 4),
        no_speech_prob=round(s.no_speech_prob, 4),
        compression_ratio=round(s.compression_ratio, 3),
        flags=flags,
    )
