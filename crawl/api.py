"""``crawl_site``: the visible copy of a company website, fetched politely and safely, or of a
site export folder or a sitemap file, into ``pages.jsonl`` and ``crawl.json``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlsplit

from crawl.folder import crawl_folder
from crawl.report import CrawlReport
from crawl.robots import DISALLOWED
from crawl.sitemaps import local_sitemap
from crawl.urls import origin
from crawl.web import crawl_web, out_of_time
from pipeline.config import CrawlOptions
from pipeline.errors import CrawlError
from pipeline.files import staged_files
from pipeline.progress import ProgressCallback, ignore


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
    try:
        _crawl_target(target, opts, report, out_dir, on_progress)
    except CrawlError as exc:
        error = exc
    report.seconds = time.monotonic() - started
    report.settle_languages()
    if warning := report.language_warning():
        report.warnings.append(warning)
    if report.pages or (not kept and (report.skipped or report.broken or error is None)):
        report.outputs = tuple(str(p) for p in _write(report, opts, out_dir))
    elif error is not None and kept:
        error = CrawlError(f"{error}; the previous crawl in {out_dir} is kept")
    if error is not None:
        raise error
    return report


def _crawl_target(
    target: str,
    opts: CrawlOptions,
    report: CrawlReport,
    out_dir: Path,
    on_progress: ProgressCallback,
) -> None:
    """Crawl what ``target`` names (a folder, a sitemap file, a web address) into ``report``;
    CrawlError when it names none of them or no page could be read."""
    path = Path(target)
    if path.is_dir():
        crawl_folder(path, opts, report, on_progress)
    elif path.is_file() and path.suffix.lower() in (".xml", ".gz"):
        urls = local_sitemap(path, report, time.monotonic() + opts.time_budget / 2)
        start = next((u for u in urls if origin(u)), None)
        if start is None:
            raise CrawlError(
                f"{target}: no http(s) address among its {len(urls)} <loc> entries; pass a "
                "sitemap.xml with <loc> entries, a folder or a URL"
            )
        crawl_web(start, opts, report, out_dir, on_progress, seeds=urls)
    elif target.startswith(("http://", "https://")):
        crawl_web(target, opts, report, out_dir, on_progress)
    else:
        raise CrawlError(
            f"{target}: not a web address, folder or sitemap file; use e.g. "
            "https://www.example.nl or ./site-export/"
        )
    if not report.pages:
        raise _nothing_read(target, report, opts, folder=path.is_dir())


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
        return out_of_time(target, opts, report)
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
    """Write pages.jsonl and crawl.json, both or neither."""
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
