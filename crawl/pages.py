"""The pages of a web crawl: the frontier of addresses still to read (``Frontier``) and the
loop that reads them (``PageCrawl``): each page is claimed, reused or fetched, classified,
extracted and recorded, until the frontier is empty, --max-pages are read or time is up."""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpx

from crawl.decode import decode_html
from crawl.extract import Extracted, content_hash, extract_html, to_record
from crawl.fetch import HTML_TYPES, Fetcher, OutOfTime, Refused, transport_message
from crawl.previous import fresh, validator
from crawl.report import CrawlReport
from crawl.urls import clean_url, join, normalise, short
from pipeline.clock import now
from pipeline.config import CrawlOptions
from pipeline.errors import CrawlError
from pipeline.progress import ProgressCallback, ProgressEvent

SKIP_SUFFIXES = (
    ".pdf",
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".svg",
    ".webp",
    ".zip",
    ".mp4",
    ".mp3",
    ".css",
    ".js",
    ".ico",
    ".woff",
    ".woff2",
    ".docx",
    ".xlsx",
    ".pptx",
)
#: URLs a crawl may know (queued or done): this many per page of --max-pages, at least
#: MIN_KNOWN, besides the sitemaps' URLs. Links past it are counted, not queued.
KNOWN_PER_PAGE = 40
MIN_KNOWN = 2_000


class Frontier:
    """The URLs to read, each queued once (by normalised URL), and a bound on how many a crawl
    may know: past it, links are counted, not queued."""

    def __init__(self, fetcher: Fetcher, start: str, cap: int, report: CrawlReport) -> None:
        self.fetcher = fetcher
        self.start = start
        self.cap = cap
        self.queue: deque[tuple[str, str | None]] = deque()
        self.known: set[str] = set()  # queued or done
        self.done: set[str] = set()
        self.dropped = 0
        self.report = report  # where malformed addresses are recorded

    def add(self, href: str, referrer: str | None, *, first: bool = False) -> None:
        """Queue ``href`` (as linked from ``referrer``) once, if it is on the site; ``first``
        puts it at the front, however many are known."""
        if href.startswith(("mailto:", "tel:", "javascript:", "data:")):
            return
        joined = join(referrer or self.start, href)
        if joined is None or not self.fetcher.on_site(joined):
            return  # other sites (scheme, host or port) are never requested
        try:
            url = clean_url(joined)
        except ValueError as exc:
            if len(self.known) < self.cap and short(joined) not in self.known:
                self.known.add(short(joined))
                self.report.skip(short(joined), f"malformed address ({exc})")
            return
        key = normalise(url)
        if first:
            if key in self.done:
                return
            self.known.add(key)
            self.queue.appendleft((url, referrer))
            return
        if key in self.known:
            return
        if len(self.known) >= self.cap:
            self.dropped += 1
            return
        self.known.add(key)
        self.queue.append((url, referrer))

    def extend(self, hrefs: Iterable[str], referrer: str | None) -> None:
        """Queue each of ``hrefs`` (see ``add``)."""
        for href in hrefs:
            self.add(href, referrer)


