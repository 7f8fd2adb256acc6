"""What a page shows its visitors: main text (trafilatura), title, description, headings,
language (``extract_html``; ``extract_markdown`` for a site export's Markdown files), and the
pages.jsonl row of a page (``to_record``)."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import lxml.html

from pipeline import languages
from pipeline.privacy import guess_language

_BOILER = ("nav", "header", "footer", "aside", "form")
#: Above either bound a page is read by a plain, linear text extraction instead of trafilatura,
#: whose time grows faster than the page (150,000 headings took minutes): what one page can
#: cost stays about a second whatever the site sends.
MAX_EXTRACT_ELEMENTS = 12_000
MAX_EXTRACT_CHARS = 3_000_000
MAX_LINKS = 5_000  # links kept per page; the rest are counted, not followed
MAX_HEADINGS = 500
_LANG_SAMPLE = 50_000  # characters of text the language guess reads
_DROP = ("script", "style", "noscript", "template", "svg", *_BOILER)
_BLOCKS = (
    "p", "div", "li", "ul", "ol", "table", "tr", "td", "th", "section", "article", "main",
    "h1", "h2", "h3", "h4", "h5", "h6", "br", "blockquote", "pre", "dd", "dt", "figcaption",
)  # fmt: skip


class _PageDiagnostics(logging.Filter):
    """trafilatura's complaints about one page (no text, no metadata, an empty tree) are that
    page's outcome, which mine records itself: on stderr they show only when debugging (-vv),
    so that a command's error stays one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return logging.getLogger().isEnabledFor(logging.DEBUG)


for _name in ("core", "external", "metadata", "main_extractor", "htmlprocessing", "utils", "xml"):
    logging.getLogger(f"trafilatura.{_name}").addFilter(_PageDiagnostics())


@dataclass(frozen=True)
class Extracted:
    """The visible copy of one page."""

    title: str
    description: str
    headings: list[dict[str, str]]
    text: str
    lang: str | None
    canonical: str | None = None
    links: list[str] = field(default_factory=list)
    javascript_shell: bool = False
    base: str | None = None  # the page's <base href>, as written
    links_dropped: int = 0  # links past MAX_LINKS, not kept
    plain: str | None = None  # why the plain extraction was used instead of trafilatura
    lang_declared: str | None = None  # what the page says it is (<html lang>, front matter)
    logo_alt: str | None = None  # the alt text of the site's logo (its name, often)
    faq: list[dict[str, str]] = field(default_factory=list)  # question, answer, form (``_faq``)


def content_hash(text: str) -> str:
    """sha256 of a page's extracted text (what changed for a reader)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _headings(tree: Any) -> list[dict[str, str]]:
    """h1-h3 outside navigation, header, footer and asides, in document order (at most
    MAX_HEADINGS)."""
    out: list[dict[str, str]] = []
    for el in tree.iter("h1", "h2", "h3"):
        if _in_boiler(el):
            continue
        text = " ".join(el.text_content().split())
        if text:
            out.append({"level": el.tag, "text": text})
            if len(out) >= MAX_HEADINGS:
                break
    return out


def _links(tree: Any) -> tuple[list[str], int]:
    """The first MAX_LINKS hrefs of <a> elements, and how many more there were."""
    links: list[str] = []
    dropped = 0
    for a in tree.iter("a"):
        href = a.get("href")
        if not href:
            continue
        if len(links) < MAX_LINKS:
            links.append(href)
        else:
            dropped += 1
    return links, dropped


def _plain_text(tree: Any) -> str:
    """The visible text of a page without trafilatura: linear in the page's size. Scripts,
    styles, navigation, header, footer, asides and forms are left out; blocks become lines."""
    body = tree.find(".//body")
    root = body if body is not None else tree
    lxml.etree.strip_elements(root, *_DROP, with_tail=False)
    for el in root.iter(*_BLOCKS):
        el.tail = "\n" + (el.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().splitlines())
    return "\n".join(line for line in lines if line)


def _trafilatura(html: str, url: str | None) -> Any:
    """trafilatura's reading of the page: main text and metadata."""
    from trafilatura import bare_extraction

    return bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        deduplicate=False,  # a repeated paragraph on two pages is copy on both
    )


