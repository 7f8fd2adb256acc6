"""A crawl of a website (``crawl_web``): the start URL checked, its host's robots.txt read
first (unreachable or forbidding everything ends the crawl), then the pages its sitemaps list
(or the given seeds), then the pages they link to, all within one time budget."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from crawl.addresses import OTHER_PRIVATE_REASON, PRIVATE_REASON, private_ip
from crawl.fetch import Fetcher, OutOfTime, transport_message
from crawl.pages import KNOWN_PER_PAGE, MIN_KNOWN, Frontier, PageCrawl
from crawl.previous import load_previous
from crawl.report import CrawlReport
from crawl.robots import ROBOTS_AGENT, RobotsTxt
from crawl.sitemaps import sitemap_urls
from crawl.urls import allowed_origins, clean_url, origin, request_path, short, site_host
from pipeline.config import CrawlOptions
from pipeline.errors import CrawlError
from pipeline.progress import ProgressCallback


def crawl_web(
    start: str,
    opts: CrawlOptions,
    report: CrawlReport,
    out_dir: Path,
    on_progress: ProgressCallback,
    seeds: list[str] | None = None,
) -> None:
    """Crawl the site at ``start`` into ``report``, reusing the rows of the previous crawl in
    ``out_dir``; ``seeds`` (a sitemap file's URLs) replace the site's sitemaps, and then no
    links are followed."""
    start = _start_url(start)
    allowed = allowed_origins(start, opts.allow_hosts)
    deadline = time.monotonic() + opts.time_budget
    fetcher = Fetcher(opts, allowed, (), report, deadline)
    previous = load_previous(out_dir, report)
    try:
        fetcher.private_ok = _private_start(fetcher, start, opts)
        robots = _start_robots(fetcher, start, opts, report)
        _check_delay(fetcher, start, opts, report)
        listed = _listed(fetcher, start, robots, report, deadline) if seeds is None else seeds
        cap = max(opts.max_pages * KNOWN_PER_PAGE, MIN_KNOWN) + len(listed) + 1
        frontier = Frontier(fetcher, start, cap, report)
        frontier.add(start, None)
        frontier.extend(listed, None)
        pages = PageCrawl(
            fetcher, frontier, previous, opts, report, on_progress, follow_links=seeds is None
        )
        pages.run()
        if frontier.dropped:
            report.warnings.append(
                f"{frontier.dropped} links not followed: a crawl of --max-pages "
                f"{opts.max_pages} keeps at most {frontier.cap} addresses"
            )
    finally:
        fetcher.close()


def _start_url(start: str) -> str:
    """The start URL as it is requested (see clean_url); CrawlError when it is not one."""
    parts = urlsplit(start)
    fix = "use e.g. https://www.example.nl or a folder of HTML/Markdown files"
    if parts.scheme not in ("http", "https") or not parts.hostname or origin(start) is None:
        raise CrawlError(f"{start}: not a web address or folder; {fix}")
    try:
        return clean_url(start)
    except ValueError as exc:
        raise CrawlError(f"{short(start)}: not a web address ({exc}); {fix}") from None


def _start_robots(
    fetcher: Fetcher, start: str, opts: CrawlOptions, report: CrawlReport
) -> RobotsTxt:
    """The start host's robots.txt, which must be readable and allow the start page or the
    root; its crawl-delay is reported when longer than --delay."""
    try:
        robots = fetcher.robots_for(start)
    except OutOfTime:
        raise out_of_time(start, opts, report) from None
    if robots.unreachable is not None:
        raise _robots_failure(start, robots)
    if not robots.allows(request_path(start)) and not robots.allows("/"):
        raise CrawlError(
            f"{start}: robots.txt forbids mine to crawl this site (user agent "
            f"'{ROBOTS_AGENT}' or '*'); ask the site owner to allow it, or crawl a "
            "site export folder instead"
        )
    if robots.crawl_delay is not None and robots.crawl_delay > opts.delay:
        report.crawl_delay = robots.crawl_delay
    return robots


def _listed(
    fetcher: Fetcher, start: str, robots: RobotsTxt, report: CrawlReport, deadline: float
) -> list[str]:
    """The page URLs of the sitemaps robots.txt names and of /sitemap.xml."""
    here = urlsplit(start)
    roots = list(robots.sitemaps) + [f"{here.scheme}://{here.netloc}/sitemap.xml"]
    # sitemaps get at most half of what is left, so that pages get the rest
    share = time.monotonic() + (deadline - time.monotonic()) / 2
    return sitemap_urls(fetcher, roots, report, share)


def _private_start(fetcher: Fetcher, start: str, opts: CrawlOptions) -> frozenset[str]:
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
    if not addresses or not all(private_ip(a) for a in addresses):
        return frozenset()
    allowed = set(addresses)
    for entry in opts.allow_hosts:
        host = urlsplit(f"//{entry.strip()}").hostname
        if host:
            try:
                allowed.update(a for a in fetcher.addresses(host) if private_ip(a))
            except OSError:
                continue
    return frozenset(allowed)


def _robots_failure(start: str, rules: RobotsTxt) -> CrawlError:
    """The start host's robots.txt could not be read: nothing may be crawled (RFC 9309)."""
    if isinstance(rules.failure, httpx.ConnectError | httpx.ConnectTimeout):
        return CrawlError(transport_message(start, rules.failure))  # the site is unreachable
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


def out_of_time(start: str, opts: CrawlOptions, report: CrawlReport) -> CrawlError:
    """The time budget ended before any page was read: the error, with its likely cause."""
    why = (
        f" (robots.txt asks for {report.crawl_delay:g} s between requests)"
        if report.crawl_delay
        else ""
    )
    return CrawlError(
        f"{start}: the time budget ({opts.time_budget:g} s) was used up before any page "
        f"could be read{why}; raise --time-budget, or check that the site answers promptly"
    )


def _check_delay(fetcher: Fetcher, start: str, opts: CrawlOptions, report: CrawlReport) -> None:
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
