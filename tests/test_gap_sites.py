"""mine gap on real sites' size and mess: very long pages under a memory limit, pages whose
<html lang> lies, a site with no page in the customers' language, the site's own names,
theme text, and the products customers name."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from crawl import crawl_site
from crawl.extract import language_tag
from pipeline import languages, sitenames
from pipeline.config import load_settings
from reports.html import render_report
from terms.analyze import BATCH_CHARS, PIECE, Analyzer, _batches, _pieces
from terms.api import extract_terms
from terms.boilerplate import Boilerplate, listing_page
from terms.gap import _own_names, analyze_gap
from terms.nlp import load_pipeline

ROOT = Path(__file__).resolve().parent.parent
CONVERSATIONS = ROOT / "bench" / "data" / "conversations"
LIMIT = 1536 * 1024 * 1024  # 1.5 GB of address space


def _dutch_sentences() -> list[str]:
    """What the Dutch customers and reps of the realistic conversations say, one line each."""
    lines = []
    for path in sorted(CONVERSATIONS.glob("nl_*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            _role, _sep, text = line.partition(": ")
            if len(text.split()) >= 5:
                lines.append(text)
    return lines


def _terms(tmp_path: Path, lines: dict[str, list[str]]) -> Path:
    """terms.json of conversations given as {file name: ["Klant: ...", ...]}."""
    calls = tmp_path / "calls"
    calls.mkdir()
    for name, text in lines.items():
        (calls / name).write_text("\n".join(text) + "\n", encoding="utf-8")
    out = tmp_path / "terms"
    extract_terms([calls], settings=load_settings(), out_dir=out)
    return out


def _pages(folder: Path, pages: list[dict], crawl: dict | None = None) -> Path:
    folder.mkdir(parents=True)
    rows = [{"title": "", "headings": [], "lang": "nl", **p} for p in pages]
    (folder / "pages.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    (folder / "crawl.json").write_text(json.dumps(crawl or {"start": "export"}), encoding="utf-8")
    return folder


# ---- memory: long pages go through the pipeline in bounded pieces and batches ----


def test_pieces_and_batches_are_bounded_and_keep_every_character() -> None:
    rng = random.Random(3)
    words = ["warmtepomp", "monteur", "offerte", "a" * 70, "\n", "Kijk."]
    text = " ".join(rng.choice(words) for _ in range(20_000)) + "x" * 5_000
    pieces = list(_pieces(text))
    assert "".join(p for p, _ in pieces) == text
    assert all(len(p) <= PIECE for p, _ in pieces)
    assert [last for _, last in pieces] == [False] * (len(pieces) - 1) + [True]
    batches = list(_batches(pieces))
    assert all(sum(len(p) for p, _ in b) < BATCH_CHARS + PIECE for b in batches)
    assert sum(len(b) for b in batches) == len(pieces)


def test_a_long_text_gives_the_candidates_of_its_paragraphs() -> None:
    analyzer = Analyzer(load_pipeline("nl"))
    paragraphs = _dutch_sentences()[:400]
    apart = [c.key for cands in analyzer.analyze(paragraphs) for c in cands]
    together = [c.key for c in next(analyzer.analyze(["\n".join(paragraphs)]))]
    assert len("\n".join(paragraphs)) > 10 * PIECE
    # the same candidates, but for a few where the tagger saw the neighbouring paragraph
    shared = sum((Counter(together) & Counter(apart)).values())
    assert shared >= 0.97 * max(len(together), len(apart))


def test_gap_on_very_long_pages_runs_under_a_memory_limit(tmp_path: Path) -> None:
    """Two pages of 40,000 words each and ten ordinary ones, `mine gap` in a process whose
    address space is limited to 1.5 GB (whole pages in one spaCy batch needed several GB)."""
    sentences = _dutch_sentences()
    rng = random.Random(11)

    def text(words: int) -> str:
        paragraphs, n = [], 0
        while n < words:
            para = " ".join(rng.choice(sentences) for _ in range(rng.randint(2, 6)))
            paragraphs.append(para)
            n += len(para.split())
        return "\n".join(paragraphs)

    long_pages = [
        {
            "url": f"https://example.nl/kennisbank/{i}",
            "title": f"Kennisbank {i}",
            "text": text(40_000),
        }
        for i in range(2)
    ]
    pages = long_pages + [
        {"url": f"https://example.nl/dienst/{i}", "title": f"Dienst {i}", "text": text(600)}
        for i in range(10)
    ]
    site = _pages(tmp_path / "site", pages)
    terms = _terms(
        tmp_path,
        {f"gesprek{i}.txt": [f"Klant: {s}" for s in rng.sample(sentences, 40)] for i in range(3)},
    )
    limited = (
        "import resource, sys; "
        f"resource.setrlimit(resource.RLIMIT_AS, ({LIMIT}, {LIMIT})); "
        "sys.argv = ['mine'] + sys.argv[1:]; import cli; cli.main()"
    )
    env = {
        **os.environ,
        # the limit counts address space reserved, not used: fix the thread pools and malloc
        # arenas (which reserve per thread) so the figure does not depend on the CPU count
        "OMP_NUM_THREADS": "2",
        "OPENBLAS_NUM_THREADS": "2",
        "MKL_NUM_THREADS": "2",
        "MALLOC_ARENA_MAX": "2",
    }
    out = tmp_path / "gap"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            limited,
            "gap",
            "--terms",
            str(terms),
            "--pages",
            str(site),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    gap = json.loads((out / "gap.json").read_text(encoding="utf-8"))
    on_long = [
        r for r in gap["gaps"] if any(p["url"] == long_pages[0]["url"] for p in r["site_pages"])
    ]
    assert on_long, "the long pages' text was compared"
    assert all(r["status"] != "missing" for r in on_long)


# ---- the page's language is its text's ----

_HTML = (
    '<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title} | '
    'Kroescontrol</title></head><body><header><a href="/"><img src="/img/logo.svg" '
    'alt="Kroescontrol logo"></a><nav><a href="/">Home</a> <a href="/diensten/">Diensten</a>'
    "</nav></header><main><article><h1>{title}</h1>{body}</article></main>"
    "<footer><p>Kroescontrol B.V. Utrecht</p></footer></body></html>"
)


def _export(folder: Path, pages: dict[str, tuple[str, str]], lang: str = "en") -> Path:
    """A site export: {path: (title, body html)}, every page declaring ``lang``."""
    for rel, (title, body) in pages.items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_HTML.format(lang=lang, title=title, body=body), encoding="utf-8")
    return folder


_CTA = "Benieuwd wat wij voor jouw bedrijfsvoering kunnen betekenen? Plan een kennismakingsgesprek."
_DUTCH_PAGES = {
    "index.html": (
        "Cloud engineering",
        "<p>Kroescontrol helpt organisaties met het bouwen en beheren van hun platform. Onze "
        "engineers werken bij jou op de werkvloer en zijn niet bang om het werk zelf te doen."
        f"</p><p>Wij zijn er voor de lange termijn en denken mee over de architectuur.</p><p>{_CTA}</p>",
    ),
    "diensten/index.html": (
        "Diensten",
        "<p>Onze engineers bouwen een platform dat past bij de organisatie. Wij leveren "
        "detachering en advies, en de engineers van Kroescontrol zijn allemaal in vaste dienst."
        "</p><p>Met een vaste prijs per sprint weet je waar je aan toe bent, en je houdt zelf de "
        f"regie over de roadmap.</p><p>{_CTA}</p>",
    ),
    "werken-bij/index.html": (
        "Werken bij",
        "<p>Als engineer bij Kroescontrol werk je aan uitdagende opdrachten bij klanten in heel "
        "Nederland. Je krijgt een opleidingsbudget en een eigen werkplek, en je collega's "
        f"helpen je verder.</p><p>{_CTA}</p>",
    ),
    "tag/kubernetes/index.html": (
        "Berichten over Kubernetes",
        "<h2>Laatste nieuws</h2><p>Zoekresultaten en categorieën: alle berichten met deze "
        "tag, het nieuwste bericht eerst.</p>",
    ),
}


def test_crawl_decides_the_language_from_the_text_and_says_when_the_page_disagrees(
    tmp_path: Path,
) -> None:
    export = _export(tmp_path / "export", _DUTCH_PAGES, lang="en")
    report = crawl_site(str(export), out_dir=tmp_path / "site")
    rows = [json.loads(line) for line in (tmp_path / "site" / "pages.jsonl").open()]
    assert {r["lang"] for r in rows} == {"nl"}
    assert {r["lang_declared"] for r in rows} == {"en"}
    summary = json.loads((tmp_path / "site" / "crawl.json").read_text())
    assert summary["languages"]["pages"] == {"nl": len(rows)}
    assert summary["languages"]["declared_differs"] == len(rows)
    assert any('lang="en"' in w and "mine goes by the text" in w for w in report.warnings)
    assert "Kroescontrol" in summary["own_names"]


def test_gap_compares_dutch_customers_with_a_dutch_site_that_declares_english(
    tmp_path: Path,
) -> None:
    export = _export(tmp_path / "export", _DUTCH_PAGES, lang="en")
    crawl_site(str(export), out_dir=tmp_path / "site")
    terms = _terms(
        tmp_path,
        {
            f"gesprek{i}.txt": [
                "Verkoper: Goedemorgen, fijn dat ik langs mocht komen.",
                "Klant: Wij zoeken engineers die ons platform kunnen beheren, want de roadmap "
                "loopt achter.",
                "Klant: Hebben jullie ervaring met Kubernetes en met Terraform? Wij draaien "
                "alles op Kubernetes.",
                f"Klant: En wat kost een sprint bij jullie, is dat een vaste prijs? Ronde {i}.",
            ]
            for i in range(3)
        },
    )
    report = analyze_gap(
        terms, tmp_path / "site", settings=load_settings(), out_dir=tmp_path / "gap"
    )
    by_term = {r["key"]: r for r in report.rows}
    assert by_term["engineer"]["status"] != "missing"
    assert by_term["engineer"]["site_mentions"] >= 4
    # products the customers run are terms; the site lacks Terraform
    assert by_term["terraform"]["status"] == "missing"
    assert report.meta["languages"]["nl"] == {
        "terms": len(report.rows),
        "pages": 3 + 1,
        "compared": True,
        "note": "",
    }
    assert not report.meta["warnings"]
    jargon = [j["key"] for j in report.jargon]
    # the brand is "your names", not jargon; the tag page's theme words are not the site's
    assert not any("kroescontrol" in k for k in jargon)
    own = report.meta["own_names"]["on_site"]
    assert own[0]["term"] == "kroescontrol" and own[0]["site_mentions"] >= 3
    assert not {"zoekresultaat", "categorie", "nieuws", "bericht"} & set(jargon)
    assert report.meta["theme_text"] == {"listing_pages": 1, "repeated_lines": 1}
    # the call to action repeats on every page: on the site, but no page's vocabulary
    assert not any("kennismaking" in k or "bedrijfsvoering" in k for k in jargon)


def test_no_page_in_the_customers_language_is_said_plainly_not_marked_missing(
    tmp_path: Path,
) -> None:
    english = {
        "index.html": (
            "Heat pumps",
            "<p>We install heat pumps and the engineer comes out within a week. The quote is "
            "free and we explain the subsidy for your home and the maintenance contract.</p>",
        ),
        "service/index.html": (
            "Service",
            "<p>Our engineers service every heat pump we install, and the maintenance contract "
            "covers the parts and the labour for the first five years.</p>",
        ),
    }
    export = _export(tmp_path / "export", english, lang="nl")  # declares Dutch; is English
    crawl_site(str(export), out_dir=tmp_path / "site")
    terms = _terms(
        tmp_path,
        {
            f"gesprek{i}.txt": [
                "Klant: Wat kost het onderhoudscontract voor de warmtepomp per jaar?",
                "Klant: En hoe snel komt de monteur als de warmtepomp het niet doet?",
            ]
            for i in range(2)
        },
    )
    gap_dir = tmp_path / "gap"
    report = analyze_gap(terms, tmp_path / "site", settings=load_settings(), out_dir=gap_dir)
    assert report.rows == []  # not compared: not "missing" for every term
    assert report.meta["languages"]["nl"]["compared"] is False
    assert report.meta["languages"]["nl"]["pages"] == 0
    assert any("No page of the site is in Dutch" in w for w in report.meta["warnings"])
    html = render_report(gap_dir, out=tmp_path / "report.html", settings=load_settings(), lang="nl")
    assert "Geen enkele pagina van de site is in het Nederlands" in html.read_text()


# ---- the rules in small ----


@pytest.mark.parametrize(
    ("url", "listing"),
    [
        ("https://example.nl/tag/kubernetes/", True),
        ("https://example.nl/category/nieuws", True),
        ("https://example.nl/blog/page/3/", True),
        ("https://example.nl/?s=warmtepomp", True),
        ("https://example.nl/zoeken", True),
        ("tag/kubernetes/index.html", True),
        ("https://example.nl/diensten/page-builder", False),
        ("https://example.nl/pagina/over-ons", False),
        ("https://example.nl/blog/warmtepomp-kiezen", False),
        ("https://example.nl/?s=", True),
        ("https://example.nl/?S=warmtepomp", True),
        ("https://example.nl/blog%2Ftag%2Fwarmte", True),
        ("http://[::1/tag/x", False),
    ],
)
def test_listing_pages_by_address(url: str, listing: bool) -> None:
    assert listing_page(url) is listing


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("nl-NL", "nl"),
        ("en_GB", "en"),
        (" EN ", "en"),
        ("x" * 5000, None),
        ("{{ lang }}", None),
        ("", None),
    ],
)
def test_a_declared_language_is_a_language_tag_or_nothing(value: str, tag: str | None) -> None:
    assert language_tag(value) == tag


def test_repeated_lines_are_theme_text() -> None:
    pages = [
        {"url": f"https://x.nl/{i}", "text": f"Eigen tekst {i} over warmtepompen.\n{_CTA}"}
        for i in range(5)
    ]
    theme = Boilerplate.of(pages)
    assert theme.own_text(pages[0]) == "Eigen tekst 0 over warmtepompen."
    assert list(theme.shared_text(pages)) == [_CTA]


def test_a_title_part_many_pages_share_is_not_a_heading_of_each() -> None:
    """ "Prijzen | Warmtewerk": the site's name in every title is the theme's, not a heading
    that each page repeats (it would count as the site's most used heading word)."""
    pages = [
        {"url": f"https://x.nl/{i}", "title": f"Onderwerp {i} | Warmtewerk", "text": "t"}
        for i in range(5)
    ]
    theme = Boilerplate.of(pages)
    assert theme.own_headings(pages[1]) == "Onderwerp 1"
    assert Boilerplate.of(pages[:2]).own_headings(pages[1]) == "Onderwerp 1 . Warmtewerk"


def test_own_names_from_host_titles_and_logo() -> None:
    assert sitenames.from_host("https://www.kroescontrol.nl/over") == "kroescontrol"
    assert sitenames.from_host("https://shop.example.co.uk/") == "example"
    assert sitenames.from_host("http://127.0.0.1:8000/") is None
    titles = ["Over ons | Warmtewerk", "Prijzen – Warmtewerk", "Contact | Warmtewerk", "Blog"]
    assert sitenames.from_titles(titles) == ["Warmtewerk"]
    assert sitenames.from_logo_alt("Kroescontrol B.V. logo") == "Kroescontrol"
    assert sitenames.is_own("kroescontrol", ["Kroescontrol"])
    assert sitenames.is_own("kroes control", ["Kroes-Control"])
    assert not sitenames.is_own("warmte+pomp", ["Warmtewerk"])
    assert sitenames.is_own("kroescontrol+academy", ["Kroescontrol"])
    assert sitenames.from_host("http://[::1/") is None


def test_ordinary_words_in_host_titles_and_logo_are_not_taken_as_own_names() -> None:
    """www.systeem.nl is not named "systeem" for the jargon table: that would hide every
    "systeemontwerp" the site says. A name given in mine.toml is taken as it is."""
    titles = [f"Pagina {i} | Blog | Systeem" for i in range(5)]
    found = sitenames.collect(start="https://www.systeem.nl/", titles=titles, logo_alts=["Home"])
    assert found == []
    assert not sitenames.matcher(found)("systeemontwerp")
    kept = sitenames.collect(
        names=["Systeem"],
        start="https://www.kroescontrol.nl/",
        titles=titles,
        logo_alts=["Kroescontrol logo"],
    )
    assert kept == ["Systeem", "kroescontrol"]
    assert sitenames.generic("Latest News") and not sitenames.generic("Warmtewerk")


def test_own_names_match_in_time_that_does_not_grow_with_the_names() -> None:
    names = [f"merknaam{i:05d}" for i in range(20_000)] + ["Warmtewerk"]
    own = sitenames.matcher(names)
    started = time.monotonic()
    found = [k for k in (f"woord{i}+systeem" for i in range(5_000)) if own(k)]
    assert not found and own("warmtewerk+academy") and own("merknaam00042")
    assert time.monotonic() - started < 2  # 100M fold() calls with a scan per key


@pytest.mark.parametrize("listed", [5, True, 1.5, {"a": 1}, "Warmtewerk"])
def test_crawl_json_own_names_of_another_shape(listed: object) -> None:
    settings = load_settings()
    summary = {"start": "https://www.kroescontrol.nl/", "own_names": listed}
    names = _own_names([{"url": "u", "title": ""}], summary, settings)
    assert "a" not in names
    assert names[-1] == "kroescontrol"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Wij helpen organisaties met het bouwen van hun platform en dat is niet duur.", "nl"),
        ("We help companies build their platform, and it is not expensive with the team.", "en"),
        ("Kubernetes Terraform AWS Azure", None),
    ],
)
def test_detect_names_a_language_only_when_the_text_says_so(text: str, lang: str | None) -> None:
    assert languages.detect(text) == lang


