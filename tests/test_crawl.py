"""The crawler against a real HTTP server on 127.0.0.1 serving a fixture site."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from crawl import CrawlReport, crawl_site, extract_html, normalise, private_ip
from crawl.fetch import Fetcher
from pipeline.config import CrawlOptions
from pipeline.errors import CrawlError
from tests.conftest import run_mine
from tests.sitegen import Site, build, gzip_bomb, serve, text_page, urlset

FAST = CrawlOptions(delay=0.0, read_timeout=1.0, connect_timeout=1.0, max_bytes=200_000)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory):
    """One crawl of the fixture site, with the logs of the site and of another host."""
    out = tmp_path_factory.mktemp("crawl")
    other = Site("")
    with serve(other, host="127.0.0.2") as (other_base, _):
        site = Site(other_base.removeprefix("http://"))
        with serve(site) as (base, _):
            site.routes.update(build(base, other_base.removeprefix("http://")).routes)
            report = crawl_site(base + "/", out_dir=out, options=FAST)
            yield base, site, other, report, out


def test_only_allowed_same_host_urls_are_requested(crawled) -> None:
    base, site, other, report, _out = crawled
    paths = [p for _h, p in site.log]
    assert other.log == []  # the link to another host was never followed
    assert not any(p.startswith("/intern/") for p in paths)  # robots.txt disallows /intern/
    assert "/brochure.pdf" not in paths
    assert paths.count("/diensten/onderhoud") == 1  # ?utm_source, #top and / variants deduplicated
    pages = [
        p for p in paths if p not in ("/robots.txt", "/sitemap.xml", "/sitemap-diensten.xml.gz")
    ]
    assert len(pages) == len(set(pages)), "a page was requested twice"
    assert paths[0] == "/robots.txt" and "/sitemap-diensten.xml.gz" in paths


def test_pages_have_main_text_without_boilerplate(crawled) -> None:
    _base, _site, _other, report, out = crawled
    rows = [json.loads(line) for line in (out / "pages.jsonl").read_text().splitlines()]
    assert len(rows) >= 30 and len(rows) == len(report.pages)
    for row in rows:
        assert set(row) >= {
            "url",
            "final_url",
            "status",
            "title",
            "description",
            "headings",
            "text",
            "lang",
            "fetched_at",
            "content_hash",
        }
        assert "Cookies accepteren" not in row["text"] and "KvK" not in row["text"]
        assert "Nieuwsbrief" not in [h["text"] for h in row["headings"]]
    onderhoud = next(r for r in rows if r["url"].endswith("/diensten/onderhoud"))
    assert "onderhoudscontract" in onderhoud["text"] and onderhoud["lang"] == "nl"
    assert onderhoud["headings"][0] == {"level": "h1", "text": "Onderhoud van uw warmtepomp"}
    english = next(r for r in rows if r["url"].endswith("/en/"))
    assert english["lang"] == "en"


def test_broken_links_redirects_and_skips_are_recorded(crawled) -> None:
    base, _site, _other, _report, out = crawled
    summary = json.loads((out / "crawl.json").read_text())
    broken = {b["url"]: b for b in summary["broken_links"]}
    assert broken[f"{base}/bestaat-niet"]["status"] == 404
    assert f"{base}/" in broken[f"{base}/bestaat-niet"]["referrers"]
    assert {"from": f"{base}/oud", "to": f"{base}/nieuw", "status": 301} in summary["redirects"]
    reasons = {s["url"]: s["reason"] for s in summary["skipped"]}
    assert reasons[f"{base}/downloads/prijslijst"] == "not HTML (application/pdf)"
    assert reasons[f"{base}/groot"].startswith("larger than")
    assert reasons[f"{base}/intern/geheim"] == "disallowed by robots.txt"
    assert "timed out" in reasons[f"{base}/traag"]
    assert "duplicate of canonical" in reasons[f"{base}/diensten/onderhoud-kopie"]
    assert summary["user_agent"].startswith("mine/")


def test_recrawl_reuses_unchanged_pages(crawled, tmp_path: Path) -> None:
    base, site, _other, first, out = crawled
    copy = tmp_path / "again"
    copy.mkdir()
    (copy / "pages.jsonl").write_text((out / "pages.jsonl").read_text())
    before = len(site.log)
    fresh = crawl_site(base + "/", out_dir=copy, options=FAST)  # max_age 24 h: nothing re-fetched
    fetched = [p for _h, p in site.log[before:] if p.startswith("/diensten/")]
    assert set(fetched) <= {"/diensten/onderhoud-kopie"}  # only the page skipped as a duplicate
    assert fresh.reused >= 30
    before = len(site.log)
    stale = crawl_site(
        base + "/", out_dir=copy, options=CrawlOptions(**{**FAST.__dict__, "max_age": 0})
    )
    assert [p for _h, p in site.log[before:] if p.startswith("/diensten/")]  # asked again ...
    assert stale.reused >= 30  # ... and answered 304 Not Modified, or unchanged content
    assert len(stale.pages) == len(first.pages)


def test_private_addresses_are_refused_from_a_public_site() -> None:
    assert private_ip("127.0.0.1") and private_ip("169.254.169.254") and private_ip("10.1.2.3")
    site = {("https", "example.nl", 443)}
    fetcher = Fetcher(FAST, site, (), report=CrawlReport("x"))
    fetcher.dns["www.example.nl"] = ["10.1.2.3"]  # as if its DNS pointed at a private address
    assert "private" in fetcher.guarded("https://www.example.nl/x")
    assert fetcher.guarded("https://evil.example/x") == "off-site"
    assert fetcher.guarded("https://example.nl:8443/x") == "off-site"
    assert fetcher.guarded("http://example.nl/x") == "off-site"
    fetcher.close()
    assert (
        normalise("HTTP://WWW.Example.nl:80/a/?utm_source=x&b=2&a=1#top")
        == "http://www.example.nl/a?a=1&b=2"
    )


def test_a_private_address_is_refused_where_the_connection_lands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a public crawl whose check before the request let a private address through (as if its
    # DNS answer had changed): the address actually connected to decides
    import crawl.web

    monkeypatch.setattr(crawl.web, "_private_start", lambda *a: frozenset())
    monkeypatch.setattr(Fetcher, "guarded", lambda self, url: None if self.on_site(url) else "x")
    site = Site("")
    site.add("/", text_page("Intern"))
    with serve(site) as (base, _):
        start = base.replace("127.0.0.1", "localhost") + "/"
        with pytest.raises(CrawlError, match="private or loopback"):
            crawl_site(start, out_dir=tmp_path / "o", options=FAST)
    assert site.log == []


def test_redirect_to_another_host_is_not_followed(tmp_path: Path) -> None:
    other = Site("")
    with serve(other, host="127.0.0.2") as (other_base, _):
        site = Site("")
        site.add("/", "", status=302, headers={"Location": f"{other_base}/elders"})
        with serve(site) as (base, _), pytest.raises(CrawlError):
            crawl_site(base + "/", out_dir=tmp_path / "o", options=FAST)
    assert other.log == []
    summary = json.loads((tmp_path / "o" / "crawl.json").read_text())
    assert summary["skipped"][0]["reason"] == "off-site"


def test_bad_targets_get_one_clear_line(tmp_path: Path) -> None:
    closed = run_mine("crawl", "http://127.0.0.1:9/", "--out", str(tmp_path / "a"))
    assert closed.returncode == 1 and "cannot connect" in closed.stderr
    bad = run_mine("crawl", "htp:/nope", "--out", str(tmp_path / "b"))
    assert bad.returncode == 1 and "not a web address" in bad.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    none = run_mine("crawl", str(empty), "--out", str(tmp_path / "c"))
    assert none.returncode == 1 and "no .html or .md files" in none.stderr
    for result in (closed, bad, none):
        assert len([ln for ln in result.stderr.splitlines() if ln.startswith("error:")]) == 1


def test_robots_forbidding_everything_and_javascript_shells(tmp_path: Path) -> None:
    site = Site("")
    site.add("/robots.txt", "User-agent: *\nDisallow: /\n", ctype="text/plain")
    site.add("/", "<html><body><p>Hallo</p></body></html>")
    with serve(site) as (base, _):
        result = run_mine("crawl", base + "/", "--out", str(tmp_path / "r"), "--delay", "0")
    assert result.returncode == 1 and "robots.txt forbids" in result.stderr
    assert [p for _h, p in site.log] == ["/robots.txt"]
    shell = Site("")
    shell.add(
        "/",
        "<html><head><script src='/app.js'></script></head><body><div id='root'></div></body></html>",
    )
    with serve(shell) as (base, _):
        result = run_mine("crawl", base + "/", "--out", str(tmp_path / "j"), "--delay", "0")
    assert result.returncode == 1 and "JavaScript shell" in result.stderr


def test_site_export_folder(tmp_path: Path) -> None:
    export = tmp_path / "export" / "content"
    (export / "diensten").mkdir(parents=True)
    (export / "diensten" / "onderhoud.md").write_text(
        "---\ntitle: Onderhoud\ndescription: Onderhoud van uw warmtepomp\n---\n\n# Onderhoud\n\n"
        "Met een **onderhoudscontract** komt de [monteur](/monteur) elk jaar langs.\n\n## Prijzen\n\n"
        "- Basis: 150 euro\n",
        encoding="utf-8",
    )
    (export / "index.html").write_text(
        "<html lang='nl'><body><nav>Menu</nav><main><h1>Welkom</h1><p>Wij "
        "installeren warmtepompen en zonnepanelen voor bedrijven in de "
        "regio, met eigen monteurs en een vaste responstijd.</p></main>"
        "</body></html>",
        encoding="utf-8",
    )
    result = run_mine("crawl", str(tmp_path / "export"), "--out", str(tmp_path / "o"))
    assert result.returncode == 0, result.stderr
    rows = {
        r["url"]: r
        for r in map(json.loads, (tmp_path / "o" / "pages.jsonl").read_text().splitlines())
    }
    md = rows["content/diensten/onderhoud.md"]
    assert md["title"] == "Onderhoud" and md["lang"] == "nl"
    assert [h["text"] for h in md["headings"]] == ["Onderhoud", "Prijzen"]
    assert "onderhoudscontract komt de monteur" in md["text"] and "**" not in md["text"]
    assert "Menu" not in rows["content/index.html"]["text"]


def test_tls_failure_and_sitemap_file(tmp_path: Path) -> None:
    site = Site("")
    site.add(
        "/a",
        "<html lang='nl'><body><main><h1>A</h1><p>Onze monteurs lossen elke storing "
        "binnen een dag op, met reserveonderdelen uit eigen magazijn.</p></main></body></html>",
    )
    site.add(
        "/b",
        (
            "<html lang='nl'><head><meta charset='iso-8859-1'></head><body><main><h1>B</h1><p>"
            "Vraag vandaag nog een offerte aan voor het onderhoud van uw warmtepomp in uw café, "
            "zonder verborgen kosten.</p></main></body></html>"
        ).encode("latin-1"),
        ctype="text/html",  # no charset in the header: the page's <meta charset> decides
    )
    with serve(site) as (base, _):
        tls = run_mine(
            "crawl", base.replace("http://", "https://") + "/", "--out", str(tmp_path / "t")
        )
        assert tls.returncode == 1 and "TLS" in tls.stderr
        sitemap = tmp_path / "sitemap.xml"
        sitemap.write_text(
            "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
            f"<url><loc>{base}/a</loc></url><url><loc>{base}/b</loc></url></urlset>"
        )
        result = run_mine("crawl", str(sitemap), "--out", str(tmp_path / "s"), "--delay", "0")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(x) for x in (tmp_path / "s" / "pages.jsonl").read_text().splitlines()]
    assert sorted(r["url"] for r in rows) == [f"{base}/a", f"{base}/b"]
    assert "in uw café" in rows[[r["url"] for r in rows].index(f"{base}/b")]["text"]  # meta charset


def _lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.strip()]


def _one_clear_line(result: subprocess.CompletedProcess, *words: str) -> str:
    """The command failed with exit 1 or 2 and said so in one line, without a traceback."""
    assert result.returncode in (1, 2), (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and "Aborted" not in result.stderr, result.stderr
    lines = _lines(result.stderr)
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


ROBOTS_LIMIT = 500 * 1024  # what Google reads of a robots.txt


def test_robots_txt_over_500_kib_is_applied_up_to_the_limit(tmp_path: Path) -> None:
    # "Disallow: /" followed by padding: a robots.txt too large to read whole still forbids
    site = Site("")
    site.add(
        "/robots.txt", "User-agent: *\nDisallow: /\n" + "# opvulling\n" * 60_000, ctype="text/plain"
    )
    site.add("/", text_page("Start"))
    with serve(site) as (base, _), pytest.raises(CrawlError, match="robots.txt forbids"):
        crawl_site(base + "/", out_dir=tmp_path / "a", options=FAST)
    assert [p for _h, p in site.log] == ["/robots.txt"]


def test_robots_txt_with_a_byte_order_mark_is_applied(tmp_path: Path) -> None:
    site = Site("")
    site.add("/robots.txt", "\ufeffUser-agent: *\nDisallow: /\n", ctype="text/plain")
    site.add("/", text_page("Start"))
    with serve(site) as (base, _), pytest.raises(CrawlError, match="robots.txt forbids"):
        crawl_site(base + "/", out_dir=tmp_path / "a", options=FAST)
    assert [p for _h, p in site.log] == ["/robots.txt"]


def test_robots_txt_cut_at_the_limit_drops_the_partial_last_line(tmp_path: Path) -> None:
    # the first 500 KiB end in the middle of "Disallow: /alleen-hier": that line is dropped,
    # not read as "Disallow: /"; rules past the limit are ignored, rules before it apply
    head = "User-agent: *\nDisallow: /geheim\n"
    pad = "#" * (ROBOTS_LIMIT - len(head) - len("Disallow: /") - 1) + "\n"
    robots = head + pad + "Disallow: /alleen-hier\nDisallow: /ook-hier\n"
    assert robots.encode()[:ROBOTS_LIMIT].endswith(b"\nDisallow: /")
    site = Site("")
    site.add("/robots.txt", robots, ctype="text/plain")
    site.add("/", text_page("Start", links=("/geheim", "/alleen-hier", "/ook-hier")))
    for path in ("/geheim", "/alleen-hier", "/ook-hier"):
        site.add(path, text_page(path))
    with serve(site) as (base, _):
        report = crawl_site(base + "/", out_dir=tmp_path / "a", options=FAST)
    paths = [p for _h, p in site.log]
    assert "/geheim" not in paths  # the rule inside the limit holds
    assert "/alleen-hier" in paths and "/ook-hier" in paths  # those past it do not
    assert {"url": f"{base}/geheim", "reason": "disallowed by robots.txt"} in report.skipped
    assert any("500 KiB" in w for w in report.warnings)


MB = 1024 * 1024
ENTRY = b"<url><changefreq>daily</changefreq><priority>0.5</priority></url>"  # no <loc>
COMMENT = b"<!-- " + b"opvulling " * 100 + b"-->"
URLSET_HEAD = b"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"


def test_gzip_sitemap_bombs_are_inflated_as_a_stream_within_a_cap(tmp_path: Path) -> None:
    site = Site("")
    with serve(site) as (base, _):
        site.add(
            "/robots.txt",
            f"User-agent: *\nSitemap: {base}/nullen.xml.gz\nSitemap: {base}/bom.xml.gz\n",
            ctype="text/plain",
        )
        # 2 MB that inflate to 2 GiB of zeros, and 1.5 MB that inflate to 512 MiB of XML
        zeros = gzip_bomb(b"\0" * 1024, 2048, members=True)
        xml = gzip_bomb(COMMENT, 512, head=URLSET_HEAD + f"<url><loc>{base}/a</loc></url>".encode())
        assert len(zeros) < 4 * MB and len(xml) < 4 * MB
        site.add("/nullen.xml.gz", zeros, ctype="application/gzip")
        site.add("/bom.xml.gz", xml, ctype="application/x-gzip")
        site.add("/", text_page("Start"))
        site.add("/a", text_page("A"))
        del zeros, xml
        tracemalloc.start()
        try:
            report = crawl_site(base + "/", out_dir=tmp_path / "o", options=FAST)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 200 * MB, f"peak {peak / MB:.0f} MB"
    assert sorted(p["url"] for p in report.pages) == [f"{base}/", f"{base}/a"]  # it went on
    assert any("bom.xml.gz" in w and "50 MB" in w for w in report.warnings), report.warnings
    assert any("nullen.xml.gz" in w for w in report.warnings), report.warnings


# The peak resident memory of this process alone: VmHWM, not getrusage's ru_maxrss, which
# Linux carries over from the parent across exec (pytest's own peak, hundreds of MB in a full
# run, would be measured instead).
PEAK_RSS = """
def peak_rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
"""
_RSS = (
    PEAK_RSS
    + """
