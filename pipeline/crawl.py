"""``crawl_site``: the visible copy of a company website, fetched politely and safely.

Same site only: the start URL's origin (scheme, host with www and apex as one, port) plus the
allowed hosts. robots.txt honoured (rules for mine's user agent, crawl-delay), sitemaps first,
then links. Pages, bytes, time and redirects are bounded: one deadline (the time budget) bounds
every sleep, connection and read. A public site can never lead the crawler to a loopback,
private or link-local address, by link or redirect (checked on the address actually connected
to); such addresses are crawled only when the start URL is one. Fetching is mine's own (httpx):
trafilatura only extracts.
"""

from __future__ import annotations

import codecs
import ipaddress
import json
import math
import re
import socket
import time
import urllib.robotparser
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from itertools import chain
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpcore
import httpx

from pipeline.config import CrawlOptions, options_dict
from pipeline.errors import CrawlError
from pipeline.files import staged_files
from pipeline.progress import ProgressCallback, ProgressEvent, ignore
from pipeline.site import Extracted, content_hash, extract_html, extract_markdown, to_record

USER_AGENT = f"mine/{version('mine')} (website copy research; honours robots.txt)"
ROBOTS_AGENT = "mine"
HTML_TYPES = ("text/html", "application/xhtml+xml")
READABLE_TYPES = (
    "text/plain",
    "application/xml",
    "text/xml",
    "application/gzip",
    "application/x-gzip",
    "",
)
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
SITEMAP_MAX_BYTES = 50 * 1024 * 1024  # uncompressed, as sitemaps.org allows (52,428,800 bytes)
ROBOTS_MAX_BYTES = 500 * 1024  # what Google reads of a robots.txt; the rest is ignored
DEFAULT_PORTS = {"http": 80, "https": 443}
_CHUNK = 1 << 16  # bytes of compressed input per inflate step
_PIECE = 1 << 18  # bytes of inflated output per step: what a sitemap holds in memory at once
# Encodings a web page may declare, as browsers know them (the WHATWG list, in Python's names):
# anything else (idna, punycode, base64, rot13, undefined, ...) is read as UTF-8.
_PAGE_ENCODINGS = re.compile(
    r"utf-8|utf-8-sig|utf-16(-[lb]e)?|ascii|latin-1|iso8859-\d+|cp\d+|mac-[a-z0-9]+|koi8-[ru]"
    r"|kz1048|ptcp154|tis-620|gbk|gb2312|gb18030|big5|big5hkscs|euc_jp|euc_kr|shift_jis"
    r"|iso2022_jp|iso2022_kr"
)


def now() -> str:
    """The current UTC time, as stored."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def normalise(url: str) -> str:
    """A URL's identity for deduplication: no fragment, default port, tracking parameters or
    trailing slash; lower-case scheme and host; sorted query."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a malformed address (bad port, broken IPv6 brackets): itself
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
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
    """www and apex are one site (and a host's trailing dot changes nothing)."""
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


Origin = tuple[str, str, int]


