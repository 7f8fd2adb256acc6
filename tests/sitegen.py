"""A fixture website served by a real HTTP server on 127.0.0.1, with a log of every request."""

from __future__ import annotations

import gzip
import hashlib
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICES = [
    ("onderhoud", "Onderhoud van uw warmtepomp", "onderhoudscontract jaarlijkse servicebeurt"),
    ("storingen", "Storingsdienst", "storing monteur binnen 24 uur ter plaatse"),
    ("installatie", "Installatie", "installatie warmtepomp vloerverwarming"),
    ("zonnepanelen", "Zonnepanelen", "zonnepanelen omvormer terugverdientijd"),
    ("laadpalen", "Laadpalen", "laadpaal thuisladen zakelijk laden"),
    ("airco", "Airconditioning", "airco koeling split-unit"),
    ("ketels", "Cv-ketels", "cv-ketel vervangen ketelonderhoud"),
    ("ventilatie", "Ventilatie", "wtw-unit filters vervangen"),
    ("garantie", "Garantie", "garantievoorwaarden fabrieksgarantie"),
    ("financiering", "Financiering", "lease lening maandbedrag"),
]
FOOTER = (
    "Cookies accepteren · Privacyverklaring · Algemene voorwaarden · "
    "© 2026 Acme Installatietechniek BV · KvK 12345678"
)


def _page(title: str, body: str, nav: str, lang: str = "nl", extra_head: str = "") -> str:
    return (
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'><title>{title} | Acme"
        f"</title><meta name='description' content='{title} door Acme'>{extra_head}</head><body>"
        f"<header><nav>{nav}</nav></header><main><article><h1>{title}</h1>{body}</article></main>"
        f"<footer><p>{FOOTER}</p><h2>Nieuwsbrief</h2></footer></body></html>"
    )


@dataclass
class Site:
    """Routes: path -> (status, content type, body, extra headers, delay seconds)."""

    other_host: str
    routes: dict[str, tuple[int, str, bytes, dict[str, str], float]] = field(default_factory=dict)
    log: list[tuple[str, str]] = field(default_factory=list)  # (host header, path)
    # path -> (seconds between bytes, whether the status line and headers drip too)
    drips: dict[str, tuple[float, bool]] = field(default_factory=dict)
    resets: set[str] = field(default_factory=set)  # paths answered half, then reset (TCP RST)
    connections: int = 0  # every connection accepted, also one that never sent a valid request

    def add(
        self,
        path: str,
        body: str | bytes,
        status: int = 200,
        ctype: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        drip: float = 0.0,
        drip_headers: bool = False,
        reset: bool = False,
    ) -> None:
        """Serve ``body`` at ``path``; ``drip`` sends it one byte every ``drip`` seconds (a
        slow-drip server), ``drip_headers`` the status line and headers too; ``reset`` sends
        the headers and half the body, then resets the connection."""
        raw = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = (status, ctype, raw, headers or {}, delay)
        if drip:
            self.drips[path] = (drip, drip_headers)
        if reset:
            self.resets.add(path)


