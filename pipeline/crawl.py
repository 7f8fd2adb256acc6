"""``crawl_site``: the visible copy of a company website, fetched politely and safely.

Same site only: the start URL's origin (scheme, host with www and apex as one, port) plus the
allowed hosts. robots.txt honoured as RFC 9309 says (each host's own; rules for mine's user
agent, crawl-delay; unreachable means disallow all), checked on every URL requested, redirects
included, after dot segments are resolved; sitemaps first, then links. Pages, bytes (after
decoding), time, links and redirects are bounded: one deadline (the time budget) bounds every
DNS lookup, sleep, connection and read. A public site can never lead the crawler to a
loopback, private, shared or otherwise non-global address, by link or redirect (checked on
the addresses connected to); private addresses are crawled only when the start URL's host
has only private addresses, and then only those. Fetching is mine's own (httpx): trafilatura
only extracts.
"""

from __future__ import annotations

import codecs
import ipaddress
import json
import math
import os
import re
import socket
import stat
import sys
import threading
import time
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
ROBOTS_AGENT = "mine"  # the product token robots.txt groups are matched against
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
#: Content encodings mine decodes itself, each inflated in bounded steps; anything else (br,
#: zstd, compress, more than MAX_ENCODINGS stacked) is refused: it could not be bounded.
DECODERS = ("gzip", "x-gzip", "deflate")
MAX_ENCODINGS = 2
ACCEPT_ENCODING = "gzip, deflate"
#: URLs a crawl may know (queued or done): this many per page of --max-pages, at least
#: MIN_KNOWN, besides the sitemaps' URLs. Links past it are counted, not queued.
KNOWN_PER_PAGE = 40
MIN_KNOWN = 2_000
DNS_TIMEOUT = 10.0  # seconds for one DNS lookup (and never past the deadline)
_CHUNK = 1 << 16  # bytes of compressed input per inflate step
_PIECE = 1 << 18  # bytes of inflated output per step: what a sitemap holds in memory at once
# Encodings a web page may declare, as browsers know them (the WHATWG list, in Python's names):
# anything else (idna, punycode, base64, rot13, undefined, ...) is read as UTF-8.
_PAGE_ENCODINGS = re.compile(
    r"utf-8|utf-8-sig|utf-16(-[lb]e)?|ascii|latin-1|iso8859-\d+|cp\d+|mac-[a-z0-9]+|koi8-[ru]"
    r"|kz1048|ptcp154|tis-620|gbk|gb2312|gb18030|big5|big5hkscs|euc_jp|euc_kr|shift_jis"
    r"|iso2022_jp|iso2022_kr"
)
# Escapes of unreserved characters (RFC 3986 2.3: ALPHA DIGIT - . _ ~): the same as the
# character itself, so decoded before dot segments are resolved (%2e%2e is "..").
_UNRESERVED_ESCAPE = re.compile(
    r"%(2[DE]|5F|7E|3[0-9]|4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A])", re.IGNORECASE
)
_VALIDATOR = re.compile(r"[\x20-\x7e]{1,512}")  # an ETag or date that can be sent back as is


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


def _ip_literal(host: str) -> bool:
    """True for an IP address as a host (also the short and numeric forms getaddrinfo takes,
    such as 127.1: no DNS name ends in a label of digits)."""
    host = host.strip("[]")
    if ":" in host:
        return True
    last = host.rstrip(".").rpartition(".")[2]
    return bool(re.fullmatch(r"[0-9]+|0x[0-9a-f]*", last, re.IGNORECASE))


def site_host(host: str) -> str:
    """www and apex are one site (and a host's trailing dot changes nothing); ``www.`` in front
    of an IP address is another name, not that address."""
    host = host.lower().rstrip(".")
    if host.startswith("www.") and not _ip_literal(host[4:]):
        return host[4:]
    return host


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
    if scheme not in DEFAULT_PORTS or not parts.hostname or port == 0:
        return None
    return scheme, site_host(parts.hostname), port or DEFAULT_PORTS[scheme]


def allowed_origins(start: str, allow_hosts: Iterable[str]) -> set[Origin]:
    """The start URL's origin plus each ``--allow-host`` entry, on the start URL's scheme.

    ``host`` means that host on the scheme's default port (80 for http, 443 for https);
    ``host:port`` that port only (1 to 65535). A scheme cannot be allowed: http and https are
    two sites.
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
        if parts is None or "/" in text or "@" in text or not parts.hostname or port == 0:
            raise CrawlError(
                f"--allow-host {entry}: not a host; give a host or host:port (port 1 to "
                "65535), e.g. shop.example.nl or shop.example.nl:8443 (the scheme is the start "
                "URL's)"
            )
        allowed.add((scheme, site_host(parts.hostname), port or DEFAULT_PORTS[scheme]))
    return allowed


def _join(base: str, href: str) -> str | None:
    """``href`` resolved against ``base``; None when either is malformed."""
    try:
        return urljoin(base, href.strip())
    except ValueError:
        return None


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4: /a/./b/../c is /a/c; a path never climbs above the root."""
    segments = path.split("/")
    out: list[str] = []
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment in (".", ".."):
            if segment == ".." and len(out) > 1:
                out.pop()
            if last:
                out.append("")
            continue
        out.append(segment)
    return "/".join(out)


def clean_url(url: str) -> str:
    """``url`` exactly as it is requested: user info and fragment dropped, escapes of
    unreserved characters decoded and dot segments resolved (RFC 3986), so that what robots.txt
    is checked against is what the server is asked for.

    Raises:
        ValueError: not an http(s) address httpx can request (a bad port, a control
            character, longer than httpx takes, ...), saying why.
    """
    parts = urlsplit(url.strip())
    port = parts.port
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in DEFAULT_PORTS or not host or port == 0:
        raise ValueError("not an http(s) address")
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port is not None else "")
    path = _UNRESERVED_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), parts.path)
    if path.startswith("/"):
        path = _remove_dot_segments(path)
    cleaned = urlunsplit((scheme, netloc, path, parts.query, ""))
    try:
        httpx.URL(cleaned)
    except httpx.InvalidURL as exc:
        raise ValueError(str(exc)) from None
    return cleaned


