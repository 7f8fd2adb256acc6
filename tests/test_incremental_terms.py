"""The terms stage analyses only new or changed conversations, and the result is the one a full
rebuild gives; `mine forget` leaves no stored analysis of the call behind."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from pipeline.config import load_settings
from pipeline.consent import admit
from pipeline.state import TermAnalyses, open_state, term_analysis_calls
from terms.api import extract_terms
from tests.conftest import consented, run_mine

CONVERSATIONS = Path(__file__).resolve().parent.parent / "bench" / "data" / "conversations"
#: Dutch and English realistic sales conversations (roles from "Klant:"/"Verkoper:" labels).
FILES = ["nl_01.txt", "en_01.txt", "nl_02.txt", "nl_03.txt", "en_02.txt", "nl_04.txt"]


def _terms(out: Path) -> tuple[str, str]:
    return (out / "terms.json").read_text(encoding="utf-8"), (out / "terms.csv").read_text(
        encoding="utf-8"
    )


def test_adding_conversations_one_by_one_gives_the_full_rebuild(tmp_path: Path) -> None:
    ws, calls = tmp_path / "ws", tmp_path / "calls"
    calls.mkdir()
    settings = load_settings(overrides={"workspace": str(ws)})
    counts = []
    for name in FILES:
        shutil.copyfile(CONVERSATIONS / name, calls / name)
        with open_state(ws) as db:
            store = TermAnalyses(db)
            report = extract_terms([calls], settings=settings, out_dir=ws / "terms", store=store)
            assert store.prune() == 0
        counts.append((report.analysed, report.reused))
    assert counts == [(1, i) for i in range(len(FILES))]  # only the new one is analysed

    full = load_settings(overrides={"workspace": str(tmp_path / "other")})
    once = extract_terms([calls], settings=full, out_dir=tmp_path / "once")
    assert once.analysed == len(FILES) and once.reused == 0
    assert _terms(ws / "terms") == _terms(tmp_path / "once")
    assert len(once.rows) > 50  # a real ranking, not two empty files alike

    # a transcript that changes is analysed again; its old analysis is dropped
    changed = calls / "nl_02.txt"
    changed.write_text(
        changed.read_text(encoding="utf-8")
        + "Klant: En de subsidieaanvraag, regelen jullie die?\n",
        encoding="utf-8",
    )
    with open_state(ws) as db:
        store = TermAnalyses(db)
        report = extract_terms([calls], settings=settings, out_dir=ws / "terms", store=store)
        assert (report.analysed, report.reused) == (1, len(FILES) - 1)
        assert store.prune() == 1
        rows = db.execute("SELECT count(*) FROM term_analyses").fetchone()[0]
    assert rows == len(FILES)
    again = extract_terms([calls], settings=full, out_dir=tmp_path / "again")
    assert again.analysed == len(FILES)
    assert _terms(ws / "terms") == _terms(tmp_path / "again")
    assert "subsidieaanvraag" in _terms(ws / "terms")[0]


def _consented(folder: Path, name: str, customer: str) -> Path:
    return consented(folder, name, source=CONVERSATIONS, customer=customer, method="written")


def _log_line(summary: dict, stage: str) -> str:
    log = Path(summary["log"]).read_text(encoding="utf-8").splitlines()
    return [line for line in log if f"{stage}:" in line and "terms (" in line][-1]


def test_mine_run_analyses_only_the_new_conversation_and_forget_drops_its_analysis(
    tmp_path: Path,
) -> None:
    rec, ws = tmp_path / "rec", tmp_path / "ws"
    for i, name in enumerate(FILES[:4]):
        _consented(rec, name, f"Klant {i}")
    first = run_mine("run", str(rec), "--workspace", str(ws), "-q")
    assert first.returncode == 0, first.stderr
    assert "4 conversations analysed, 0 kept" in _log_line(json.loads(first.stdout), "terms")

    added = _consented(rec, FILES[4], "Klant 4")
    second = run_mine("run", str(rec), "--workspace", str(ws), "-q")
    assert second.returncode == 0, second.stderr
    assert "1 conversations analysed, 4 kept" in _log_line(json.loads(second.stdout), "terms")

    fresh = run_mine("run", str(rec), "--workspace", str(tmp_path / "fresh"), "-q")
    assert fresh.returncode == 0, fresh.stderr
    terms = json.loads((ws / "terms" / "terms.json").read_text(encoding="utf-8"))
    rebuilt = json.loads((tmp_path / "fresh" / "terms" / "terms.json").read_text("utf-8"))
    assert terms["terms"] == rebuilt["terms"]  # sources differ only in the customer names
    assert len(terms["terms"]) > 20

    call_id = admit(added).call_id
    with sqlite3.connect(ws / "state.db") as db:
        assert call_id in term_analysis_calls(db)
    gone = run_mine("forget", str(added), "--yes", "--workspace", str(ws))
    assert gone.returncode == 0, gone.stderr
    with sqlite3.connect(ws / "state.db") as db:
        left = term_analysis_calls(db)
    assert call_id not in left and len(left) == 4
    assert call_id not in (ws / "state.db").read_bytes().decode("latin-1")


def test_a_damaged_or_misfiled_stored_analysis_is_analysed_again(tmp_path: Path) -> None:
    """A row that is not this conversation's analysis (bad JSON, valid JSON of another shape,
    indices out of range, another call's data) costs a re-analysis: no crash, same terms."""
    ws, calls = tmp_path / "ws", tmp_path / "calls"
    calls.mkdir()
    for name in FILES[:2]:
        shutil.copyfile(CONVERSATIONS / name, calls / name)
    settings = load_settings(overrides={"workspace": str(ws)})
    pipelines: dict = {}

    def terms() -> tuple[int, int, tuple[str, str]]:
        with open_state(ws) as db:
            report = extract_terms(
                [calls],
                settings=settings,
                out_dir=ws / "terms",
                store=TermAnalyses(db),
                pipelines=pipelines,
            )
        return report.analysed, report.reused, _terms(ws / "terms")

    *_, expected = terms()
    with sqlite3.connect(ws / "state.db") as db:
        rows = db.execute("SELECT call_id, analysis, data FROM term_analyses").fetchall()
    assert len(rows) == 2

    def envelope(call_id: str, analysis: str, data: str) -> str:
        return json.dumps({"call_id": call_id, "analysis": analysis, "terms": json.loads(data)})

    bad = [
        '{"x": 1}',
        "[]",
        "5",
        '{"k":[{"a":"x"},{},1,0,[999]]}',
        '{"k":[{"a":1},{"b":1},1,0,[-1]]}',
    ]
    cases = [[b, b] for b in bad] + [
        [envelope(c, a, b) for c, a, _ in rows] for b in bad[:1] + bad[3:]
    ]
    cases.append([rows[1][2], rows[0][2]])  # each call's row holds the other's analysis
    swapped = [json.loads(d) for _, _, d in rows]
    cases.append(
        [
            json.dumps({**swapped[1], "call_id": rows[0][0], "analysis": rows[0][1]}),
            json.dumps({**swapped[0], "call_id": rows[1][0], "analysis": rows[1][1]}),
        ]
    )
    for datas in cases:
        with sqlite3.connect(ws / "state.db") as db:
            for (call_id, analysis, _), data in zip(rows, datas, strict=True):
                db.execute(
                    "UPDATE term_analyses SET data=? WHERE call_id=? AND analysis=?",
                    (data, call_id, analysis),
                )
        assert terms() == (2, 0, expected), datas
        assert terms() == (0, 2, expected)  # the rows were replaced by good ones