def build(base: str, other_host: str, *, n_services: int = 30) -> Site:
    """The fixture site: Dutch service pages with navigation and footer, and every hard case."""
    site = Site(other_host)
    slugs = [
        (f"{s}-{i}" if i else s, t, words)
        for i in range(n_services // len(SERVICES) + 1)
        for s, t, words in SERVICES
    ][:n_services]
    nav = " ".join(f"<a href='/diensten/{slug}'>{title}</a>" for slug, title, _ in slugs[:8])
    nav += (
        " <a href='/intern/geheim'>Intern</a> <a href='/oud'>Oude pagina</a>"
        " <a href='/bestaat-niet'>Kapot</a> <a href='/brochure.pdf'>Brochure</a>"
        " <a href='/downloads/prijslijst'>Prijslijst</a>"
        f" <a href='http://{other_host}/partner'>Partner</a> <a href='/en/'>English</a>"
        " <a href='/groot'>Alles</a> <a href='/traag'>Traag</a>"
        " <a href='/diensten/onderhoud?utm_source=nav#top'>Onderhoud</a>"
        " <a href='/diensten/onderhoud/'>Onderhoud</a> <a href='mailto:info@acme.example'>Mail</a>"
        " <a href='/diensten/onderhoud-kopie'>Kopie</a>"
    )
    site.add(
        "/robots.txt",
        f"User-agent: *\nDisallow: /intern/\n\nSitemap: {base}/sitemap.xml\n",
        ctype="text/plain",
    )
    urls = [f"{base}/diensten/{slug}" for slug, _, _ in slugs[: n_services // 2]]
    urlset = (
        "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        + "".join(f"<url><loc>{u}</loc></url>" for u in urls)
        + "</urlset>"
    )
    site.add("/sitemap-diensten.xml.gz", gzip.compress(urlset.encode()), ctype="application/gzip")
    site.add(
        "/sitemap.xml",
        "<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/"
        f"schemas/sitemap/0.9'><sitemap><loc>{base}/sitemap-diensten.xml.gz</loc></sitemap>"
        "</sitemapindex>",
        ctype="application/xml",
    )
    home_links = "".join(
        f"<li><a href='/diensten/{slug}'>{title}</a></li>" for slug, title, _ in slugs
    )
    site.add(
        "/",
        _page(
            "Welkom bij Acme",
            f"<p>Acme installeert en onderhoudt installaties in "
            f"heel Nederland.</p><ul>{home_links}</ul>",
            nav,
        ),
    )
    for slug, title, words in slugs:
        body = (
            f"<p>Over {title.lower()}: wij helpen bedrijven en particulieren met {words}. "
            f"Onze vakmensen werken volgens de nieuwste normen en denken mee over {words.split()[0]}.</p>"
            f"<h2>Waarom Acme voor {title.lower()}</h2><p>Met {words} bent u verzekerd van "
            f"rust. Wij plannen alles in overleg en houden u op de hoogte.</p>"
        )
        etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'
        site.add(f"/diensten/{slug}", _page(title, body, nav), headers={"ETag": etag})
    site.add(
        "/diensten/onderhoud-kopie",
        _page(
            "Onderhoud (kopie)",
            "<p>Kopie van de pagina.</p>",
            nav,
            extra_head="<link rel='canonical' href='/diensten/onderhoud'>",
        ),
    )
    site.add("/intern/geheim", _page("Geheim", "<p>Niet voor publiek.</p>", nav))
    site.add("/oud", "", status=301, headers={"Location": "/nieuw"})
    site.add(
        "/nieuw",
        _page(
            "Nieuw",
            "<p>Deze pagina vervangt de oude pagina over onze werkwijze "
            "en beschrijft hoe wij offertes opstellen.</p>",
            nav,
        ),
    )
    site.add("/bestaat-niet", "not found", status=404, ctype="text/plain")
    site.add("/downloads/prijslijst", b"%PDF-1.4 fake", ctype="application/pdf")
    site.add("/brochure.pdf", b"%PDF-1.4 fake", ctype="application/pdf")
    site.add(
        "/en/",
        _page(
            "Heat pump maintenance",
            "<p>We service heat pumps for businesses "
            "across the Netherlands, with a maintenance contract and a fixed response time.</p>",
            nav,
            lang="en",
        ),
    )
    site.add(
        "/groot", _page("Alles", "<p>" + "Een heel lange tekst over alles. " * 12000 + "</p>", nav)
    )
    site.add("/traag", _page("Traag", "<p>Deze pagina laadt traag.</p>", nav), delay=3.0)
    return site


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def setup(self) -> None:
            site.connections += 1
            super().setup()

        def _drip(self, path: str, status: int, ctype: str, body: bytes) -> None:
            interval, whole = site.drips[path]
            head = (
                f"HTTP/1.0 {status} OK\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            if not whole:
                self.wfile.write(head)
            data = head + body if whole else body
            stop = time.monotonic() + 120  # never drips for ever
            try:
                for i in range(len(data)):
                    if time.monotonic() > stop:
                        break
                    self.wfile.write(data[i : i + 1])
                    time.sleep(interval)
            except OSError:  # the client gave up: that is the point
                pass
            self.close_connection = True

        def _reset(self, status: int, ctype: str, body: bytes) -> None:
            head = (
                f"HTTP/1.0 {status} OK\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            self.wfile.write(head + body[: len(body) // 2])
            self.wfile.flush()
            # close with SO_LINGER 0: the client reads a reset, not an orderly end
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            site.log.append((self.headers.get("Host", ""), self.path))
            path = self.path.split("?")[0].split("#")[0]
            route = site.routes.get(path)
            if route is None:
                self.send_response(404)
                self.end_headers()
                return
            status, ctype, body, headers, delay = route
            if delay:
                time.sleep(delay)
            if path in site.drips:
                self._drip(path, status, ctype, body)
                return
            if path in site.resets:
                self._reset(status, ctype, body)
                return
            etag = headers.get("ETag")
            if etag and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def serve(
    site: Site | None = None, host: str = "127.0.0.1", port: int = 0
) -> Iterator[tuple[str, ThreadingHTTPServer]]:
    """Serve ``site`` (or a 404-only site) on ``host`` at ``port`` (a free one by default);
    yields (base URL, server)."""
    site = site or Site("")
    server = ThreadingHTTPServer((host, port), _handler(site))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}", server
    finally:
        server.shutdown()
        server.server_close()


def text_page(title: str, links: tuple[str, ...] = (), extra_head: str = "") -> str:
    """A small page with enough Dutch text to be read, linking to ``links``."""
    anchors = "".join(f"<li><a href='{href}'>{href}</a></li>" for href in links)
    return (
        f"<!doctype html><html lang='nl'><head><meta charset='utf-8'><title>{title}</title>"
        f"{extra_head}</head><body><main><h1>{title}</h1><p>Onze monteurs onderhouden "
        f"warmtepompen en cv-ketels in heel Nederland, met een vaste responstijd en eerlijke "
        f"prijzen zonder verborgen kosten. Dit is de pagina {title}.</p><ul>{anchors}</ul>"
        "</main></body></html>"
    )


def urlset(urls: list[str]) -> str:
    """A sitemap listing ``urls``."""
    return (
        "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        + "".join(f"<url><loc>{u}</loc></url>" for u in urls)
        + "</urlset>"
    )


def sitemap_index(urls: list[str]) -> str:
    """A sitemap index listing the sitemaps ``urls``."""
    return (
        "<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        + "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in urls)
        + "</sitemapindex>"
    )


def gzip_bomb(unit: bytes, megabytes: int, *, head: bytes = b"", members: bool = False) -> bytes:
    """``head`` then ``unit`` repeated to ``megabytes`` MiB, gzip-compressed: a few MB that
    inflate to hundreds. ``members``: one gzip member per MiB (cheap to build, as large
    inflated), else one member, as most bombs are."""
    block = unit * ((1 << 20) // len(unit))
    if members:
        member = gzip.compress(block)
        return gzip.compress(head) + member * megabytes
    import zlib

    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    out = [packer.compress(head)]
    out.extend(packer.compress(block) for _ in range(megabytes))
    out.append(packer.flush())
    return b"".join(out)
