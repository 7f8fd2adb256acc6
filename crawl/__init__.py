"""The crawler stage: the visible copy of a company website, fetched politely and safely, or of
a site export folder, as ``pages.jsonl`` and ``crawl.json`` (``crawl_site``).

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

Modules, from the bottom up: ``urls`` (URL identity and the site a URL belongs to),
``addresses`` (public or private IPs, bounded DNS), ``decode`` (content codings, page
encodings), ``robots`` (RFC 9309), ``report`` (CrawlReport), ``fetch`` (the guarded HTTP
client), ``sitemaps``, ``extract`` (a page's copy and its pages.jsonl row), ``previous`` (a
re-crawl's reuse of the last pages.jsonl), ``pages`` (the frontier and the page loop), ``web``
(a crawl of a website), ``folder`` (a site export), ``api`` (``crawl_site``).
"""

from crawl.addresses import private_ip
from crawl.api import crawl_site
from crawl.extract import Extracted, content_hash, extract_html, extract_markdown, to_record
from crawl.report import CrawlReport
from crawl.robots import USER_AGENT, RobotsTxt
from crawl.urls import clean_url, normalise, origin, site_host

__all__ = [
    "USER_AGENT",
    "CrawlReport",
    "Extracted",
    "RobotsTxt",
    "clean_url",
    "content_hash",
    "crawl_site",
    "extract_html",
    "extract_markdown",
    "normalise",
    "origin",
    "private_ip",
    "site_host",
    "to_record",
]
