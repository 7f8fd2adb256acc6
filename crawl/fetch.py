"""The guarded HTTP client of a crawl (``Fetcher``): one deadline on every DNS lookup, sleep,
connection and read (``_DeadlineBackend``); manual redirects, each hop cleaned, kept on the site,
off private addresses and checked against its host's robots.txt; bodies decoded within bounds;
``Refused`` and ``OutOfTime`` for what may not or could not be fetched."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from crawl.addresses import (
    DNS_TIMEOUT,
    OTHER_PRIVATE_REASON,
    PRIVATE_REASON,
    bare,
    lookup,
    private_ip,
)
from crawl.decode import ACCEPT_ENCODING, BadGzip, content_codings, decode
from crawl.report import CrawlReport
from crawl.robots import DISALLOWED, ROBOTS_MAX_BYTES, USER_AGENT, RobotsTxt, robots_key, robots_url
from crawl.urls import Origin, clean_url, join, origin, request_path, short, site_host
from pipeline.config import CrawlOptions

HTML_TYPES = ("text/html", "application/xhtml+xml")
READABLE_TYPES = (
    "text/plain",
    "application/xml",
    "text/xml",
    "application/gzip",
    "application/x-gzip",
    "",
)


class Refused(Exception):
    """``url`` may not be requested (off the site, a private address, robots.txt, malformed,
    too many redirects): ``reason`` says why."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(reason)
        self.url = short(url)
        self.reason = reason


