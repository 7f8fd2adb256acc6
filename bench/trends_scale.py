"""`mine trends` on a workspace of two years: time and memory.

    .venv/bin/python bench/trends_scale.py [--conversations 5000] [--months 24] [--pages 1000]

The workspace's state.db is made directly (the tables `mine run` fills): ``--conversations``
conversations spread evenly over ``--months`` months, each with a stored term analysis of 150
to 450 customer terms drawn from a vocabulary of 20,000 (Zipf-like, so a few terms are common
and most are rare, as in real speech); ``--pages`` pages crawled 12 times (page history) and 12
gap snapshots of 1,000 terms and 200 questions, each naming the calls behind it.

Baseline, as a subprocess too: reading the same rows and parsing their JSON (what any trends
computation must do); the figure is ``mine trends`` ÷ that.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.peak import measure  # noqa: E402

MINE = str(Path(sys.executable).parent / "mine")
_READ = """
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = 0
for (data,) in db.execute("SELECT data FROM term_analyses"):
    n += len(json.loads(data)["terms"])
for row in db.execute("SELECT * FROM gap_history"):
    json.loads(row[-1])
rows = db.execute("SELECT * FROM conversations").fetchall()
print(n, len(rows))
"""


def _state(ws: Path, conversations: int, months: int, pages: int, rng: random.Random) -> None:
    from pipeline.state import open_state

    ws.mkdir(parents=True)
    with open_state(ws):
        pass  # the tables, as mine makes them
    vocab = [f"term{i}" for i in range(20_000)]
    weights = [1 / (i + 1) for i in range(len(vocab))]
    start = date(2025, 1, 1)
    db = sqlite3.connect(ws / "state.db")
    calls = [f"{i:064x}" for i in range(conversations)]
    for i, call in enumerate(calls):
        day = start + timedelta(days=int(i * months * 30.4 / conversations))
        db.execute(
            "INSERT INTO conversations VALUES (?,?,?,?,?,?)",
            (call, day.isoformat(), "consent", "nl", 600.0, "2026-12-03T00:00:00+00:00"),
        )
        keys = set(rng.choices(vocab, weights, k=rng.randint(150, 450)))
        terms = {k: [{k: 1}, {"word": 1}, 1, 0, [0]] for k in keys}
        data = {"call_id": call, "analysis": "a", "pipeline": {}, "terms": terms}
        db.execute(
            "INSERT INTO term_analyses VALUES (?,?,?,?)",
            (call, f"a{i}", json.dumps(data), "2026-12-03T00:00:00+00:00"),
        )
    for crawl in range(12):
        when = f"2026-{crawl + 1:02d}-01T00:00:00+00:00"
        db.executemany(
            "INSERT INTO page_history VALUES (?,?,?,?)",
            [(when, f"https://x.example/p{p}", f"{p}-{crawl}", "[]") for p in range(pages)],
        )
        rows = []
        for t in range(1_000):
            status = rng.choice(["missing", "underused", "covered"])
            said = json.dumps(rng.sample(calls, 5))
            rows.append(
                (
                    when,
                    when,
                    "term",
                    vocab[t],
                    "nl",
                    status,
                    f"https://x.example/p{t % pages}",
                    said,
                )
            )
        for q in range(200):
            status = rng.choice(["unanswered", "partly", "answered"])
            said = json.dumps(rng.sample(calls, 3))
            rows.append((when, when, "question", f"cost|w{q}", "nl", status, "", said))
        db.executemany("INSERT INTO gap_history VALUES (?,?,?,?,?,?,?,?)", rows)
    db.commit()
    db.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--conversations", type=int, default=5000)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--pages", type=int, default=1000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        _state(ws, args.conversations, args.months, args.pages, random.Random(3))
        base_s, base_mb = measure([sys.executable, "-c", _READ, str(ws / "state.db")])
        month_s, month_mb = measure([MINE, "trends", "--workspace", str(ws), "--json"])
        quarter_s, quarter_mb = measure(
            [MINE, "trends", "--workspace", str(ws), "--json", "--by", "quarter"]
        )
    print(
        f"{args.conversations} conversations over {args.months} months, {args.pages} pages x 12 "
        "crawls, 12 gap snapshots"
    )
    print(f"read and parse the rows (baseline): {base_s:.1f} s, peak {base_mb:.0f} MB")
    print(
        f"mine trends --by month: {month_s:.1f} s, peak {month_mb:.0f} MB ({month_s / base_s:.2f}x)"
    )
    print(
        f"mine trends --by quarter: {quarter_s:.1f} s, peak {quarter_mb:.0f} MB "
        f"({quarter_s / base_s:.2f}x)"
    )


if __name__ == "__main__":
    main()
