"""``crawl_site``: the visible copy of a company website, fetched politely and safely.

Same site only (the start host, www and apex as one, plus allowed hosts), robots.txt honoured
(rules for mine's user agent, crawl-delay), sitemaps first, then links. Pages, bytes, time and
redirects are bounded. A public site can never lead the crawler to a loopback, private or
link-local address, by link or redirect; such addresses are crawled only when the start URL is
one. Fetching is mine's own (httpx): trafilatura only extracts.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import re
import socket
import time
import urllib.robotparser
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx

from pipeline.config import CrawlOptions, options_dict
from pipeline.errors import CrawlError
from pipeline.files import staged_files
from pipeline.progress import ProgressCallback, ProgressEvent, ignore
from pipeline.site import Extracted, content_hash, extract_html, extract_markdown, to_record

USER_AGENT = f"mine/{version('mine')} (website copy research; honours robots.txt)"
ROBOTS_AGENT = "mine"
HTML_TYPES = ("text/html", "application/xhtml+xml")
TRACKING = (
    "utm_",
    "gclid",
    "fbclid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "yclid",
    "igshid",
)
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
MAX_SITEMAPS = 50
MAX_SITEMAP_URLS = 50_000


def now() -> str:
    """The current UTC time, as stored."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def normalise(url: str) -> str:
    """A URL's identity for deduplication: no fragment, default port, tracking parameters or
    trailing slash; lower-case scheme and host; sorted query."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = (
        host
        if port is None or (scheme, port) in (("http", 80), ("https", 443))
        else f"{host}:{port}"
    )
    query = urlencode(
        sorted(
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not k.lower().startswith(TRACKING)
        )
    )
    path = parts.path or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/")
    return urlunsplit((scheme, netloc, path, query, ""))


def site_host(host: str) -> str:
    """www and apex are one site."""
    host = host.lower()
    return host[4:] if host.startswith("www.") else host


def decode_html(body: bytes, content_type: str) -> str:
    """Decode a page: the HTTP charset, else a <meta charset> in its head, else UTF-8."""
    m = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    if not m:
        m = re.search(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", body[:4096], re.IGNORECASE)
    charset = (
        (m.group(1).decode() if isinstance(m.group(1), bytes) else m.group(1)) if m else "utf-8"
    )
    try:
        return body.decode(charset, "replace")
    except LookupError:
        return body.decode("utf-8", "replace")


def _is_private(host: str) -> bool:
    """True if ``host`` is or resolves to a loopback, private, link-local or reserved address."""
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False  # unresolvable: the request itself will fail and be recorded
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%")[0])
        if (
            ip.is_private
            or ip.is_loopback
            or ip.is_link_local
            or ip.is_reserved
            or ip.is_multicast
            or ip.is_unspecified
        ):
            return True
    return False


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
            "warnings": self.warnings,
            "user_agent": USER_AGENT,
            "options": options_dict(options) if options else {},
        }


class _Fetcher:
    """One polite, guarded HTTP client for a crawl."""

    def __init__(
        self, opts: CrawlOptions, allowed: set[str], allow_private: bool, report: CrawlReport
    ) -> None:
        self.opts = opts
        self.allowed = allowed
        self.allow_private = allow_private
        self.report = report
        self.delay = opts.delay
        self.last: dict[str, float] = {}
        self.private_cache: dict[str, bool] = {}
        self.client = httpx.Client(
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
            },
            timeout=httpx.Timeout(opts.read_timeout, connect=opts.connect_timeout),
            follow_redirects=False,
        )

    def close(self) -> None:
        self.client.close()

    def on_site(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and site_host(parts.hostname or "") in self.allowed

    def guarded(self, url: str) -> str | None:
        """Why ``url`` must not be requested, or None."""
        if not self.on_site(url):
            return "off-site"
        host = urlsplit(url).hostname or ""
        if not self.allow_private:
            if host not in self.private_cache:
                self.private_cache[host] = _is_private(host)
            if self.private_cache[host]:
                return "private or loopback address reached from a public site"
        return None

    def _wait(self, host: str) -> None:
        last = self.last.get(host)
        if last is not None:
            pause = self.delay - (time.monotonic() - last)
            if pause > 0:
                time.sleep(pause)
        self.last[host] = time.monotonic()

    def get(
        self, url: str, headers: dict[str, str] | None = None, limit: int | None = None
    ) -> tuple[httpx.Response | None, bytes, str, list[tuple[str, str, int]]]:
        """GET with manual, guarded redirects. Returns (response, body, final_url, hops).

        The body is empty when the content is not HTML-like or exceeds ``limit`` bytes
        (the response tells which). Raises httpx errors for transport failures.
        """
        hops: list[tuple[str, str, int]] = []
        current = url
        for _ in range(self.opts.max_redirects + 1):
            reason = self.guarded(current)
            if reason:
                raise _Refused(current, reason)
            host = urlsplit(current).hostname or ""
            self._wait(host)
            started = time.monotonic()
            self.report.requests += 1
            with self.client.stream("GET", current, headers=headers or {}) as resp:
                if resp.is_redirect and "location" in resp.headers:
                    nxt = urljoin(current, resp.headers["location"])
                    hops.append((current, nxt, resp.status_code))
                    current = nxt
                    self.report.fetch_seconds += time.monotonic() - started
                    continue
                body = b""
                ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
                readable = ctype in HTML_TYPES or ctype in (
                    "text/plain",
                    "application/xml",
                    "text/xml",
                    "application/gzip",
                    "application/x-gzip",
                    "",
                )
                if resp.status_code == 200 and readable:
                    declared = int(resp.headers.get("content-length") or 0)
                    cap = limit or self.opts.max_bytes
                    if declared <= cap:
                        chunks, size = [], 0
                        for chunk in resp.iter_bytes():
                            size += len(chunk)
                            if size > cap:
                                chunks = []
                                resp.extensions["mine_too_large"] = True
                                break
                            chunks.append(chunk)
                        body = b"".join(chunks)
                    else:
                        resp.extensions["mine_too_large"] = True
                self.report.fetch_seconds += time.monotonic() - started
                return resp, body, current, hops
        raise _Refused(current, f"more than {self.opts.max_redirects} redirects")


class _Refused(Exception):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(reason)
        self.url = url
        self.reason = reason


def _robots(
    fetcher: _Fetcher, start: str, report: CrawlReport
) -> urllib.robotparser.RobotFileParser:
    parts = urlsplit(start)
    robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
    parser = urllib.robotparser.RobotFileParser(robots_url)
    try:
        resp, body, _, _ = fetcher.get(robots_url, limit=500_000)
    except (httpx.HTTPError, _Refused):
        parser.parse([])  # unreachable robots.txt: the start page request will say why
        return parser
    if resp is not None and resp.status_code >= 500:
        parser.disallow_all = True
        report.warnings.append(
            f"{robots_url} answered {resp.status_code}: treated as 'disallow all'"
        )
    elif resp is not None and resp.status_code == 200:
        parser.parse(body.decode("utf-8", "replace").splitlines())
    else:
        parser.parse([])
    return parser


def _sitemap_urls(
    fetcher: _Fetcher, roots: list[str], report: CrawlReport, deadline: float = float("inf")
) -> list[str]:
    """Page URLs from sitemaps and sitemap indexes (.gz too), bounded."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True)
    seen, queue, pages = set(), deque(roots), []
    while queue and len(seen) < MAX_SITEMAPS and len(pages) < MAX_SITEMAP_URLS:
        if time.monotonic() > deadline:
            report.warnings.append("time budget used up while reading sitemaps")
            break
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        try:
            resp, body, _, _ = fetcher.get(url, limit=50_000_000)
        except (httpx.HTTPError, _Refused):
            continue
        if resp is None or resp.status_code != 200 or not body:
            continue
        if body[:2] == b"\x1f\x8b":
            try:
                body = gzip.decompress(body)[:50_000_000]
            except OSError:
                report.warnings.append(f"{url}: not a valid gzip sitemap")
                continue
        try:
            root = etree.fromstring(body, parser)
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            report.warnings.append(f"{url}: not a valid sitemap")
            continue
        locs = [el.text.strip() for el in root.iter("{*}loc") if el.text]
        if etree.QName(root).localname == "sitemapindex":
            queue.extend(locs)
        else:
            pages.extend(locs)
    return pages


