"""Sitemaps and sitemap indexes (gzip or not), fetched (``sitemap_urls``) or a local file
(``local_sitemap``), read as a stream within bounds: at most SITEMAP_MAX_BYTES of XML, at
most MAX_SITEMAP_URLS entries, only the elements still open held in memory."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

import httpx
from lxml import etree

from crawl.decode import CHUNK, BadGzip, gunzip
from crawl.fetch import Fetcher, OutOfTime, Refused
from crawl.report import CrawlReport
from crawl.robots import MAX_SITEMAPS
from crawl.urls import short
from pipeline.errors import CrawlError

MAX_SITEMAP_URLS = 50_000
SITEMAP_MAX_BYTES = 50 * 1024 * 1024  # uncompressed, as sitemaps.org allows (52,428,800 bytes)


@dataclass
class Sitemap:
    """What one sitemap file held, as far as it was read."""

    kind: str | None = None  # the root element: urlset or sitemapindex
    locs: list[str] = field(default_factory=list)
    error: str | None = None  # why it is not (wholly) a valid sitemap
    limit: str | None = None  # which bound cut it short


class _LocReader:
    """A pull parser that keeps the <loc> entries and drops every element once read."""

    def __init__(self, out: Sitemap, max_locs: int) -> None:
        self.out = out
        self.max_locs = max_locs
        self.root = None
        self.parser = etree.XMLPullParser(
            events=("end",),
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            remove_comments=True,  # padding that would otherwise pile up in the tree
            remove_pis=True,
        )

    def drain(self) -> bool:
        """Take the entries of the elements parsed so far; False once max_locs are kept."""
        out = self.out
        for _event, el in self.parser.read_events():
            if self.root is None:
                self.root = el.getroottree().getroot()
                out.kind = etree.QName(self.root).localname
            tag = el.tag
            if isinstance(tag, str) and (tag == "loc" or tag.endswith("}loc")):
                text = el.text
                if text and len(text) < 4096:
                    out.locs.append(text.strip())
                    if len(out.locs) >= self.max_locs:
                        out.limit = f"more than {self.max_locs} URLs: the rest is ignored"
                        return False
            # done with this element, at any depth: hold only the ones still open (libxml2
            # allows 256 levels at most without huge_tree)
            el.clear()
            parent = el.getparent()
            if parent is not None:
                while el.getprevious() is not None:
                    del parent[0]
        return True

    def feed(self, pieces: Iterable[bytes], cap: int, deadline: float) -> None:
        """Parse ``pieces`` up to ``cap`` bytes or ``deadline``, whichever comes first."""
        out = self.out
        size = 0
        for piece in pieces:
            if size + len(piece) > cap:
                piece = piece[: cap - size]
                out.limit = (
                    f"larger than {cap // (1024 * 1024)} MB uncompressed: only the first "
                    f"{cap // (1024 * 1024)} MB read"
                )
            size += len(piece)
            self.parser.feed(piece)
            if not self.drain() or out.limit:
                return
            if time.monotonic() > deadline:
                out.limit = "time budget used up while reading it"
                return
        self.parser.close()
        self.drain()


def _xml_pieces(chunks: Iterable[bytes]) -> Iterator[bytes] | None:
    """The XML of a sitemap file, inflated as it is read when it is gzip; None when empty."""
    it = iter(chunks)
    head = b""
    for chunk in it:
        head += chunk
        if len(head) >= 2:
            break
    if not head:
        return None
    raw = chain([head], it)
    return gunzip(raw) if head.startswith(b"\x1f\x8b") else raw


def read_sitemap(
    chunks: Iterable[bytes],
    max_locs: int,
    cap: int = SITEMAP_MAX_BYTES,
    deadline: float = math.inf,
) -> Sitemap:
    """The <loc> entries of a sitemap or sitemap index (gzip or not), read as a stream.

    At most ``cap`` bytes of XML are read (inflated), at most ``max_locs`` entries kept, and
    only the elements still open are held (every element read is cleared and dropped, at any
    depth; libxml2 refuses more than 256 levels): a bomb costs time up to the cap (or
    ``deadline``), never memory. Entries read before an error are kept.
    """
    out = Sitemap()
    pieces = _xml_pieces(chunks)
    if pieces is None:
        out.error = "empty file"
        return out
    try:
        _LocReader(out, max_locs).feed(pieces, cap, deadline)
    except etree.XMLSyntaxError as exc:
        out.error = "XML: " + " ".join(str(exc).split())
    except BadGzip as exc:
        out.error = f"not valid gzip data ({exc})"
    if out.error is None and not out.locs:
        out.error = f"no <loc> entries in <{out.kind}>" if out.kind else "no <loc> entries"
    return out


def slices(data: bytes) -> Iterator[bytes]:
    """``data`` in pieces of CHUNK bytes."""
    view = memoryview(data)
    for i in range(0, len(data), CHUNK):
        yield bytes(view[i : i + CHUNK])


def _file_chunks(path: Path) -> Iterator[bytes]:
    """The bytes of the file ``path``, CHUNK at a time."""
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


def sitemap_urls(
    fetcher: Fetcher, roots: list[str], report: CrawlReport, deadline: float = math.inf
) -> list[str]:
    """Page URLs from sitemaps and sitemap indexes (.gz too), bounded in count, size and time
    (reading stops at ``deadline``)."""
    seen, queue, pages = set(), deque(roots), []
    while queue and len(seen) < MAX_SITEMAPS and len(pages) < MAX_SITEMAP_URLS:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        try:
            body = _fetch_sitemap(fetcher, url, report, deadline)
        except OutOfTime:
            report.warnings.append(
                "sitemaps not read to the end: their share of the time budget (half) was used up"
            )
            break
        if not body:
            continue
        sitemap = read_sitemap(slices(body), MAX_SITEMAP_URLS - len(pages), deadline=deadline)
        del body
        if sitemap.error:
            report.warnings.append(f"{short(url)}: not a valid sitemap ({sitemap.error})")
        if sitemap.limit:
            report.warnings.append(f"{short(url)}: {sitemap.limit}")
        if sitemap.kind == "sitemapindex":
            queue.extend(sitemap.locs)
        else:
            pages.extend(sitemap.locs)
    return pages


def _fetch_sitemap(fetcher: Fetcher, url: str, report: CrawlReport, deadline: float) -> bytes:
    """The body of the sitemap at ``url``; empty when it could not be had (a body that does
    not decode is warned about). Raises OutOfTime."""
    try:
        resp, body, _, _ = fetcher.get(
            url, limit=SITEMAP_MAX_BYTES, truncate=True, any_type=True, deadline=deadline
        )
    except (httpx.HTTPError, Refused):
        return b""
    if resp is not None and resp.extensions.get("mine_undecodable"):
        report.warnings.append(f"{short(url)}: {resp.extensions['mine_undecodable']}")
        return b""
    if resp is None or resp.status_code != 200:
        return b""
    return body


def local_sitemap(path: Path, report: CrawlReport, deadline: float = math.inf) -> list[str]:
    """The page URLs of a sitemap file (gzip or not), read as a stream within the same bounds
    as a fetched one."""
    fix = "pass a sitemap.xml with <loc> entries, a folder or a URL"
    try:
        sitemap = read_sitemap(_file_chunks(path), MAX_SITEMAP_URLS, deadline=deadline)
    except OSError as exc:
        raise CrawlError(f"{path}: cannot read it ({exc.strerror or exc}); {fix}") from None
    if not sitemap.locs:
        raise CrawlError(f"{path}: not a valid sitemap ({sitemap.error}); {fix}")
    if sitemap.error:
        report.warnings.append(f"{path}: read up to an error ({sitemap.error})")
    if sitemap.limit:
        report.warnings.append(f"{path}: {sitemap.limit}")
    return sitemap.locs
