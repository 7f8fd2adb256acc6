"""What a page shows its visitors: main text (trafilatura), title, description, headings, language.

Also reads a local site export (HTML or Markdown files) the same way.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import lxml.html

from pipeline.privacy import guess_language

_BOILER = ("nav", "header", "footer", "aside", "form")


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


def content_hash(text: str) -> str:
    """sha256 of a page's extracted text (what changed for a reader)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _headings(tree: Any) -> list[dict[str, str]]:
    """h1-h3 outside navigation, header, footer and asides, in document order."""
    out = []
    for el in tree.iter("h1", "h2", "h3"):
        if any(a.tag in _BOILER for a in el.iterancestors()):
            continue
        text = " ".join(el.text_content().split())
        if text:
            out.append({"level": el.tag, "text": text})
    return out


def extract_html(html: str, *, url: str | None = None) -> Extracted:
    """Extract the main text and metadata of an HTML page (broken HTML is tolerated)."""
    from trafilatura import bare_extraction

    try:
        tree = lxml.html.fromstring(html) if html.strip() else None
    except (lxml.etree.ParserError, ValueError):
        tree = None
    doc = (
        bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            deduplicate=False,  # a repeated paragraph on two pages is copy on both
        )
        if html.strip()
        else None
    )
    text = (getattr(doc, "text", "") or "").strip()
    title = (getattr(doc, "title", "") or "").strip()
    description = (getattr(doc, "description", "") or "").strip()
    lang = None
    headings: list[dict[str, str]] = []
    canonical = None
    links: list[str] = []
    shell = False
    if tree is not None:
        html_lang = tree.get("lang") or next(iter(tree.xpath("//html/@lang")), None)
        if html_lang:
            lang = html_lang.split("-")[0].lower()
        headings = _headings(tree)
        canonical = next(iter(tree.xpath("//link[@rel='canonical']/@href")), None)
        links = [h for h in tree.xpath("//a/@href") if h]
        if not title:
            title = " ".join((next(iter(tree.xpath("//title/text()")), "") or "").split())
        scripts = len(tree.xpath("//script"))
        body_text = " ".join(tree.xpath("string(//body)").split())
        shell = scripts > 0 and len(text) < 100 and len(body_text) < 200
    if text and (lang is None or lang not in ("nl", "en")):
        lang = guess_language(text) or lang
    return Extracted(title, description, headings, text, lang, canonical, links, shell)


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
                lang = value.split("-")[0].lower()
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
    if lang is None:
        lang = guess_language(text)
    return Extracted(title, description, headings, text, lang)


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
        "fetched_at": fetched_at,
        "content_hash": content_hash(page.text),
        **extra,
    }
