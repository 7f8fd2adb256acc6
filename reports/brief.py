"""``write_briefs`` (``mine brief``): one Markdown brief per site page that has work to do, and
``index.md``, for a copywriter who has never seen the report.

A page's brief holds the customer terms it lacks (``gap.json``: a missing or underused term
whose best suggested page it is), with how customers phrase them; the unanswered or partly
answered questions that fit it (``questions.json``: its suggested page); and the site's
jargon on it with the words customers use instead; each backed by up to ``QUOTES`` short
quotes. What fits no page goes into ``index.md`` under "Needs a new page", with the closest
topic. Customer text is redacted already (as everywhere) and escaped for Markdown: a quote
cannot add a link, an image or HTML to a brief.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import languages
from pipeline.config import Settings
from pipeline.errors import InputError
from pipeline.files import staged_files
from pipeline.reading import read_record, shown
from pipeline.records import GapFile, GapRow, QuestionRow, QuestionsFile, Quote
from pipeline.sitenames import page_path
from pipeline.state import register_for_calls

QUOTES = 3
QUOTE_CHARS = 200
TERMS_PER_PAGE = 15
QUESTIONS_PER_PAGE = 10
JARGON_PER_PAGE = 10
#: Marks a folder as written by ``mine brief``; lists the briefs it wrote (one name a line).
MARKER = ".mine-briefs"
MARKER_CAP = 1 << 20  # bytes of a marker read (a brief name a line)
_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\.md")
#: Names Windows reserves for devices: a brief is not named so.
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10))}
_RESERVED |= {f"lpt{i}" for i in range(1, 10)}
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass
class _Page:
    url: str
    title: str = ""
    terms: list[GapRow] = field(default_factory=list)
    questions: list[QuestionRow] = field(default_factory=list)
    jargon: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # term, customer words


@dataclass(frozen=True)
class BriefResult:
    """What ``write_briefs`` wrote."""

    folder: Path
    pages: int  # briefs written (index.md not counted)
    new_page: int  # terms and questions that fit no page
    outputs: tuple[str, ...]


_STRINGS = {
    "en": {
        "brief": "Brief",
        "page": "Page",
        "intro": "What customers say in sales conversations that this page does not. Quotes "
        "are customers' own words (personal details removed).",
        "terms": "Words customers use that this page lacks",
        "questions": "Questions customers ask that this page should answer",
        "jargon": "Words on this page that customers do not use",
        "say_instead": "customers say instead",
        "status_missing": "not on the site",
        "status_underused": "on the site, but rarely",
        "status_unanswered": "the site does not answer it",
        "status_partly": "the site touches it but does not answer it",
        "conversations": "conversations",
        "customers": "customers",
        "phrased": "Customers say",
        "also_asked": "Also asked as",
        "site_now": "What the site says now",
        "index": "Writing briefs",
        "index_intro": "One brief per page with work to do, most work first. Made by mine "
        "from the gap report.",
        "new_page": "Needs a new page",
        "new_page_intro": "No existing page fits these; the closest topic is given.",
        "closest": "closest topic",
        "none": "Nothing to do: every term and question customers raise fits an existing page "
        "or is answered.",
        "items": "items",
    },
    "nl": {
        "brief": "Schrijfopdracht",
        "page": "Pagina",
        "intro": "Wat klanten in verkoopgesprekken zeggen en deze pagina niet. Citaten zijn "
        "de eigen woorden van klanten (persoonsgegevens verwijderd).",
        "terms": "Woorden van klanten die deze pagina mist",
        "questions": "Vragen van klanten die deze pagina zou moeten beantwoorden",
        "jargon": "Woorden op deze pagina die klanten niet gebruiken",
        "say_instead": "klanten zeggen",
        "status_missing": "staat niet op de site",
        "status_underused": "staat op de site, maar weinig",
        "status_unanswered": "de site beantwoordt hem niet",
        "status_partly": "de site raakt het onderwerp maar beantwoordt hem niet",
        "conversations": "gesprekken",
        "customers": "klanten",
        "phrased": "Klanten zeggen",
        "also_asked": "Ook gevraagd als",
        "site_now": "Wat de site nu zegt",
        "index": "Schrijfopdrachten",
        "index_intro": "Eén opdracht per pagina met werk, meeste werk eerst. Gemaakt door "
        "mine uit het gap-rapport.",
        "new_page": "Vraagt om een nieuwe pagina",
        "new_page_intro": "Geen bestaande pagina past hierbij; het dichtstbijzijnde onderwerp "
        "staat erbij.",
        "closest": "dichtstbijzijnde onderwerp",
        "none": "Niets te doen: elke term en vraag van klanten past op een bestaande pagina of "
        "is beantwoord.",
        "items": "punten",
    },
}


_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def md(text: str) -> str:
    """``text`` on one line, with every Markdown and HTML control character escaped, the
    patterns viewers turn into links broken ("https\\://", "www\\.", "\\@") and direction
    controls (which could reorder a quote on screen) removed."""
    text = " ".join(_BIDI.sub("", str(text)).split())
    text = re.sub(r"([\\`*_\[\]<>|&~@])", r"\\\1", text)
    text = re.sub(r"://", r"\\://", text)
    return re.sub(r"(?i)\b(www)\.", r"\1\\.", text)


def slug(url: str) -> str:
    """A brief's file name from its page address: the path's words ("diensten-warmtepompen"),
    "home" for the start page; long or odd paths are cut and given a short hash."""
    name = _SLUG.sub("-", page_path(url) or url.lower()).strip("-") or "home"
    if len(name) > 60:
        name = name[:50].strip("-") + "-" + hashlib.sha256(url.encode()).hexdigest()[:8]
    return f"{name}-page" if name in _RESERVED else name


def _quotes(quotes: tuple[Quote, ...], lines: list[str]) -> None:
    for q in quotes[:QUOTES]:
        text = q.text if len(q.text) <= QUOTE_CHARS else q.text[: QUOTE_CHARS - 1] + "…"
        lines.append(f'  > "{md(text)}" ({md(q.source)}, {q.start:.0f} s)')


def _plan(gap: GapFile, asked: QuestionsFile | None) -> tuple[dict[str, _Page], list[Any]]:
    """The pages with work, by URL, and what fits no page."""
    titles = {p.url: p.title for p in gap.pages}
    pages: dict[str, _Page] = {}

    def page(url: str, title: str = "") -> _Page:
        if url not in pages:
            pages[url] = _Page(url, title or titles.get(url, ""))
        return pages[url]

    new: list[Any] = []
    for row in gap.gaps:
        if row.status == "covered":
            continue
        if row.suggested_pages:
            target = row.suggested_pages[0]
            page(target.url, target.title or "").terms.append(row)
        else:
            new.append(row)
    for q in asked.questions if asked else ():
        if q.status == "answered":
            continue
        if q.suggested_page:
            page(q.suggested_page, q.suggested_title).questions.append(q)
        else:
            new.append(q)
    words = {j.term: j.customer_words for j in gap.jargon}
    for view in gap.pages:
        if view.site_only:
            page(view.url, view.title).jargon = [(t, words.get(t, ())) for t in view.site_only]
    return pages, new


def _brief(p: _Page, ui: dict[str, str], evidence: dict[str, tuple[Quote, ...]]) -> str:
    lines = [f"# {ui['brief']}: {md(p.title or p.url)}", "", f"{ui['page']}: {md(p.url)}", ""]
    lines += [ui["intro"], ""]
    if p.terms:
        lines += [f"## {ui['terms']}", ""]
        for row in p.terms[:TERMS_PER_PAGE]:
            lines.append(
                f"- **{md(row.term)}** ({ui['status_' + row.status]}; {row.customer_conversations} "
                f"{ui['conversations']}, {row.customers} {ui['customers']})"
            )
            _quotes(row.evidence, lines)
        lines.append("")
    if p.questions:
        lines += [f"## {ui['questions']}", ""]
        for q in p.questions[:QUESTIONS_PER_PAGE]:
            lines.append(
                f"- **{md(q.question)}** ({ui['status_' + q.status]}; {q.conversations} "
                f"{ui['conversations']}, {q.customers} {ui['customers']})"
            )
            if q.wordings:
                lines.append(f"  {ui['also_asked']}: " + " · ".join(md(w) for w in q.wordings[:3]))
            _quotes(q.evidence, lines)
            if q.status == "partly" and q.answer_passage:
                lines.append(f'  {ui["site_now"]}: "{md(q.answer_passage)}"')
        lines.append("")
    if p.jargon:
        lines += [f"## {ui['jargon']}", ""]
        for term, instead in p.jargon[:JARGON_PER_PAGE]:
            said = ", ".join(f"**{md(w)}**" for w in instead)
            lines.append(f"- {md(term)}" + (f": {ui['say_instead']} {said}" if said else ""))
            for w in instead[:1]:
                _quotes(evidence.get(w, ())[:2], lines)
        lines.append("")
    return "\n".join(lines)


def _index(briefs: list[tuple[str, _Page]], new: list[Any], ui: dict[str, str]) -> str:
    lines = [f"# {ui['index']}", "", ui["index_intro"], ""]
    if not briefs and not new:
        lines += [ui["none"], ""]
    for name, p in briefs:
        n = len(p.terms) + len(p.questions) + len(p.jargon)
        lines.append(f"- [{md(p.title or p.url)}]({name}) — {md(p.url)} ({n} {ui['items']})")
    if new:
        lines += ["", f"## {ui['new_page']}", "", ui["new_page_intro"], ""]
        for item in new:
            text = item.question if isinstance(item, QuestionRow) else item.term
            closest = f" ({ui['closest']}: {md(item.closest_topic)})" if item.closest_topic else ""
            lines.append(f"- **{md(text)}**{closest}")
            _quotes(item.evidence[:2], lines)
    lines.append("")
    return "\n".join(lines)


def _previous(out: Path) -> list[str]:
    """The brief names a previous ``mine brief`` wrote into ``out`` (its marker); refuses a
    folder that holds other files and no marker.

    Raises:
        InputError: ``out`` is not a folder, or holds files mine brief did not write.
    """
    if not out.exists():
        return []
    if not out.is_dir() or out.is_symlink():
        raise InputError(f"{shown(out)}: not a folder; pass a new or empty folder as --out")
    marker = out / MARKER
    if not marker.is_file() or marker.is_symlink():
        if any(out.iterdir()):
            raise InputError(
                f"{shown(out)}: holds files mine brief did not write; pass a new or empty "
                "folder as --out"
            )
        return []
    with marker.open("rb") as fh:
        listed = fh.read(MARKER_CAP).decode("utf-8", "replace").split("\n")
    # only names this module makes (``slug``): never a path, a hidden file or anything else
    return [n for n in listed if _NAME.fullmatch(n)]


def write_briefs(gap_dir: Path, *, out: Path, settings: Settings) -> BriefResult:
    """Write one brief per page with work to do, and ``index.md``, into ``out``.

    Briefs of an earlier run into the same folder that are no longer needed are removed (only
    the files its marker lists); a folder that holds anything else is refused.

    Raises:
        InputError: no gap.json, or not one mine gap wrote; ``out`` is not a folder mine brief
            may write into.

    Example:
        >>> write_briefs(Path("gap"), out=Path("briefs"), settings=load_settings())
    """
    path = gap_dir / "gap.json" if gap_dir.is_dir() else gap_dir
    gap = read_record(path, GapFile, made_by="mine gap")
    qpath = path.parent / "questions.json"
    asked = read_record(qpath, QuestionsFile, made_by="mine gap") if qpath.exists() else None
    old = _previous(out)
    terms_meta = gap.meta.get("terms", {})
    langs = terms_meta.get("languages", {}) or {"en": 1}
    lang = max(langs, key=lambda k: langs[k])
    ui = _STRINGS.get(lang, _STRINGS["en"]) if languages.get(lang) else _STRINGS["en"]
    pages, new = _plan(gap, asked)
    evidence = {r.term: r.evidence for r in gap.gaps}
    ranked = sorted(
        pages.values(), key=lambda p: (-(len(p.terms) + len(p.questions)), -len(p.jargon), p.url)
    )
    named: list[tuple[str, _Page]] = []
    used: set[str] = {"index"}
    for p in ranked:
        name = slug(p.url)
        base, n = name, 2
        while name in used:
            name, n = f"{base}-{n}", n + 1
        used.add(name)
        named.append((f"{name}.md", p))
    texts = {name: _brief(p, ui, evidence) for name, p in named}
    texts["index.md"] = _index(named, new, ui)
    texts[MARKER] = "\n".join(sorted(texts)) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    targets = [out / name for name in texts]
    for target in targets:  # checked before anything is replaced: all or nothing
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise InputError(
                f"{shown(target)}: not a file mine brief wrote (a folder or a link); move it "
                "away or pass another --out"
            )
    with staged_files(targets) as temps:
        for temp, text in zip(temps, texts.values(), strict=True):
            temp.write_text(text, encoding="utf-8")
    for name in sorted(set(old) - set(texts)):
        try:
            if stat.S_ISREG(os.lstat(out / name).st_mode):  # a file this module wrote
                os.unlink(out / name)
        except OSError:  # gone already, or not ours to remove: left as it is
            pass
    written = [out / name for name in texts if name != MARKER]
    register_for_calls(settings.workspace, terms_meta, "brief", written)
    return BriefResult(out, len(named), len(new), tuple(str(p) for p in written))