def _short(url: str, limit: int = 300) -> str:
    """A URL as recorded: at most ``limit`` characters."""
    return url if len(url) <= limit else url[:limit] + "…"


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


# Global by Python's table, yet not a public host of their own: 6to4 relays and NAT64
# prefixes (they carry an IPv4 address inside, a private one too) and IETF protocol addresses.
_NOT_PUBLIC = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.0.0/24", "192.88.99.0/24", "2002::/16", "64:ff9b::/96", "64:ff9b:1::/48")
)


def _private_ip(address: str) -> bool:
    """True unless ``address`` is a public (globally reachable) unicast address."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        elif ip.teredo or ip.sixtofour:
            return True
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or any(ip in net for net in _NOT_PUBLIC if net.version == ip.version)
    )


def _lookup(host: str, timeout: float) -> list[str]:
    """The addresses ``host`` resolves to, waiting at most ``timeout`` seconds for DNS.

    Raises:
        TimeoutError: no answer in time (the lookup goes on in a daemon thread, unused).
        OSError: the name does not resolve.
    """
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["infos"] = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError, ValueError) as exc:
            box["error"] = exc

    worker = threading.Thread(target=work, name="mine-dns", daemon=True)
    worker.start()
    worker.join(max(timeout, 0.0))
    if worker.is_alive():
        raise TimeoutError(f"no DNS answer for {host} within {timeout:.3g} s")
    if "error" in box:
        error = box["error"]
        raise error if isinstance(error, OSError) else OSError(str(error))
    return list(dict.fromkeys(str(info[4][0]) for info in box["infos"]))


def _bare(address: str) -> str:
    return address.split("%")[0]


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
        self.url = _short(url)
        self.reason = reason


class _OutOfTime(Exception):
    """The deadline came while waiting for, connecting to or reading ``url``."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = _short(url)