class PageCrawl:
    """One crawl's reading of its frontier's pages, with what it keeps between them."""

    def __init__(
        self,
        fetcher: Fetcher,
        frontier: Frontier,
        previous: dict[str, dict[str, Any]],
        opts: CrawlOptions,
        report: CrawlReport,
        on_progress: ProgressCallback,
        *,
        follow_links: bool,
    ) -> None:
        self.fetcher = fetcher
        self.frontier = frontier
        self.previous = previous  # the previous crawl's rows, by normalised URL
        self.opts = opts
        self.report = report
        self.on_progress = on_progress
        self.follow_links = follow_links
        self.canonical_seen: set[str] = set()
        self.first = True  # no request has been answered yet: a failure ends the crawl

    def run(self) -> None:
        """Read the frontier's pages until it is empty, --max-pages are read or time is up."""
        opts, report = self.opts, self.report
        self.on_progress(ProgressEvent("total", total=opts.max_pages))
        while self.frontier.queue:
            stop = self._limit()
            if stop:
                report.stopped = stop
                break
            url, referrer = self.frontier.queue.popleft()
            if not self._claim(url):
                continue
            try:
                self._visit(url, referrer)
            except OutOfTime as exc:
                report.stopped = (
                    f"time budget ({opts.time_budget:g} s) used up while waiting for or "
                    f"reading {exc.url}"
                )
                break

    def _limit(self) -> str:
        """Which bound ends the crawl now (--max-pages, the time budget), or ''."""
        if len(self.report.pages) >= self.opts.max_pages:
            return f"max pages ({self.opts.max_pages}) reached"
        if time.monotonic() >= self.fetcher.deadline:
            return f"time budget ({self.opts.time_budget:g} s) used up"
        return ""

    def _claim(self, url: str) -> bool:
        """Mark ``url`` done; False when it already was, or is a file rather than a page."""
        key = normalise(url)
        if key in self.frontier.done:
            return False
        self.frontier.done.add(key)
        if urlsplit(url).path.lower().endswith(SKIP_SUFFIXES):
            self.report.skip(url, "not a page (file type)")
            return False
        return True

    def _visit(self, url: str, referrer: str | None) -> None:
        """Reuse, or fetch, classify, extract and record the page at ``url``. Raises
        OutOfTime."""
        old = self.previous.get(normalise(url))
        if old and fresh(old, self.opts.max_age):
            self._reuse_unread(url, old)
            return
        resp, body, final = self._fetch(url, referrer, old)
        if resp is None:
            return
        if resp.status_code == 304 and old:
            self._reuse({**old, "fetched_at": now()}, final)
            return
        if resp.status_code >= 400:
            self.report.broken_link(url, resp.status_code, referrer)
            return
        reason = _unreadable(resp, self.opts.max_bytes)
        if reason:
            self.report.skip(url, reason)
            return
        page = self._extract(url, final, resp, body)
        del body  # the page's bytes are not needed once it is read
        if page is not None:
            self._record(url, final, resp, page, old)

    def _reuse_unread(self, url: str, old: dict[str, Any]) -> None:
        """Keep a fresh row of the previous crawl without asking the site, if robots.txt still
        allows the page."""
        reason = self.fetcher.robots_reason(url)
        if reason:
            self.report.skip(url, reason)
            return
        self._reuse(old, url)

    def _reuse(self, row: dict[str, Any], base: str) -> None:
        """Keep a row of the previous crawl and follow its links (resolved against ``base``)."""
        self.report.pages.append(row)
        self.report.reused += 1
        if self.follow_links:
            self.frontier.extend(row.get("links", []), base)

    def _fetch(
        self, url: str, referrer: str | None, old: dict[str, Any] | None
    ) -> tuple[httpx.Response | None, bytes, str]:
        """GET ``url`` (conditionally, with ``old``'s validators) and record its redirects:
        (response, body, final URL), or no response when it was refused or failed (recorded).

        Raises:
            CrawlError: the crawl's first request failed (the site is unreachable).
            OutOfTime: the deadline came first.
        """
        try:
            resp, body, final, hops = self.fetcher.get(url, headers=_conditional(old))
        except Refused as exc:
            self.report.skip(exc.url, exc.reason)
            return None, b"", url
        except httpx.HTTPError as exc:
            self._failed(url, referrer, exc)
            return None, b"", url
        self.first = False
        for src, dst, code in hops:
            self.report.redirects.append({"from": src, "to": dst, "status": code})
        if hops:
            self.frontier.done.add(normalise(final))
            self.frontier.known.add(normalise(final))
        return resp, body, final

    def _failed(self, url: str, referrer: str | None, exc: httpx.HTTPError) -> None:
        """Record a request that failed in transport (a broken link when a page names it)."""
        if self.first:
            raise CrawlError(transport_message(url, exc)) from None
        self.report.skip(url, transport_message(url, exc))
        if referrer:
            self.report.broken.append(
                {"url": url, "status": None, "error": type(exc).__name__, "referrers": [referrer]}
            )

    def _extract(self, url: str, final: str, resp: httpx.Response, body: bytes) -> Extracted | None:
        """The page's copy; None when it could not be read (recorded)."""
        started = time.monotonic()
        try:
            return extract_html(decode_html(body, resp.headers.get("content-type", "")), url=final)
        except Exception as exc:  # noqa: BLE001 - one odd page must not end the crawl
            self.report.skip(url, f"could not be read ({type(exc).__name__})")
            return None
        finally:
            self.report.extract_seconds += time.monotonic() - started

    def _record(
        self,
        url: str,
        final: str,
        resp: httpx.Response,
        page: Extracted,
        old: dict[str, Any] | None,
    ) -> None:
        """Follow the page's links and keep it, unless it is a duplicate of its canonical
        page or a JavaScript shell."""
        report = self.report
        if page.plain:
            report.warnings.append(f"{url}: read as plain text ({page.plain})")
        if page.links_dropped:
            report.warnings.append(
                f"{url}: {len(page.links) + page.links_dropped} links, only the first "
                f"{len(page.links)} kept"
            )
        base = self._base(final, page)
        links = [j for j in (join(base, h) for h in page.links) if j]
        if self.follow_links:
            self.frontier.extend(links, final)
        if self._duplicate(url, final, base, page):
            return
        self.canonical_seen.add(normalise(final))
        if page.javascript_shell:
            report.skip(url, "JavaScript shell: no text in the HTML")
            return
        if old and old.get("content_hash") == content_hash(page.text):
            report.reused += 1
        report.pages.append(
            to_record(
                url,
                final,
                resp.status_code,
                page,
                now(),
                etag=validator(resp.headers.get("etag")),
                last_modified=validator(resp.headers.get("last-modified")),
                links=_record_links(self.fetcher, links),
            )
        )
        self.on_progress(
            ProgressEvent("advance", done=len(report.pages), total=self.opts.max_pages, item=url)
        )

    def _base(self, final: str, page: Extracted) -> str:
        """What the page's relative links resolve against: its <base href> when that is on
        the same site, else its own address."""
        based = join(final, page.base) if page.base else None
        return based if based and self.fetcher.on_site(based) else final

    def _duplicate(self, url: str, final: str, base: str, page: Extracted) -> bool:
        """Whether the page names another page on the site as its canonical one (recorded;
        that page is read first instead, once)."""
        canonical = join(base, page.canonical) if page.canonical else None
        if not canonical or not self.fetcher.on_site(canonical):
            return False
        ckey = normalise(canonical)
        if ckey == normalise(final):
            return False
        if ckey not in self.canonical_seen and ckey not in self.frontier.done:
            self.canonical_seen.add(ckey)
            self.frontier.add(canonical, url, first=True)  # read the canonical page itself
        self.report.skip(url, f"duplicate of canonical {canonical}")
        return True


