"""``render_report``: one self-contained HTML file (jinja2, inline CSS/JS/SVG) plus nothing else.

The page makes no request of any kind: no fonts, scripts, images or styles from elsewhere.
Customer and site text reach the page only as autoescaped template values or as JSON that the
page's script inserts with ``textContent``; none of it is ever interpreted as markup.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined
from markupsafe import Markup

from pipeline import languages as registry
from pipeline.config import Settings
from pipeline.files import write_atomic
from pipeline.reading import read_record
from pipeline.records import GapFile, GapRow, QuestionsFile
from pipeline.state import register_for_calls


def _json_for_script(data: Any) -> Markup:
    """JSON that is safe inside <script type="application/json">: no '<', '>' or '&' survive."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - escaped above; parsed with JSON.parse, never as HTML


def environment(template_dir: Path | None = None) -> Environment:
    """The report's jinja2 environment; a user template folder overrides the shipped templates."""
    loaders = [FileSystemLoader(str(template_dir))] if template_dir else []
    loaders.append(PackageLoader("reports", "templates"))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson_script"] = _json_for_script
    return env


def _audio_links(settings: Settings) -> dict[str, str]:
    """call_id -> file URI of the recording, for calls whose audio is still held."""
    db = settings.workspace / "state.db"
    if not db.is_file():
        return {}
    from pipeline.state import open_state, recordings

    with open_state(settings.workspace) as conn:
        return {
            r.call_id: Path(r.path).resolve().as_uri()
            for r in recordings(conn)
            if not r.audio_deleted_at and Path(r.path).is_file()
        }


def _bars(rows: tuple[GapRow, ...], n: int = 15) -> list[dict[str, Any]]:
    """The chart of the top ``n`` gaps that are not covered, widths relative to the first."""
    top = [r for r in rows if r.status != "covered"][:n]
    peak = max((r.score for r in top), default=1.0) or 1.0
    return [
        {
            "term": r.term,
            "status": r.status,
            "score": r.score,
            "width": round(100 * r.score / peak, 1),
        }
        for r in top
    ]


def _page_rows(gaps: tuple[GapRow, ...], audio: dict[str, str]) -> list[dict[str, Any]]:
    """The gap rows as the page's script gets them: as gap.json holds them, and each quote
    with ``audio``, a link to its moment in the recording (None where the audio is gone)."""
    rows = []
    for row in gaps:
        data = row.to_dict()
        for quote, record in zip(data["evidence"], row.evidence, strict=True):
            uri = audio.get(record.call_id or "")
            quote["audio"] = f"{uri}#t={record.start:.1f}" if uri else None
        rows.append(data)
    return rows


def _summary(meta: dict[str, Any], left_out: list[dict[str, str]] | None) -> dict[str, Any]:
    """The summary cards: conversations, customer minutes, pages, counts, what was left out."""
    terms_meta = meta.get("terms", {})
    sources = terms_meta.get("sources", [])
    dates = sorted(
        s["recorded_at"]
        for s in sources
        if isinstance(s.get("recorded_at"), str) and len(s["recorded_at"]) == 10
    )
    return {
        "conversations": terms_meta.get("conversations", len(sources)),
        # the period the conversations were recorded in (first and last date), when known
        "period": (dates[0], dates[-1]) if dates else None,
        "minutes": round(sum(s.get("customer_seconds", 0) for s in sources) / 60, 1),
        "roles_known": sum(bool(s.get("roles_known")) for s in sources),
        "roles_share": round(
            100
            * sum(s.get("role_seconds", 0) for s in sources)
            / max(sum(s.get("speech_seconds", 0) for s in sources), 1e-9)
        )
        if any(s.get("speech_seconds") for s in sources)
        else None,
        "pages": meta.get("pages", 0),
        "counts": {
            s: meta.get("status_counts", {}).get(s, 0) for s in ("missing", "underused", "covered")
        },
        "left_out": [{"file": f["file"], "reason": f["reason"]} for f in left_out or []]
        + [{"file": f["file"], "reason": f["error"]} for f in terms_meta.get("failed", [])],
    }


def _notices(meta: dict[str, Any], ui: dict[str, str]) -> list[str]:
    """Plain sentences above the tables when the comparison is weak or was not made: a customer
    language with no page (or few pages) on the site."""
    total = meta.get("pages", 0)
    notices = []
    for lang, found in sorted(meta.get("languages", {}).items()):
        name = ui.get(f"lang_{lang}", lang)
        if not found["pages"]:
            notices.append(ui["no_pages_in"].format(language=name, terms=found["terms"]))
        elif found.get("note"):
            notices.append(
                ui["few_pages_in"].format(language=name, pages=found["pages"], total=total)
            )
    return notices