PRIVATE_REASON = "private or loopback address reached from a public site"
OTHER_PRIVATE_REASON = "private or loopback address other than the start URL's"
DISALLOWED = "disallowed by robots.txt"


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
    """httpcore's network layer with the deadline on every operation, DNS included, and the
    private-address guard on the addresses actually connected to: the host is resolved once
    per crawl (bounded by the deadline) and the connection made to the checked address itself,
    so a DNS answer that changes later (DNS rebinding) cannot lead anywhere else. TLS still
    checks the certificate against the host name."""

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
        fetcher = self._fetcher
        try:
            addresses = fetcher.addresses(host)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc)) from None
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host} ({exc})") from None
        reason = fetcher.address_reason(addresses)
        if reason:
            raise _Refused(f"{host}:{port}", reason)
        error: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(
                    address,
                    port,
                    fetcher.left(timeout, httpcore.ConnectTimeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
                continue
            peer = stream.get_extra_info("server_addr")
            if peer and fetcher.address_reason([str(peer[0])]):
                stream.close()
                raise _Refused(f"{host}:{port}", fetcher.address_reason([str(peer[0])]) or "")
            return _DeadlineStream(stream, fetcher)
        raise error

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        return self._inner.connect_unix_socket(*args, **kwargs)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _Fetcher:
    """One polite, guarded HTTP client for a crawl, bounded by one deadline.

    ``private_ok``: the private addresses this crawl may connect to (the start host's, when
    it has only private ones; empty for a public site).
    """

    def __init__(
        self,
        opts: CrawlOptions,
        allowed: set[Origin],
        private_ok: Iterable[str],
        report: CrawlReport,
        deadline: float = math.inf,
    ) -> None:
        self.opts = opts
        self.allowed = allowed
        self.private_ok = frozenset(_bare(a) for a in private_ok)
        self.report = report
        self.delay = opts.delay
        self.delays: dict[str, float] = {}  # site host -> its robots.txt crawl-delay
        self.deadline = deadline  # the whole crawl's
        self.end = deadline  # the request in flight's (a phase may end earlier)
        self.last: dict[str, float] = {}
        self.dns: dict[str, list[str] | OSError] = {}  # one answer per host per crawl
        self.robots: dict[Origin, RobotsTxt] = {}  # per host as written (not www/apex as one)
        transport = httpx.HTTPTransport()
        pool = getattr(transport, "_pool", None)
        if isinstance(pool, httpcore.ConnectionPool):  # httpx keeps its pool there
            pool._network_backend = _DeadlineBackend(pool._network_backend, self)
        self.client = httpx.Client(
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
                "Accept-Encoding": ACCEPT_ENCODING,  # only what mine can inflate within bounds
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

    def addresses(self, host: str) -> list[str]:
        """The addresses of ``host``: looked up once per crawl, within the connect timeout and
        the deadline. Raises TimeoutError or OSError (then again for that host)."""
        host = host.strip("[]")
        known = self.dns.get(host)
        if known is None:
            full = min(self.opts.connect_timeout, DNS_TIMEOUT)
            wait = min(full, self.end - time.monotonic())
            try:
                known = _lookup(host, wait) if wait > 0 else []
                if not known:
                    raise TimeoutError(f"no time left to look up {host}")
            except TimeoutError:
                if wait < full:  # cut short by the deadline: a later phase may try again
                    raise
                known = TimeoutError(f"no DNS answer for {host} within {full:g} s")
            except OSError as exc:
                known = exc
            self.dns[host] = known
        if isinstance(known, OSError):
            raise known
        return known

    def address_reason(self, addresses: Iterable[str]) -> str | None:
        """Why these addresses must not be connected to, or None."""
        for address in addresses:
            if _private_ip(address) and _bare(address) not in self.private_ok:
                return OTHER_PRIVATE_REASON if self.private_ok else PRIVATE_REASON
        return None

    def on_site(self, url: str) -> bool:
        return origin(url) in self.allowed

    def guarded(self, url: str) -> str | None:
        """Why ``url`` must not be requested, or None."""
        if not self.on_site(url):
            return "off-site"
        try:
            addresses = self.addresses(urlsplit(url).hostname or "")
        except OSError:
            return None  # unresolvable: the request itself fails and is recorded
        return self.address_reason(addresses)

    def robots_for(self, url: str) -> RobotsTxt:
        """The robots.txt of ``url``'s host, fetched on first use (raises _OutOfTime)."""
        key = _robots_key(url)
        rules = self.robots.get(key)
        if rules is None:
            end = self.end
            try:
                rules = _fetch_robots(self, key)
            finally:
                self.end = end
            self.robots[key] = rules
            if rules.crawl_delay is not None:
                host = site_host(key[1])
                self.delays[host] = max(self.delays.get(host, 0.0), rules.crawl_delay)
        return rules

    def robots_reason(self, url: str) -> str | None:
        """Why robots.txt forbids requesting ``url`` (a cleaned URL), or None."""
        rules = self.robots_for(url)
        if rules.unreachable is not None:
            return f"robots.txt unreachable ({rules.unreachable}): treated as 'disallow all'"
        return None if rules.allows(_request_path(url)) else DISALLOWED

    def delay_for(self, url: str) -> float:
        host = site_host(urlsplit(url).hostname or "")
        return max(self.delay, self.delays.get(host, 0.0))

    def _wait(self, url: str) -> None:
        """Keep the delay since the last request to this host, never sleeping past the deadline."""
        host = site_host(urlsplit(url).hostname or "")
        last = self.last.get(host)
        if last is not None:
            pause = self.delay_for(url) - (time.monotonic() - last)
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
        robots: bool = True,
    ) -> tuple[httpx.Response | None, bytes, str, list[tuple[str, str, int]]]:
        """GET with manual, guarded redirects. Returns (response, body, final_url, hops).

        Every URL requested, each redirect's included, is cleaned (clean_url), kept on the
        site, off private addresses and checked against its host's robots.txt (unless
        ``robots`` is False: the fetch of a robots.txt, whose redirects must stay on its own
        origin). The body is decoded (gzip, deflate; at most MAX_ENCODINGS stacked) in bounded
        steps; it is empty when the content is not HTML-like (unless ``any_type``), cannot be
        decoded (the response's ``mine_undecodable`` says why) or exceeds ``limit`` bytes
        decoded (``mine_too_large``); with ``truncate`` it is the first ``limit`` bytes instead.
        Waiting, connecting and reading stop at the deadline (the crawl's, or ``deadline`` if
        earlier): then _OutOfTime. Raises _Refused for what may not be requested, httpx errors
        for transport failures.
        """
        end = min(self.deadline, deadline if deadline is not None else math.inf)
        self.end = end
        hops: list[tuple[str, str, int]] = []
        current = url
        home = origin(url)
        for _ in range(self.opts.max_redirects + 1):
            try:
                current = clean_url(current)
            except ValueError as exc:
                raise _Refused(current, f"malformed address ({exc})") from None
            if not robots and origin(current) != home:
                raise _Refused(current, f"it redirects to another site ({_short(current, 80)})")
            reason = self.guarded(current)
            if reason:
                raise _Refused(current, reason)
            if robots:
                reason = self.robots_reason(current)
                self.end = end
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
                        hops.append((current, _short(nxt), resp.status_code))
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
            except httpx.InvalidURL as exc:
                raise _Refused(current, f"malformed address ({exc})") from None
            except _Refused as exc:  # raised while connecting: the address it resolved to
                raise _Refused(current, exc.reason) from None
            finally:
                self.report.fetch_seconds += time.monotonic() - started
        raise _Refused(current, f"more than {self.opts.max_redirects} redirects")

    def _raw(self, resp: httpx.Response, url: str) -> Iterator[bytes]:
        """The body as sent (still encoded), never read past the deadline."""
        for chunk in resp.iter_raw():
            if time.monotonic() > self.end:
                raise _OutOfTime(url)
            yield chunk

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
        header = resp.headers.get("content-encoding", "")
        try:
            encodings = _encodings(header)
        except ValueError as exc:
            resp.extensions["mine_undecodable"] = str(exc)
            return b""
        chunks, size = [], 0
        try:
            for chunk in _decode(self._raw(resp, url), encodings):
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
        except _BadGzip as exc:
            resp.extensions["mine_undecodable"] = (
                f"content encoding {header.strip()[:60]} does not decode ({exc})"
            )
            return b""
        return b"".join(chunks)


def _encodings(header: str) -> list[str]:
    """The content codings of a Content-Encoding header, in the order they were applied.

    Raises:
        ValueError: one mine does not decode within bounds (br, zstd, compress, ...), or more
            than MAX_ENCODINGS stacked.
    """
    names = [n.strip().lower() for n in header.split(",")]
    names = [n for n in names if n and n != "identity"]
    if len(names) > MAX_ENCODINGS:
        raise ValueError(
            f"{len(names)} stacked content encodings, more than {MAX_ENCODINGS} "
            f"({header.strip()[:60]})"
        )
    for name in names:
        if name not in DECODERS:
            raise ValueError(f"content encoding {name[:40]!r} not supported")
    return names


def _decode(chunks: Iterable[bytes], encodings: list[str]) -> Iterator[bytes]:
    """The body with its content codings undone, last applied first, each in bounded steps
    (at most _PIECE bytes out per step, however far it would inflate)."""
    stream: Iterable[bytes] = chunks
    for name in reversed(encodings):
        stream = _gunzip(stream, empty_ok=True) if name != "deflate" else _inflate(stream)
    yield from stream


def _robots_key(url: str) -> Origin:
    """The host a robots.txt belongs to: scheme, host as written (www is a host of its own
    here), port."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    return scheme, host, parts.port or DEFAULT_PORTS.get(scheme, 0)


def _request_path(url: str) -> str:
    """The request target sent for ``url`` (path and query, percent-encoded as httpx sends it)."""
    try:
        return httpx.URL(url).raw_path.decode("ascii", "replace")
    except httpx.InvalidURL:
        return urlsplit(url).path or "/"


_EOL = re.compile(r"\r\n|\r|\n")
_PRODUCT = re.compile(r"[A-Za-z_-]+")
_DELAY_VALUE = re.compile(r"[0-9]{1,12}(?:\.[0-9]{0,12})?|\.[0-9]{1,12}")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_KEEP_ESCAPED = frozenset(b"%/?*$#")  # decoding these would change what the path or rule means


def _canon(text: str) -> str:
    """One spelling of a path or rule for matching (RFC 9309 2.2.2): escapes of printable
    ASCII decoded (except those that change meaning), other escapes upper-case, non-ASCII and
    control characters percent-encoded as UTF-8."""

    def unescape(m: re.Match[str]) -> str:
        byte = int(m.group(1), 16)
        if 0x21 <= byte <= 0x7E and byte not in _KEEP_ESCAPED:
            return chr(byte)
        return "%" + m.group(1).upper()

    text = _ESCAPE.sub(unescape, text)
    if text.isascii() and text.isprintable() and " " not in text:
        return text
    return "".join(
        c
        if 0x21 <= ord(c) <= 0x7E
        else "".join(f"%{b:02X}" for b in c.encode("utf-8", "surrogatepass"))
        for c in text
    )


def _rule_matches(pattern: str, path: str) -> bool:
    """Whether a robots.txt rule matches ``path`` from its start: ``*`` is any run of
    characters, a final ``$`` the end of the path. Linear scans, no backtracking."""
    anchored = pattern.endswith("$")
    if anchored:
        pattern = pattern[:-1]
    parts = pattern.split("*")
    if not path.startswith(parts[0]):
        return False
    pos = len(parts[0])
    if len(parts) == 1:
        return not anchored or pos == len(path)
    for middle in parts[1:-1]:
        found = path.find(middle, pos)
        if found < 0:
            return False
        pos = found + len(middle)
    last = parts[-1]
    if anchored:
        return len(path) - len(last) >= pos and path.endswith(last)
    return path.find(last, pos) >= 0


@dataclass
class RobotsTxt:
    """A host's robots.txt as RFC 9309 reads it, for one product token.

    The groups whose user-agent lines name the token (its leading letters, ``_`` and ``-``,
    case-insensitive: ``mine/1.0`` names mine, ``m`` or ``minebot`` does not) are merged into
    one; without any, the ``*`` groups are. Blank lines and comments do not end a group. The
    longest matching rule decides, Allow winning a tie; ``*`` and a final ``$`` are wildcards.
    Crawl-delay (not in the RFC, widely used) is read as a decimal number of seconds; a value
    that is not one is ignored. ``unreachable`` (why) means disallow all.
    """

    rules: list[tuple[int, bool, str]] = field(default_factory=list)  # (length, allow, rule)
    crawl_delay: float | None = None
    sitemaps: list[str] = field(default_factory=list)
    unreachable: str | None = None
    failure: Exception | None = None  # the transport error or time-out behind ``unreachable``

    @classmethod
    def parse(cls, text: str, agent: str = ROBOTS_AGENT) -> RobotsTxt:
        groups: list[tuple[set[str], list[tuple[str, str]]]] = []
        sitemaps: list[str] = []
        agents_open = False  # a user-agent line came last (blank lines and comments aside)
        for raw in _EOL.split(text):
            line = raw.split("#", 1)[0].strip()
            key, colon, value = line.partition(":")
            if not colon:
                continue
            key, value = key.strip().lower(), value.strip()
            if key in ("user-agent", "useragent", "user agent"):
                if not agents_open:
                    groups.append((set(), []))
                    agents_open = True
                m = _PRODUCT.match(value)
                if value.startswith("*"):
                    groups[-1][0].add("*")
                elif m:
                    groups[-1][0].add(m.group(0).lower())
            elif key in ("allow", "disallow", "crawl-delay"):
                if groups:
                    groups[-1][1].append((key, value))
                    agents_open = False
            elif key == "sitemap" and value and len(sitemaps) < MAX_SITEMAPS:
                sitemaps.append(value)
        token = agent.lower()
        chosen = [g for g in groups if token in g[0]] or [g for g in groups if "*" in g[0]]
        rules: list[tuple[int, bool, str]] = []
        delays: list[float] = []
        for _agents, lines in chosen:
            for key, value in lines:
                if key == "crawl-delay":
                    if _DELAY_VALUE.fullmatch(value):
                        delays.append(float(value))
                elif value:
                    rule = _canon(value if value.startswith(("/", "*")) else "/" + value)
                    rules.append((len(rule), key == "allow", rule))
        rules.sort(key=lambda r: (-r[0], not r[1]))  # longest first, Allow first on a tie
        return cls(rules, max(delays) if delays else None, sitemaps)

    def allows(self, path: str) -> bool:
        """Whether the request target ``path`` (path and query) may be fetched."""
        if self.unreachable is not None:
            return False
        path = _canon(path)
        if path == "/robots.txt":
            return True
        for _length, allow, rule in self.rules:
            if _rule_matches(rule, path):
                return allow
        return True


def _fetch_robots(fetcher: _Fetcher, key: Origin) -> RobotsTxt:
    """A host's robots.txt: its first 500 KiB, as Google reads it, whatever the content type.

    RFC 9309 2.3.1: a 4xx answer (but 429) means no rules; unreachable (a transport error,
    time-out, 429, 5xx, a redirect off its origin, a body that does not decode) means
    'disallow all'. Raises _OutOfTime when the deadline comes first.
    """
    scheme, host, port = key
    netloc = f"[{host}]" if ":" in host else host
    if port != DEFAULT_PORTS.get(scheme):
        netloc += f":{port}"
    robots_url = f"{scheme}://{netloc}/robots.txt"
    try:
        resp, body, _, _ = fetcher.get(
            robots_url, limit=ROBOTS_MAX_BYTES, truncate=True, any_type=True, robots=False
        )
    except _Refused as exc:
        return RobotsTxt(unreachable=exc.reason)
    except httpx.HTTPError as exc:
        return RobotsTxt(unreachable=_short(str(exc) or type(exc).__name__, 200), failure=exc)
    assert resp is not None
    status = resp.status_code
    if status == 429 or status >= 500 or 300 <= status < 400:
        return RobotsTxt(unreachable=f"HTTP {status}")
    if 400 <= status < 500 or status != 200:
        return RobotsTxt()
    undecodable = resp.extensions.get("mine_undecodable")
    if undecodable:
        return RobotsTxt(unreachable=undecodable)
    text = body.decode("utf-8-sig", "replace")  # a byte-order mark hides no rule
    if resp.extensions.get("mine_truncated"):
        text = text.rpartition("\n")[0]  # a line cut in two is no rule
        fetcher.report.warnings.append(
            f"{robots_url} is larger than {ROBOTS_MAX_BYTES // 1024} KiB: only the rules "
            f"in its first {ROBOTS_MAX_BYTES // 1024} KiB are applied"
        )
    return RobotsTxt.parse(text)


class _BadGzip(Exception):
    pass


def _gunzip(chunks: Iterable[bytes], *, empty_ok: bool = False) -> Iterator[bytes]:
    """Inflate gzip data as a stream, in pieces of at most _PIECE bytes, however far it would
    inflate: the caller decides when it has had enough. Several members are read as one
    stream (as gzip does); bytes after the last member are ignored. No data at all is an
    error unless ``empty_ok``."""
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
    elif not members and not empty_ok:
        raise _BadGzip("no data")


def _inflate(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Content-Encoding: deflate as a stream, in pieces of at most _PIECE bytes: zlib data
    (RFC 1950) as the standard says, or raw deflate as some servers send it."""
    inflater = None
    head = b""
    for chunk in chunks:
        if inflater is None:
            head += chunk
            if len(head) < 2:
                continue
            zlib_header = (head[0] & 0x0F) == 8 and ((head[0] << 8) | head[1]) % 31 == 0
            inflater = zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)
            chunk, head = head, b""
        for i in range(0, len(chunk), _CHUNK):
            data = chunk[i : i + _CHUNK]
            while data and not inflater.eof:
                try:
                    piece = inflater.decompress(data, _PIECE)
                except zlib.error as exc:
                    raise _BadGzip(str(exc)) from None
                if piece:
                    yield piece
                data = inflater.unconsumed_tail
            if inflater.eof:
                return  # bytes after the end of the stream are ignored
    if inflater is None:
        if head:
            raise _BadGzip("the data ends early")
        return
    try:
        rest = inflater.flush()
    except zlib.error as exc:
        raise _BadGzip(str(exc)) from None
    if rest:
        yield rest
    if not inflater.eof:
        raise _BadGzip("the data ends early")


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
    only the elements still open are held (every element read is cleared and dropped, at any
    depth; libxml2 refuses more than 256 levels): a bomb costs time up to the cap (or
    ``deadline``), never memory. Entries read before an error are kept.
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
            # done with this element, at any depth: hold only the ones still open (libxml2
            # allows 256 levels at most without huge_tree)
            el.clear()
            parent = el.getparent()
            if parent is not None:
                while el.getprevious() is not None:
                    del parent[0]
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
        if resp is not None and resp.extensions.get("mine_undecodable"):
            report.warnings.append(f"{_short(url)}: {resp.extensions['mine_undecodable']}")
            continue
        if resp is None or resp.status_code != 200 or not body:
            continue
        sitemap = _read_sitemap(_slices(body), MAX_SITEMAP_URLS - len(pages), deadline=deadline)
        del body
        if sitemap.error:
            report.warnings.append(f"{_short(url)}: not a valid sitemap ({sitemap.error})")
        if sitemap.limit:
            report.warnings.append(f"{_short(url)}: {sitemap.limit}")
        if sitemap.kind == "sitemapindex":
            queue.extend(sitemap.locs)
        else:
            pages.extend(sitemap.locs)
    return pages


def _valid_time(value: Any) -> bool:
    """An ISO date-time with its time zone, not in the future (a day's slack)."""
    if not isinstance(value, str) or len(value) > 64:
        return False
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return False
    return moment.tzinfo is not None and moment <= datetime.now(UTC) + timedelta(days=1)


def _row_problem(row: Any) -> str | None:
    """Why a pages.jsonl row cannot be reused as is (a row mine wrote has none)."""
    if not isinstance(row, dict):
        return "not an object"
    for key in ("url", "final_url", "title", "description", "text", "content_hash"):
        if not isinstance(row.get(key), str):
            return f"{key} is not text"
    if origin(row["url"]) is None:
        return "url is not a web address"
    if type(row.get("status")) is not int:
        return "status is not a whole number"
    if not _valid_time(row.get("fetched_at")):
        return "fetched_at is not a date and time with a time zone"
    if row.get("lang") is not None and not isinstance(row["lang"], str):
        return "lang is not text"
    headings = row.get("headings")
    if not isinstance(headings, list) or not all(
        isinstance(h, dict) and isinstance(h.get("level"), str) and isinstance(h.get("text"), str)
        for h in headings
    ):
        return "headings are not a list of level and text"
    links = row.get("links", [])
    if not isinstance(links, list) or not all(isinstance(u, str) for u in links):
        return "links are not a list of addresses"
    for key in ("etag", "last_modified", "source_file"):
        if row.get(key) is not None and not isinstance(row[key], str):
            return f"{key} is not text"
    return None


def _load_previous(out_dir: Path, report: CrawlReport) -> dict[str, dict[str, Any]]:
    """The rows of the previous crawl's pages.jsonl that can be reused, by normalised URL;
    damaged rows are left out, with one warning."""
    path = out_dir / "pages.jsonl"
    if not path.is_file():
        return {}
    previous: dict[str, dict[str, Any]] = {}
    bad: list[str] = []
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except (ValueError, RecursionError):
                    problem: str | None = "not JSON"
                else:
                    problem = _row_problem(row)
                if problem:
                    bad.append(f"line {n}: {problem}")
                    continue
                row["links"] = row.get("links", [])[: 5 * 1024]
                previous[normalise(row["url"])] = row
    except OSError as exc:
        report.warnings.append(f"{path}: not read ({exc.strerror or exc}); every page is fetched")
        return {}
    if bad:
        report.warnings.append(
            f"{path}: {len(bad)} damaged rows ignored (first {bad[0]}); those pages are fetched"
        )
    return previous


def _validator(value: Any) -> str | None:
    """An ETag or Last-Modified value that can be sent back as is (printable ASCII), or None."""
    return value if isinstance(value, str) and _VALIDATOR.fullmatch(value) else None


class _Frontier:
    """The URLs to read, each queued once (by normalised URL), and a bound on how many a crawl
    may know: past it, links are counted, not queued."""

    def __init__(
        self, fetcher: _Fetcher, start: str, cap: int, skipped: list[dict[str, str]]
    ) -> None:
        self.fetcher = fetcher
        self.start = start
        self.cap = cap
        self.queue: deque[tuple[str, str | None]] = deque()
        self.known: set[str] = set()  # queued or done
        self.done: set[str] = set()
        self.dropped = 0
        self.skipped = skipped  # where malformed addresses are recorded

    def add(self, href: str, referrer: str | None, *, first: bool = False) -> None:
        if href.startswith(("mailto:", "tel:", "javascript:", "data:")):
            return
        joined = _join(referrer or self.start, href)
        if joined is None or not self.fetcher.on_site(joined):
            return  # other sites (scheme, host or port) are never requested
        try:
            url = clean_url(joined)
        except ValueError as exc:
            if len(self.known) < self.cap and _short(joined) not in self.known:
                self.known.add(_short(joined))
                self.skipped.append({"url": _short(joined), "reason": f"malformed address ({exc})"})
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
        for href in hrefs:
            self.add(href, referrer)


def _private_start(fetcher: _Fetcher, start: str, opts: CrawlOptions) -> frozenset[str]:
    """The private addresses a crawl from ``start`` may connect to: none for a public site.

    Only a start host (an address, localhost or a name) whose addresses are all private makes
    a private crawl; then its addresses, and the private addresses of the ``--allow-host``
    hosts, are the ones it may reach: a host with one public address is a public site, and a
    private crawl still cannot be led to another private address (the cloud metadata service,
    the router).
    """
    try:
        addresses = fetcher.addresses(urlsplit(start).hostname or "")
    except OSError:
        return frozenset()  # unresolvable: the first request says so
    if not addresses or not all(_private_ip(a) for a in addresses):
        return frozenset()
    allowed = set(addresses)
    for entry in opts.allow_hosts:
        host = urlsplit(f"//{entry.strip()}").hostname
        if host:
            try:
                allowed.update(a for a in fetcher.addresses(host) if _private_ip(a))
            except OSError:
                continue
    return frozenset(allowed)


def _robots_failure(start: str, rules: RobotsTxt) -> CrawlError:
    """The start host's robots.txt could not be read: nothing may be crawled (RFC 9309)."""
    if isinstance(rules.failure, httpx.ConnectError | httpx.ConnectTimeout):
        return CrawlError(_transport_message(start, rules.failure))  # the site is unreachable
    if rules.unreachable in (PRIVATE_REASON, OTHER_PRIVATE_REASON):
        return CrawlError(
            f"{start}: refused, {rules.unreachable}: a host with a public address is a public "
            "site, and mine crawls private addresses only when the start URL's host has no "
            "other; crawl that address itself"
        )
    return CrawlError(
        f"{start}: robots.txt could not be read ({rules.unreachable}); RFC 9309 reads an "
        "unreachable robots.txt as 'disallow all', so mine crawled nothing: try again later, "
        "or crawl a site export folder"
    )


def _out_of_time(start: str, opts: CrawlOptions, report: CrawlReport) -> CrawlError:
    why = (
        f" (robots.txt asks for {report.crawl_delay:g} s between requests)"
        if report.crawl_delay
        else ""
    )
    return CrawlError(
        f"{start}: the time budget ({opts.time_budget:g} s) was used up before any page "
        f"could be read{why}; raise --time-budget, or check that the site answers promptly"
    )


def _crawl_web(
    start: str,
    opts: CrawlOptions,
    report: CrawlReport,
    out_dir: Path,
    on_progress: ProgressCallback,
    seeds: list[str] | None = None,
) -> None:
    parts = urlsplit(start)
    fix = "use e.g. https://www.example.nl or a folder of HTML/Markdown files"
    if parts.scheme not in ("http", "https") or not parts.hostname or origin(start) is None:
        raise CrawlError(f"{start}: not a web address or folder; {fix}")
    try:
        start = clean_url(start)
    except ValueError as exc:
        raise CrawlError(f"{_short(start)}: not a web address ({exc}); {fix}") from None
    allowed = allowed_origins(start, opts.allow_hosts)
    deadline = time.monotonic() + opts.time_budget
    fetcher = _Fetcher(opts, allowed, (), report, deadline)
    previous = _load_previous(out_dir, report)
    try:
        fetcher.private_ok = _private_start(fetcher, start, opts)
        try:
            robots = fetcher.robots_for(start)
        except _OutOfTime:
            raise _out_of_time(start, opts, report) from None
        if robots.unreachable is not None:
            raise _robots_failure(start, robots)
        if not robots.allows(_request_path(start)) and not robots.allows("/"):
            raise CrawlError(
                f"{start}: robots.txt forbids mine to crawl this site (user agent "
                f"'{ROBOTS_AGENT}' or '*'); ask the site owner to allow it, or crawl a "
                "site export folder instead"
            )
        if robots.crawl_delay is not None and robots.crawl_delay > opts.delay:
            report.crawl_delay = robots.crawl_delay
        _check_delay(fetcher, start, opts, report)
        here = urlsplit(start)
        roots = list(robots.sitemaps) + [f"{here.scheme}://{here.netloc}/sitemap.xml"]
        if seeds is None:
            # sitemaps get at most half of what is left, so that pages get the rest
            share = time.monotonic() + (deadline - time.monotonic()) / 2
            listed = _sitemap_urls(fetcher, roots, report, share)
        else:
            listed = seeds
        cap = max(opts.max_pages * KNOWN_PER_PAGE, MIN_KNOWN) + len(listed) + 1
        frontier = _Frontier(fetcher, start, cap, report.skipped)
        frontier.add(start, None)
        frontier.extend(listed, None)
        _crawl_pages(fetcher, frontier, previous, opts, report, on_progress, seeds is None)
        if frontier.dropped:
            report.warnings.append(
                f"{frontier.dropped} links not followed: a crawl of --max-pages "
                f"{opts.max_pages} keeps at most {frontier.cap} addresses"
            )
    finally:
        fetcher.close()


def _crawl_pages(
    fetcher: _Fetcher,
    frontier: _Frontier,
    previous: dict[str, dict[str, Any]],
    opts: CrawlOptions,
    report: CrawlReport,
    on_progress: ProgressCallback,
    follow_links: bool,
) -> None:
    """Read the frontier's pages until it is empty, --max-pages are read or time is up."""
    deadline = fetcher.deadline
    canonical_seen: set[str] = set()
    on_progress(ProgressEvent("total", total=opts.max_pages))
    first = True
    while frontier.queue:
        if len(report.pages) >= opts.max_pages:
            report.stopped = f"max pages ({opts.max_pages}) reached"
            break
        if time.monotonic() >= deadline:
            report.stopped = f"time budget ({opts.time_budget:g} s) used up"
            break
        url, referrer = frontier.queue.popleft()
        key = normalise(url)
        if key in frontier.done:
            continue
        frontier.done.add(key)
        if urlsplit(url).path.lower().endswith(SKIP_SUFFIXES):
            report.skipped.append({"url": url, "reason": "not a page (file type)"})
            continue
        old = previous.get(key)
        if old and _fresh(old, opts.max_age):
            try:
                reason = fetcher.robots_reason(url)
            except _OutOfTime as exc:
                report.stopped = _stopped(opts, exc)
                break
            if reason:
                report.skipped.append({"url": url, "reason": reason})
                continue
            report.pages.append(old)
            report.reused += 1
            if follow_links:
                frontier.extend(old.get("links", []), url)
            continue
        headers = {}
        if old and _validator(old.get("etag")):
            headers["If-None-Match"] = old["etag"]
        if old and _validator(old.get("last_modified")):
            headers["If-Modified-Since"] = old["last_modified"]
        try:
            resp, body, final, hops = fetcher.get(url, headers=headers)
        except _OutOfTime as exc:
            report.stopped = _stopped(opts, exc)
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
            frontier.done.add(normalise(final))
            frontier.known.add(normalise(final))
        assert resp is not None
        if resp.status_code == 304 and old:
            old = {**old, "fetched_at": now()}
            report.pages.append(old)
            report.reused += 1
            if follow_links:
                frontier.extend(old.get("links", []), final)
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
        if resp.extensions.get("mine_undecodable"):
            report.skipped.append({"url": url, "reason": resp.extensions["mine_undecodable"]})
            continue
        if not 200 <= resp.status_code < 300:
            report.skipped.append({"url": url, "reason": f"HTTP {resp.status_code}"})
            continue
        started = time.monotonic()
        try:
            page = extract_html(decode_html(body, resp.headers.get("content-type", "")), url=final)
        except Exception as exc:  # noqa: BLE001 - one odd page must not end the crawl
            report.skipped.append(
                {"url": url, "reason": f"could not be read ({type(exc).__name__})"}
            )
            continue
        finally:
            report.extract_seconds += time.monotonic() - started
        del body
        if page.plain:
            report.warnings.append(f"{url}: read as plain text ({page.plain})")
        if page.links_dropped:
            report.warnings.append(
                f"{url}: {len(page.links) + page.links_dropped} links, only the first "
                f"{len(page.links)} kept"
            )
        # a <base href> on the same site is what relative links resolve against
        based = _join(final, page.base) if page.base else None
        base = based if based and fetcher.on_site(based) else final
        links = [j for j in (_join(base, h) for h in page.links) if j]
        if follow_links:
            frontier.extend(links, final)
        canonical = _join(base, page.canonical) if page.canonical else None
        if canonical and fetcher.on_site(canonical) and normalise(canonical) != normalise(final):
            ckey = normalise(canonical)
            if ckey in canonical_seen or ckey in frontier.done:
                report.skipped.append({"url": url, "reason": f"duplicate of canonical {canonical}"})
                continue
            canonical_seen.add(ckey)
            frontier.add(canonical, url, first=True)  # read the canonical page itself instead
            report.skipped.append({"url": url, "reason": f"duplicate of canonical {canonical}"})
            continue
        canonical_seen.add(normalise(final))
        if page.javascript_shell:
            report.skipped.append({"url": url, "reason": "JavaScript shell: no text in the HTML"})
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
                etag=_validator(resp.headers.get("etag")),
                last_modified=_validator(resp.headers.get("last-modified")),
                links=_record_links(fetcher, links),
            )
        )
        on_progress(
            ProgressEvent("advance", done=len(report.pages), total=opts.max_pages, item=url)
        )


