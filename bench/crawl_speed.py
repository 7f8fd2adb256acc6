"""Crawl speed on a 500-page site served locally, and extraction cost vs trafilatura alone.

    .venv/bin/python bench/crawl_speed.py [--pages 500]

The fixture site of the tests (tests/sitegen.py) grown to --pages service pages, served by a
real HTTP server on 127.0.0.1; the crawl runs with no politeness delay. Extraction: mine's
``extract_html`` (trafilatura + title, headings, links, canonical, language) vs
``trafilatura.bare_extraction`` with the same settings on the same HTML, alternating, best of 3.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from crawl import crawl_site, extract_html  # noqa: E402
from pipeline.config import CrawlOptions  # noqa: E402
from tests.sitegen import Site, build, serve  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, default=500)
    args = ap.parse_args()
    from trafilatura import bare_extraction

    site = Site("127.0.0.2:9")
    with serve(site) as (base, _), tempfile.TemporaryDirectory() as tmp:
        site.routes.update(build(base, "127.0.0.2:9", n_services=args.pages).routes)
        site.routes.pop("/traag")  # no deliberately slow page in a speed benchmark
        opts = CrawlOptions(delay=0.0, max_pages=args.pages + 50, read_timeout=5.0)
        start = time.perf_counter()
        report = crawl_site(base + "/", out_dir=Path(tmp), options=opts)
        wall = time.perf_counter() - start
    pages = len(report.pages)
    print(
        f"crawl: {pages} pages in {wall:.1f} s = {pages / wall:.1f} pages/s; "
        f"fetch {report.fetch_seconds / wall:.0%}, extract {report.extract_seconds / wall:.0%} "
        f"of the time ({report.requests} requests)"
    )
    htmls = [
        (path, body.decode())
        for path, (status, ctype, body, _h, _d) in site.routes.items()
        if status == 200 and ctype.startswith("text/html") and len(body) < 200_000
    ]
    mine_t, traf_t = [], []
    for _ in range(3):
        t = time.perf_counter()
        for path, html in htmls:
            extract_html(html, url=base + path)
        mine_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        for path, html in htmls:
            bare_extraction(
                html,
                url=base + path,
                with_metadata=True,
                include_comments=False,
                include_tables=True,
                deduplicate=False,
            )
        traf_t.append(time.perf_counter() - t)
    print(
        f"extraction of {len(htmls)} pages: mine {min(mine_t):.2f} s, trafilatura alone "
        f"{min(traf_t):.2f} s, ratio {min(mine_t) / min(traf_t):.2f} (target <= 1.2)"
    )


if __name__ == "__main__":
    main()