import sys
from pathlib import Path
from pipeline.config import CrawlOptions
from crawl import crawl_site
report = crawl_site(sys.argv[1], out_dir=Path(sys.argv[2]), options=CrawlOptions(delay=0))
print(len(report.pages), peak_rss_mb())
"""
)


def test_a_local_gzip_sitemap_bomb_is_inflated_within_a_cap(tmp_path: Path) -> None:
    site = Site("")
    with serve(site) as (base, _):
        site.add("/a", text_page("A"))
        bomb = tmp_path / "sitemap.xml.gz"  # 2 MB that inflate to 700 MiB
        bomb.write_bytes(
            gzip_bomb(
                COMMENT,
                700,
                head=URLSET_HEAD + f"<url><loc>{base}/a</loc></url>".encode(),
                members=True,
            )
        )
        assert bomb.stat().st_size < 4 * MB
        tracemalloc.start()
        try:
            report = crawl_site(str(bomb), out_dir=tmp_path / "o", options=FAST)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 200 * MB, f"peak {peak / MB:.0f} MB"
        assert [p["url"] for p in report.pages] == [f"{base}/a"]
        assert any("50 MB" in w for w in report.warnings), report.warnings
        # the whole process, lxml's own memory included, stays small too: here with 50 MB of
        # XML elements to read (slower than comments, so outside tracemalloc)
        entries = tmp_path / "entries.xml.gz"
        entries.write_bytes(
            gzip_bomb(
                ENTRY,
                700,
                head=URLSET_HEAD + f"<url><loc>{base}/a</loc></url>".encode(),
                members=True,
            )
        )
        done = subprocess.run(
            [sys.executable, "-c", _RSS, str(entries), str(tmp_path / "p")],
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert done.returncode == 0, done.stderr
    pages, rss_mb = map(int, done.stdout.split())
    assert pages == 1 and rss_mb < 400, f"{rss_mb} MB"


SLOW = CrawlOptions(delay=0.0, read_timeout=3.0, connect_timeout=1.0, time_budget=3.0)
SLACK = 4.0


def test_a_slow_drip_body_cannot_outlast_the_time_budget(tmp_path: Path) -> None:
    site = Site("")
    site.add("/", text_page("Start", links=("/traag",)))
    site.add("/traag", text_page("Traag"), drip=0.5)  # a byte every 0.5 s: never a read timeout
    with serve(site) as (base, _):
        started = time.monotonic()
        report = crawl_site(base + "/", out_dir=tmp_path / "o", options=SLOW)
        elapsed = time.monotonic() - started
    assert elapsed < SLOW.time_budget + SLACK, f"{elapsed:.1f} s"
    assert [p["url"] for p in report.pages] == [f"{base}/"]
    assert report.stopped.startswith("time budget"), report.stopped


def test_slow_drip_headers_cannot_outlast_the_time_budget(tmp_path: Path) -> None:
    site = Site("")
    site.add("/", text_page("Start"), drip=0.5, drip_headers=True)
    with serve(site) as (base, _):
        started = time.monotonic()
        with pytest.raises(CrawlError, match="time budget"):
            crawl_site(base + "/", out_dir=tmp_path / "o", options=SLOW)
        assert time.monotonic() - started < SLOW.time_budget + SLACK
        started = time.monotonic()
        result = run_mine(
            "crawl", base + "/", "--out", str(tmp_path / "c"), "--delay", "0",
            "--timeout", "3", "--time-budget", "3",
        )  # fmt: skip
        elapsed = time.monotonic() - started
    _one_clear_line(result, "time budget", "--time-budget")
    assert elapsed < SLOW.time_budget + SLACK + 2, f"{elapsed:.1f} s"  # + the command's start


def test_a_crawl_delay_longer_than_the_time_budget_fails_at_once(tmp_path: Path) -> None:
    site = Site("")
    site.add("/robots.txt", "User-agent: *\nCrawl-delay: 30\n", ctype="text/plain")
    site.add("/", text_page("Start"))
    with serve(site) as (base, _):
        started = time.monotonic()
        with pytest.raises(CrawlError, match="Crawl-delay") as err:
            crawl_site(base + "/", out_dir=tmp_path / "o", options=SLOW)
        assert time.monotonic() - started < SLOW.time_budget + SLACK
        assert "30 s" in str(err.value) and "--time-budget" in str(err.value)
        assert [p for _h, p in site.log] == ["/robots.txt"]
        # mine's own --delay the same
        site.add("/robots.txt", "User-agent: *\nAllow: /\n", ctype="text/plain")
        started = time.monotonic()
        slow = CrawlOptions(**{**SLOW.__dict__, "delay": 30.0})
        with pytest.raises(CrawlError, match="--delay"):
            crawl_site(base + "/", out_dir=tmp_path / "p", options=slow)
        assert time.monotonic() - started < SLOW.time_budget + SLACK


def test_sleeps_never_run_past_the_time_budget(tmp_path: Path) -> None:
    # Crawl-delay 3 s, budget 7 s: robots.txt, then /sitemap.xml at 3 s, the start page at 6 s;
    # the next page would be due at 9 s: the crawl stops instead of sleeping past 7 s
    site = Site("")
    site.add("/robots.txt", "User-agent: *\nCrawl-delay: 3\n", ctype="text/plain")
    site.add("/", text_page("Start", links=("/a", "/b", "/c")))
    for path in ("/a", "/b", "/c"):
        site.add(path, text_page(path))
    budget = CrawlOptions(**{**SLOW.__dict__, "time_budget": 7.0})
    extract_html(text_page("warm-up"))  # trafilatura's first import is no sleep: not timed
    with serve(site) as (base, _):
        started = time.monotonic()
        report = crawl_site(base + "/", out_dir=tmp_path / "o", options=budget)
        elapsed = time.monotonic() - started
    assert elapsed < budget.time_budget + 1.0, f"{elapsed:.1f} s"
    assert [p["url"] for p in report.pages] == [f"{base}/"]
    assert report.stopped.startswith("time budget") and report.crawl_delay == 3


ODD_CHARSETS = (
    "idna", "punycode", "undefined", "base64", "rot13", "unicode_escape", "utf-7",
    "x-user-defined", "hex", "zlib", "uu", "utf-16", "nonsense",
)  # fmt: skip


def test_pages_in_odd_charsets_are_read_not_a_traceback(tmp_path: Path) -> None:
    site = Site("")
    site.add("/", text_page("Start", links=tuple(f"/c/{c}" for c in ODD_CHARSETS) + ("/meta",)))
    for charset in ODD_CHARSETS:
        site.add(f"/c/{charset}", text_page(charset), ctype=f"text/html; charset={charset}")
    site.add(
        "/meta", text_page("meta").replace("charset='utf-8'", "charset='idna'"), ctype="text/html"
    )
    with serve(site) as (base, _):
        result = run_mine("crawl", base + "/", "--out", str(tmp_path / "o"), "--delay", "0", "-q")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    rows = [json.loads(x) for x in (tmp_path / "o" / "pages.jsonl").read_text().splitlines()]
    read = {r["url"].removeprefix(base) for r in rows if "Onze monteurs" in r["text"]}
    assert {f"/c/{c}" for c in ODD_CHARSETS if c != "utf-16"} | {"/", "/meta"} <= read


def test_malformed_links_do_not_end_the_crawl(tmp_path: Path) -> None:
    site = Site("")
    site.add(
        "/", text_page("Start", links=("http://[oops/", "http://x:99999/", "http://x:ab/", "/a"))
    )
    site.add("/a", text_page("A"))
    with serve(site) as (base, _):
        result = run_mine("crawl", base + "/", "--out", str(tmp_path / "o"), "--delay", "0")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    rows = [json.loads(x) for x in (tmp_path / "o" / "pages.jsonl").read_text().splitlines()]
    assert sorted(r["url"] for r in rows) == [f"{base}/", f"{base}/a"]


def test_broken_local_sitemaps_get_one_clear_line(tmp_path: Path) -> None:
    whole = gzip.compress(urlset(["http://127.0.0.1:9/a"]).encode())
    cases = {
        "leeg.xml": b"",
        "kapot.xml": b"<?xml version='1.0'?><urlset><url><loc",
        "geen-xml.xml": b"dit is geen sitemap",
        "html.xml": b"<html><body><p>hallo</p></body></html>",
        "nul.xml": b"\0" * 5000,
        "kapot.xml.gz": b"\x1f\x8b\x08\x00" + b"geen gzip" * 50,
        "afgebroken.xml.gz": whole[:12],
        "leeg.xml.gz": b"",
        "geen-web.xml": urlset(["ftp://a.example/", "/relatief"]).encode(),
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        result = run_mine("crawl", str(path), "--out", str(tmp_path / "o" / name))
        line = _one_clear_line(result, name)
        assert "sitemap" in line and ("folder" in line or "URL" in line), line


def test_a_crawl_that_reads_no_page_fails_like_an_empty_site(tmp_path: Path) -> None:
    cases = {
        "pdf": dict(body=b"%PDF-1.4 fake", ctype="application/pdf"),
        "text": dict(body="platte tekst", ctype="text/plain"),
        "large": dict(body=text_page("Groot" * 100_000)),
        "missing": dict(body="weg", status=404, ctype="text/plain"),
        "gone": dict(body="weg", status=410),
    }
    for name, route in cases.items():
        site = Site("")
        site.add("/", **route)
        out = tmp_path / name
        with serve(site) as (base, _), pytest.raises(CrawlError, match="no page could be read"):
            crawl_site(base + "/", out_dir=out, options=FAST)
        summary = json.loads((out / "crawl.json").read_text())  # what was fetched is kept
        assert summary["pages_fetched"] == 0
        assert summary["skipped"] or summary["broken_links"]
    site = Site("")
    site.add("/", b"%PDF-1.4 fake", ctype="application/pdf")
    with serve(site) as (base, _):
        result = run_mine("crawl", base + "/", "--out", str(tmp_path / "cli"), "--delay", "0")
    _one_clear_line(result, "no page could be read (1 skipped", "not HTML")
    export = tmp_path / "export"  # a site export whose only page has no text
    export.mkdir()
    (export / "index.html").write_text("<html><head><title>x</title></head><body></body></html>")
    result = run_mine("crawl", str(export), "--out", str(tmp_path / "export-out"))
    _one_clear_line(result, "no page could be read (1 skipped", "index.html: no text")