def _record_links(fetcher: _Fetcher, links: list[str]) -> list[str]:
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


def _stopped(opts: CrawlOptions, exc: _OutOfTime) -> str:
    return f"time budget ({opts.time_budget:g} s) used up while waiting for or reading {exc.url}"


def _check_delay(fetcher: _Fetcher, start: str, opts: CrawlOptions, report: CrawlReport) -> None:
    """Fail at once when the delay between requests leaves no time for even one more."""
    host = site_host(urlsplit(start).hostname or "")
    since = fetcher.last.get(host, time.monotonic())
    delay = fetcher.delay_for(start)
    if delay <= 0 or since + delay < fetcher.deadline:
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
        return datetime.now(UTC) - fetched < timedelta(hours=max_age_hours)
    except (KeyError, TypeError, ValueError, OverflowError):
        return False


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
    text = _short(str(exc) or type(exc).__name__, 200)
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


PAGE_SUFFIXES = (".html", ".htm", ".md", ".markdown")


def _display(name: str) -> str:
    """A file name as recorded: bytes that are not UTF-8 (a name from another system) shown
    as U+FFFD, so that the record can be written."""
    return os.fsencode(name).decode("utf-8", "replace")


def _read_page_file(path: Path, root: str, max_bytes: int) -> tuple[str | None, str]:
    """A page file's text, or None and why it is skipped: only regular files whose real path
    lies inside the folder (a link may point elsewhere inside it), at most ``max_bytes``."""
    real = os.path.realpath(path)
    if real != root and not real.startswith(root.rstrip(os.sep) + os.sep):
        return None, "a link to outside the folder: not read"
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(real, flags)
    except OSError as exc:
        return None, f"unreadable ({exc.strerror or exc})"
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            return None, "not a regular file"
        if info.st_size > max_bytes:
            return None, f"larger than {max_bytes} bytes"
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            return None, f"unreadable ({exc.strerror or exc})"
    if len(data) > max_bytes:
        return None, f"larger than {max_bytes} bytes"
    return data.decode("utf-8", "replace"), ""


