"""Same site means same origin: scheme, host (www and apex as one) and port.

Two real HTTP servers on 127.0.0.1, on different ports: nothing may lead the crawler from one
to the other (start-URL redirect, redirect, link, sitemap <loc>, robots.txt Sitemap: line),
and http -> https on the same host and port is another origin too.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from crawl import crawl_site
from pipeline.config import CrawlOptions
from pipeline.errors import CrawlError
from tests.conftest import run_mine
from tests.sitegen import Site, serve, sitemap_index, text_page, urlset

FAST = CrawlOptions(delay=0.0, read_timeout=2.0, connect_timeout=1.0, max_bytes=200_000)


def _other() -> Site:
    """The server on the other port: a site of its own, with pages, robots.txt and sitemap."""
    other = Site("")
    other.add("/", text_page("Elders"))
    other.add("/elders", text_page("Elders"))
    other.add("/robots.txt", "User-agent: *\nAllow: /\n", ctype="text/plain")
    other.add("/sitemap.xml", urlset(["/elders"]), ctype="application/xml")
    return other


def _rows(out: Path) -> list[dict]:
    path = out / "pages.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.is_file() else []


def _nothing_from(other: Site, other_base: str, out: Path) -> None:
    assert other.log == [], f"the server on the other port was asked {other.log}"
    assert other.connections == 0
    for row in _rows(out):
        assert not row["url"].startswith(other_base) and not row["final_url"].startswith(other_base)


def test_origin_is_scheme_host_and_port() -> None:
    from crawl import origin

    assert origin("http://www.Example.nl/a") == origin("http://example.nl:80/b")
    assert origin("https://example.nl/") == ("https", "example.nl", 443)
    assert origin("http://example.nl:8080/") != origin("http://example.nl/")
    assert origin("https://example.nl/") != origin("http://example.nl/")
    assert origin("http://[oops/") is None and origin("http://x:99999/") is None
    assert origin("mailto:a@b.nl") is None


def test_start_url_redirect_to_another_port_fails_clearly(tmp_path: Path) -> None:
    other = _other()
    with serve(other) as (other_base, _):
        site = Site("")
        site.add("/", "", status=302, headers={"Location": f"{other_base}/elders"})
        with serve(site) as (base, _):
            with pytest.raises(CrawlError, match="leads to another host") as err:
                crawl_site(base + "/", out_dir=tmp_path / "o", options=FAST)
            assert f"{other_base}/elders" in str(err.value)
            result = run_mine("crawl", base + "/", "--out", str(tmp_path / "c"), "--delay", "0")
    assert result.returncode == 1
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "leads to another host" in lines[0], result.stderr
    _nothing_from(other, other_base, tmp_path / "o")
    summary = json.loads((tmp_path / "o" / "crawl.json").read_text())
    assert summary["skipped"] == [{"url": f"{other_base}/elders", "reason": "off-site"}]


def test_redirect_mid_crawl_to_another_port_is_not_followed(tmp_path: Path) -> None:
    other = _other()
    with serve(other) as (other_base, _):
        site = Site("")
        site.add("/", text_page("Start", links=("/weg", "/a")))
        site.add("/a", text_page("A"))
        site.add("/weg", "", status=301, headers={"Location": f"{other_base}/elders"})
        with serve(site) as (base, _):
            report = crawl_site(base + "/", out_dir=tmp_path / "o", options=FAST)
    _nothing_from(other, other_base, tmp_path / "o")
    assert sorted(p["url"] for p in report.pages) == [f"{base}/", f"{base}/a"]
    assert {"url": f"{other_base}/elders", "reason": "off-site"} in report.skipped


def test_link_to_another_port_is_not_followed(tmp_path: Path) -> None:
    other = _other()
    with serve(other) as (other_base, _):
        site = Site("")
        site.add("/", text_page("Start", links=(f"{other_base}/elders", f"{other_base}/", "/a")))
        site.add("/a", text_page("A"))
        with serve(site) as (base, _):
            report = crawl_site(base + "/", out_dir=tmp_path / "o", options=FAST)
    _nothing_from(other, other_base, tmp_path / "o")
    assert sorted(p["url"] for p in report.pages) == [f"{base}/", f"{base}/a"]


def test_sitemap_locs_on_another_port_are_not_requested(tmp_path: Path) -> None:
    other = _other()
    with serve(other) as (other_base, _):
        site = Site("")
        site.add("/", text_page("Start"))
        site.add("/a", text_page("A"))
        with serve(site) as (base, _):
            # an index naming a sitemap on the other port, and a sitemap naming its pages
            site.add(
                "/sitemap.xml",
                sitemap_index([f"{base}/pages.xml", f"{other_base}/sitemap.xml"]),
                ctype="application/xml",
            )
            site.add(
                "/pages.xml",
                urlset([f"{base}/a", f"{other_base}/elders", f"{other_base}/"]),
                ctype="application/xml",
            )
            report = crawl_site(base + "/", out_dir=tmp_path / "o", options=FAST)
    _nothing_from(other, other_base, tmp_path / "o")
    assert sorted(p["url"] for p in report.pages) == [f"{base}/", f"{base}/a"]
    assert "/pages.xml" in [p for _h, p in site.log]


def test_robots_sitemap_line_on_another_port_is_not_requested(tmp_path: Path) -> None:
    other = _other()
    with serve(other) as (other_base, _):
        site = Site("")
        site.add("/", text_page("Start"))
        site.add(
            "/robots.txt",
            f"User-agent: *\nAllow: /\nSitemap: {other_base}/sitemap.xml\n",
            ctype="text/plain",
        )
        with serve(site) as (base, _):
            report = crawl_site(base + "/", out_dir=tmp_path / "o", options=FAST)
    _nothing_from(other, other_base, tmp_path / "o")
    assert [p["url"] for p in report.pages] == [f"{base}/"]


def test_http_to_https_on_the_same_host_and_port_is_another_origin(tmp_path: Path) -> None:
    site = Site("")
    with serve(site) as (base, _):
        tls = base.replace("http://", "https://")
        site.add("/", "", status=301, headers={"Location": f"{tls}/"})
        with pytest.raises(CrawlError, match="leads to another host, port or scheme") as err:
            crawl_site(base + "/", out_dir=tmp_path / "o", options=FAST)
        assert "--allow-host" not in str(err.value)  # a host entry cannot allow a scheme
        # a link to the https twin of a page is not requested either
        site.add("/", text_page("Start", links=(f"{tls}/a", "/b")))
        site.add("/b", text_page("B"))
        report = crawl_site(base + "/", out_dir=tmp_path / "p", options=FAST)
        time.sleep(0.2)  # let the server account for every connection it accepted
        assert site.connections == len(site.log), "a TLS handshake reached the plain server"
    assert sorted(p["url"] for p in report.pages) == [f"{base}/", f"{base}/b"]
    assert not report.skipped


def test_allow_host_with_and_without_port(tmp_path: Path) -> None:
    other = _other()
    with serve(other) as (other_base, _):
        other_port = other_base.rsplit(":", 1)[1]
        site = Site("")
        site.add("/", text_page("Start", links=(f"{other_base}/elders",)))
        with serve(site) as (base, _):
            # without a port: that host on the scheme's default port (80), not this one
            bare = CrawlOptions(**{**FAST.__dict__, "allow_hosts": ("127.0.0.1",)})
            crawl_site(base + "/", out_dir=tmp_path / "a", options=bare)
            assert other.log == []
            # with the port: exactly that origin
            ported = CrawlOptions(**{**FAST.__dict__, "allow_hosts": (f"127.0.0.1:{other_port}",)})
            report = crawl_site(base + "/", out_dir=tmp_path / "b", options=ported)
            # that host's own robots.txt first (RFC 9309: each host has its own)
            assert [p for _h, p in other.log] == ["/robots.txt", "/elders"]
            assert f"{other_base}/elders" in [p["url"] for p in report.pages]
            result = run_mine(
                "crawl", base + "/", "--out", str(tmp_path / "c"), "--delay", "0",
                "--allow-host", f"127.0.0.1:{other_port}",
            )  # fmt: skip
            assert result.returncode == 0, result.stderr
            bad = CrawlOptions(**{**FAST.__dict__, "allow_hosts": ("https://shop.example.nl",)})
            with pytest.raises(CrawlError, match="--allow-host"):
                crawl_site(base + "/", out_dir=tmp_path / "d", options=bad)