def origin(url: str) -> Origin | None:
    """A URL's site identity: (scheme, host with www and apex as one, port with the scheme's
    default filled in); None for anything but a well-formed http(s) URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, site_host(parts.hostname), port or DEFAULT_PORTS[scheme]


def allowed_origins(start: str, allow_hosts: Iterable[str]) -> set[Origin]:
    """The start URL's origin plus each ``--allow-host`` entry, on the start URL's scheme.

    ``host`` means that host on the scheme's default port (80 for http, 443 for https);
    ``host:port`` that port only. A scheme cannot be allowed: http and https are two sites.
    """
    first = origin(start)
    if first is None:
        raise CrawlError(f"{start}: not a web address; use e.g. https://www.example.nl")
    scheme = first[0]
    allowed = {first}
    for entry in allow_hosts:
        text = entry.strip()
        if not text:
            continue
        try:
            parts = urlsplit(f"//{text}")
            port = parts.port
        except ValueError:
            port, parts = None, None
        if parts is None or "/" in text or "@" in text or not parts.hostname:
            raise CrawlError(
                f"--allow-host {entry}: not a host; give a host or host:port, e.g. "
                "shop.example.nl or shop.example.nl:8443 (the scheme is the start URL's)"
            )
        allowed.add((scheme, site_host(parts.hostname), port or DEFAULT_PORTS[scheme]))
    return allowed


def _join(base: str, href: str) -> str | None:
    """``href`` resolved against ``base``; None when either is malformed."""
    try:
        return urljoin(base, href.strip())
    except ValueError:
        return None


def decode_html(body: bytes, content_type: str) -> str:
    """Decode a page: the HTTP charset, else a <meta charset> in its head, else UTF-8.

    Only encodings browsers know are used; any other label (idna, base64, an unknown name)
    reads as UTF-8, undecodable bytes replaced.
    """
    m = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    if not m:
        m = re.search(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", body[:4096], re.IGNORECASE)
    label = (m.group(1).decode() if isinstance(m.group(1), bytes) else m.group(1)) if m else ""
    try:
        name = codecs.lookup(label).name if label else "utf-8"
    except LookupError:
        name = "utf-8"
    if not _PAGE_ENCODINGS.fullmatch(name):
        name = "utf-8"
    try:
        return body.decode(name, "replace")
    except (LookupError, UnicodeError, ValueError):
        return body.decode("utf-8", "replace")


def _private_ip(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


def _is_private(host: str) -> bool:
    """True if ``host`` is or resolves to a loopback, private, link-local or reserved address."""
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return False  # unresolvable: the request itself will fail and be recorded
    return any(_private_ip(str(info[4][0])) for info in infos)


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
            "user_agent": USER_AGENT,
            "options": options_dict(options) if options else {},
        }


class _Refused(Exception):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(reason)
        self.url = url
        self.reason = reason


class _OutOfTime(Exception):
    """The deadline came while waiting for, connecting to or reading ``url``."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


