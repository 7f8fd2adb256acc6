"""The crawler against hostile sites: real HTTP servers on 127.0.0.x (tests/sitegen.py).

Each test is one way a site could exhaust the crawler's memory or time, lead it where it must
not go, make it ignore robots.txt, end the crawl with a bug, or spoil the previous crawl. Bombs
are small, but large enough that the unbounded code paths fail on them.
"""

from __future__ import annotations

import gzip
import json
import os
import posixpath
import socket
import subprocess
import sys
import time
import tracemalloc
import zlib
from pathlib import Path
from urllib.parse import unquote

import pytest

from crawl import crawl_site, origin, private_ip, site_host
from pipeline.config import CrawlOptions
from pipeline.errors import CrawlError
from tests.sitegen import Site, gzip_bomb, serve, text_page, urlset

FAST = CrawlOptions(delay=0.0, read_timeout=1.0, connect_timeout=1.0, max_bytes=200_000)
MB = 1 << 20


def _opts(**changes: object) -> CrawlOptions:
    return CrawlOptions(**{**FAST.__dict__, **changes})


def _paths(site: Site) -> list[str]:
    """The paths a server was asked for, as it would resolve them (escapes decoded, dot
    segments removed)."""
    return [posixpath.normpath(unquote(p.split("?")[0])) for _h, p in site.log]


def _rows(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "pages.jsonl").read_text().splitlines()]


# ---- 1. stacked Content-Encoding: decoded in bounded steps, cut at the cap ----


def test_stacked_content_encodings_are_inflated_within_the_cap(tmp_path: Path) -> None:
    # 'gzip, gzip': 130 KB that inflate once to 128 KB and then to 128 MiB; httpx's own
    # decoders inflate each piece whole before any size check
    inner = gzip_bomb(b"\0" * 1024, 128)
    bomb = gzip.compress(inner)
    assert len(bomb) < 300_000
    page = text_page("Gewoon").encode()
    raw = zlib.compressobj(6, zlib.DEFLATED, -15)
    site = Site("")
    site.add("/", text_page("Start", links=("/bom", "/drie", "/br", "/gz", "/zlib", "/raw")))
    site.add("/bom", bomb, headers={"Content-Encoding": "gzip, gzip"})
    site.add("/robots.txt", bomb, ctype="text/plain", headers={"Content-Encoding": "gzip, gzip"})
    three = gzip.compress(gzip.compress(gzip.compress(page)))
    site.add("/drie", three, headers={"Content-Encoding": "gzip, gzip, gzip"})
    site.add("/br", b"\x1b\x00\x00", headers={"Content-Encoding": "br"})
    site.add("/gz", gzip.compress(page), headers={"Content-Encoding": "gzip"})
    site.add("/zlib", zlib.compress(page), headers={"Content-Encoding": "deflate"})
    site.add("/raw", raw.compress(page) + raw.flush(), headers={"Content-Encoding": "deflate"})
    with serve(site) as (base, _):
        tracemalloc.start()
        try:
            report = crawl_site(base + "/", out_dir=tmp_path / "o", options=_opts())
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 40 * MB, f"peak {peak / MB:.0f} MB"
    read = sorted(p["url"].removeprefix(base) for p in report.pages)
    assert read == ["/", "/gz", "/raw", "/zlib"]  # gzip and deflate (both forms) decode
    reasons = {s["url"].removeprefix(base): s["reason"] for s in report.skipped}
    assert reasons["/bom"].startswith("larger than 200000 bytes"), reasons
    assert "3 stacked content encodings" in reasons["/drie"], reasons
    assert "'br' not supported" in reasons["/br"], reasons


# ---- 2. SSRF: which addresses a crawl may reach ----