def _settings_view(meta: dict[str, Any]) -> dict[str, Any]:
    """How the report was made; every key the template reads, so an older or edited gap.json
    renders too."""
    terms_meta = meta.get("terms", {})
    crawl, rule = meta.get("crawl", {}), meta.get("rule", {})
    return {
        "mine": version("mine"),
        "made": datetime.now(UTC).isoformat(timespec="minutes"),
        "pipelines": {
            lang: {"pipeline": p.get("pipeline", ""), "version": p.get("version", "")}
            for lang, p in terms_meta.get("pipelines", {}).items()
        },
        "term_options": terms_meta.get("options", {}),
        "crawl": {k: crawl.get(k) for k in ("start", "pages_fetched", "seconds", "user_agent")},
        "rule": {"underused_factor": rule.get("underused_factor", "")},
        "score": meta.get("score", ""),
        "term_score": terms_meta.get("score", ""),
        "speech_models": sorted(
            {s["model"] for s in terms_meta.get("sources", []) if s.get("model")}
        ),
    }


#: Terms shown as new and as rising in "What changed" (all are in trends.csv).
CHANGES_SHOWN = 15
_SPARK_W, _SPARK_H = 120, 24


def _spark(shares: list[float]) -> str:
    """An SVG polyline's points for a term's share per period (numbers only)."""
    top = max(shares, default=0.0) or 1.0
    step = _SPARK_W / max(len(shares) - 1, 1)
    return " ".join(
        f"{i * step:.1f},{_SPARK_H - 2 - (v / top) * (_SPARK_H - 4):.1f}"
        for i, v in enumerate(shares)
    )


def _changes(trends: dict[str, Any] | None) -> dict[str, Any] | None:
    """The "What changed" section: the latest period's new and rising terms, each with a small
    line of its share per period, and the gaps closed (or opened) since the previous run and
    since the first; None without trends (``mine report`` on its own)."""
    if not trends:
        return None
    periods = [p["period"] for p in trends.get("periods", [])]
    series = {(s["language"], s["key"]): s["shares"] for s in trends.get("series", [])}
    latest = trends["periods"][-1] if periods else {}

    def terms(kind: str) -> list[dict[str, Any]]:
        return [
            {**t, "points": _spark(series.get((t["language"], t["key"]), []))}
            for t in latest.get(kind, [])[:CHANGES_SHOWN]
        ]

    gaps = trends.get("gaps", {})
    return {
        "periods": periods,
        "latest": periods[-1] if periods else "",
        "new": terms("new"),
        "rising": terms("rising"),
        "since_previous": gaps.get("since_previous"),
        "since_first": gaps.get("since_first"),
        "width": _SPARK_W,
        "height": _SPARK_H,
    }


#: Questions listed in the report (all are in questions.csv).
QUESTIONS_SHOWN = 200


def _link(url: str) -> str | None:
    """A page address the report may link to: http(s) only (a site export's file path, or a
    ``javascript:`` address in a damaged file, is shown as text)."""
    return url if url.startswith(("https://", "http://")) else None


def _questions(path: Path) -> list[dict[str, Any]]:
    """questions.json's rows (unanswered first), each with ``link``; none when there is no
    questions.json (a gap folder from before questions).

    Raises:
        InputError: a questions.json that ``mine gap`` did not write.
    """
    if not path.exists():
        return []
    asked = read_record(path, QuestionsFile, made_by="mine gap")
    return [{**q.to_dict(), "link": _link(q.answer_url)} for q in asked.questions]


def render_report(
    gap_dir: Path,
    *,
    out: Path,
    settings: Settings,
    lang: str | None = None,
    link_audio: bool = False,
    template_dir: Path | None = None,
    left_out: list[dict[str, str]] | None = None,
    trends: dict[str, Any] | None = None,
) -> Path:
    """Write the term-gap report as one self-contained HTML file (with ``trends``, the
    trends.json of ``mine run``: a "What changed" section).

    Raises:
        InputError: the gap folder has no gap.json, or not one ``mine gap`` wrote.
    """
    path = gap_dir / "gap.json" if gap_dir.is_dir() else gap_dir
    gap = read_record(path, GapFile, made_by="mine gap")
    terms_meta = gap.meta.get("terms", {})
    languages = terms_meta.get("languages", {}) or {"en": 1}
    ui_lang = lang or max(languages, key=lambda k: languages[k])
    ui = dict(registry.ui(ui_lang))  # English for a language without report strings
    audio = _audio_links(settings) if link_audio else {}
    questions = _questions(path.parent / "questions.json")
    html = (
        environment(template_dir)
        .get_template("report.html.j2")
        .render(
            ui=ui,
            lang=ui_lang,
            summary=_summary(gap.meta, left_out),
            bars=_bars(gap.gaps),
            jargon=[j.to_dict() for j in gap.jargon[:50]],
            notices=_notices(gap.meta, ui),
            own_names=gap.meta.get("own_names", {}).get("on_site", [])[:20],
            pages=[{**p.to_dict(), "title": p.title} for p in gap.pages[:200]],
            settings=_settings_view(gap.meta),
            languages=sorted(languages),
            changes=_changes(trends),
            questions=questions[:QUESTIONS_SHOWN],
            questions_more=max(0, len(questions) - QUESTIONS_SHOWN),
            question_counts={
                s: n
                for s in ("unanswered", "partly", "answered")
                if (n := sum(q["status"] == s for q in questions))
            },
            data={"rows": _page_rows(gap.gaps, audio), "ui": ui},
        )
    )
    write_atomic(out, html)
    register_for_calls(settings.workspace, terms_meta, "report", [out])
    return out