def _parse(html: str) -> Any:
    """The element tree of ``html``; None when there is none (empty or unparseable)."""
    try:
        return lxml.html.fromstring(html) if html.strip() else None
    except (lxml.etree.ParserError, ValueError):
        return None


def _plain_reason(tree: Any, html: str) -> str | None:
    """Why the page is too large for trafilatura (then read by _plain_text), or None."""
    elements = sum(1 for _ in tree.iter())
    if elements > MAX_EXTRACT_ELEMENTS:
        return f"{elements} HTML elements, more than {MAX_EXTRACT_ELEMENTS}"
    if len(html) > MAX_EXTRACT_CHARS:
        return f"{len(html)} characters, more than {MAX_EXTRACT_CHARS}"
    return None


def extract_html(html: str, *, url: str | None = None) -> Extracted:
    """Extract the main text and metadata of an HTML page (broken HTML is tolerated).

    A page larger than MAX_EXTRACT_CHARS or with more than MAX_EXTRACT_ELEMENTS elements is
    read by a plain text extraction (``plain`` says why): trafilatura's time grows faster than
    such a page. At most MAX_LINKS links and MAX_HEADINGS headings are kept.
    """
    tree = _parse(html)
    plain = _plain_reason(tree, html) if tree is not None else None
    doc = _trafilatura(html, url) if html.strip() and plain is None else None
    text = (getattr(doc, "text", "") or "").strip()
    title = (getattr(doc, "title", "") or "").strip()
    description = (getattr(doc, "description", "") or "").strip()
    declared = logo_alt = None
    headings: list[dict[str, str]] = []
    faq: list[dict[str, str]] = []
    canonical = base = None
    links: list[str] = []
    dropped = 0
    shell = False
    if tree is not None:
        html_lang = tree.get("lang") or next(iter(tree.xpath("//html/@lang")), None)
        if html_lang:
            declared = language_tag(html_lang)
        logo_alt = _logo_alt(tree)
        faq = _faq(tree)
        headings = _headings(tree)
        canonical = next(iter(tree.xpath("//link[@rel='canonical']/@href")), None)
        base = next(iter(tree.xpath("//base/@href")), None)
        links, dropped = _links(tree)
        if not title:
            title = " ".join((next(iter(tree.xpath("//title/text()")), "") or "").split())
        if plain is not None and not description:
            description = " ".join(
                (next(iter(tree.xpath("//meta[@name='description']/@content")), "") or "").split()
            )
        scripts = len(tree.xpath("//script"))
        body_text = " ".join(tree.xpath("string(//body)").split())
        if plain is not None:
            text = _plain_text(tree)  # changes the tree: last
        shell = scripts > 0 and len(text) < 100 and len(body_text) < 200
    return Extracted(
        title,
        description,
        headings,
        text,
        page_language(text, declared),
        canonical,
        links,
        shell,
        base,
        dropped,
        plain,
        declared,
        logo_alt,
        faq,
    )


#: FAQ entries kept per page, and the longest question and answer kept (characters).
MAX_FAQ = 200
MAX_FAQ_QUESTION = 300
MAX_FAQ_ANSWER = 2_000
_JSONLD_CAP = 1_000_000  # a JSON-LD block larger than this is not read
_FAQ_HEADINGS = ("h2", "h3", "h4")


def _clean(text: str, cap: int) -> str:
    return " ".join(str(text).split())[:cap]


def _in_boiler(el: Any) -> bool:
    return any(a.tag in _BOILER for a in el.iterancestors())


_TAGS = re.compile(r"<[^>]*>")
_HIDDEN = re.compile(r"<(script|style|noscript|template)\b.*?(?:</\1\s*>|\Z)", re.I | re.S)