def _load_previous(out_dir: Path) -> dict[str, dict[str, Any]]:
    path = out_dir / "pages.jsonl"
    if not path.is_file():
        return {}
    previous = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
            previous[normalise(row["url"])] = row
        except (ValueError, KeyError):
            continue
    return previous


def _crawl_web(
    start: str,
    opts: CrawlOptions,
    report: CrawlReport,
    out_dir: Path,
    on_progress: ProgressCallback,
    seeds: list[str] | None = None,
) -> None:
    parts = urlsplit(start)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CrawlError(
            f"{start}: not a web address or folder; use e.g. https://www.example.nl "
            "or a folder of HTML/Markdown files"
        )
    allowed = {site_host(parts.hostname)} | {site_host(h) for h in opts.allow_hosts}
    allow_private = _is_private(parts.hostname)
    fetcher = _Fetcher(opts, allowed, allow_private, report)
    previous = _load_previous(out_dir)
    deadline = time.monotonic() + opts.time_budget
    try:
        robots = _robots(fetcher, start, report)
        if not robots.can_fetch(ROBOTS_AGENT, start) and not robots.can_fetch(
            ROBOTS_AGENT, f"{parts.scheme}://{parts.netloc}/"
        ):
            raise CrawlError(
                f"{start}: robots.txt forbids mine to crawl this site (user agent "
                f"'{ROBOTS_AGENT}' or '*'); ask the site owner to allow it, or crawl a "
                "site export folder instead"
            )
        delay = robots.crawl_delay(ROBOTS_AGENT)
        if delay:
            fetcher.delay = max(fetcher.delay, float(delay))
        roots = list(robots.site_maps() or []) + [f"{parts.scheme}://{parts.netloc}/sitemap.xml"]
        listed = seeds if seeds is not None else _sitemap_urls(fetcher, roots, report, deadline)
        frontier: deque[tuple[str, str | None]] = deque(
            [(start, None)] + [(u, None) for u in listed]
        )
        follow_links = seeds is None
        seen: set[str] = set()
        canonical_seen: set[str] = set()
        on_progress(ProgressEvent("total", total=opts.max_pages))
        first = True
        while frontier:
            if len(report.pages) >= opts.max_pages:
                report.stopped = f"max pages ({opts.max_pages}) reached"
                break
            if time.monotonic() > deadline:
                report.stopped = f"time budget ({opts.time_budget:.0f} s) used up"
                break
            url, referrer = frontier.popleft()
            url = urljoin(referrer or start, url)
            key = normalise(url)
            if key in seen:
                continue
            seen.add(key)
            if not fetcher.on_site(url):
                continue  # other hosts are never requested
            if urlsplit(url).path.lower().endswith(SKIP_SUFFIXES):
                report.skipped.append({"url": url, "reason": "not a page (file type)"})
                continue
            if not robots.can_fetch(ROBOTS_AGENT, url):
                report.skipped.append({"url": url, "reason": "disallowed by robots.txt"})
                continue
            old = previous.get(key)
            if old and _fresh(old, opts.max_age):
                report.pages.append(old)
                report.reused += 1
                _enqueue(frontier, old.get("links", []), url, follow_links)
                continue
            headers = {}
            if old and old.get("etag"):
                headers["If-None-Match"] = old["etag"]
            if old and old.get("last_modified"):
                headers["If-Modified-Since"] = old["last_modified"]
            try:
                resp, body, final, hops = fetcher.get(url, headers=headers)
            except _Refused as exc:
                report.skipped.append({"url": exc.url, "reason": exc.reason})
                continue
            except httpx.HTTPError as exc:
                if first:
                    raise CrawlError(_transport_message(url, exc)) from None
                report.skipped.append({"url": url, "reason": _transport_message(url, exc)})
                if referrer:
                    report.broken.append(
                        {
                            "url": url,
                            "status": None,
                            "error": type(exc).__name__,
                            "referrers": [referrer],
                        }
                    )
                continue
            first = False
            for src, dst, code in hops:
                report.redirects.append({"from": src, "to": dst, "status": code})
            if hops:
                seen.add(normalise(final))
            assert resp is not None
            if resp.status_code == 304 and old:
                old = {**old, "fetched_at": now()}
                report.pages.append(old)
                report.reused += 1
                _enqueue(frontier, old.get("links", []), final, follow_links)
                continue
            if resp.status_code >= 400:
                _broken(report, url, resp.status_code, referrer)
                continue
            ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype not in HTML_TYPES:
                report.skipped.append(
                    {"url": url, "reason": f"not HTML ({ctype or 'no content type'})"}
                )
                continue
            if resp.extensions.get("mine_too_large"):
                report.skipped.append({"url": url, "reason": f"larger than {opts.max_bytes} bytes"})
                continue
            started = time.monotonic()
            html = decode_html(body, resp.headers.get("content-type", ""))
            page = extract_html(html, url=final)
            report.extract_seconds += time.monotonic() - started
            links = [urljoin(final, h) for h in page.links]
            _enqueue(frontier, links, final, follow_links)
            canonical = urljoin(final, page.canonical) if page.canonical else None
            if (
                canonical
                and fetcher.on_site(canonical)
                and normalise(canonical) != normalise(final)
            ):
                ckey = normalise(canonical)
                if ckey in canonical_seen or ckey in seen:
                    report.skipped.append(
                        {"url": url, "reason": f"duplicate of canonical {canonical}"}
                    )
                    continue
                canonical_seen.add(ckey)
                frontier.appendleft((canonical, url))  # read the canonical page itself instead
                seen.discard(ckey)
                report.skipped.append({"url": url, "reason": f"duplicate of canonical {canonical}"})
                continue
            canonical_seen.add(normalise(final))
            if page.javascript_shell:
                report.skipped.append(
                    {"url": url, "reason": "JavaScript shell: no text in the HTML"}
                )
                continue
            if old and old.get("content_hash") == content_hash(page.text):
                report.reused += 1
            links = [urljoin(final, h) for h in page.links]
            report.pages.append(
                to_record(
                    url,
                    final,
                    resp.status_code,
                    page,
                    now(),
                    etag=resp.headers.get("etag"),
                    last_modified=resp.headers.get("last-modified"),
                    links=sorted({normalise(u) for u in links if fetcher.on_site(u)}),
                )
            )
            on_progress(
                ProgressEvent("advance", done=len(report.pages), total=opts.max_pages, item=url)
            )
    finally:
        fetcher.close()