def _crawl_folder(
    folder: Path, opts: CrawlOptions, report: CrawlReport, on_progress: ProgressCallback
) -> None:
    """A site export: its .html and .md files, within --max-bytes each and --time-budget in
    all. Links to folders are not followed; links to files outside the folder, and anything
    but a regular file, are skipped and recorded."""
    deadline = time.monotonic() + opts.time_budget
    root = os.path.realpath(folder)
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        if time.monotonic() >= deadline:
            break
        for name in dirnames:
            if os.path.islink(os.path.join(dirpath, name)):
                rel = Path(dirpath, name).relative_to(folder).as_posix()
                report.skipped.append(
                    {"url": _display(rel), "reason": "a link to a folder: not followed"}
                )
        files.extend(Path(dirpath, n) for n in filenames if Path(n).suffix.lower() in PAGE_SUFFIXES)
    files.sort()
    if not files:
        raise CrawlError(
            f"{folder}: no .html or .md files found; pass a site export folder or a URL"
        )
    on_progress(ProgressEvent("total", total=len(files)))
    for i, path in enumerate(files, start=1):
        if time.monotonic() >= deadline:
            report.stopped = f"time budget ({opts.time_budget:g} s) used up"
            break
        rel = _display(path.relative_to(folder).as_posix())
        source, why = _read_page_file(path, root, opts.max_bytes)
        if source is None:
            report.skipped.append({"url": rel, "reason": why})
            continue
        started = time.monotonic()
        page: Extracted = (
            extract_markdown(source)
            if path.suffix.lower() in (".md", ".markdown")
            else extract_html(source, url=rel)
        )
        report.extract_seconds += time.monotonic() - started
        if page.plain:
            report.warnings.append(f"{rel}: read as plain text ({page.plain})")
        if not page.text.strip():
            report.skipped.append({"url": rel, "reason": "no text"})
            continue
        report.pages.append(to_record(rel, rel, 200, page, now(), source_file=_display(str(path))))
        on_progress(ProgressEvent("advance", done=i, total=len(files), item=rel))