def test_names_are_terms_and_sentence_openers_and_dates_are_not() -> None:
    analyzer = Analyzer(load_pipeline("nl"))
    found = next(
        analyzer.analyze(
            ["Kijk, hebben jullie ervaring met Kubernetes en met Terraform? Maandag kan ik."]
        )
    )
    names = {c.key for c in found if c.kind == "name"}
    assert {"kubernetes", "terraform"} <= names
    assert not {"kijk", "maandag"} & {c.key for c in found}


def test_mine_run_hashes_a_damaged_pages_file_by_its_bytes_and_mixed_rows_in_order(
    tmp_path: Path,
) -> None:
    """The gap stage's input hash never fails on pages.jsonl: a broken line is left to
    ``analyze_gap`` to name, and rows whose title is null beside rows with one still sort."""
    import sqlite3

    from pipeline.run import _pages_seen
    from pipeline.state import open_state

    pages = tmp_path / "pages.jsonl"
    pages.write_text(
        '{"url": "a", "title": null, "text": ""}\n{"url": "a", "title": "T", "text": ""}\n',
        encoding="utf-8",
    )
    with open_state(tmp_path / "ws") as db:
        assert isinstance(db, sqlite3.Connection)
        seen = _pages_seen(db, pages)
        assert isinstance(seen, list) and len(seen) == 2
        pages.write_text('{"url": "a", "text": ""}\n{"url": \n[1, 2]\n', encoding="utf-8")
        assert isinstance(_pages_seen(db, pages), str)