def _fresh(row: dict[str, Any], max_age_hours: float) -> bool:
    try:
        fetched = datetime.fromisoformat(row["fetched_at"])
    except (KeyError, ValueError):
        return False
    return datetime.now(UTC) - fetched < timedelta(hours=max_age_hours)


def _enqueue(frontier: deque, links: list[str], referrer: str, follow: bool) -> None:
    if follow:
        frontier.extend(
            (link, referrer)
            for link in links
            if not link.startswith(("mailto:", "tel:", "javascript:"))
        )


def _broken(report: CrawlReport, url: str, status: int, referrer: str | None) -> None:
    for row in report.broken:
        if row["url"] == url:
            if referrer and referrer not in row["referrers"]:
                row["referrers"].append(referrer)
            return
    report.broken.append(
        {"url": url, "status": status, "referrers": [referrer] if referrer else []}
    )


def _transport_message(url: str, exc: httpx.HTTPError) -> str:
    text = str(exc) or type(exc).__name__
    if "CERTIFICATE" in text.upper() or "SSL" in text.upper():
        return (
            f"{url}: TLS certificate problem ({text}); check the address (https vs http) or "
            "the site's certificate"
        )
    if isinstance(exc, httpx.ConnectError):
        return f"{url}: cannot connect ({text}); check the address and that the site is up"
    if isinstance(exc, httpx.TimeoutException):
        return f"{url}: timed out ({type(exc).__name__}); the site is slow or unreachable"
    return f"{url}: request failed ({text})"