def test_mine_transcripts_read_before_are_not_parsed_again_and_a_bad_row_is_read_again(
    tmp_path: Path,
) -> None:
    """A mine transcript JSON is kept as read (keyed by its bytes): the next run does not parse
    it again. A damaged stored conversation, or a file whose bytes changed, is read again."""
    rec, ws = tmp_path / "rec", tmp_path / "ws"
    for i, name in enumerate(FILES[:3]):
        _consented(rec, name, f"Klant {i}")
    assert run_mine("run", str(rec), "--workspace", str(ws), "-q").returncode == 0
    settings = load_settings(overrides={"workspace": str(ws)})
    transcripts = ws / "transcripts"

    def terms() -> tuple[int, int, tuple[str, str]]:
        with open_state(ws) as db:
            report = extract_terms(
                [transcripts], settings=settings, out_dir=tmp_path / "t", store=TermAnalyses(db)
            )
        return report.analysed, report.reused, _terms(tmp_path / "t")

    *_, expected = terms()
    rebuilt = extract_terms([transcripts], settings=settings, out_dir=tmp_path / "full")
    assert _terms(tmp_path / "full") == expected
    with sqlite3.connect(ws / "state.db") as db:
        files = db.execute(
            "SELECT call_id, analysis FROM term_analyses WHERE analysis LIKE 'file:%'"
        ).fetchall()
    assert len(files) == 3 == rebuilt.analysed
    for bad in ['{"x": 1}', "[]", '{"call_id": "0", "utterances": []}', "not json"]:
        with sqlite3.connect(ws / "state.db") as db:
            db.execute("UPDATE term_analyses SET data=? WHERE analysis LIKE 'file:%'", (bad,))
        assert terms() == (0, 3, expected), bad
    one = next(transcripts.glob("*.json"))
    one.write_bytes(one.read_bytes() + b"\n")  # other bytes, the same conversation
    assert terms() == (0, 3, expected)
    with sqlite3.connect(ws / "state.db") as db:
        keys = {a for _, a in db.execute("SELECT call_id, analysis FROM term_analyses")}
    assert len([k for k in keys if k.startswith("file:")]) == 4  # the old one until pruned