def _conditional(old: dict[str, Any] | None) -> dict[str, str]:
    """The headers that ask for a page only when it changed since the previous crawl."""
    headers = {}
    if old and validator(old.get("etag")):
        headers["If-None-Match"] = old["etag"]
    if old and validator(old.get("last_modified")):
        headers["If-Modified-Since"] = old["last_modified"]
    return headers


def _unreadable(resp: httpx.Response, max_bytes: int) -> str | None:
    """Why a page answered below 400 is not read (not HTML, too large, undecodable, not 2xx),
    or None."""
    ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in HTML_TYPES:
        return f"not HTML ({ctype or 'no content type'})"
    if resp.extensions.get("mine_too_large"):
        return f"larger than {max_bytes} bytes"
    if resp.extensions.get("mine_undecodable"):
        return resp.extensions["mine_undecodable"]
    if not 200 <= resp.status_code < 300:
        return f"HTTP {resp.status_code}"
    return None


def _record_links(fetcher: Fetcher, links: list[str]) -> list[str]:
    """A page's links on the site, as stored for a re-crawl: normalised, once each (the same
    address shared by every row that names it)."""
    out = set()
    for link in links:
        if fetcher.on_site(link):
            try:
                out.add(sys.intern(normalise(clean_url(link))))
            except ValueError:
                continue
    return sorted(out)