def _crawl_folder(folder: Path, report: CrawlReport, on_progress: ProgressCallback) -> None:
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in (".html", ".htm", ".md", ".markdown")
    )
    if not files:
        raise CrawlError(
            f"{folder}: no .html or .md files found; pass a site export folder or a URL"
        )
    on_progress(ProgressEvent("total", total=len(files)))
    for i, path in enumerate(files, start=1):
        rel = path.relative_to(folder).as_posix()
        try:
            source = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            report.skipped.append({"url": rel, "reason": f"unreadable ({exc.strerror})"})
            continue
        started = time.monotonic()
        page: Extracted = (
            extract_markdown(source)
            if path.suffix.lower() in (".md", ".markdown")
            else extract_html(source, url=rel)
        )
        report.extract_seconds += time.monotonic() - started
        if not page.text.strip():
            report.skipped.append({"url": rel, "reason": "no text"})
            continue
        report.pages.append(to_record(rel, rel, 200, page, now(), source_file=str(path)))
        on_progress(ProgressEvent("advance", done=i, total=len(files), item=rel))


def crawl_site(
    target: str,
    *,
    out_dir: Path,
    options: CrawlOptions | None = None,
    on_progress: ProgressCallback = ignore,
) -> CrawlReport:
    """Crawl a website, a site export folder or a sitemap file into ``pages.jsonl`` + ``crawl.json``.

    Whatever was fetched is written, also when the crawl stops on an error.

    Raises:
        CrawlError: invalid target, unreachable site, TLS failure, robots.txt forbidding
            everything, an empty folder, or a site that only serves a JavaScript shell.

    Example:
        >>> crawl_site("https://www.example.nl", out_dir=Path("site"))
    """
    opts = options or CrawlOptions()
    report = CrawlReport(start=target)
    started = time.monotonic()
    error: CrawlError | None = None
    try:
        path = Path(target)
        if path.is_dir():
            _crawl_folder(path, report, on_progress)
        elif path.is_file() and path.suffix.lower() in (".xml", ".gz"):
            raw = path.read_bytes()
            from lxml import etree

            body = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
            root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
            urls = [el.text.strip() for el in root.iter("{*}loc") if el.text]
            if not urls:
                raise CrawlError(f"{target}: no <loc> URLs in this sitemap")
            _crawl_web(urls[0], opts, report, out_dir, on_progress, seeds=urls)
        elif target.startswith(("http://", "https://")):
            _crawl_web(target, opts, report, out_dir, on_progress)
        else:
            raise CrawlError(
                f"{target}: not a web address, folder or sitemap file; use e.g. "
                "https://www.example.nl or ./site-export/"
            )
        shells = sum(1 for s in report.skipped if s["reason"].startswith("JavaScript shell"))
        if not report.pages and shells:
            raise CrawlError(
                f"{target}: the site serves only a JavaScript shell ({shells} pages without "
                "text in their HTML); mine reads HTML as served, without a browser: crawl "
                "a prerendered version or a site export folder"
            )
        refused = [s for s in report.skipped if s["reason"] == "off-site"]
        if not report.pages and refused:
            raise CrawlError(
                f"{target}: leads to another host ({refused[0]['url']}); crawl that address "
                "instead, or add its host with --allow-host"
            )
        if not report.pages and any(
            s["reason"] == "disallowed by robots.txt" for s in report.skipped
        ):
            raise CrawlError(
                f"{target}: robots.txt disallows every page mine found; nothing to read"
            )
    except CrawlError as exc:
        error = exc
    finally:
        report.seconds = time.monotonic() - started
        if report.pages or report.skipped or report.broken or error is None:
            report.outputs = tuple(str(p) for p in _write(report, opts, out_dir))
    if error is not None:
        raise error
    return report


def _write(report: CrawlReport, opts: CrawlOptions, out_dir: Path) -> list[Path]:
    targets = [out_dir / "pages.jsonl", out_dir / "crawl.json"]
    with staged_files(targets) as (pages, summary):
        pages.write_text(
            "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in report.pages),
            encoding="utf-8",
        )
        summary.write_text(
            json.dumps(report.summary(opts), ensure_ascii=False, indent=1), encoding="utf-8"
        )
    return targets
