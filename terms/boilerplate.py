"""The theme's text on a site, as opposed to its pages' own: what is not the site's vocabulary.

Two kinds (the rule ``mine gap`` applies, documented in docs/gap.md):

- **listing pages**: tag, category, author, archive, search and pagination pages (by URL path
  or query: ``/tag/``, ``/category/``, ``/categorie/``, ``/zoeken``, ``/page/2``, ``?s=``,
  ...; ``listing_page``). They list other pages' titles and the theme's words ("latest news", "tags").
- **repeated lines**: a line (paragraph, list item or heading) that stands on at least
  ``REPEAT_MIN_PAGES`` pages and on at least ``REPEAT_SHARE`` of them: calls to action, author
  boxes, newsletter sign-ups, "related articles". The same for the parts of page titles
  ("Prijzen | Blog | Warmtewerk"): a part that many titles share is the theme's, so the site's
  name or section does not count as a heading on every page.

Theme text still shows that a word is on the site (a term in it is not ``missing``), but it
belongs to no page: it is counted once per distinct line, never as a page's vocabulary, so it
neither ranks as jargon nor draws page suggestions.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from pipeline.sitenames import title_parts

REPEAT_MIN_PAGES = 3
REPEAT_SHARE = 0.02
_LISTING_SEGMENTS = {
    "tag",
    "tags",
    "category",
    "categories",
    "categorie",
    "categorieen",
    "rubriek",
    "label",
    "labels",
    "topic",
    "topics",
    "onderwerp",
    "onderwerpen",
    "author",
    "auteur",
    "archive",
    "archief",
    "search",
    "zoeken",
    "zoekresultaten",
    "feed",
}
#: Pagination: these segments followed by a number ("/blog/page/2", "/nieuws/pagina/3").
_PAGINATION = {"page", "pagina", "p"}
_LISTING_QUERY = {"s", "q", "search", "zoek", "query", "page", "paged", "tag", "cat", "category"}


def listing_page(url: str) -> bool:
    """True for a tag, category, author, archive, search or pagination page."""
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1/": no address mine can read; not a listing
        return False
    segments = [s.lower() for s in unquote(parts.path).split("/") if s]
    if any(s in _LISTING_SEGMENTS or s.split(".")[0] in _LISTING_SEGMENTS for s in segments):
        return True
    if any(a in _PAGINATION and b.isdigit() for a, b in itertools.pairwise(segments)):
        return True
    # blank values kept: "?s=" is a search page too
    keys = parse_qs(parts.query, keep_blank_values=True)
    return bool(_LISTING_QUERY & {k.lower() for k in keys})


def _norm(line: str) -> str:
    return " ".join(line.lower().split())


def _lines(page: dict[str, Any]) -> Iterator[str]:
    """A page's text lines and headings, normalised (blank ones left out)."""
    for line in page["text"].split("\n"):
        if n := _norm(line):
            yield n
    for h in page.get("headings", ()):
        if n := _norm(h["text"]):
            yield n


@dataclass(frozen=True)
class Boilerplate:
    """Which pages are listings and which lines repeat, over one site's pages."""

    listings: frozenset[str]  # URLs
    repeated: frozenset[str]  # normalised lines
    shared_titles: frozenset[str] = frozenset()  # normalised title parts

    @classmethod
    def of(cls, pages: Iterable[dict[str, Any]]) -> Boilerplate:
        """Find the listing pages and the lines that repeat across the other pages."""
        pages = list(pages)
        listings = frozenset(p["url"] for p in pages if listing_page(p["url"]))
        content = [p for p in pages if p["url"] not in listings]
        on_pages: Counter = Counter()
        in_titles: Counter = Counter()
        for p in content:
            on_pages.update(set(_lines(p)))
            in_titles.update({_norm(t) for t in title_parts(p.get("title") or "")})
        need = max(REPEAT_MIN_PAGES, math.ceil(REPEAT_SHARE * len(content)))
        repeated = frozenset(line for line, n in on_pages.items() if n >= need)
        shared = frozenset(part for part, n in in_titles.items() if n >= need)
        return cls(listings, repeated, shared)

    def own_text(self, page: dict[str, Any]) -> str:
        """The page's own text: nothing for a listing page, its lines that do not repeat."""
        if page["url"] in self.listings:
            return ""
        if not self.repeated:
            return page["text"]
        return "\n".join(
            line for line in page["text"].split("\n") if _norm(line) not in self.repeated
        )

    def own_headings(self, page: dict[str, Any]) -> str:
        """The page's title and headings that do not repeat, as one text ("" for a listing)."""
        if page["url"] in self.listings:
            return ""
        title = [
            t for t in title_parts(page.get("title") or "") if _norm(t) not in self.shared_titles
        ]
        parts = title + [
            h["text"] for h in page.get("headings", ()) if _norm(h["text"]) not in self.repeated
        ]
        return " . ".join(p for p in parts if p)

    def shared_text(self, pages: Iterable[dict[str, Any]]) -> Iterator[str]:
        """The theme text of ``pages``: each repeated line once, and the listing pages' text."""
        seen: set[str] = set()
        for page in pages:
            if page["url"] in self.listings:
                yield page["text"]
                continue
            for line in page["text"].split("\n"):
                n = _norm(line)
                if n in self.repeated and n not in seen:
                    seen.add(n)
                    yield line

    def summary(self) -> dict[str, int]:
        """For gap.json's meta: how much was set apart."""
        return {"listing_pages": len(self.listings), "repeated_lines": len(self.repeated)}