def crawl_site(
    target: str,
    *,
    out_dir: Path,
    options: CrawlOptions | None = None,
    on_progress: ProgressCallback = ignore,
) -> CrawlReport:
    """Crawl a website, a site export folder or a sitemap file into ``pages.jsonl`` + ``crawl.json``.

    Whatever was fetched is written, also when the crawl stops on an error; but a crawl that
    read no page leaves a previous crawl's pages.jsonl (and crawl.json) in ``out_dir`` as they
    were, and a crash (a bug) writes nothing.

    Raises:
        CrawlError: invalid target, unreachable site or robots.txt, TLS failure, robots.txt
            forbidding everything, a start URL that leads to another origin, a crawl-delay or
            --delay that leaves no time for a page, an invalid sitemap file, an empty folder,
            a site that only serves a JavaScript shell, or no page read at all (every one
            skipped, broken or out of time).

    Example:
        >>> crawl_site("https://www.example.nl", out_dir=Path("site"))
    """
    opts = options or CrawlOptions()
    report = CrawlReport(start=target)
    started = time.monotonic()
    previous = out_dir / "pages.jsonl"
    kept = previous.is_file() and previous.stat().st_size > 0
    error: CrawlError | None = None
    path = Path(target)
    try:
        if path.is_dir():
            _crawl_folder(path, opts, report, on_progress)
        elif path.is_file() and path.suffix.lower() in (".xml", ".gz"):
            urls = _local_sitemap(path, report, time.monotonic() + opts.time_budget / 2)
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
    report.seconds = time.monotonic() - started
    if report.pages or (not kept and (report.skipped or report.broken or error is None)):
        report.outputs = tuple(str(p) for p in _write(report, opts, out_dir))
    elif error is not None and kept:
        error = CrawlError(f"{error}; the previous crawl in {out_dir} is kept")
    if error is not None:
        raise error
    return report


def _local_sitemap(path: Path, report: CrawlReport, deadline: float = math.inf) -> list[str]:
    """The page URLs of a sitemap file (gzip or not), read as a stream within the same bounds
    as a fetched one."""
    fix = "pass a sitemap.xml with <loc> entries, a folder or a URL"
    try:
        sitemap = _read_sitemap(_file_chunks(path), MAX_SITEMAP_URLS, deadline=deadline)
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
        return _out_of_time(target, opts, report)
    if report.skipped and all(s["reason"] == DISALLOWED for s in report.skipped):
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
