"""Rebuild the audio fixtures in tests/fixtures/ (data/sample/ is made by make_demo_data.py).

Needs Debian's espeak-ng and ffmpeg (apt-get install espeak-ng ffmpeg) and ../shared/data/speech-nl
(real Dutch speech, CC0). The outputs are committed; tests never run this script.

    .venv/bin/python scripts/make_audio_fixtures.py
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SPEECH_NL = ROOT.parent / "shared" / "data" / "speech-nl"
FIXTURES = ROOT / "tests" / "fixtures"
RATE = 16000

#: Real Dutch clips copied as fixtures (file in speech-nl/wavs).
NL_CLIPS = (
    "nl_rhasspy_853_1601891286.wav",
    "nl_rhasspy_645_1602007895.wav",
    "nl_rhasspy_97_1602426846.wav",
    "nl_rhasspy_1041_1601732709.wav",
)

EN_MONO = (
    "Thanks for having us today. We have been looking at maintenance contracts for our heat "
    "pumps. The quote you sent last month was quite expensive, and a delivery time of six weeks "
    "is a problem for us. What does the service level agreement cover?"
)
EN_PII = (
    "Hello, this is Jan de Vries from Bakker Installations. You can reach me by email at jan dot "
    "devries at bakker dot com, or call me on zero six, one two three four, five six seven eight. "
    "We need the quote before Friday."
)
STEREO_TURNS = (  # (role, voice, text); the rep is on the left channel, the customer on the right
    ("rep", "en-us", "Good morning, thanks for meeting us. I brought our new maintenance plan."),
    ("customer", "en-gb+f3", "Thanks. Our main problem is the delivery time of spare parts."),
    ("rep", "en-us", "Our service contract includes next day delivery of all parts."),
    ("customer", "en-gb+f3", "That sounds good, but the quote was too expensive for our budget."),
)


def speak(text: str, voice: str, speed: int = 150) -> np.ndarray:
    """Synthesize ``text`` with espeak-ng and return 16 kHz int16 mono samples."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True
        )
        return resample_clip(raw)


def read_wav(path: Path) -> np.ndarray:
    """The first channel of a 16-bit WAV file."""
    with wave.open(str(path)) as w:
        assert w.getsampwidth() == 2
        data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
        return data.reshape(-1, w.getnchannels())[:, 0].copy()


def resample_clip(path: Path) -> np.ndarray:
    """Any audio file as 16 kHz int16 mono samples (through ffmpeg)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.wav"
        encode(path, out, "-ar", str(RATE), "-ac", "1")
        return read_wav(out)


def write_wav(path: Path, samples: np.ndarray) -> None:
    samples = samples if samples.ndim == 2 else samples[:, None]
    with wave.open(str(path), "wb") as w:
        w.setnchannels(samples.shape[1])
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.astype(np.int16).tobytes())


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.int16)


def encode(src: Path, dst: Path, *args: str) -> None:
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-i", str(src), *args, str(dst)], check=True
    )


def references() -> dict[str, str]:
    with (SPEECH_NL / "references.tsv").open(encoding="utf-8") as fh:
        return {Path(r["file"]).name: r["reference"] for r in csv.DictReader(fh, delimiter="\t")}


def main() -> None:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    refs = references()
    rows = []
    for name in NL_CLIPS:
        shutil.copyfile(SPEECH_NL / "wavs" / name, FIXTURES / name)
        rows.append((name, refs[name]))

    en = speak(EN_MONO, "en-us")
    write_wav(FIXTURES / "en_call.wav", np.concatenate([silence(0.5), en, silence(0.5)]))
    encode(FIXTURES / "en_call.wav", FIXTURES / "en_call.flac")
    encode(FIXTURES / "en_call.wav", FIXTURES / "en_call.mp3", "-b:a", "48k")
    (FIXTURES / "en_call.wav").unlink()
    rows.append(("en_call.flac", EN_MONO))

    write_wav(FIXTURES / "en_pii.wav", speak(EN_PII, "en-us", speed=140))
    encode(FIXTURES / "en_pii.wav", FIXTURES / "en_pii.flac")
    (FIXTURES / "en_pii.wav").unlink()
    rows.append(("en_pii.flac", EN_PII))

    left, right = [], []
    for role, voice, text in STEREO_TURNS:
        turn = np.concatenate([speak(text, voice), silence(0.6)])
        mute = np.zeros_like(turn)
        left.append(turn if role == "rep" else mute)
        right.append(turn if role == "customer" else mute)
    stereo = FIXTURES / "stereo_call.wav"
    write_wav(stereo, np.stack([np.concatenate(left), np.concatenate(right)], axis=1))
    encode(stereo, FIXTURES / "stereo_call.flac")
    stereo.unlink()
    rows.append(("stereo_call.flac", " ".join(t for _, _, t in STEREO_TURNS)))

    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "color=c=black:s=16x16:d=1",
            "-c:v",
            "mpeg4",
            str(FIXTURES / "video_only.mp4"),
        ],
        check=True,
    )
    with (FIXTURES / "references.tsv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
        writer.writerow(["file", "reference"])
        writer.writerows(rows)


if __name__ == "__main__":
    main()