PRIVATE_REASON = "private or loopback address reached from a public site"


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read, write and TLS handshake ends at the fetcher's deadline,
    however slowly the server drips its status line, headers or body."""

    def __init__(self, stream: httpcore.NetworkStream, fetcher: _Fetcher) -> None:
        self._stream = stream
        self._fetcher = fetcher

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._fetcher.left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._fetcher.left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        stream = self._stream.start_tls(
            ssl_context, server_hostname, self._fetcher.left(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(stream, self._fetcher)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network layer with the deadline on every operation, and the private-address
    guard on the address actually connected to (a DNS answer that changed since the check
    cannot lead a public crawl to a private address)."""

    def __init__(self, inner: httpcore.NetworkBackend, fetcher: _Fetcher) -> None:
        self._inner = inner
        self._fetcher = fetcher

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host,
            port,
            self._fetcher.left(timeout, httpcore.ConnectTimeout),
            local_address=local_address,
            socket_options=socket_options,
        )
        if not self._fetcher.allow_private:
            peer = stream.get_extra_info("server_addr")
            if peer and _private_ip(str(peer[0])):
                stream.close()
                raise _Refused(f"{host}:{port}", PRIVATE_REASON)
        return _DeadlineStream(stream, self._fetcher)

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        return self._inner.connect_unix_socket(*args, **kwargs)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _Fetcher:
    """One polite, guarded HTTP client for a crawl, bounded by one deadline."""

    def __init__(
        self,
        opts: CrawlOptions,
        allowed: set[Origin],
        allow_private: bool,
        report: CrawlReport,
        deadline: float = math.inf,
    ) -> None:
        self.opts = opts
        self.allowed = allowed
        self.allow_private = allow_private
        self.report = report
        self.delay = opts.delay
        self.deadline = deadline  # the whole crawl's
        self.end = deadline  # the request in flight's (a phase may end earlier)
        self.last: dict[str, float] = {}
        self.private_cache: dict[str, bool] = {}
        transport = httpx.HTTPTransport()
        pool = getattr(transport, "_pool", None)
        if isinstance(pool, httpcore.ConnectionPool):  # httpx keeps its pool there
            pool._network_backend = _DeadlineBackend(pool._network_backend, self)
        self.client = httpx.Client(
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
            },
            timeout=httpx.Timeout(opts.read_timeout, connect=opts.connect_timeout),
            follow_redirects=False,
            transport=transport,
        )

    def close(self) -> None:
        self.client.close()

    def left(self, timeout: float | None, error: type[Exception]) -> float | None:
        """``timeout`` shortened to the time left before the deadline; ``error`` once none is."""
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise error("time budget used up")
        if timeout is None:
            return None if math.isinf(remaining) else remaining
        return min(timeout, remaining)

    def on_site(self, url: str) -> bool:
        return origin(url) in self.allowed

    def guarded(self, url: str) -> str | None:
        """Why ``url`` must not be requested, or None."""
        if not self.on_site(url):
            return "off-site"
        host = urlsplit(url).hostname or ""
        if not self.allow_private:
            if host not in self.private_cache:
                self.private_cache[host] = _is_private(host)
            if self.private_cache[host]:
                return PRIVATE_REASON
        return None

    def _wait(self, url: str) -> None:
        """Keep the delay since the last request to this host, never sleeping past the deadline."""
        host = site_host(urlsplit(url).hostname or "")
        last = self.last.get(host)
        if last is not None:
            pause = self.delay - (time.monotonic() - last)
            if pause > 0:
                if time.monotonic() + pause >= self.end:
                    raise _OutOfTime(url)
                time.sleep(pause)
        if time.monotonic() >= self.end:
            raise _OutOfTime(url)
        self.last[host] = time.monotonic()

    def _timeout(self) -> httpx.Timeout:
        remaining = max(self.end - time.monotonic(), 0.001)
        read = min(self.opts.read_timeout, remaining)
        return httpx.Timeout(read, connect=min(self.opts.connect_timeout, remaining))

    def get(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        limit: int | None = None,
        *,
        truncate: bool = False,
        any_type: bool = False,
        deadline: float | None = None,
    ) -> tuple[httpx.Response | None, bytes, str, list[tuple[str, str, int]]]:
        """GET with manual, guarded redirects. Returns (response, body, final_url, hops).

        The body is empty when the content is not HTML-like (unless ``any_type``) or exceeds
        ``limit`` bytes (the response tells which); with ``truncate`` it is the first ``limit``
        bytes instead. Waiting, connecting and reading stop at the deadline (the crawl's, or
        ``deadline`` if earlier): then _OutOfTime. Raises httpx errors for transport failures.
        """
        self.end = min(self.deadline, deadline if deadline is not None else math.inf)
        hops: list[tuple[str, str, int]] = []
        current = url
        for _ in range(self.opts.max_redirects + 1):
            reason = self.guarded(current)
            if reason:
                raise _Refused(current, reason)
            self._wait(current)
            started = time.monotonic()
            self.report.requests += 1
            try:
                with self.client.stream(
                    "GET", current, headers=headers or {}, timeout=self._timeout()
                ) as resp:
                    if resp.is_redirect and "location" in resp.headers:
                        nxt = _join(current, resp.headers["location"])
                        if nxt is None:
                            raise _Refused(current, "redirect to a malformed address")
                        hops.append((current, nxt, resp.status_code))
                        current = nxt
                        continue
                    body = self._read(
                        resp, current, limit or self.opts.max_bytes, truncate, any_type
                    )
                    return resp, body, current, hops
            except httpx.TimeoutException:
                if time.monotonic() >= self.end - 0.1:
                    raise _OutOfTime(current) from None
                raise
            except _Refused as exc:  # raised while connecting: the address it resolved to
                raise _Refused(current, exc.reason) from None
            finally:
                self.report.fetch_seconds += time.monotonic() - started
        raise _Refused(current, f"more than {self.opts.max_redirects} redirects")

    def _read(
        self, resp: httpx.Response, url: str, cap: int, truncate: bool, any_type: bool
    ) -> bytes:
        ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
        readable = any_type or ctype in HTML_TYPES or ctype in READABLE_TYPES
        if resp.status_code != 200 or not readable:
            return b""
        try:
            declared = int(resp.headers.get("content-length") or 0)
        except ValueError:
            declared = 0
        if declared > cap and not truncate:
            resp.extensions["mine_too_large"] = True
            return b""
        chunks, size = [], 0
        for chunk in resp.iter_bytes():
            if time.monotonic() > self.end:
                raise _OutOfTime(url)
            if size + len(chunk) > cap:
                if truncate:
                    chunks.append(chunk[: cap - size])
                    resp.extensions["mine_truncated"] = True
                    break
                resp.extensions["mine_too_large"] = True
                return b""
            size += len(chunk)
            chunks.append(chunk)
        return b"".join(chunks)


