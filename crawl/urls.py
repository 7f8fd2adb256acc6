"""Web addresses as the crawler sees them: identity for deduplication (``normalise``), the
site a URL belongs to (``origin``, ``site_host``, ``allowed_origins``) and the exact form that
is requested (``clean_url``, RFC 3986)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx

from pipeline.errors import CrawlError

DEFAULT_PORTS = {"http": 80, "https": 443}
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
# Escapes of unreserved characters (RFC 3986 2.3: ALPHA DIGIT - . _ ~): the same as the
# character itself, so decoded before dot segments are resolved (%2e%2e is "..").
_UNRESERVED_ESCAPE = re.compile(
    r"%(2[DE]|5F|7E|3[0-9]|4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A])", re.IGNORECASE
)

Origin = tuple[str, str, int]


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


def join(base: str, href: str) -> str | None:
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


def request_path(url: str) -> str:
    """The request target sent for ``url`` (path and query, percent-encoded as httpx sends it)."""
    try:
        return httpx.URL(url).raw_path.decode("ascii", "replace")
    except httpx.InvalidURL:
        return urlsplit(url).path or "/"


def short(url: str, limit: int = 300) -> str:
    """A URL as recorded: at most ``limit`` characters."""
    return url if len(url) <= limit else url[:limit] + "…"
