"""The consent gate: every refusal path, and that a refused file is never decoded or written."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

import transcribe.audio
from pipeline.config import load_settings
from pipeline.consent import check, gate, sidecar_path
from pipeline.errors import ConsentError
from tests.conftest import FIXTURES, consented, run_mine
from transcribe.api import transcribe_files

CLIP = "nl_rhasspy_1041_1601732709.wav"


def _copy(folder: Path, name: str = CLIP) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(FIXTURES / name, folder / name))


def _sidecar(audio: Path, text: str) -> None:
    sidecar_path(audio).write_text(text, encoding="utf-8")


VALID = """customer = "Acme"
obtained_at = 2026-01-05T10:00:00
obtained_by = "Sanne"
method = "written"
purpose = "website copy"
scope = ["transcribe", "quote-in-reports"]
"""


@pytest.mark.parametrize(
    ("record", "reason", "fix"),
    [
        (None, "no consent record", "mine consent add"),
        (
            "customer = 'Acme'\n",
            "malformed (missing obtained_at, obtained_by, method, purpose; no scope given",
            "--force",
        ),
        ("customer = [unclosed\n", "malformed (not valid TOML", "--force"),
        (VALID.replace('"written"', '"nodded"'), "method 'nodded' is not one of", "--force"),
        (
            VALID + "retain_audio_until = 2026-02-01\n",
            "consent expired on 2026-02-01",
            "--retain-until",
        ),
        (VALID.replace('"transcribe", ', ""), "does not include transcribe", "--scope transcribe"),
        (
            VALID + "withdrawn_at = 2026-03-01T09:00:00\n",
            "consent was withdrawn on 2026-03-01",
            "mine forget",
        ),
        (VALID.replace("2026-01-05", "2099-01-05"), "is in the future", "correct it"),
    ],
)
def test_refusal_reasons(tmp_path: Path, record: str | None, reason: str, fix: str) -> None:
    audio = _copy(tmp_path / "rec")
    if record is not None:
        _sidecar(audio, record)
    with pytest.raises(ConsentError) as info:
        gate(audio, now=datetime(2026, 6, 1))
    message = str(info.value)
    assert message.startswith(f"{audio}: refused")
    assert reason in message and fix in message
    assert "\n" not in message


def test_register_row_allows_and_sidecar_wins(tmp_path: Path) -> None:
    audio = _copy(tmp_path / "rec")
    (audio.parent / "consent.csv").write_text(
        "file,customer,participants,obtained_at,obtained_by,method,purpose,scope,retain_audio_until\n"
        f"{CLIP},Bakkerij Jansen,Jan;Els,2026-05-01,Sanne,form,website copy,transcribe,2026-12-31\n",
        encoding="utf-8",
    )
    consent = gate(audio, now=datetime(2026, 6, 1))
    assert consent.customer == "Bakkerij Jansen" and consent.participants == ("Jan", "Els")
    assert consent.source.endswith("consent.csv:2")
    _sidecar(audio, VALID.replace("written", "verbal-on-recording"))
    assert gate(audio, now=datetime(2026, 6, 1)).method == "verbal-on-recording"


def test_register_without_a_row_for_the_file_refuses(tmp_path: Path) -> None:
    audio = _copy(tmp_path / "rec")
    (audio.parent / "consent.csv").write_text(
        "file,customer,obtained_at,obtained_by,method,purpose,scope\n"
        "other.wav,Acme,2026-05-01,Sanne,form,copy,transcribe\n",
        encoding="utf-8",
    )
    with pytest.raises(ConsentError, match="no consent record"):
        gate(audio)


def test_refused_file_is_never_decoded_nor_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    audio = _copy(tmp_path / "rec")
    opened: list[str] = []
    real_open = transcribe.audio.av.open
    monkeypatch.setattr(
        transcribe.audio.av, "open", lambda *a, **k: opened.append(a[0]) or real_open(*a, **k)
    )
    settings = load_settings()
    report = transcribe_files([audio], settings=settings)
    assert not report.ok and "no consent record" in report.results[0].error
    assert opened == []  # not even the container header was read
    assert sorted(p.name for p in audio.parent.iterdir()) == [CLIP]
    entries = [json.loads(line) for line in settings.audit_log.read_text().splitlines()]
    assert entries == [
        {**entries[0], "decision": "refused", "file": CLIP, "call_id": None, "action": "transcribe"}
    ]


def test_consent_for_another_recording_is_refused(tmp_path: Path) -> None:
    audio = _copy(tmp_path / "rec")
    _sidecar(audio, VALID + f'call_id = "{"0" * 64}"\n')
    report = transcribe_files([audio], settings=load_settings())
    assert "is for another recording" in report.results[0].error
    assert not audio.with_suffix(".json").exists()


def test_consent_add_and_check_cli(tmp_path: Path) -> None:
    audio = _copy(tmp_path / "rec")
    refused = run_mine("consent", "check", str(audio.parent))
    assert (
        refused.returncode == 1
        and "refused" in refused.stdout
        and "mine consent add" in refused.stdout
    )

    added = run_mine(
        "consent",
        "add",
        str(audio),
        "--customer",
        "Bakkerij Jansen",
        "--method",
        "written",
        "--by",
        "Sanne",
        "--participants",
        "Jan de Vries,Els",
        "--retain-until",
        (date.today() + timedelta(days=10)).isoformat(),
    )
    assert added.returncode == 0, added.stderr
    consent = gate(audio)
    assert consent.participants == ("Jan de Vries", "Els")
    assert consent.scope == ("transcribe", "quote-in-reports")
    assert consent.purpose  # the documented default purpose

    again = run_mine(
        "consent", "add", str(audio), "--customer", "X", "--method", "written", "--by", "Y"
    )
    assert again.returncode == 1 and "--force" in again.stderr

    ok = run_mine("consent", "check", str(audio.parent), "--json")
    assert ok.returncode == 0
    status = check(audio)
    assert json.loads(ok.stdout) == [
        {
            "file": str(audio),
            "ok": True,
            "reason": status.reason,
            "call_id": status.call_id,
            "bound": True,
        }
    ]


def test_consent_add_rejects_bad_method(tmp_path: Path) -> None:
    audio = _copy(tmp_path / "rec")
    result = run_mine(
        "consent", "add", str(audio), "--customer", "X", "--method", "shrug", "--by", "Y"
    )
    assert result.returncode == 1 and "method 'shrug'" in result.stderr
    assert not sidecar_path(audio).exists()


def test_consent_default_retention_comes_from_config(tmp_path: Path) -> None:
    audio = consented(tmp_path / "rec", CLIP)
    sidecar_path(audio).unlink()
    (tmp_path / "mine.toml").write_text("[consent]\nretention_days = 7\n")
    result = run_mine(
        "consent", "add", str(audio), "--customer", "X", "--method", "form", "--by", "Y"
    )
    assert result.returncode == 0, result.stderr
    assert gate(audio).retain_audio_until == date.today() + timedelta(days=7)
