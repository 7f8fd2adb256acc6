"""Time and memory of judging 5,000 customer questions against a 1,000-page site.

    .venv/bin/python bench/questions_scale.py [--questions 5000] [--pages 1000]

The site: the hand-written Zonnegloed pages of bench/data/questions/site (Dutch), recombined
into ``--pages`` pages of 6 to 14 of their paragraphs each, one in ten with a <details> FAQ
block; crawled once with ``mine crawl``. The questions: ``--questions`` customer questions in 500
conversations, eight openings (one per intent) with two topic words of the site drawn at random,
grouped as ``mine terms`` would: nearly every question stays a group of its own, the worst case
for judging. The terms: mine terms over bench/data/conversations.

The baseline is the same ``mine gap`` (same terms, same pages) with no questions, run in the
same script: what the questions add is the difference, in seconds and in peak memory.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.peak import measure  # noqa: E402

DATA = ROOT / "bench" / "data" / "questions"
MINE = str(Path(sys.executable).parent / "mine")


def _paragraphs() -> list[str]:
    out = []
    for page in sorted((DATA / "site").glob("*.html")):
        text = page.read_text(encoding="utf-8")
        main = text.split("<main", 1)[-1].split("</main>", 1)[0]
        out += [
            html.unescape(re.sub(r"<[^>]+>", "", p)).strip()
            for p in re.findall(r"<p>(.*?)</p>", main, re.S)
        ]
    return [p for p in out if len(p) > 40]


def _site(folder: Path, pages: int, rng: random.Random) -> None:
    paras = _paragraphs()
    folder.mkdir(parents=True)
    for i in range(pages):
        body = "".join(f"<p>{html.escape(p)}</p>" for p in rng.sample(paras, rng.randint(6, 14)))
        if i % 10 == 0:
            q = rng.choice(paras).split(".")[0][:80]
            answer = html.escape(rng.choice(paras))
            body += f"<details><summary>{html.escape(q)}?</summary><p>{answer}</p></details>"
        (folder / f"pagina-{i:04d}.html").write_text(
            f'<html lang="nl"><head><title>Pagina {i} | Zonnegloed</title></head><body>'
            f"<header><nav>Home Prijzen Contact</nav></header><main><h1>Pagina {i}</h1>{body}</main>"
            "<footer>Zonnegloed</footer></body></html>",
            encoding="utf-8",
        )


#: Openings of customer questions (each intent); the topic words are drawn from the site.
OPENINGS = (
    "Wat kost de {} bij de {}?",
    "Hoe lang duurt de {} van de {}?",
    "Kunnen jullie ook de {} met de {} doen?",
    "Hoeveel {} past er bij de {}?",
    "Waarom is die {} nodig voor de {}?",
    "Wie regelt de {} voor de {}?",
    "Is er een {} voor de {}?",
    "Welke {} hoort bij de {}?",
)


def _questions(n: int, rng: random.Random) -> list[dict]:
    from terms.questions import Asked, group_questions

    words = sorted({w for p in _paragraphs() for w in re.findall(r"[a-z]{7,}", p)})
    asked = []
    for i in range(n):
        text = OPENINGS[i % len(OPENINGS)].format(*rng.sample(words, 2))
        call = f"c{i % 500}"
        asked.append(Asked(text, float(i), "customer", call, f"{call}.json", "nl"))
    return [g.to_dict() for g in group_questions(asked, customers=lambda c: c)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=int, default=5000)
    ap.add_argument("--pages", type=int, default=1000)
    args = ap.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        _site(t / "export", args.pages, rng)
        subprocess.run(
            [
                MINE,
                "crawl",
                str(t / "export"),
                "--out",
                str(t / "site"),
                "--max-pages",
                str(args.pages + 10),
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [
                MINE,
                "terms",
                str(ROOT / "bench" / "data" / "conversations"),
                "--out",
                str(t / "terms"),
            ],
            check=True,
            capture_output=True,
        )
        data = json.loads((t / "terms" / "terms.json").read_text())
        data["questions"] = []
        (t / "none").mkdir()
        (t / "none" / "terms.json").write_text(json.dumps(data))
        started = time.perf_counter()
        data["questions"] = _questions(args.questions, rng)
        grouping = time.perf_counter() - started
        (t / "many").mkdir()
        (t / "many" / "terms.json").write_text(json.dumps(data))
        groups = len(data["questions"])
        base_s, base_mb = measure(
            [
                MINE,
                "gap",
                "--terms",
                str(t / "none"),
                "--pages",
                str(t / "site"),
                "--out",
                str(t / "g0"),
            ]
        )
        q_s, q_mb = measure(
            [
                MINE,
                "gap",
                "--terms",
                str(t / "many"),
                "--pages",
                str(t / "site"),
                "--out",
                str(t / "g1"),
            ]
        )
        meta = json.loads((t / "g1" / "questions.json").read_text())["meta"]
    print(f"{args.questions} questions in {groups} groups against {args.pages} pages")
    print(f"detecting their topics and grouping them (mine terms' part): {grouping:.1f} s")
    print(f"mine gap without questions: {base_s:.1f} s, peak {base_mb:.0f} MB")
    print(f"mine gap with the questions: {q_s:.1f} s, peak {q_mb:.0f} MB")
    print(
        f"questions add {q_s - base_s:.1f} s ({q_s / base_s:.2f}x) and {q_mb - base_mb:.0f} MB; "
        f"statuses {meta['status_counts']}"
    )


if __name__ == "__main__":
    main()
