"""PII redaction: measured on a labelled set, aligned with timestamps, applied before storage."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bench.pii_eval import load, score
from pipeline.privacy import Redactor, bsn_ok, iban_ok, luhn_ok
from pipeline.records import Utterance, Word
from tests.conftest import MINE, consented, run_mine

REQUIRED = ("EMAIL", "PHONE", "IBAN", "BSN", "CARD")


@pytest.mark.parametrize("name", ["pii_cases.jsonl", "pii_heldout.jsonl"])
def test_recall_and_near_miss_precision_on_labelled_sentences(name: str) -> None:
    cases = load(Path(__file__).parent / "data" / name)
    result = score(cases)
    for kind in REQUIRED:
        tp, fn = result["tp"][kind], result["fn"][kind]
        assert tp + fn >= 15, kind  # the set really tests this type
        assert tp / (tp + fn) >= 0.95, (kind, tp, fn)
    assert result["changed"] / result["near"] <= 0.05, result["errors"][:5]


def test_checksums() -> None:
    assert iban_ok("NL91ABNA0417164300") and not iban_ok("NL91ABNA0417164301")
    assert bsn_ok("111222333") and not bsn_ok("111222334")
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bel me op 06-12345678.", "Bel me op [PHONE]."),
        ("Ordernummer 0612345678 is verzonden.", "Ordernummer 0612345678 is verzonden."),
        ("Mijn BSN is 1234.56.782.", "Mijn BSN is [BSN]."),
        ("Klantnummer 123456782 graag vermelden.", "Klantnummer 123456782 graag vermelden."),
        (
            "De levering kost € 1.250,00 en komt op 12-06-2024 om 08:30.",
            "De levering kost € 1.250,00 en komt op 12-06-2024 om 08:30.",
        ),
        ("nul zes twaalf vierendertig zesenvijftig achtenzeventig", "[PHONE]"),
        ("Stuur het naar j punt devries apenstaartje bakker punt nl.", "Stuur het naar [EMAIL]."),
        ("The brochure is at acme dot com.", "The brochure is at acme dot com."),
        (
            "Adres is 3511 LX Utrecht, in 2024 en 2025 open.",
            "Adres is [POSTCODE] Utrecht, in 2024 en 2025 open.",
        ),
    ],
)
def test_examples(text: str, expected: str) -> None:
    assert Redactor().redact(text)[0] == expected


def test_participant_names_in_every_form() -> None:
    r = Redactor(names=["Jan de Vries"])
    assert (
        r.redact("Goedemiddag meneer De Vries, dag Jan.")[0]
        == "Goedemiddag meneer [NAME], dag [NAME]."
    )
    assert r.redact("Jan de Vries belt terug.")[0] == "[NAME] belt terug."
    assert r.redact("De vries in de tuin is een bloem.")[0] == "[NAME] in de tuin is een bloem."


def test_placeholder_words_keep_the_timestamps() -> None:
    words = [
        Word(" Bel", 0.0, 0.3, 0.9),
        Word(" me", 0.3, 0.5, 0.9),
        Word(" op", 0.5, 0.7, 0.9),
        Word(" 06", 0.8, 1.1, 0.8),
        Word(" 1234", 1.1, 1.6, 0.7),
        Word(" 5678.", 1.6, 2.2, 0.95),
    ]
    u = Utterance(0, 0.0, 2.2, "customer", "Bel me op 06 1234 5678.", tuple(words))
    red, spans = Redactor().redact_utterance(u)
    assert red.text == "Bel me op [PHONE]."
    assert [s.kind for s in spans] == ["PHONE"]
    assert red.words[:3] == tuple(words[:3])
    assert red.words[3] == Word(" [PHONE].", 0.8, 2.2, 0.7)
    assert (red.start, red.end) == (u.start, u.end)


def test_transcripts_are_redacted_before_they_are_stored(tmp_path: Path) -> None:
    audio = consented(tmp_path / "rec", "en_pii.flac", participants=("Jan de Vries",))
    result = run_mine(
        "transcribe", str(audio), "--format", "json,txt,srt,vtt", "--temperature", "0"
    )
    assert result.returncode == 0, result.stderr
    stored = "".join(
        p.read_text()
        for p in audio.parent.glob("en_pii.*")
        if p.suffix != ".flac" and not p.name.endswith(".toml")
    )
    for secret in ("Jan", "Vries", "5678", "1234", "bakker.com", "@"):
        assert secret not in stored, secret
    data = json.loads(audio.with_suffix(".json").read_text())
    text = " ".join(u["text"] for u in data["utterances"])
    assert "[NAME]" in text and "[PHONE]" in text and "[EMAIL]" in text
    assert "quote before Friday" in text  # the rest is untouched
    assert data["extra"]["redaction"]["PHONE"] == 1
    assert not audio.with_name("en_pii.raw.json").exists()
    kept = run_mine(
        "transcribe", str(audio), "--keep-raw", "--temperature", "0", "--format", "json"
    )
    assert kept.returncode == 0
    raw = json.loads(audio.with_name("en_pii.raw.json").read_text())
    assert "5678" in " ".join(u["text"] for u in raw["utterances"]).replace(" ", "")


def test_mine_redact_lines_and_json(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text(
        "Jan wil een offerte voor 12 panelen.\nMail: jan@bakker.nl, IBAN NL91 ABNA 0417 1643 00\n\n"
    )
    out = run_mine("redact", str(notes), "--names", "Jan de Vries")
    assert out.returncode == 0
    assert out.stdout.splitlines() == [
        "[NAME] wil een offerte voor 12 panelen.",
        "Mail: [EMAIL], IBAN [IBAN]",
        "",
    ]
    proc = subprocess.run(
        [str(MINE), "redact", "-", "--json"],
        input="Bel 020-1234567 nu\n",
        capture_output=True,
        text=True,
        check=True,
    )
    row = json.loads(proc.stdout)
    assert row == {"text": "Bel [PHONE] nu", "spans": [{"type": "PHONE", "start": 4, "end": 15}]}
