"""What changed over time: two runs over a workspace with conversations from different months
and a site that changed between the runs; new terms, closed gaps, quarters, forget, upgrade."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

from terms.trends import g2, period_of
from tests.conftest import consented, run_mine

CALLS = {
    # name: (customer, recorded, customer lines)
    "jan-a": ("Anna Smit", date(2026, 1, 12), ["De warmtepomp en de subsidie, hoe zit dat?",
                                               "De subsidie voor de warmtepomp wil ik weten."]),
    "jan-b": ("Bert Vos", date(2026, 1, 20), ["Die warmtepomp, maakt die lawaai?",
                                              "De subsidie is voor mij belangrijk."]),
    "apr-c": ("Cees Bos", date(2026, 4, 2), ["Kan de thuisbatterij in het kippenhok staan?",
                                             "Die thuisbatterij wil ik wel, en subsidie."]),
    "apr-d": ("Dirk Kok", date(2026, 4, 9), ["Hoe groot is zo'n thuisbatterij eigenlijk?",
                                             "De thuisbatterij moet in de schuur."]),
}  # fmt: skip
PAGE = (
    '<html lang="nl"><head><title>{title} | Zonnegloed</title></head><body><main><h1>{title}</h1>'
    "{body}</main></body></html>"
)
WARMTEPOMP = (
    "<p>Een warmtepomp verwarmt uw huis met buitenlucht. De warmtepomp is stil en zuinig.</p>"
    "<p>Wij plaatsen de warmtepomp in één dag. Onze warmtepomp werkt ook in de winter.</p>"
)
BATTERIJ = (
    "<p>Een thuisbatterij slaat uw zonnestroom op. De thuisbatterij past in de schuur, niet "
    "in een kippenhok.</p>"
)
SUBSIDIE = (
    "<p>Voor een warmtepomp krijgt u subsidie. De subsidie vraagt u aan na de installatie. "
    "Wij helpen met de subsidie, want subsidie aanvragen is lastig.</p>"
)


def _site(folder: Path, *, with_subsidy: bool) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pages = {
        "warmtepomp.html": ("Warmtepomp", WARMTEPOMP),
        "thuisbatterij.html": ("Thuisbatterij", BATTERIJ),
    }
    if with_subsidy:
        pages["subsidie.html"] = ("Subsidie", SUBSIDIE)
    for name, (title, body) in pages.items():
        (folder / name).write_text(PAGE.format(title=title, body=body), encoding="utf-8")


def _workspace(tmp_path: Path) -> tuple[Path, Path, Path, list[str]]:
    said = tmp_path / "said"
    said.mkdir()
    rec = tmp_path / "rec"
    for name, (customer, day, lines) in CALLS.items():
        first = customer.split()[0]
        text = "Sanne: Goedemiddag, ik ben Sanne van Zonnegloed.\n" + "".join(
            f"{first}: {line}\n" for line in lines
        )
        (said / f"{name}.txt").write_text(text, encoding="utf-8")
        consented(rec, f"{name}.txt", source=said, customer=customer, recorded_at=day)
    site, ws = tmp_path / "site", tmp_path / "ws"
    _site(site, with_subsidy=False)
    args = ["run", str(rec), "--site", str(site), "--workspace", str(ws), "--rep", "Sanne", "-q"]
    return rec, site, ws, args


def _trends(ws: Path, *extra: str) -> dict:
    done = run_mine("trends", "--workspace", str(ws), "--json", *extra)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_two_runs_show_new_terms_and_the_gap_a_rewritten_page_closed(tmp_path: Path) -> None:
    rec, site, ws, args = _workspace(tmp_path)
    first = run_mine(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    gap = json.loads((ws / "gap" / "gap.json").read_text())
    assert {r["term"]: r["status"] for r in gap["gaps"]}.get("subsidie") == "missing"
    assert (ws / "trends.json").is_file() and (ws / "trends.csv").is_file()
    _site(site, with_subsidy=True)  # the content team adds a page about the subsidy
    second = run_mine(*args, cwd=tmp_path)
    assert second.returncode == 0, second.stderr

    data = _trends(ws)
    assert [p["period"] for p in data["periods"]] == ["2026-01", "2026-04"]
    assert [p["conversations"] for p in data["periods"]] == [2, 2]
    april = data["periods"][1]
    assert "thuisbatterij" in {t["term"] for t in april["new"]}  # 2 customers, 2 conversations
    assert "kippenhok" not in {t["term"] for t in april["new"]}  # one customer only
    assert not data["periods"][0]["new"]  # the first period has nothing to be new against
    closed = data["gaps"]["since_previous"]["closed"]
    subsidy = [c for c in closed if c["kind"] == "term" and c["label"] == "subsidie"]
    assert subsidy and subsidy[0]["page"].endswith("subsidie.html"), closed
    assert subsidy[0]["crawl_at"] >= data["gaps"]["since_previous"]["crawl_at"]
    assert data == json.loads((ws / "trends.json").read_text())  # the run wrote the same

    quarters = _trends(ws, "--by", "quarter")
    assert [p["period"] for p in quarters["periods"]] == ["2026-Q1", "2026-Q2"]
    since = _trends(ws, "--since", "2026-03-01")
    assert [p["period"] for p in since["periods"]] == ["2026-04"]

    report = (ws / "report.html").read_text(encoding="utf-8")
    assert 'id="changes"' in report and "thuisbatterij" in report.split('id="changes"')[1]
    text = run_mine("trends", "--workspace", str(ws))
    assert text.returncode == 0 and "2026-04: 2 conversations" in text.stdout

    with sqlite3.connect(ws / "state.db") as db:  # the page uses the word: its history says so
        listed = " ".join(t for (t,) in db.execute("SELECT terms FROM page_history"))
        assert "kippen" in listed
        # a damaged snapshot row that names the call must not stop the erasure
        call = db.execute("SELECT calls FROM gap_history WHERE instr(key, 'kippen')").fetchone()
        db.execute("UPDATE gap_history SET calls = substr(calls, 1, 70) WHERE instr(key, 'kippen')")
    assert call
    # forget the only conversation that said "kippenhok": gone from every period and snapshot
    gone = run_mine("forget", str(rec / "apr-c.txt"), "--yes", "--workspace", str(ws))
    assert gone.returncode == 0, gone.stderr
    after = _trends(ws)
    assert "kippenhok" not in json.dumps(after)
    assert [p["conversations"] for p in after["periods"]] == [2, 1]
    with sqlite3.connect(ws / "state.db") as db:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'"):
            for row in db.execute(f"SELECT * FROM {table}"):
                assert "kippen" not in repr(row).lower(), (table, row)
    again = run_mine(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "kippenhok" not in (ws / "trends.json").read_text()
    assert "kippenhok" not in (ws / "trends.csv").read_text()


def test_a_workspace_from_before_dates_upgrades_in_place(tmp_path: Path) -> None:
    rec, _site_dir, ws, args = _workspace(tmp_path)
    assert run_mine(*args, cwd=tmp_path).returncode == 0
    with sqlite3.connect(ws / "state.db") as db:  # as a release before this one left it
        for table in ("conversations", "gap_history", "page_history"):
            db.execute(f"DROP TABLE {table}")
        db.execute("PRAGMA user_version=3")
    for made in (ws / "transcripts").glob("*.json"):  # transcripts from before dates were kept
        data = json.loads(made.read_text())
        data.pop("recorded_at"), data.pop("recorded_at_source")
        made.write_text(json.dumps(data))
    again = run_mine(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    with sqlite3.connect(ws / "state.db") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 4
        dated = db.execute("SELECT recorded_at, recorded_at_source FROM conversations").fetchall()
        runs = db.execute("SELECT count(DISTINCT run_at) FROM gap_history").fetchone()[0]
    assert sorted(dated) == sorted((d.isoformat(), "consent") for _c, d, _l in CALLS.values())
    assert runs == 1  # its history starts with the upgrade run
    one = _trends(ws)
    assert one["gaps"]["snapshots"] == 1 and "since_previous" not in one["gaps"]


def test_one_period_says_so() -> None:
    from reports.html import _changes

    view = _changes({"periods": [{"period": "2026-03", "new": [], "rising": []}], "gaps": {}})
    assert view is not None and view["periods"] == ["2026-03"]


def test_periods_and_the_log_likelihood_test() -> None:
    assert period_of("2026-03-31", "month") == "2026-03"
    assert period_of("2026-03-31", "quarter") == "2026-Q1"
    assert period_of("2026-10-01", "quarter") == "2026-Q4"
    assert period_of("", "month") is None
    assert g2(10, 100, 10, 100) == 0.0  # the same share: no change
    assert g2(30, 100, 5, 100) > 3.84 > g2(6, 100, 3, 100)  # a real rise; noise


def test_trends_are_written_without_a_site_too(tmp_path: Path) -> None:
    rec, _site_dir, ws, args = _workspace(tmp_path)
    no_site = [a for a in args if a not in ("--site", str(_site_dir))]
    done = run_mine(*no_site, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads((ws / "trends.json").read_text())
    assert [p["period"] for p in data["periods"]] == ["2026-01", "2026-04"]
    assert data["gaps"] == {"snapshots": 0}


def test_what_changed_in_a_real_browser(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from pipeline.config import load_settings
    from reports.html import render_report
    from tests.test_gap_report import HOSTILE, _chromium

    gap = tmp_path / "gap"
    gap.mkdir()
    small = {
        "meta": {"terms": {"languages": {"nl": 1}, "sources": []}, "pages": 1},
        "gaps": [],
        "jargon": [],
        "pages": [],
    }
    (gap / "gap.json").write_text(json.dumps(small))
    item = {"term": HOSTILE[0], "key": "x", "language": "nl", "g2": 9.1}
    closed = {"kind": "question", "key": "cost|x", "label": HOSTILE[1], "language": "nl",
              "from": "unanswered", "to": "answered", "crawl_at": "2026-04-02T00:00:00",
              "page": HOSTILE[2]}  # fmt: skip
    trends = {
        "periods": [
            {"period": "2026-03", "new": [], "rising": []},
            {"period": "2026-04", "new": [item], "rising": [item]},
        ],
        "series": [{"term": HOSTILE[0], "key": "x", "language": "nl", "shares": [0.0, 0.2]}],
        "gaps": {
            "snapshots": 2,
            "since_previous": {
                "run_at": "2026-04-02",
                "crawl_at": "",
                "closed": [closed],
                "opened": [],
            },
            "since_first": {"run_at": "2026-03-01", "crawl_at": "", "closed": [], "opened": []},
        },
    }
    settings = load_settings(overrides={"workspace": tmp_path / "ws"})
    out = render_report(gap, out=tmp_path / "r.html", settings=settings, trends=trends)
    requests, errors, dialogs = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        page = browser.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(out.as_uri())
        section = page.locator("#changes")
        assert "Wat is er veranderd" in section.locator("h2").inner_text()
        assert section.locator("svg polyline").count() == 2  # new and rising: one line each
        assert HOSTILE[0] in section.inner_text() and HOSTILE[1] in section.inner_text()
        assert section.locator("li.closed").count() == 1
        browser.close()
    assert errors == [] and dialogs == []
    assert all(u.startswith("file://") for u in requests), requests
    one = dict(trends, periods=trends["periods"][:1])
    single = render_report(gap, out=tmp_path / "one.html", settings=settings, trends=one)
    assert 'id="one-period"' in single.read_text() and "<polyline" not in single.read_text()


def test_damaged_history_rows_are_left_out_not_fatal(tmp_path: Path) -> None:
    rec, site, ws, args = _workspace(tmp_path)
    assert run_mine(*args, cwd=tmp_path).returncode == 0
    with sqlite3.connect(ws / "state.db") as db:
        db.execute("UPDATE gap_history SET calls='123' WHERE rowid=1")
        db.execute("UPDATE gap_history SET calls='not json' WHERE rowid=2")
        db.execute("UPDATE term_analyses SET data=? WHERE rowid=1", ("[" * 200_000,))
    done = run_mine("trends", "--workspace", str(ws), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["gaps"]["snapshots"] == 1
    again = run_mine(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr


def test_forgetting_one_of_two_identical_recordings_keeps_the_conversation(tmp_path: Path) -> None:
    from pipeline.state import (
        ConversationDate,
        conversation_dates,
        erase_recording,
        open_state,
        put_conversations,
    )

    with open_state(tmp_path) as db:
        for path in ("/r/a.txt", "/r/copy.txt"):
            db.execute(
                "INSERT INTO recordings (path, call_id, file) VALUES (?,?,?)", (path, "c1", path)
            )
        put_conversations(db, [ConversationDate("c1", "2026-01-02", "consent", "nl", 0.0)])
        erase_recording(db, "/r/copy.txt", "c1")
        assert [c.call_id for c in conversation_dates(db)] == ["c1"]  # a.txt still holds it
        erase_recording(db, "/r/a.txt", "c1")
        assert conversation_dates(db) == []
