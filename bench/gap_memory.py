"""`mine gap` on real-size sites: peak memory and time against raw spaCy, by the site's words.

    .venv/bin/python bench/gap_memory.py [--words 250000,500000,1000000,2000000]

The site looks like a real one exported to static HTML: a few hundred pages of 2,000 to
20,000 words (log-uniform), each with the same navigation, footer and call to action, headings,
paragraphs and lists, plus tag, category and search pages. Its sentences are real Dutch (the
UD Alpino and LassySmall treebanks in ../shared/data/ud), shuffled into new paragraphs, so the
pipeline sees real text and no paragraph repeats by chance. The customer terms are `mine terms`
over the realistic conversations in bench/data/conversations (nl_*.txt).

For each size: `mine crawl` of the export folder and `mine gap` run as subprocesses (wall time,
peak RSS); the baseline is raw ``nlp.pipe`` over the same pages' text, paragraph by paragraph
(whole pages in spaCy's batches need more memory than this machine has at 2M words), with the
same pipeline and components (``terms.nlp.load_pipeline``) and spaCy's default batch size, in a
subprocess too. The figure that matters is gap / raw: what mine adds on top of tagging the text
(mine gap also tags titles, headings and the customers' evidence quotes, and loads its inputs).
"""

from __future__ import annotations

import argparse
import html
import json
import math
import random
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.peak import ROOT, measure  # noqa: E402

UD = ROOT.parent / "shared" / "data" / "ud"
CONVERSATIONS = ROOT / "bench" / "data" / "conversations"


RAW = r"""
import json, sys, time
from terms.nlp import load_pipeline
nlp = load_pipeline("nl").nlp
pages = [json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
paragraphs = [p for text in pages for p in text.split("\n") if p.strip()]
start = time.perf_counter()
tokens = sum(len(doc) for doc in nlp.pipe(paragraphs))
print(time.perf_counter() - start, tokens)
"""

NAV = (
    "Home Diensten Warmtepompen Zonnepanelen Over ons Projecten Blog Vacatures Contact Zoeken Menu"
)
FOOTER = (
    "Volg ons op LinkedIn. Schrijf je in voor onze nieuwsbrief. Privacyverklaring "
    "Algemene voorwaarden Cookie-instellingen Copyright 2026 Voorbeeld BV. Alle rechten "
    "voorbehouden."
)
CTA = "Benieuwd wat wij voor jouw organisatie kunnen betekenen? Neem vrijblijvend contact op."


def sentences() -> list[str]:
    """Every sentence of the Dutch treebanks, as text."""
    out: list[str] = []
    for path in sorted(UD.glob("*.conllu")):
        words: list[str] = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                if len(words) >= 4:
                    out.append("".join(words).strip())
                words = []
            elif not line.startswith("#"):
                cols = line.split("\t")
                if "-" in cols[0] or "." in cols[0]:
                    continue
                words.append(cols[1] + ("" if "SpaceAfter=No" in cols[9] else " "))
    return out


def page_html(title: str, body: str) -> str:
    """One exported page: theme navigation and footer around the article."""
    return (
        '<!doctype html><html lang="nl"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} | Voorbeeld</title></head><body>"
        f'<header><img src="/logo.svg" alt="Voorbeeld logo"><nav>{NAV}</nav></header>'
        f"<main><article><h1>{html.escape(title)}</h1>{body}"
        f"<aside><p>{CTA}</p></aside></article></main>"
        f"<footer><p>{FOOTER}</p></footer></body></html>"
    )


def make_site(folder: Path, words: int, rng: random.Random, pool: list[str]) -> int:
    """Write an export of about ``words`` words of article text; return the page count."""
    folder.mkdir(parents=True)
    written, n = 0, 0
    titles: list[str] = []
    while written < words:
        target = min(words - written, int(math.exp(rng.uniform(math.log(2000), math.log(20000)))))
        parts, count = [], 0
        while count < target:
            kind = rng.random()
            if kind < 0.12:
                heading = " ".join(rng.choice(pool).split()[:6]).rstrip(".,;:")
                parts.append(f"<h2>{html.escape(heading)}</h2>")
                count += len(heading.split())
            elif kind < 0.2:
                items = [rng.choice(pool) for _ in range(rng.randint(3, 7))]
                parts.append(
                    "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"
                )
                count += sum(len(i.split()) for i in items)
            else:
                para = " ".join(rng.choice(pool) for _ in range(rng.randint(3, 8)))
                parts.append(f"<p>{html.escape(para)}</p>")
                count += len(para.split())
        title = " ".join(rng.choice(pool).split()[:5]).rstrip(".,;:")
        titles.append(title)
        (folder / f"artikel-{n:04d}.html").write_text(
            page_html(title, "".join(parts)), encoding="utf-8"
        )
        written += count
        n += 1
    # theme pages: tag and category lists, search; short, and all alike
    for i in range(max(3, n // 20)):
        listing = "".join(
            f"<h2>{html.escape(t)}</h2><p>Lees meer</p>" for t in rng.sample(titles, min(8, n))
        )
        for kind in ("tag", "categorie"):
            sub = folder / kind / f"onderwerp-{i}"
            sub.mkdir(parents=True)
            (sub / "index.html").write_text(
                page_html(f"Berichten over onderwerp {i}", listing + "<p>Laatste nieuws</p>"),
                encoding="utf-8",
            )
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--words", default="250000,500000,1000000,2000000")
    ap.add_argument("--keep", type=Path, help="keep the generated site and outputs here")
    args = ap.parse_args()
    sizes = [int(s) for s in args.words.split(",")]
    mine = [sys.executable, "-c", "import cli; cli.main()"]
    pool = sentences()
    root = Path(tempfile.mkdtemp(prefix="gap-memory-"))
    try:
        terms = root / "terms"
        measure(
            [
                *mine,
                "terms",
                *map(str, sorted(CONVERSATIONS.glob("nl_*.txt"))),
                "--out",
                str(terms),
                "--language",
                "nl",
            ]
        )
        n_terms = len(json.loads((terms / "terms.json").read_text())["terms"])
        print(
            f"{len(pool)} treebank sentences; {n_terms} customer terms from "
            f"{len(list(CONVERSATIONS.glob('nl_*.txt')))} conversations"
        )
        print(
            "| site words | pages | crawl s | crawl MB | gap s | gap MB | raw nlp.pipe s "
            "| raw MB | gap / raw |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for words in sizes:
            rng = random.Random(words)
            export = root / f"export-{words}"
            pages = make_site(export, words, rng, pool)
            site, gap = root / f"site-{words}", root / f"gap-{words}"
            crawl_s, crawl_mb = measure([*mine, "crawl", str(export), "--out", str(site)])
            gap_s, gap_mb = measure(
                [*mine, "gap", "--terms", str(terms), "--pages", str(site), "--out", str(gap)]
            )
            raw_s, raw_peak = measure([sys.executable, "-c", RAW, str(site / "pages.jsonl")])
            print(
                f"| {words:,} | {pages} | {crawl_s:.0f} | {crawl_mb:.0f} | {gap_s:.0f} "
                f"| {gap_mb:.0f} | {raw_s:.0f} | {raw_peak:.0f} | {gap_s / raw_s:.2f} |",
                flush=True,
            )
            if args.keep:
                shutil.copytree(root, args.keep, dirs_exist_ok=True)
            shutil.rmtree(export)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