def _robots(
    fetcher: _Fetcher, start: str, report: CrawlReport
) -> urllib.robotparser.RobotFileParser:
    """The start origin's robots.txt: its first 500 KiB, as Google reads it, whatever the
    content type; unreachable or 4xx means no rules, 5xx means 'disallow all'."""
    parts = urlsplit(start)
    robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
    parser = urllib.robotparser.RobotFileParser(robots_url)
    try:
        resp, body, _, _ = fetcher.get(
            robots_url, limit=ROBOTS_MAX_BYTES, truncate=True, any_type=True
        )
    except (httpx.HTTPError, _Refused, _OutOfTime):
        parser.parse([])  # unreachable robots.txt: the start page request will say why
        return parser
    if resp is not None and resp.status_code >= 500:
        parser.disallow_all = True
        report.warnings.append(
            f"{robots_url} answered {resp.status_code}: treated as 'disallow all'"
        )
    elif resp is not None and resp.status_code == 200:
        text = body.decode("utf-8-sig", "replace")  # a byte-order mark hides no rule
        if resp.extensions.get("mine_truncated"):
            text = text.rpartition("\n")[0]  # a line cut in two is no rule
            report.warnings.append(
                f"{robots_url} is larger than {ROBOTS_MAX_BYTES // 1024} KiB: only the rules "
                f"in its first {ROBOTS_MAX_BYTES // 1024} KiB are applied"
            )
        parser.parse(text.splitlines())
    else:
        parser.parse([])
    return parser


class _BadGzip(Exception):
    pass