def _html_text(value: Any) -> str:
    """The text of a JSON-LD question or answer, which may hold HTML: its markup is dropped
    (scripts, styles and templates with their content), never run."""
    text = str(value)
    if "<" not in text:
        return text
    try:
        tree = lxml.html.fragment_fromstring(text, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        tree = None
    if tree is None:  # what lxml will not parse loses its tags all the same
        return _TAGS.sub(" ", _HIDDEN.sub(" ", text))
    lxml.etree.strip_elements(tree, "script", "style", "noscript", "template", with_tail=False)
    return tree.text_content()


def _jsonld_faq(tree: Any) -> list[tuple[str, str]]:
    """(question, answer) of schema.org FAQPage (or Question) items in JSON-LD blocks."""
    import json

    found: list[tuple[str, str]] = []

    def walk(node: Any, depth: int = 0) -> None:
        if depth > 8 or len(found) >= MAX_FAQ:
            return
        if isinstance(node, list):
            for item in node:
                walk(item, depth + 1)
            return
        if not isinstance(node, dict):
            return
        kind = node.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if "Question" in kinds:
            answer = node.get("acceptedAnswer") or node.get("suggestedAnswer")
            if isinstance(answer, list):
                answer = answer[0] if answer else None
            text = answer.get("text") if isinstance(answer, dict) else answer
            if isinstance(node.get("name"), str) and isinstance(text, str):
                found.append((_html_text(node["name"]), _html_text(text)))
            return
        for key in ("mainEntity", "@graph", "hasPart"):
            if key in node:
                walk(node[key], depth + 1)

    for script in tree.xpath("//script[@type='application/ld+json']"):
        raw = script.text or ""
        if len(raw) > _JSONLD_CAP:
            continue
        try:
            walk(json.loads(raw))
        except (ValueError, RecursionError):
            continue
    return found


def _block_text(el: Any) -> str:
    return el.text_content() if el is not None else ""


def _faq(tree: Any) -> list[dict[str, str]]:
    """The page's FAQ entries in every common markup: schema.org ``FAQPage`` JSON-LD,
    ``<details>``/``<summary>``, ``<dt>``/``<dd>`` whose term ends in "?", and headings
    (h2-h4) that end in "?" with the text up to the next heading. Navigation, header, footer,
    asides and forms are left out; the first of two entries with one question is kept."""
    entries: list[dict[str, str]] = []
    seen: set[str] = set()

    def add(question: str, answer: str, form: str) -> None:
        q = _clean(question, MAX_FAQ_QUESTION)
        a = _clean(answer, MAX_FAQ_ANSWER)
        if q and a and q.lower() not in seen and len(entries) < MAX_FAQ:
            seen.add(q.lower())
            entries.append({"question": q, "answer": a, "form": form})

    for q, a in _jsonld_faq(tree):
        add(q, a, "jsonld")
    for details in tree.iter("details"):
        summary = details.find(".//summary")
        if summary is None or _in_boiler(details):
            continue
        # the answer: what the details hold besides its summary and any details inside it
        answer = [details.text or ""] + [
            part
            for child in details
            if child is not summary
            for part in (
                ("" if child.tag in ("details", "summary") else child.text_content()),
                child.tail or "",
            )
        ]
        add(summary.text_content(), " ".join(answer), "details")
    for dt in tree.iter("dt"):
        question = _clean(dt.text_content(), MAX_FAQ_QUESTION)
        if not question.endswith("?") or _in_boiler(dt):
            continue
        dd = dt.getnext()
        while dd is not None and dd.tag != "dd":
            dd = dd.getnext() if dd.tag != "dt" else None
        add(question, _block_text(dd), "dl")
    for h in tree.iter(*_FAQ_HEADINGS):
        question = _clean(h.text_content(), MAX_FAQ_QUESTION)
        if not question.endswith("?") or _in_boiler(h):
            continue
        parts: list[str] = []
        for sib in h.itersiblings():
            if not isinstance(sib.tag, str):
                continue
            if sib.tag in ("h1", *_FAQ_HEADINGS) or sib.find(".//h2") is not None:
                break
            parts.append(sib.text_content())
            if sum(map(len, parts)) > MAX_FAQ_ANSWER:
                break
        add(question, " ".join(parts), "heading")
    return entries


_TAG = re.compile(r"[a-z]{2,3}")


def language_tag(value: str) -> str | None:
    """The language a ``lang`` attribute names ("nl-NL", "en_GB" -> "nl", "en"); None for
    anything that is not a language tag (a theme's placeholder, a kilobyte of junk)."""
    primary = re.split(r"[-_]", str(value).strip().lower(), maxsplit=1)[0]
    return primary if _TAG.fullmatch(primary) else None


def page_language(text: str, declared: str | None) -> str | None:
    """A page's language: its text's when the text says so clearly (``languages.detect``),
    else the declared one when mine knows it, else the best guess from the text, else the
    declared one. A theme's ``<html lang="en">`` over Dutch text is common; the text decides."""
    detected = languages.detect(text[:_LANG_SAMPLE]) if text else None
    if detected:
        return detected
    if declared and languages.get(declared) is not None:
        return declared
    return (guess_language(text[:_LANG_SAMPLE]) if text else None) or declared


_LOGO = (
    "//img[contains(translate(concat(@src, ' ', @class, ' ', @id, ' ', @alt), "
    "'LOGO', 'logo'), 'logo')]/@alt"
)


def _logo_alt(tree: Any) -> str | None:
    """The alt text of the first image that calls itself a logo (by src, class, id or alt)."""
    alt = next(iter(tree.xpath(_LOGO)), None)
    alt = " ".join(str(alt).split()) if alt else ""
    return alt[:200] or None


_FRONT = re.compile(r"\A(?:---|\+\+\+)\s*\n(.*?)\n(?:---|\+\+\+)\s*\n", re.S)


def extract_markdown(source: str) -> Extracted:
    """Read a Markdown page of a site export (front matter, headings, plain text)."""
    title = description = ""
    lang = None
    m = _FRONT.match(source)
    if m:
        for line in m.group(1).splitlines():
            key, _, value = line.partition(":") if ":" in line else line.partition("=")
            value = value.strip().strip("\"'")
            if key.strip() == "title":
                title = value
            elif key.strip() in ("description", "summary"):
                description = value
            elif key.strip() in ("lang", "language"):
                lang = language_tag(value)
        source = source[m.end() :]
    headings = []
    lines = []
    for line in source.splitlines():
        h = re.match(r"^(#{1,3})\s+(.*?)\s*#*\s*$", line)
        if h:
            headings.append({"level": f"h{len(h.group(1))}", "text": h.group(2)})
            lines.append(h.group(2))
            continue
        if re.match(r"^#{4,6}\s", line):
            lines.append(line.lstrip("#").strip())
            continue
        line = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", line)  # images
        line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)  # links keep their text
        line = re.sub(r"[*_`>]+", "", line)
        line = re.sub(r"^\s*[-+]\s+", "", line)
        lines.append(line.strip())
    text = "\n".join(
        ln for ln in lines if ln and not ln.startswith("{{") and not ln.startswith("<")
    )
    if not title and headings:
        title = headings[0]["text"]
    return Extracted(
        title,
        description,
        headings,
        text,
        page_language(text, lang),
        lang_declared=lang,
        faq=_markdown_faq(lines, headings),
    )