def test_only_public_unicast_addresses_count_as_public() -> None:
    refused = [
        "100.100.100.200",  # shared address space (100.64.0.0/10): a cloud metadata service
        "100.64.0.1",
        "192.88.99.1",  # 6to4 relay anycast
        "192.0.0.9",
        "2002:7f00:1::1",  # 6to4 carrying 127.0.0.1
        "2002:808:808::1",  # 6to4 of a public address: still a relay, not a host
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "::ffff:10.0.0.1",
        "fd00::1",
        "ff02::1",
        "0.0.0.0",
    ]
    assert [a for a in refused if not private_ip(a)] == []
    assert not private_ip("93.184.215.14") and not private_ip("2606:4700:4700::1111")


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names under .test resolve as the test says (DNS answers only: every connection is real)."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):  # noqa: ANN001, ANN202 - socket's signature
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name.endswith(".test") and name in answers:
            family = socket.AF_INET
            return [
                (family, socket.SOCK_STREAM, 6, "", (ip, int(port or 0))) for ip in answers[name]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def test_a_host_with_one_public_address_is_a_public_site(tmp_path: Path, fake_dns) -> None:
    # any private address among the start host's used to turn the guard off for the crawl
    site = Site("")
    site.add("/", text_page("Intern"))
    with serve(site) as (base, _):
        port = base.rsplit(":", 1)[1]
        fake_dns["mixed.test"] = ["127.0.0.1", "93.184.215.14"]
        with pytest.raises(CrawlError, match="private or loopback"):
            crawl_site(f"http://mixed.test:{port}/", out_dir=tmp_path / "o", options=FAST)
    assert site.log == []


def test_a_private_crawl_reaches_only_the_start_hosts_addresses(tmp_path: Path, fake_dns) -> None:
    # an intranet site whose www twin points at another private address (a metadata service)
    site = Site("")
    metadata = Site("")
    metadata.add("/latest/meta-data", text_page("IAM credentials AKIAXXXX"))
    with serve(site) as (base, _):
        port = int(base.rsplit(":", 1)[1])
        with serve(metadata, host="127.0.0.2", port=port):
            fake_dns["intranet.test"] = ["127.0.0.1"]
            fake_dns["www.intranet.test"] = ["127.0.0.2"]
            start = f"http://intranet.test:{port}"
            site.add(
                "/",
                text_page(
                    "Start", links=(f"http://www.intranet.test:{port}/latest/meta-data", "/a")
                ),
            )
            site.add("/a", text_page("A"))
            report = crawl_site(start + "/", out_dir=tmp_path / "o", options=FAST)
    assert metadata.log == []
    assert sorted(p["url"] for p in report.pages) == [f"{start}/", f"{start}/a"]
    reasons = [s["reason"] for s in report.skipped]
    assert "private or loopback address other than the start URL's" in reasons, reasons


# ---- 3. robots.txt as RFC 9309 reads it, on every URL requested ----

ROBOTS_CASES = {
    "longest-match": ("User-agent: *\nAllow: /\nDisallow: /private\n", ["/private/x"]),
    "blank-line-in-group": ("User-agent: *\n\nDisallow: /private\n", ["/private/x"]),
    "wildcards": (
        "User-agent: *\nDisallow: /*secret\nDisallow: /p2/y$\n",
        ["/secret-file.html", "/p2/y"],
    ),
    "star-groups-merged": (
        "User-agent: *\nDisallow: /p3\n\nUser-agent: *\nDisallow: /private\n",
        ["/p3/z", "/private/x"],
    ),
    "mine-groups-merged": (
        "User-agent: mine\nDisallow: /p3\n\nUser-agent: Mine/2.0\nDisallow: /private\n",
        ["/p3/z", "/private/x"],
    ),
    "product-token": ("User-agent: m\nDisallow: /\n\nUser-agent: *\nDisallow: /p3\n", ["/p3/z"]),
    "allow-wins-a-tie": ("User-agent: *\nDisallow: /p3/z\nAllow: /p3/z\n", []),
    "escapes": ("User-agent: *\nDisallow: /caf%c3%a9\n", ["/café"]),
}
LINKS = ("/public/a", "/private/x", "/secret-file.html", "/p2/y", "/p2/y/z", "/p3/z", "/café")


@pytest.mark.parametrize("case", list(ROBOTS_CASES))
def test_robots_txt_rules_as_rfc_9309_reads_them(tmp_path: Path, case: str) -> None:
    robots, refused = ROBOTS_CASES[case]
    site = Site("")
    site.add("/robots.txt", robots, ctype="text/plain")
    site.add("/", text_page("Start", links=LINKS))
    for path in LINKS:
        site.add(path, text_page(path))
    with serve(site) as (base, _):
        report = crawl_site(base + "/", out_dir=tmp_path / "o", options=FAST)
    asked = set(_paths(site))
    assert [p for p in refused if p in asked] == [], f"{case}: asked {sorted(asked)}"
    assert {p for p in LINKS if p not in refused} <= asked, f"{case}: asked {sorted(asked)}"
    skipped = {unquote(s["url"].removeprefix(base)) for s in report.skipped}
    assert set(refused) <= skipped


def test_robots_txt_is_checked_on_redirects_and_resolved_paths(tmp_path: Path) -> None:
    site = Site("")
    site.add("/robots.txt", "User-agent: *\nDisallow: /private\n", ctype="text/plain")
    with serve(site) as (base, _):
        links = (
            "/go-private",  # a redirect into the disallowed part
            f"{base}/public/../private/dot",  # what is requested is /private/dot
            "/public/%2e%2e/private/escaped",
            "/public/./a",
        )
        site.add("/", text_page("Start", links=links))
        site.add("/go-private", "", status=301, headers={"Location": "/private/via-redirect"})
        for path in ("/private/via-redirect", "/private/dot", "/private/escaped", "/public/a"):
            site.add(path, text_page(path))
        report = crawl_site(base + "/", out_dir=tmp_path / "o", options=FAST)
    asked = _paths(site)
    assert not [p for p in asked if p.startswith("/private")], asked
    assert "/public/a" in asked
    reasons = {s["url"].removeprefix(base): s["reason"] for s in report.skipped}
    assert reasons["/private/via-redirect"] == "disallowed by robots.txt"
    assert reasons["/private/dot"] == reasons["/private/escaped"] == "disallowed by robots.txt"


@pytest.mark.parametrize(
    "answer",
    [
        dict(body="User-agent: *\nAllow: /\n", delay=3.0),  # read time-out (1 s)
        dict(body="User-agent: *\nAllow: /\n" + "#" * 200, reset=True),
        dict(body="User-agent: *\nAllow: /\n", status=429),
        dict(body="User-agent: *\nAllow: /\n", status=503),
        "redirect-off-origin",
    ],
    ids=["time-out", "reset", "429", "503", "redirect-off-origin"],
)
def test_an_unreachable_robots_txt_means_disallow_all(tmp_path: Path, answer) -> None:
    other = Site("")
    other.add("/robots.txt", "User-agent: *\nAllow: /\n", ctype="text/plain")
    site = Site("")
    site.add("/", text_page("Start", links=("/a",)))
    site.add("/a", text_page("A"))
    with serve(other, host="127.0.0.2") as (other_base, _), serve(site) as (base, _):
        if answer == "redirect-off-origin":
            site.add(
                "/robots.txt", "", status=301, headers={"Location": f"{other_base}/robots.txt"}
            )
        else:
            site.add("/robots.txt", ctype="text/plain", **answer)
        with pytest.raises(CrawlError, match="robots.txt could not be read") as err:
            crawl_site(base + "/", out_dir=tmp_path / "o", options=FAST)
    assert "disallow all" in str(err.value)
    assert _paths(site) == ["/robots.txt"] and other.log == []


@pytest.mark.parametrize("status", [401, 403, 404, 410])
def test_a_robots_txt_answered_4xx_allows_all(tmp_path: Path, status: int) -> None:
    site = Site("")
    site.add("/robots.txt", "User-agent: *\nDisallow: /\n", ctype="text/plain", status=status)
    site.add("/", text_page("Start"))
    with serve(site) as (base, _):
        report = crawl_site(base + "/", out_dir=tmp_path / "o", options=FAST)
    assert [p["url"] for p in report.pages] == [f"{base}/"]


def test_each_allowed_host_has_its_own_robots_txt(tmp_path: Path) -> None:
    shop = Site("")
    shop.add("/robots.txt", "User-agent: *\nDisallow: /geheim\n", ctype="text/plain")
    shop.add("/geheim", text_page("Geheim"))
    shop.add("/open", text_page("Open"))
    down = Site("")
    down.add("/robots.txt", "kapot", status=500, ctype="text/plain")
    down.add("/b", text_page("B"))
    with (
        serve(shop, host="127.0.0.2") as (shop_base, _),
        serve(down, host="127.0.0.3") as (
            down_base,
            _,
        ),
    ):
        site = Site("")
        site.add(
            "/",
            text_page(
                "Start", links=(f"{shop_base}/geheim", f"{shop_base}/open", f"{down_base}/b")
            ),
        )
        hosts = (shop_base.removeprefix("http://"), down_base.removeprefix("http://"))
        with serve(site) as (base, _):
            report = crawl_site(
                base + "/", out_dir=tmp_path / "o", options=_opts(allow_hosts=hosts)
            )
    assert _paths(shop) == ["/robots.txt", "/open"]
    assert _paths(down) == ["/robots.txt"]
    reasons = {s["url"]: s["reason"] for s in report.skipped}
    assert reasons[f"{shop_base}/geheim"] == "disallowed by robots.txt"
    assert reasons[f"{down_base}/b"].startswith("robots.txt unreachable (HTTP 500)")


def test_a_fractional_crawl_delay_is_honoured(tmp_path: Path) -> None:
    site = Site("")
    site.add("/robots.txt", "User-agent: *\nCrawl-delay: 0.4\n", ctype="text/plain")
    site.add("/", text_page("Start", links=("/a", "/b")))
    site.add("/a", text_page("A"))
    site.add("/b", text_page("B"))
    with serve(site) as (base, _):
        started = time.monotonic()
        report = crawl_site(base + "/", out_dir=tmp_path / "o", options=FAST)
        elapsed = time.monotonic() - started
    assert report.crawl_delay == 0.4
    assert elapsed >= 4 * 0.4  # robots.txt, sitemap.xml, /, /a, /b: four waits between them


# ---- 4 and 5. time and memory per page: extraction, links, the frontier ----


def test_a_page_too_complex_for_extraction_cannot_outlast_the_time_budget(tmp_path: Path) -> None:
    # 60,000 headings: trafilatura would take many times the budget over it
    site = Site("")
    site.add(
        "/", "<html lang='nl'><body><main>" + "<h1>kop</h1>" * 60_000 + "</main></body></html>"
    )
    opts = _opts(max_bytes=5_000_000, time_budget=3.0)
    with serve(site) as (base, _):
        started = time.monotonic()
        report = crawl_site(base + "/", out_dir=tmp_path / "o", options=opts)
        elapsed = time.monotonic() - started
    assert elapsed < opts.time_budget + 4, f"{elapsed:.1f} s"
    assert any("read as plain text" in w for w in report.warnings), report.warnings
    row = _rows(tmp_path / "o")[0]
    assert row["text"].startswith("kop\nkop") and len(row["headings"]) <= 500


def test_links_per_page_and_addresses_per_crawl_are_bounded(tmp_path: Path) -> None:
    # 20,000 links on one page (files that are never requested, only recorded)
    site = Site("")
    site.add("/", text_page("Start", links=tuple(f"/f{i}.pdf" for i in range(20_000))))
    with serve(site) as (base, _):
        report = crawl_site(
            base + "/", out_dir=tmp_path / "o", options=_opts(max_bytes=5_000_000, max_pages=2)
        )
    assert len(report.skipped) <= 2_100, len(report.skipped)
    assert len(_rows(tmp_path / "o")[0]["links"]) <= 5_000
    assert any("only the first 5000 kept" in w for w in report.warnings), report.warnings
    assert any("links not followed" in w for w in report.warnings), report.warnings


# ---- 6. a sitemap of nested elements ----

NESTED = """
import gzip, sys
from crawl.sitemaps import read_sitemap, slices
def peak_rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
data = gzip.compress(
    b"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'><w>"
    + b"<a/>" * 1_000_000 + b"</w><url><loc>http://127.0.0.1:1/ok</loc></url></urlset>"
)
before = peak_rss_mb()
sitemap = read_sitemap(slices(data), 100)
print(sitemap.locs[0], peak_rss_mb() - before)
"""


def test_a_sitemap_of_nested_elements_is_read_in_bounded_memory() -> None:
    # a million <a/> inside one element: each is dropped once read, not kept until </w>
    done = subprocess.run(
        [sys.executable, "-c", NESTED],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parent.parent,
    )
    assert done.returncode == 0, done.stderr
    loc, grown = done.stdout.split()
    assert loc == "http://127.0.0.1:1/ok"
    assert int(grown) < 40, f"{grown} MB"


# ---- 7. what a site sends must not end the crawl with a bug ----


@pytest.mark.parametrize(
    "robots",
    [
        "Crawl-delay: \u00b2",
        "Crawl-delay: " + "9" * 5000,
        "Crawl-delay: " + "9" * 400,
        "Crawl-delay: \u0663",
        "Crawl-delay: nan",
        "Request-rate: \u00b9/5",
    ],
    ids=["superscript", "5000-digits", "400-digits", "arabic-digit", "nan", "request-rate"],
)
def test_odd_robots_values_are_ignored(tmp_path: Path, robots: str) -> None:
    site = Site("")
    site.add("/robots.txt", f"User-agent: *\n{robots}\nDisallow: /intern\n", ctype="text/plain")
    site.add("/", text_page("Start", links=("/intern/x",)))
    with serve(site) as (base, _):
        report = crawl_site(base + "/", out_dir=tmp_path / "o", options=FAST)
    assert [p["url"] for p in report.pages] == [f"{base}/"]
    assert report.crawl_delay is None
    assert "/intern/x" not in _paths(site)


def test_addresses_httpx_cannot_request_are_skipped_with_a_reason(tmp_path: Path) -> None:
    site = Site("")
    long = "/" + "a" * 70_000
    with serve(site) as (base, _):
        site.add(
            "/robots.txt",
            f"User-agent: *\nAllow: /\nSitemap: {base}/{'c' * 70_000}\n",
            ctype="text/plain",
        )
        site.add("/", text_page("Start", links=("/ok", "/x&#127;y", long, "/redir")))
        site.add("/redir", "", status=302, headers={"Location": "/" + "b" * 70_000})
        site.add("/ok", text_page("OK"))
        report = crawl_site(base + "/", out_dir=tmp_path / "o", options=FAST)
    assert sorted(p["url"] for p in report.pages) == [f"{base}/", f"{base}/ok"]
    reasons = {s["url"].removeprefix(base)[:4]: s["reason"] for s in report.skipped}
    assert reasons["/x\x7fy"].startswith("malformed address (Invalid non-printable")
    assert reasons["/aaa"] == "malformed address (URL too long)"
    assert "Invalid URL in location header" in reasons["/red"]
    assert all(len(s["url"]) + len(s["reason"]) < 800 for s in report.skipped)


def test_a_non_ascii_validator_does_not_break_the_next_crawl(tmp_path: Path) -> None:
    site = Site("")
    site.add(
        "/",
        text_page("Start"),
        headers={"ETag": '"\u00e9t\u00e9"', "Last-Modified": "\u00e9t\u00e9"},
    )
    with serve(site) as (base, _):
        crawl_site(base + "/", out_dir=tmp_path / "o", options=FAST)
        assert _rows(tmp_path / "o")[0]["etag"] is None
        rows = _rows(tmp_path / "o")  # as if an older mine had stored them
        rows[0].update(etag='"\u00e9t\u00e9"', last_modified="\u00e9t\u00e9")
        (tmp_path / "o" / "pages.jsonl").write_text(json.dumps(rows[0]) + "\n")
        again = crawl_site(base + "/", out_dir=tmp_path / "o", options=_opts(max_age=0))
    assert [p["url"] for p in again.pages] == [f"{base}/"]


# ---- 8. a failed re-crawl keeps the previous crawl ----


def test_a_recrawl_that_reads_nothing_keeps_the_previous_crawl(tmp_path: Path) -> None:
    site = Site("")
    site.add("/", text_page("Start"))
    out = tmp_path / "o"
    with serve(site) as (base, _):
        crawl_site(base + "/", out_dir=out, options=FAST)
        before = (out / "pages.jsonl").read_bytes(), (out / "crawl.json").read_bytes()
        site.add("/", "kapot", status=500, ctype="text/plain")  # the site is down today
        with pytest.raises(CrawlError, match="previous crawl .* is kept"):
            crawl_site(base + "/", out_dir=out, options=_opts(max_age=0))
    assert ((out / "pages.jsonl").read_bytes(), (out / "crawl.json").read_bytes()) == before


def test_a_crash_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import crawl.pages

    site = Site("")
    site.add("/", text_page("Start"))
    out = tmp_path / "o"
    with serve(site) as (base, _):
        crawl_site(base + "/", out_dir=out, options=FAST)
        before = (out / "pages.jsonl").read_bytes()

        def bug(*args: object, **kwargs: object) -> dict:
            raise RuntimeError("a bug")

        monkeypatch.setattr(crawl.pages, "to_record", bug)
        with pytest.raises(RuntimeError):
            crawl_site(base + "/", out_dir=out, options=_opts(max_age=0))
    assert (out / "pages.jsonl").read_bytes() == before


# ---- 9. a site export folder: its own regular files only, bounded ----


def test_a_site_export_reads_only_its_own_regular_files(tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("# Geheim\n\nHet wachtwoord is SECRET-1234 voor de server.\n")
    export = tmp_path / "export"
    (export / "sub").mkdir(parents=True)
    good = text_page("Welkom")
    (export / "index.html").write_text(good)
    (export / "inside.html").symlink_to(export / "index.html")  # a link inside: read
    (export / "passwd.md").symlink_to(secret)  # a link out of the folder: not read
    (export / "env.md").symlink_to("/proc/self/environ")
    (export / "sub" / "loop").symlink_to("..")
    os.mkfifo(export / "pipe.html")
    (export / "groot.html").write_text(text_page("Groot" * 60_000))  # over --max-bytes
    (export / os.fsdecode(b"caf\xe9.html")).write_text(text_page("Cafe"))  # not UTF-8
    report = crawl_site(str(export), out_dir=tmp_path / "o", options=FAST)
    text = (tmp_path / "o" / "pages.jsonl").read_text(encoding="utf-8")
    assert "SECRET-1234" not in text and "PATH=" not in text
    assert sorted(p["url"] for p in report.pages) == ["caf\ufffd.html", "index.html", "inside.html"]
    reasons = {s["url"]: s["reason"] for s in report.skipped}
    assert reasons["passwd.md"] == reasons["env.md"] == "a link to outside the folder: not read"
    assert reasons["pipe.html"] == "not a regular file"
    assert reasons["groot.html"] == "larger than 200000 bytes"
    assert reasons["sub/loop"] == "a link to a folder: not followed"


def test_a_site_export_is_bounded_by_the_time_budget(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    for i in range(150):
        (export / f"p{i:03}.html").write_text(text_page(f"Pagina {i}"))
    report = crawl_site(str(export), out_dir=tmp_path / "o", options=_opts(time_budget=0.2))
    assert report.stopped.startswith("time budget") and len(report.pages) < 150


# ---- 10. a damaged pages.jsonl from an earlier crawl ----


def test_damaged_rows_of_a_previous_crawl_are_ignored(tmp_path: Path) -> None:
    site = Site("")
    site.add("/", text_page("Start"))
    out = tmp_path / "o"
    with serve(site) as (base, _):
        crawl_site(base + "/", out_dir=out, options=FAST)
        good = _rows(out)[0]
        bad = [
            [1, 2],
            "str",
            {"url": 5},
            {**good, "fetched_at": 5},
            {**good, "fetched_at": "2026-01-01T10:00:00"},  # no time zone
            {**good, "links": 7},
            {**good, "etag": 5},
            {**good, "headings": [1]},
        ]
        lines = [json.dumps(r) for r in bad] + ["{nope", "[" * 100_000]
        (out / "pages.jsonl").write_text("\n".join(lines) + "\n")
        report = crawl_site(base + "/", out_dir=out, options=FAST)
    assert report.reused == 0 and [p["url"] for p in report.pages] == [f"{base}/"]
    assert any("10 damaged rows ignored" in w for w in report.warnings), report.warnings
    assert _rows(out)[0]["text"] == good["text"]


# ---- 12. the smaller ones ----


def test_www_before_an_ip_address_is_another_host() -> None:
    assert site_host("www.example.nl") == "example.nl"
    assert site_host("www.127.0.0.1") == "www.127.0.0.1"
    assert origin("http://www.127.0.0.1:8080/") != origin("http://127.0.0.1:8080/")
    assert origin("http://127.0.0.1:0/") is None


def test_allow_host_port_0_is_refused(tmp_path: Path) -> None:
    site = Site("")
    site.add("/", text_page("Start"))
    with serve(site) as (base, _), pytest.raises(CrawlError, match="--allow-host"):
        crawl_site(base + "/", out_dir=tmp_path / "o", options=_opts(allow_hosts=("shop.nl:0",)))


def test_relative_links_resolve_against_a_same_site_base_href(tmp_path: Path) -> None:
    other = Site("")
    with serve(other, host="127.0.0.2") as (other_base, _):
        site = Site("")
        site.add(
            "/dir/pagina",
            text_page("Pagina", links=("a",), extra_head="<base href='/andere/'>"),
        )
        site.add(
            "/dir/elders",
            text_page("Elders", links=("b",), extra_head=f"<base href='{other_base}/'>"),
        )
        site.add("/", text_page("Start", links=("/dir/pagina", "/dir/elders")))
        for path in ("/andere/a", "/dir/b"):
            site.add(path, text_page(path))
        with serve(site) as (base, _):
            report = crawl_site(base + "/", out_dir=tmp_path / "o", options=FAST)
    assert {f"{base}/andere/a", f"{base}/dir/b"} <= {p["url"] for p in report.pages}
    assert "/dir/a" not in _paths(site) and other.log == []


def test_a_dns_lookup_cannot_outlast_the_time_budget(tmp_path: Path, monkeypatch) -> None:
    real = socket.getaddrinfo

    def slow(host, *args, **kwargs):  # noqa: ANN001, ANN202 - socket's signature
        if host == "traag.test":
            time.sleep(20)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    opts = _opts(time_budget=2.0)
    started = time.monotonic()
    with pytest.raises(CrawlError):
        crawl_site("http://traag.test/", out_dir=tmp_path / "o", options=opts)
    assert time.monotonic() - started < opts.time_budget + 2


def test_the_sitemap_reader_still_reads_real_sitemaps(tmp_path: Path) -> None:
    # the bounded reader clears every element once read: entries with extensions still count
    site = Site("")
    with serve(site) as (base, _):
        xml = urlset([f"{base}/a", f"{base}/b"]).replace(
            "</loc>",
            "</loc><image:image xmlns:image='x'><image:loc>/i.png</image:loc></image:image>",
        )
        site.add("/sitemap.xml", xml, ctype="application/xml")
        site.add("/", text_page("Start"))
        site.add("/a", text_page("A"))
        site.add("/b", text_page("B"))
        report = crawl_site(base + "/", out_dir=tmp_path / "o", options=FAST)
    assert sorted(p["url"] for p in report.pages) == [f"{base}/", f"{base}/a", f"{base}/b"]