def _gunzip(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Inflate gzip data as a stream, in pieces of at most _PIECE bytes, however far it would
    inflate: the caller decides when it has had enough. Several members are read as one
    stream (as gzip does); bytes after the last member are ignored."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    started = members = 0
    for chunk in chunks:
        for i in range(0, len(chunk), _CHUNK):
            data = chunk[i : i + _CHUNK]
            while data:
                if not started and members and not b"\x1f\x8b".startswith(data[:2]):
                    return  # trailing bytes after a complete member
                try:
                    piece = inflater.decompress(data, _PIECE)
                except zlib.error as exc:
                    raise _BadGzip(str(exc)) from None
                started = 1
                if piece:
                    yield piece
                if inflater.eof:
                    data = inflater.unused_data
                    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    started, members = 0, members + 1
                else:
                    data = inflater.unconsumed_tail
    if started:
        try:
            rest = inflater.flush()
        except zlib.error as exc:
            raise _BadGzip(str(exc)) from None
        if rest:
            yield rest
        if not inflater.eof:
            raise _BadGzip("the data ends early")
    elif not members:
        raise _BadGzip("no data")


@dataclass
class _Sitemap:
    kind: str | None = None  # the root element: urlset or sitemapindex
    locs: list[str] = field(default_factory=list)
    error: str | None = None  # why it is not (wholly) a valid sitemap
    limit: str | None = None  # which bound cut it short


def _read_sitemap(
    chunks: Iterable[bytes],
    max_locs: int,
    cap: int = SITEMAP_MAX_BYTES,
    deadline: float = math.inf,
) -> _Sitemap:
    """The <loc> entries of a sitemap or sitemap index (gzip or not), read as a stream.

    At most ``cap`` bytes of XML are read (inflated), at most ``max_locs`` entries kept, and
    only the element being read is held: a bomb costs time up to the cap (or ``deadline``),
    never memory. Entries read before an error are kept.
    """
    from lxml import etree

    out = _Sitemap()
    it = iter(chunks)
    head = b""
    for chunk in it:
        head += chunk
        if len(head) >= 2:
            break
    if not head:
        out.error = "empty file"
        return out
    raw = chain([head], it)
    pieces = _gunzip(raw) if head.startswith(b"\x1f\x8b") else raw
    parser = etree.XMLPullParser(
        events=("end",),
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,  # padding that would otherwise pile up in the tree
        remove_pis=True,
    )
    size = 0

    root = None

    def drain() -> bool:
        nonlocal root
        for _event, el in parser.read_events():
            if root is None:
                root = el.getroottree().getroot()
                out.kind = etree.QName(root).localname
            tag = el.tag
            if isinstance(tag, str) and (tag == "loc" or tag.endswith("}loc")):
                text = el.text
                if text and len(text) < 4096:
                    out.locs.append(text.strip())
                    if len(out.locs) >= max_locs:
                        out.limit = f"more than {max_locs} URLs: the rest is ignored"
                        return False
            elif el.getparent() is root:  # an entry done with: hold only the one being read
                el.clear()
                while el.getprevious() is not None:
                    del root[0]
        return True

    try:
        for piece in pieces:
            if size + len(piece) > cap:
                piece = piece[: cap - size]
                out.limit = (
                    f"larger than {cap // (1024 * 1024)} MB uncompressed: only the first "
                    f"{cap // (1024 * 1024)} MB read"
                )
            size += len(piece)
            parser.feed(piece)
            if not drain() or out.limit:
                return out
            if time.monotonic() > deadline:
                out.limit = "time budget used up while reading it"
                return out
        parser.close()
        drain()
    except etree.XMLSyntaxError as exc:
        out.error = "XML: " + " ".join(str(exc).split())
    except _BadGzip as exc:
        out.error = f"not valid gzip data ({exc})"
    if out.error is None and not out.locs:
        out.error = f"no <loc> entries in <{out.kind}>" if out.kind else "no <loc> entries"
    return out


def _slices(data: bytes) -> Iterator[bytes]:
    view = memoryview(data)
    for i in range(0, len(data), _CHUNK):
        yield bytes(view[i : i + _CHUNK])


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            yield chunk


def _sitemap_urls(
    fetcher: _Fetcher, roots: list[str], report: CrawlReport, deadline: float = math.inf
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
            resp, body, _, _ = fetcher.get(
                url, limit=SITEMAP_MAX_BYTES, truncate=True, any_type=True, deadline=deadline
            )
        except _OutOfTime:
            report.warnings.append(
                "sitemaps not read to the end: their share of the time budget (half) was used up"
            )
            break
        except (httpx.HTTPError, _Refused):
            continue
        if resp is None or resp.status_code != 200 or not body:
            continue
        sitemap = _read_sitemap(_slices(body), MAX_SITEMAP_URLS - len(pages), deadline=deadline)
        del body
        if sitemap.error:
            report.warnings.append(f"{url}: not a valid sitemap ({sitemap.error})")
        if sitemap.limit:
            report.warnings.append(f"{url}: {sitemap.limit}")
        if sitemap.kind == "sitemapindex":
            queue.extend(sitemap.locs)
        else:
            pages.extend(sitemap.locs)
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
    if parts.scheme not in ("http", "https") or not parts.hostname or origin(start) is None:
        raise CrawlError(
            f"{start}: not a web address or folder; use e.g. https://www.example.nl "
            "or a folder of HTML/Markdown files"
        )
    allowed = allowed_origins(start, opts.allow_hosts)
    allow_private = _is_private(parts.hostname)
    deadline = time.monotonic() + opts.time_budget
    fetcher = _Fetcher(opts, allowed, allow_private, report, deadline)
    previous = _load_previous(out_dir)
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
        if delay and float(delay) > fetcher.delay:
            fetcher.delay = float(delay)
            report.crawl_delay = float(delay)
        _check_delay(fetcher, start, opts, report)
        roots = list(robots.site_maps() or []) + [f"{parts.scheme}://{parts.netloc}/sitemap.xml"]
        if seeds is None:
            # sitemaps get at most half of what is left, so that pages get the rest
            share = time.monotonic() + (deadline - time.monotonic()) / 2
            listed = _sitemap_urls(fetcher, roots, report, share)
        else:
            listed = seeds
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
            if time.monotonic() >= deadline:
                report.stopped = f"time budget ({opts.time_budget:g} s) used up"
                break
            url, referrer = frontier.popleft()
            joined = _join(referrer or start, url)
            if joined is None or not fetcher.on_site(joined):
                continue  # other sites (scheme, host or port) are never requested
            url = joined
            key = normalise(url)
            if key in seen:
                continue
            seen.add(key)
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
            except _OutOfTime as exc:
                report.stopped = (
                    f"time budget ({opts.time_budget:g} s) used up while waiting for or "
                    f"reading {exc.url}"
                )
                break
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
            if not 200 <= resp.status_code < 300:
                report.skipped.append({"url": url, "reason": f"HTTP {resp.status_code}"})
                continue
            started = time.monotonic()
            try:
                page = extract_html(
                    decode_html(body, resp.headers.get("content-type", "")), url=final
                )
            except Exception as exc:  # noqa: BLE001 - one odd page must not end the crawl
                report.skipped.append(
                    {"url": url, "reason": f"could not be read ({type(exc).__name__})"}
                )
                continue
            finally:
                report.extract_seconds += time.monotonic() - started
            links = [j for j in (_join(final, h) for h in page.links) if j]
            _enqueue(frontier, links, final, follow_links)
            canonical = _join(final, page.canonical) if page.canonical else None
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


def _check_delay(fetcher: _Fetcher, start: str, opts: CrawlOptions, report: CrawlReport) -> None:
    """Fail at once when the delay between requests leaves no time for even one more."""
    host = site_host(urlsplit(start).hostname or "")
    since = fetcher.last.get(host, time.monotonic())
    if fetcher.delay <= 0 or since + fetcher.delay < fetcher.deadline:
        return
    if report.crawl_delay is not None and report.crawl_delay >= fetcher.delay:
        raise CrawlError(
            f"{start}: robots.txt asks for {report.crawl_delay:g} s between requests "
            f"(Crawl-delay), longer than the time budget of {opts.time_budget:g} s allows for "
            "even one page; raise --time-budget well above it, or ask the site owner for a "
            "shorter crawl-delay"
        )
    raise CrawlError(
        f"{start}: --delay {fetcher.delay:g} s leaves no time for even one page within the "
        f"time budget of {opts.time_budget:g} s; lower --delay or raise --time-budget"
    )


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
            everything, a start URL that leads to another origin, a crawl-delay or --delay
            that leaves no time for a page, an invalid sitemap file, an empty folder, a site
            that only serves a JavaScript shell, or no page read at all (every one skipped,
            broken or out of time).

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
            urls = _local_sitemap(path, report)
            start = next((u for u in urls if origin(u)), None)
            if start is None:
                raise CrawlError(
                    f"{target}: no http(s) address among its {len(urls)} <loc> entries; pass a "
                    "sitemap.xml with <loc> entries, a folder or a URL"
                )
            _crawl_web(start, opts, report, out_dir, on_progress, seeds=urls)
        elif target.startswith(("http://", "https://")):
            _crawl_web(target, opts, report, out_dir, on_progress)
        else:
            raise CrawlError(
                f"{target}: not a web address, folder or sitemap file; use e.g. "
                "https://www.example.nl or ./site-export/"
            )
        if not report.pages:
            raise _nothing_read(target, report, opts, folder=path.is_dir())
    except CrawlError as exc:
        error = exc
    finally:
        report.seconds = time.monotonic() - started
        if report.pages or report.skipped or report.broken or error is None:
            report.outputs = tuple(str(p) for p in _write(report, opts, out_dir))
    if error is not None:
        raise error
    return report


def _local_sitemap(path: Path, report: CrawlReport) -> list[str]:
    """The page URLs of a sitemap file (gzip or not), read as a stream within the same bounds
    as a fetched one."""
    fix = "pass a sitemap.xml with <loc> entries, a folder or a URL"
    try:
        sitemap = _read_sitemap(_file_chunks(path), MAX_SITEMAP_URLS)
    except OSError as exc:
        raise CrawlError(f"{path}: cannot read it ({exc.strerror or exc}); {fix}") from None
    if not sitemap.locs:
        raise CrawlError(f"{path}: not a valid sitemap ({sitemap.error}); {fix}")
    if sitemap.error:
        report.warnings.append(f"{path}: read up to an error ({sitemap.error})")
    if sitemap.limit:
        report.warnings.append(f"{path}: {sitemap.limit}")
    return sitemap.locs


def _nothing_read(
    target: str, report: CrawlReport, opts: CrawlOptions, folder: bool = False
) -> CrawlError:
    """Why a crawl read no page, as one line with the fix."""
    shells = sum(1 for s in report.skipped if s["reason"].startswith("JavaScript shell"))
    if shells:
        return CrawlError(
            f"{target}: the site serves only a JavaScript shell ({shells} pages without "
            "text in their HTML); mine reads HTML as served, without a browser: crawl "
            "a prerendered version or a site export folder"
        )
    refused = [s for s in report.skipped if s["reason"] == "off-site"]
    if refused:
        url = refused[0]["url"]
        there, here = origin(url), origin(target)
        fix = "crawl that address instead"
        if there and here and there[0] == here[0]:
            host = urlsplit(url).netloc.rpartition("@")[2]
            fix += f", or allow it with --allow-host {host}"
        return CrawlError(f"{target}: leads to another host, port or scheme ({url}); {fix}")
    if report.stopped.startswith("time budget"):
        why = (
            f" (robots.txt asks for {report.crawl_delay:g} s between requests)"
            if report.crawl_delay
            else ""
        )
        return CrawlError(
            f"{target}: the time budget ({opts.time_budget:g} s) was used up before any page "
            f"could be read{why}; raise --time-budget, or check that the site answers promptly"
        )
    if report.skipped and all(s["reason"] == "disallowed by robots.txt" for s in report.skipped):
        return CrawlError(f"{target}: robots.txt disallows every page mine found; nothing to read")
    reasons = [f"{s['url']}: {s['reason']}" for s in report.skipped] + [
        f"{b['url']}: HTTP {b['status']}" if b.get("status") else f"{b['url']}: {b.get('error')}"
        for b in report.broken
    ]
    fix = (
        "pass a folder of HTML or Markdown pages with text"
        if folder
        else "check the address, or crawl a site export folder"
    )
    if not reasons:
        return CrawlError(f"{target}: no page could be read; {fix}")
    return CrawlError(
        f"{target}: no page could be read ({len(reasons)} skipped: first {reasons[0]}); {fix}"
    )


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
