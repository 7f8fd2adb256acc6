"""``CrawlReport``: what a crawl did (pages, skipped addresses and why, broken links,
redirects, time), written to ``crawl.json`` beside ``pages.jsonl``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from crawl.robots import USER_AGENT
from pipeline import languages as registry
from pipeline import sitenames
from pipeline.config import CrawlOptions, options_dict


@dataclass
class CrawlReport:
    """What a crawl did: written to ``crawl.json`` beside ``pages.jsonl``."""

    start: str
    pages: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    broken: list[dict[str, Any]] = field(default_factory=list)
    redirects: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    reused: int = 0
    fetch_seconds: float = 0.0
    extract_seconds: float = 0.0
    seconds: float = 0.0
    stopped: str = ""
    warnings: list[str] = field(default_factory=list)
    outputs: tuple[str, ...] = ()
    crawl_delay: float | None = None  # robots.txt's, when longer than --delay

    def skip(self, url: str, reason: str) -> None:
        """Record that ``url`` (an address or a file of an export) was not read, and why."""
        self.skipped.append({"url": url, "reason": reason})

    def broken_link(self, url: str, status: int, referrer: str | None) -> None:
        """Record a link answered with an HTTP error, once per address with every page that
        links to it."""
        for row in self.broken:
            if row["url"] == url:
                if referrer and referrer not in row["referrers"]:
                    row["referrers"].append(referrer)
                return
        self.broken.append(
            {"url": url, "status": status, "referrers": [referrer] if referrer else []}
        )

    def settle_languages(self) -> None:
        """Pages too short for their text to tell (a tag list, a contact form) take the
        language of the site's other pages when those show their declaration is wrong: on a
        theme that says ``lang="en"`` over Dutch text everywhere, its short pages are Dutch too.
        """
        told: dict[str, Counter] = {}
        untold = []
        for page in self.pages:
            declared = page.get("lang_declared")
            if not declared:
                continue
            found = registry.detect(page.get("text") or "")
            if found:
                told.setdefault(declared, Counter())[found] += 1
            else:
                untold.append(page)
        for page in untold:
            votes = told.get(page["lang_declared"])
            if not votes:
                continue
            best, n = votes.most_common(1)[0]
            if best != page["lang_declared"] and n > votes[page["lang_declared"]]:
                page["lang"] = best

    def languages(self) -> dict[str, Any]:
        """The pages' languages by their text and as declared, and where the two differ."""
        differ = [
            p
            for p in self.pages
            if p.get("lang_declared") and p.get("lang") and p["lang_declared"] != p["lang"]
        ]
        return {
            "pages": dict(Counter(p.get("lang") or "unknown" for p in self.pages)),
            "declared": dict(Counter(p.get("lang_declared") or "none" for p in self.pages)),
            "declared_differs": len(differ),
            "examples": [
                {"url": p["url"], "declared": p["lang_declared"], "text": p["lang"]}
                for p in differ[:5]
            ],
        }

    def language_warning(self) -> str | None:
        """One line when pages declare another language than their text is in."""
        found = self.languages()
        if not found["declared_differs"]:
            return None
        first = found["examples"][0]
        return (
            f"{found['declared_differs']} of {len(self.pages)} pages declare a language their "
            f'text is not in (e.g. {first["url"]}: lang="{first["declared"]}", text '
            f"{first['text']}); mine goes by the text"
        )

    def own_names(self) -> list[str]:
        """The site's names: its host, the title part most pages share, its logo's alt text."""
        return sitenames.collect(
            start=self.start,
            titles=(p.get("title") or "" for p in self.pages),
            logo_alts=(p["logo_alt"] for p in self.pages if p.get("logo_alt")),
        )

    def summary(self, options: CrawlOptions | None) -> dict[str, Any]:
        """The crawl.json content."""
        return {
            "start": self.start,
            "pages_fetched": len(self.pages),
            "requests": self.requests,
            "reused_unchanged": self.reused,
            "skipped": self.skipped,
            "broken_links": self.broken,
            "redirects": self.redirects,
            "seconds": round(self.seconds, 2),
            "fetch_seconds": round(self.fetch_seconds, 2),
            "extract_seconds": round(self.extract_seconds, 2),
            "stopped": self.stopped,
            "crawl_delay": self.crawl_delay,
            "warnings": self.warnings,
            "languages": self.languages(),
            "own_names": self.own_names(),
            "user_agent": USER_AGENT,
            "options": options_dict(options) if options else {},
        }
