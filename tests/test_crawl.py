"""The crawler against a real HTTP server on 127.0.0.1 serving a fixture site."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.config import CrawlOptions
from pipeline.crawl import _Fetcher, _is_private, crawl_site, normalise
from pipeline.errors import CrawlError
from tests.conftest import run_mine
from tests.sitegen import Site, build, serve

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
    assert _is_private("127.0.0.1") and _is_private("169.254.169.254") and _is_private("10.1.2.3")
    from pipeline.crawl import CrawlReport

    fetcher = _Fetcher(FAST, {"example.nl"}, allow_private=False, report=CrawlReport("x"))
    fetcher.private_cache["www.example.nl"] = True  # as if its DNS pointed at a private address
    assert "private" in fetcher.guarded("https://www.example.nl/x")
    assert fetcher.guarded("https://evil.example/x") == "off-site"
    fetcher.close()
    assert (
        normalise("HTTP://WWW.Example.nl:80/a/?utm_source=x&b=2&a=1#top")
        == "http://www.example.nl/a?a=1&b=2"
    )


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
