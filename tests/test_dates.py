"""When a conversation was recorded: consent record, a date in the transcript file, the media's
creation-time tag, the file's modification time, in that order; carried into transcripts and
the evidence quotes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from pipeline.consent import add_consent
from pipeline.dates import date_in_text, recording_date
from pipeline.errors import ConsentError
from tests.conftest import FIXTURES, consented, run_mine


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Teams-vergadering\n4 maart 2026 10:02\nDuur 45 min", date(2026, 3, 4)),
        ("Weekly sync\nMarch 4, 2026, 10:02AM", date(2026, 3, 4)),
        ("Recorded 2026-03-04T10:00", date(2026, 3, 4)),
        ("4th March 2026", date(2026, 3, 4)),
        ("di 4 mrt. 2026", None),  # "mrt" is no month name mine knows: not guessed
        ("04/03/2026", None),  # day or month first: cannot tell
        ("31 februari 2026", None),
        ("12 mei 2099", None),  # the future
        ("3 januari 1900", None),
    ],
)
def test_dates_in_a_transcript_head(text: str, found: date | None) -> None:
    assert date_in_text(text, today=date(2026, 12, 3)) == found


def test_a_date_someone_says_is_not_the_recording_date() -> None:
    from pipeline.formats import parse

    said = "Sanne: Goedemiddag.\nEls: We kochten het huis op 3 mei 2019.\n"
    assert parse(said.encode(), Path("a.txt")).recorded_on is None
    cue = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Els>Op 3 mei 2019 gekocht.\n"
    assert parse(cue.encode(), Path("a.vtt")).recorded_on is None
    head = "Adviesgesprek\n4 maart 2026\n\n" + said
    assert parse(head.encode(), Path("a.txt")).recorded_on == date(2026, 3, 4)


def test_the_first_known_source_wins() -> None:
    d = date(2026, 1, 2)
    assert recording_date(consent=d, transcript=date(2025, 1, 1)) == ("2026-01-02", "consent")
    assert recording_date(consent=None, transcript=d, media=date(2025, 1, 1)) == (
        "2026-01-02",
        "transcript",
    )
    assert recording_date(consent=None, media=d, mtime_ns=0) == ("2026-01-02", "media")
    assert recording_date(consent=None, mtime_ns=0) == ("1970-01-01", "file")


def test_consent_records_carry_the_recording_date(tmp_path: Path) -> None:
    audio = tmp_path / "a.flac"
    shutil.copyfile(FIXTURES / "en_call.flac", audio)
    done = run_mine(
        "consent", "add", str(audio), "--customer", "X", "--method", "written", "--by", "S",
        "--recorded-at", "2026-03-04",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "recorded_at = 2026-03-04" in (tmp_path / "a.flac.consent.toml").read_text()
    with pytest.raises(ConsentError, match="recorded_at 2099-01-01 is in the future"):
        add_consent(
            audio,
            customer="X",
            method="written",
            obtained_by="S",
            purpose="p",
            recorded_at=date(2099, 1, 1),
            force=True,
        )
    bad = run_mine(
        "consent", "add", str(audio), "--customer", "X", "--method", "written", "--by", "S",
        "--recorded-at", "4 maart", "--force",
    )  # fmt: skip
    assert bad.returncode == 2 and "--recorded-at '4 maart' is not a date" in bad.stderr
    with pytest.raises(ConsentError, match="before 1990"):
        add_consent(
            audio,
            customer="X",
            method="written",
            obtained_by="S",
            purpose="p",
            recorded_at=date(1, 1, 1),
            force=True,
        )


def test_transcripts_are_dated_from_consent_media_tag_or_file_time(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    consented(rec, "en_call.flac", recorded_at=date(2026, 2, 3))  # the record says
    tagged = rec / "tagged.m4a"  # the recorder's creation-time tag says
    subprocess.run(
        ["ffmpeg", "-v", "quiet", "-y", "-i", str(FIXTURES / "en_call.flac"),
         "-metadata", "creation_time=2025-11-12T09:30:00Z", str(tagged)],
        check=True,
    )  # fmt: skip
    add_consent(tagged, customer="Y", method="written", obtained_by="S", purpose="p")
    plain = rec / "plain.flac"  # only the file's time says
    shutil.copyfile(FIXTURES / "en_call.flac", plain)
    os.utime(plain, (1_760_000_000, 1_760_000_000))  # 2025-10-09
    add_consent(plain, customer="Z", method="written", obtained_by="S", purpose="p")
    out = tmp_path / "out"
    done = run_mine(
        "transcribe", str(rec / "en_call.flac"), str(tagged), str(plain), "--model", "tiny.en",
        "--language", "en", "--out", str(out), "--no-diarize",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    dated = {
        p.stem: (d["recorded_at"], d["recorded_at_source"])
        for p in out.glob("*.json")
        for d in [json.loads(p.read_text())]
    }
    assert dated == {
        "en_call": ("2026-02-03", "consent"),
        "tagged": ("2025-11-12", "media"),
        "plain": ("2025-10-09", "file"),
    }


def test_imported_transcripts_take_the_date_in_their_head_and_quotes_carry_it(
    tmp_path: Path,
) -> None:
    rec = tmp_path / "rec"
    said = tmp_path / "said"
    said.mkdir()
    (said / "teams.txt").write_text(
        "Adviesgesprek warmtepomp\n14 oktober 2026\n\n"
        "Sanne: Goedemiddag, ik ben Sanne.\n"
        "Els: Hoeveel subsidie krijg ik voor een warmtepomp eigenlijk?\n"
        "Els: De warmtepomp moet voor de winter draaien, de warmtepomp is belangrijk.\n",
        encoding="utf-8",
    )
    consented(rec, "teams.txt", source=said, customer="Els")
    out = tmp_path / "out"
    done = run_mine("transcribe", str(rec / "teams.txt"), "--out", str(out))
    assert done.returncode == 0, done.stderr
    data = json.loads((out / "teams.json").read_text())
    assert (data["recorded_at"], data["recorded_at_source"]) == ("2026-10-14", "transcript")
    terms = run_mine("terms", str(out / "teams.json"), "--out", str(tmp_path / "t"))
    assert terms.returncode == 0, terms.stderr
    made = json.loads((tmp_path / "t" / "terms.json").read_text())
    assert made["meta"]["sources"][0]["recorded_at"] == "2026-10-14"
    quotes = [q for t in made["terms"] for q in t["evidence"]]
    quotes += [q for g in made["questions"] for q in g["evidence"]]
    assert quotes and {q["recorded_at"] for q in quotes} == {"2026-10-14"}


def test_the_report_shows_the_period_covered(tmp_path: Path) -> None:
    from pipeline.config import load_settings
    from reports.html import render_report
    from tests.test_questions import write_site

    calls = tmp_path / "calls"
    calls.mkdir()
    for day, name in (("3 februari 2026", "a"), ("17 november 2026", "b")):
        (calls / f"{name}.txt").write_text(
            f"Gesprek\n{day}\n\nSanne: Goedemiddag.\nKlant: Wat kost een thuisbatterij?\n",
            encoding="utf-8",
        )
    settings = load_settings(overrides={"workspace": tmp_path / "ws"})
    assert run_mine("terms", str(calls), "--out", str(tmp_path / "t")).returncode == 0
    crawl = run_mine("crawl", str(write_site(tmp_path / "site")), "--out", str(tmp_path / "s"))
    assert crawl.returncode == 0, crawl.stderr
    gap = run_mine("gap", "--terms", str(tmp_path / "t"), "--pages", str(tmp_path / "s"),
                   "--out", str(tmp_path / "g"))  # fmt: skip
    assert gap.returncode == 0, gap.stderr
    html = render_report(tmp_path / "g", out=tmp_path / "r.html", settings=settings).read_text()
    assert "2026-02-03 – 2026-11-17" in html and "Opgenomen" in html


def test_a_register_row_may_give_the_recording_time_with_its_zone() -> None:
    from pipeline.consent import parse_consent

    row = {
        "customer": "X",
        "obtained_at": "2026-03-05",
        "obtained_by": "S",
        "method": "written",
        "purpose": "p",
        "scope": "transcribe",
        "recorded_at": "2026-03-04T23:30:00+05:00",
    }
    assert parse_consent(row, source="consent.csv:2").recorded_at == date(2026, 3, 4)
    with pytest.raises(ValueError, match="recorded_at '4-3-2026' is not valid"):
        parse_consent({**row, "recorded_at": "4-3-2026"}, source="consent.csv:2")
