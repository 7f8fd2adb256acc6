"""Gap analysis and report for 5,000 customer terms and 1,000 pages: seconds, peak memory, size.

    .venv/bin/python bench/gap_report.py [--terms 5000] [--pages 1000]

Synthetic but shaped like real output: terms.json rows with three evidence quotes each, made of
Dutch words from wordfreq's frequency list; pages of about 250 words drawn from the same
vocabulary, so many terms occur on the site. Runs `mine gap` and `mine report` as
subprocesses and reads each one's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WRAP = """
import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)
"""


def run(cmd: list[str]) -> tuple[float, float]:
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", WRAP, *cmd], capture_output=True, text=True, check=True
    )
    peak, rc = out.stdout.split()
    assert rc == "0", cmd
    return time.perf_counter() - start, int(peak) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--terms", type=int, default=5000)
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--keep", type=Path, help="copy the generated inputs and outputs here")
    args = ap.parse_args()
    from wordfreq import top_n_list

    rng = random.Random(7)
    words = [w for w in top_n_list("nl", 30000) if w.isalpha() and len(w) > 3][5000:25000]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows = []
        for i, w in enumerate(rng.sample(words, args.terms)):
            quotes = [
                {
                    "call_id": f"{i % 97:064x}",
                    "source": f"call{i % 97}.json",
                    "start": 12.5 * q,
                    "speaker": "customer",
                    "text": " ".join(rng.sample(words, 12))
                    + f" {w} "
                    + " ".join(rng.sample(words, 6)),
                }
                for q in range(3)
            ]
            rows.append(
                {
                    "term": w,
                    "key": w,
                    "language": "nl",
                    "kind": "word",
                    "conversations": 1 + i % 9,
                    "mentions": 2 + i % 13,
                    "customers": 1 + i % 7,
                    "rep_mentions": 0,
                    "tfidf": 3.0,
                    "zipf": 2.5,
                    "distinctiveness": 0.9,
                    "score": 10 - i / args.terms,
                    "forms": [w],
                    "evidence": quotes,
                }
            )
        meta = {
            "conversations": 97,
            "languages": {"nl": 97},
            "roles_known": 97,
            "pipelines": {
                "nl": {"language": "nl", "pipeline": "mine nl (data/nl_mine)", "version": ""}
            },
            "options": {},
            "sources": [],
            "vocabulary": {"nl": {r["key"]: r["mentions"] for r in rows}},
            "failed": [],
            "score": "",
        }
        (root / "terms").mkdir()
        (root / "terms" / "terms.json").write_text(json.dumps({"meta": meta, "terms": rows}))
        (root / "site").mkdir()
        with (root / "site" / "pages.jsonl").open("w") as fh:
            for i in range(args.pages):
                text = ". ".join(" ".join(rng.sample(words, 12)) for _ in range(20))
                fh.write(
                    json.dumps(
                        {
                            "url": f"https://example.nl/p{i}",
                            "final_url": "",
                            "status": 200,
                            "title": f"Pagina {i}",
                            "description": "",
                            "headings": [{"level": "h1", "text": " ".join(rng.sample(words, 3))}],
                            "text": text,
                            "lang": "nl",
                            "fetched_at": "",
                            "content_hash": "",
                        }
                    )
                    + "\n"
                )
        mine = str(Path(sys.executable).parent / "mine")
        gap_s, gap_mb = run(
            [
                mine,
                "gap",
                "--terms",
                str(root / "terms"),
                "--pages",
                str(root / "site"),
                "--out",
                str(root / "gap"),
                "-q",
            ]
        )
        rep_s, rep_mb = run(
            [mine, "report", "--gap", str(root / "gap"), "--out", str(root / "r.html")]
        )
        if args.keep:
            shutil.copytree(root, args.keep, dirs_exist_ok=True)
        size = (root / "r.html").stat().st_size / 1e6
        words_on_site = args.pages * 240
        print(f"{args.terms} terms x {args.pages} pages (~{words_on_site:,} words of site text)")
        print(f"mine gap:    {gap_s:.1f} s, peak RSS {gap_mb:.0f} MB")
        print(
            f"mine report: {rep_s:.1f} s, peak RSS {rep_mb:.0f} MB, HTML {size:.1f} MB "
            f"(rows rendered 100 at a time in the page)"
        )
        browser_timings(root / "r.html")


def browser_timings(report: Path) -> None:
    """Time to first rows, a sort and a filter in headless Chromium (when installed)."""
    chromium = shutil.which("chromium")
    if not chromium:
        print("browser: chromium not installed (apt-get install -y chromium); not measured")
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        start = time.perf_counter()
        page.goto(report.as_uri())
        page.wait_for_selector("#gap-rows tr")
        loaded = time.perf_counter() - start
        start = time.perf_counter()
        page.click("th[data-key=term]")
        page.wait_for_function(
            "document.querySelector('th[data-key=term]').getAttribute('aria-sort')"
        )
        sort = time.perf_counter() - start
        start = time.perf_counter()
        page.select_option("#status-filter", "missing")
        page.wait_for_selector("#gap-rows tr")
        filt = time.perf_counter() - start
        browser.close()
    print(
        f"browser: first rows {loaded:.2f} s after opening, sort {sort * 1000:.0f} ms, "
        f"filter {filt * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
