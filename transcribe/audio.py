"""Decoding and checking recordings (PyAV, no system ffmpeg), and cutting long ones into windows.

Audio is kept as 16 kHz int16 (2 bytes a sample) and converted to float32 one window at a
time, so memory stays bounded on long recordings: a 90-minute mono file is 173 MB here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np

from pipeline.dates import plausible
from pipeline.errors import InputError
from pipeline.files import FileIdentity, real_file
from pipeline.records import AUDIO_SUFFIXES

SAMPLE_RATE = 16000
FRAME_S = 0.1  # energy frame for silence checks and window cuts
_FRAME = int(SAMPLE_RATE * FRAME_S)
_SILENT_PEAK = 10 ** (-60 / 20)  # -60 dBFS: below this the whole file is taken as silence


@dataclass(frozen=True)
class DecodedAudio:
    """A recording decoded to 16 kHz int16 samples; ``samples`` has shape (n, channels_kept)."""

    samples: np.ndarray
    channels: int  # channel count of the source stream
    declared_duration: float | None

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.samples.shape[0] / SAMPLE_RATE

    def channel(self, index: int | None) -> np.ndarray:
        """Return one channel (0 left, 1 right) or, with ``None``, the mono mix, as int16."""
        if self.samples.shape[1] == 1:
            return self.samples[:, 0]
        if index is None:
            return (self.samples.astype(np.int32).sum(axis=1) // self.samples.shape[1]).astype(
                np.int16
            )
        return self.samples[:, index]


def check_path(path: Path) -> None:
    """Raise ``InputError`` unless ``path`` (links followed) is a readable, non-empty file.

    Reads no content.
    """
    real = real_file(path)
    try:
        size = real.stat().st_size
        with real.open("rb"):
            pass
    except OSError as exc:
        raise InputError(
            f"{path}: cannot be read ({exc.strerror}); check its permissions"
        ) from None
    if size == 0:
        raise InputError(
            f"{path}: file is empty (0 bytes); copy the recording again from the device"
        )


def _changed(path: Path) -> InputError:
    return InputError(
        f"{path}: the file changed after its consent was checked (replaced or written to); "
        "nothing of it was used: run again once the recording is complete"
    )


def decode(
    path: Path, *, keep_stereo: bool = False, expect: FileIdentity | None = None
) -> DecodedAudio:
    """Decode ``path`` to 16 kHz int16, mono or (``keep_stereo``) two channels.

    With ``expect`` (the identity of the bytes the consent gate hashed), the file is decoded from
    one open descriptor that must still be that file, before and after decoding: audio replaced
    or rewritten after the gate is refused, never transcribed.

    Raises:
        InputError: not audio, no audio track, truncated, empty or silent, or changed.
    """
    with path.open("rb") as fh:
        if expect is not None and FileIdentity.of(os.fstat(fh.fileno())) != expect:
            raise _changed(path)
        audio = _decode(fh, path, keep_stereo)
        if expect is not None and FileIdentity.of(os.fstat(fh.fileno())) != expect:
            raise _changed(path)
        declared = max(audio.declared_duration or 0.0, _riff_declared_seconds(fh) or 0.0) or None
    if declared and declared > 5 and audio.duration < 0.9 * declared:
        raise InputError(
            f"{path}: truncated or corrupt: only {audio.duration:.0f} s of the declared "
            f"{declared:.0f} s could be decoded; copy the complete file again from the device"
        )
    peak = np.abs(audio.samples).max() / 32768.0
    if peak < _SILENT_PEAK:
        raise InputError(
            f"{path}: the audio is silent ({audio.duration:.0f} s, peak below -60 dBFS); "
            "check the microphone or the file"
        )
    return audio


def _decode(fh: BinaryIO, path: Path, keep_stereo: bool) -> DecodedAudio:
    layout = "stereo" if keep_stereo else "mono"
    chunks: list[np.ndarray] = []
    declared: float | None = None
    bad_frames = 0
    try:
        with av.open(fh, mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise InputError(f"{path}: has no audio track; pass the recording's audio file")
            stream = container.streams.audio[0]
            channels = stream.codec_context.channels or 1
            if keep_stereo and channels != 2:
                raise InputError(
                    f"{path}: has {channels} channel(s), but --channels needs a stereo recording; "
                    "drop --channels for a mono file"
                )
            if stream.duration is not None and stream.time_base is not None:
                declared = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                declared = container.duration / av.time_base
            resampler = av.AudioResampler(format="s16", layout=layout, rate=SAMPLE_RATE)
            packets = container.demux(stream)
            while True:
                try:
                    packet = next(packets)
                except StopIteration:
                    break
                except av.error.InvalidDataError:
                    bad_frames += 1
                    if bad_frames > 50:
                        break
                    continue
                try:
                    frames = packet.decode()
                except (av.error.InvalidDataError, ValueError):
                    bad_frames += 1
                    continue
                for frame in frames:
                    for out in resampler.resample(frame):
                        chunks.append(out.to_ndarray().reshape(-1, 2 if keep_stereo else 1).copy())
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1, 2 if keep_stereo else 1).copy())
    except InputError:
        raise
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise InputError(
            f"{path}: not a readable audio file ({reason}); check that it is a complete recording "
            f"in a common format ({', '.join(s[1:] for s in AUDIO_SUFFIXES[:8])})"
        ) from None
    samples = np.concatenate(chunks) if chunks else np.zeros((0, 2 if keep_stereo else 1), np.int16)
    audio = DecodedAudio(samples, channels, declared)
    if audio.duration < 0.1:
        if bad_frames:
            raise InputError(
                f"{path}: corrupt audio, nothing could be decoded; copy the recording "
                "again from the device"
            )
        raise InputError(f"{path}: contains no audio (0 seconds); check the recording")
    return audio


def _riff_declared_seconds(fh: BinaryIO) -> float | None:
    """Duration a WAV header declares for its data chunk (FFmpeg trusts the file size instead)."""
    import struct

    try:
        fh.seek(0)
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        byte_rate = 0
        while chunk := fh.read(8):
            if len(chunk) < 8:
                return None
            cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if cid == b"fmt ":
                fmt = fh.read(size + (size & 1))
                byte_rate = struct.unpack("<I", fmt[8:12])[0]
            elif cid == b"data":
                return size / byte_rate if byte_rate and size != 0xFFFFFFFF else None
            else:
                fh.seek(size + (size & 1), 1)
    except (OSError, struct.error):
        return None
    return None


def frame_levels(samples: np.ndarray) -> np.ndarray:
    """Return the RMS level in dBFS of each 100 ms frame of int16 ``samples``."""
    n = samples.shape[0] // _FRAME
    levels = np.empty(n + (1 if samples.shape[0] % _FRAME else 0), dtype=np.float32)
    block = 60 * 10  # frames per block: one minute, to keep the float copy small
    for i in range(0, n, block):
        part = samples[i * _FRAME : (i + block) * _FRAME][: (min(block, n - i)) * _FRAME]
        frames = part.astype(np.float32).reshape(-1, _FRAME) / 32768.0
        levels[i : i + frames.shape[0]] = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    if levels.shape[0] > n:
        tail = samples[n * _FRAME :].astype(np.float32) / 32768.0
        levels[n] = 10 * np.log10(np.mean(tail**2) + 1e-12)
    return levels


def plan_windows(
    levels: np.ndarray, *, window_s: float, search_s: float = 30.0
) -> list[tuple[float, float]]:
    """Cut a recording into windows of at most ``window_s`` seconds at its quietest moments.

    Each cut is placed at the last of the quietest 100 ms frames in the ``search_s`` seconds
    before the window limit, so no word is split in two and windows stay near full length.
    """
    total = levels.shape[0] * FRAME_S
    windows: list[tuple[float, float]] = []
    start = 0.0
    while total - start > window_s:
        hi = int((start + window_s) / FRAME_S)
        lo = max(int((start + window_s - search_s) / FRAME_S), int(start / FRAME_S) + 1)
        span = levels[lo:hi]
        # The latest frame within 3 dB of the quietest: windows stay long, cuts stay in pauses.
        quiet = np.flatnonzero(span <= span.min() + 3.0)
        cut = (lo + int(quiet[-1])) * FRAME_S
        windows.append((start, cut))
        start = cut
    windows.append((start, total))
    return windows


def window_samples(samples: np.ndarray, start: float, end: float) -> np.ndarray:
    """Return ``samples[start:end]`` (seconds) as float32 in [-1, 1] for the model."""
    a, b = int(start * SAMPLE_RATE), int(end * SAMPLE_RATE)
    return samples[a:b].astype(np.float32) / 32768.0


def media_created(path: Path) -> date | None:
    """The recording date a media file's tags give (``creation_time`` of the container or its
    audio stream, as phones and recorders write it), or None: no tag, an unreadable one, or a
    file that cannot be opened (the date then comes from elsewhere, never an error)."""
    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as container:
            tags = [container.metadata, *(s.metadata for s in container.streams.audio[:1])]
    except Exception:  # noqa: BLE001 - any file PyAV cannot open: no tag to read
        return None
    for meta in tags:
        value = str(meta.get("creation_time") or meta.get("date") or "").strip()[:64]
        if len(value) >= 8 and value[:8].isdigit():  # compact: 20260304T101010
            value = f"{value[:4]}-{value[4:6]}-{value[6:8]}"
        if len(value) >= 10:
            try:
                found = datetime.fromisoformat(value[:10]).date()
            except ValueError:
                continue
            if plausible(found):
                return found
    return None