class OutOfTime(Exception):
    """The deadline came while waiting for, connecting to or reading ``url``."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = short(url)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read, write and TLS handshake ends at the fetcher's deadline,
    however slowly the server drips its status line, headers or body."""

    def __init__(self, stream: httpcore.NetworkStream, fetcher: Fetcher) -> None:
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

    def __init__(self, inner: httpcore.NetworkBackend, fetcher: Fetcher) -> None:
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
            raise Refused(f"{host}:{port}", reason)
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
                raise Refused(f"{host}:{port}", fetcher.address_reason([str(peer[0])]) or "")
            return _DeadlineStream(stream, fetcher)
        raise error

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        return self._inner.connect_unix_socket(*args, **kwargs)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class Fetcher:
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
        self.private_ok = frozenset(bare(a) for a in private_ok)
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
        """Close the connections."""
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
                known = lookup(host, wait) if wait > 0 else []
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
            if private_ip(address) and bare(address) not in self.private_ok:
                return OTHER_PRIVATE_REASON if self.private_ok else PRIVATE_REASON
        return None

    def on_site(self, url: str) -> bool:
        """Whether ``url`` belongs to the crawled site (its origin is an allowed one)."""
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
        """The robots.txt of ``url``'s host, fetched on first use (raises OutOfTime)."""
        key = robots_key(url)
        rules = self.robots.get(key)
        if rules is None:
            end = self.end
            try:
                rules = self._fetch_robots(key)
            finally:
                self.end = end
            self.robots[key] = rules
            if rules.crawl_delay is not None:
                host = site_host(key[1])
                self.delays[host] = max(self.delays.get(host, 0.0), rules.crawl_delay)
        return rules

    def _fetch_robots(self, key: Origin) -> RobotsTxt:
        """The robots.txt of host ``key``: its first ROBOTS_MAX_BYTES, as Google reads it,
        whatever the content type (RobotsTxt.from_answer says what the answer means). Raises
        OutOfTime when the deadline comes first."""
        url = robots_url(key)
        try:
            resp, body, _, _ = self.get(
                url, limit=ROBOTS_MAX_BYTES, truncate=True, any_type=True, robots=False
            )
        except Refused as exc:
            return RobotsTxt(unreachable=exc.reason)
        except httpx.HTTPError as exc:
            return RobotsTxt(unreachable=short(str(exc) or type(exc).__name__, 200), failure=exc)
        assert resp is not None
        rules = RobotsTxt.from_answer(
            resp.status_code,
            body,
            undecodable=resp.extensions.get("mine_undecodable"),
            truncated=bool(resp.extensions.get("mine_truncated")),
        )
        if rules.truncated:
            self.report.warnings.append(
                f"{url} is larger than {ROBOTS_MAX_BYTES // 1024} KiB: only the rules "
                f"in its first {ROBOTS_MAX_BYTES // 1024} KiB are applied"
            )
        return rules

    def robots_reason(self, url: str) -> str | None:
        """Why robots.txt forbids requesting ``url`` (a cleaned URL), or None."""
        rules = self.robots_for(url)
        if rules.unreachable is not None:
            return f"robots.txt unreachable ({rules.unreachable}): treated as 'disallow all'"
        return None if rules.allows(request_path(url)) else DISALLOWED

    def delay_for(self, url: str) -> float:
        """Seconds to keep between requests to ``url``'s host: --delay or its crawl-delay."""
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
                    raise OutOfTime(url)
                time.sleep(pause)
        if time.monotonic() >= self.end:
            raise OutOfTime(url)
        self.last[host] = time.monotonic()

    def _timeout(self) -> httpx.Timeout:
        """The read and connect timeouts, shortened to the time left."""
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
        earlier): then OutOfTime. Raises Refused for what may not be requested, httpx errors
        for transport failures.
        """
        end = min(self.deadline, deadline if deadline is not None else math.inf)
        self.end = end
        hops: list[tuple[str, str, int]] = []
        current = url
        home = origin(url)
        for _ in range(self.opts.max_redirects + 1):
            current = self._admit(current, home, robots, end)
            self._wait(current)
            resp, body, nxt = self._request(
                current, headers, limit or self.opts.max_bytes, truncate, any_type
            )
            if nxt is None:
                return resp, body, current, hops
            hops.append((current, short(nxt), resp.status_code))
            current = nxt
        raise Refused(current, f"more than {self.opts.max_redirects} redirects")

    def _admit(self, url: str, home: Origin | None, robots: bool, end: float) -> str:
        """``url`` cleaned, once it may be requested: on the site (on ``home`` when fetching a
        robots.txt), off private addresses and, if ``robots``, allowed by robots.txt; else
        Refused."""
        try:
            url = clean_url(url)
        except ValueError as exc:
            raise Refused(url, f"malformed address ({exc})") from None
        if not robots and origin(url) != home:
            raise Refused(url, f"it redirects to another site ({short(url, 80)})")
        reason = self.guarded(url)
        if reason:
            raise Refused(url, reason)
        if robots:
            reason = self.robots_reason(url)
            self.end = end
            if reason:
                raise Refused(url, reason)
        return url

    def _request(
        self, url: str, headers: dict[str, str] | None, cap: int, truncate: bool, any_type: bool
    ) -> tuple[httpx.Response, bytes, str | None]:
        """One GET of ``url``: the response, its body (see ``get``) and the address it
        redirects to, if it does."""
        started = time.monotonic()
        self.report.requests += 1
        try:
            with self.client.stream(
                "GET", url, headers=headers or {}, timeout=self._timeout()
            ) as resp:
                if resp.is_redirect and "location" in resp.headers:
                    nxt = join(url, resp.headers["location"])
                    if nxt is None:
                        raise Refused(url, "redirect to a malformed address")
                    return resp, b"", nxt
                return resp, self._read(resp, url, cap, truncate, any_type), None
        except httpx.TimeoutException:
            if time.monotonic() >= self.end - 0.1:
                raise OutOfTime(url) from None
            raise
        except httpx.InvalidURL as exc:
            raise Refused(url, f"malformed address ({exc})") from None
        except Refused as exc:  # raised while connecting: the address it resolved to
            raise Refused(url, exc.reason) from None
        finally:
            self.report.fetch_seconds += time.monotonic() - started

    def _raw(self, resp: httpx.Response, url: str) -> Iterator[bytes]:
        """The body as sent (still encoded), never read past the deadline."""
        for chunk in resp.iter_raw():
            if time.monotonic() > self.end:
                raise OutOfTime(url)
            yield chunk

    def _read(
        self, resp: httpx.Response, url: str, cap: int, truncate: bool, any_type: bool
    ) -> bytes:
        """The decoded body of a 200 answer of a type worth reading, at most ``cap`` bytes;
        else empty, with ``resp.extensions`` saying why (see ``get``)."""
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
            encodings = content_codings(header)
        except ValueError as exc:
            resp.extensions["mine_undecodable"] = str(exc)
            return b""
        chunks, size = [], 0
        try:
            for chunk in decode(self._raw(resp, url), encodings):
                if time.monotonic() > self.end:
                    raise OutOfTime(url)
                if size + len(chunk) > cap:
                    if truncate:
                        chunks.append(chunk[: cap - size])
                        resp.extensions["mine_truncated"] = True
                        break
                    resp.extensions["mine_too_large"] = True
                    return b""
                size += len(chunk)
                chunks.append(chunk)
        except BadGzip as exc:
            resp.extensions["mine_undecodable"] = (
                f"content encoding {header.strip()[:60]} does not decode ({exc})"
            )
            return b""
        return b"".join(chunks)


def transport_message(url: str, exc: httpx.HTTPError) -> str:
    """One line on a failed request, with what to check."""
    text = short(str(exc) or type(exc).__name__, 200)
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