def _markdown_faq(lines: list[str], headings: list[dict[str, str]]) -> list[dict[str, str]]:
    """A Markdown page's headings that end in "?", each with the lines up to the next heading."""
    heads = {h["text"] for h in headings}
    entries: list[dict[str, str]] = []
    question, answer = "", []
    for line in [*lines, None]:
        if line is None or line in heads:
            if question and answer and len(entries) < MAX_FAQ:
                entries.append(
                    {
                        "question": _clean(question, MAX_FAQ_QUESTION),
                        "answer": _clean(" ".join(answer), MAX_FAQ_ANSWER),
                        "form": "heading",
                    }
                )
            question = line if line and line.endswith("?") else ""
            answer = []
        elif question and line:
            answer.append(line)
    return entries


def to_record(
    url: str, final_url: str, status: int, page: Extracted, fetched_at: str, **extra: Any
) -> dict[str, Any]:
    """The pages.jsonl row of one page."""
    return {
        "url": url,
        "final_url": final_url,
        "status": status,
        "title": page.title,
        "description": page.description,
        "headings": page.headings,
        "text": page.text,
        "lang": page.lang,
        "lang_declared": page.lang_declared,
        "logo_alt": page.logo_alt,
        "faq": page.faq,
        "fetched_at": fetched_at,
        "content_hash": content_hash(page.text),
        **extra,
    }
