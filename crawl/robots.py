"""robots.txt as RFC 9309 reads it: how mine names itself to a site (``USER_AGENT``,
``ROBOTS_AGENT``), the parser and matcher (``RobotsTxt``), where a host's robots.txt lives
(``robots_key``, ``robots_url``) and what an answer to fetching it means
(``RobotsTxt.from_answer``; the fetch itself is the guarded client's, crawl/fetch.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.metadata import version
from urllib.parse import urlsplit

from crawl.urls import DEFAULT_PORTS, Origin

USER_AGENT = f"mine/{version('mine')} (website copy research; honours robots.txt)"
ROBOTS_AGENT = "mine"  # the product token robots.txt groups are matched against
ROBOTS_MAX_BYTES = 500 * 1024  # what Google reads of a robots.txt; the rest is ignored
MAX_SITEMAPS = 50  # sitemaps a robots.txt may name, and sitemaps a crawl reads
DISALLOWED = "disallowed by robots.txt"


def robots_key(url: str) -> Origin:
    """The host a robots.txt belongs to: scheme, host as written (www is a host of its own
    here), port."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    return scheme, host, parts.port or DEFAULT_PORTS.get(scheme, 0)


def robots_url(key: Origin) -> str:
    """The address of the robots.txt of the host ``key`` (see ``robots_key``)."""
    scheme, host, port = key
    netloc = f"[{host}]" if ":" in host else host
    if port != DEFAULT_PORTS.get(scheme):
        netloc += f":{port}"
    return f"{scheme}://{netloc}/robots.txt"


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
    truncated: bool = False  # longer than ROBOTS_MAX_BYTES: only the rules before that apply

    @classmethod
    def from_answer(
        cls, status: int, body: bytes, *, undecodable: str | None = None, truncated: bool = False
    ) -> RobotsTxt:
        """The rules of a robots.txt fetched with answer ``status`` and ``body`` (at most
        ROBOTS_MAX_BYTES, ``truncated`` when there was more), whatever its content type.

        RFC 9309 2.3.1: a 4xx answer (but 429) means no rules; 429, 5xx, a 3xx left over and
        a body that does not decode (``undecodable`` says why) mean unreachable: 'disallow
        all', as a transport error, a time-out or a redirect off its origin do (the fetch's).
        """
        if status == 429 or status >= 500 or 300 <= status < 400:
            return cls(unreachable=f"HTTP {status}")
        if 400 <= status < 500 or status != 200:
            return cls()
        if undecodable:
            return cls(unreachable=undecodable)
        text = body.decode("utf-8-sig", "replace")  # a byte-order mark hides no rule
        if truncated:
            text = text.rpartition("\n")[0]  # a line cut in two is no rule
        rules = cls.parse(text)
        rules.truncated = truncated
        return rules

    @classmethod
    def parse(cls, text: str, agent: str = ROBOTS_AGENT) -> RobotsTxt:
        """The rules of robots.txt ``text`` for the product token ``agent``."""
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
