"""Attacks on the consent gate: a record must be valid, unambiguous and for *these bytes*.

Every refusal here happens before any audio is decoded: the tests watch PyAV's ``open`` and the
output folder.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

import transcribe.audio
from pipeline.config import load_settings
from pipeline.consent import add_consent, admit, check, sidecar_path
from pipeline.errors import ConsentError, InputError
from tests.conftest import FIXTURES, run_mine
from transcribe.api import transcribe_files
from transcribe.audio import decode

CLIP = "nl_rhasspy_1041_1601732709.wav"
OTHER = "nl_rhasspy_853_1601891286.wav"
VALID = """customer = "Acme"
obtained_at = 2026-01-05T10:00:00
obtained_by = "Sanne"
method = "written"
purpose = "website copy"
scope = ["transcribe", "quote-in-reports"]
"""
HEADER = (
    "file,customer,participants,obtained_at,obtained_by,method,purpose,scope,retain_audio_until"
)


def _copy(folder: Path, name: str = CLIP, as_name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(FIXTURES / name, folder / (as_name or name)))


@pytest.fixture()
def opened(monkeypatch: pytest.MonkeyPatch) -> list:
    """Every file PyAV is asked to open (decoding starts there)."""
    calls: list = []
    real_open = transcribe.audio.av.open
    monkeypatch.setattr(
        transcribe.audio.av, "open", lambda *a, **k: calls.append(a[0]) or real_open(*a, **k)
    )
    return calls


def _refused_untouched(audio: Path, opened: list, expected: str) -> str:
    """Transcribe ``audio``; assert it was refused for ``expected``, undecoded, nothing written."""
    before = sorted(p.name for p in audio.parent.iterdir())
    report = transcribe_files([audio], settings=load_settings())
    error = report.results[0].error
    assert not report.ok and expected in error, error
    assert "\n" not in error  # one line
    assert opened == []
    assert sorted(p.name for p in audio.parent.iterdir()) == before
    return error


@pytest.mark.parametrize(
    "record",
    [
        VALID.replace('scope = ["transcribe", "quote-in-reports"]', 'scope = ""'),
        VALID.replace('scope = ["transcribe", "quote-in-reports"]', "scope = []"),
        VALID.replace('scope = ["transcribe", "quote-in-reports"]\n', ""),
    ],
    ids=["empty-string", "empty-list", "absent"],
)
def test_missing_or_empty_scope_is_refused(tmp_path: Path, opened: list, record: str) -> None:
    audio = _copy(tmp_path / "rec")
    sidecar_path(audio).write_text(record, encoding="utf-8")
    _refused_untouched(audio, opened, "no scope given")


def test_empty_scope_cell_in_the_register_is_refused(tmp_path: Path, opened: list) -> None:
    audio = _copy(tmp_path / "rec")
    (audio.parent / "consent.csv").write_text(
        f"{HEADER}\n{CLIP},Acme,,2026-05-01,Sanne,form,website copy,,2099-12-31\n",
        encoding="utf-8",
    )
    _refused_untouched(audio, opened, "no scope given")


def test_wrong_types_are_refused_with_one_message_per_problem(tmp_path: Path, opened: list) -> None:
    audio = _copy(tmp_path / "rec")
    record = (
        VALID.replace('obtained_by = "Sanne"', 'obtained_by = ["S"]')
        .replace('customer = "Acme"', "customer = 5")
        .replace('"quote-in-reports"', "7")
    )
    sidecar_path(audio).write_text(record, encoding="utf-8")
    error = _refused_untouched(audio, opened, "malformed")
    assert "obtained_by: expected text, got a list" in error
    assert "customer: expected text, got a number" in error
    assert "scope: expected a list of text" in error


def test_unknown_fields_are_refused_not_ignored(tmp_path: Path, opened: list) -> None:
    audio = _copy(tmp_path / "rec")
    sidecar_path(audio).write_text(VALID + "withdrawn = true\n", encoding="utf-8")
    _refused_untouched(audio, opened, "unknown field withdrawn")


def test_any_withdrawal_in_the_register_wins(tmp_path: Path, opened: list) -> None:
    audio = _copy(tmp_path / "rec")
    row = f"{CLIP},Acme,,2026-05-01,Sanne,form,website copy,transcribe,2099-12-31"
    (audio.parent / "consent.csv").write_text(
        f"{HEADER},withdrawn_at\n{row},\n{row},2026-05-20T09:00:00\n", encoding="utf-8"
    )
    error = _refused_untouched(audio, opened, "consent was withdrawn on 2026-05-20")
    assert "consent.csv row 3" in error


def test_a_withdrawn_register_row_beats_a_valid_sidecar(tmp_path: Path, opened: list) -> None:
    audio = _copy(tmp_path / "rec")
    sidecar_path(audio).write_text(VALID, encoding="utf-8")
    (audio.parent / "consent.csv").write_text(
        f"{HEADER},withdrawn_at\n"
        f"{CLIP},Acme,,2026-05-01,Sanne,form,website copy,transcribe,,2026-05-20\n",
        encoding="utf-8",
    )
    _refused_untouched(audio, opened, "consent was withdrawn")


def test_conflicting_register_rows_are_refused_naming_the_rows(
    tmp_path: Path, opened: list
) -> None:
    audio = _copy(tmp_path / "rec")
    (audio.parent / "consent.csv").write_text(
        f"{HEADER}\n"
        f"other.wav,Else,,2026-05-01,Sanne,form,copy,transcribe,\n"
        f"{CLIP},Acme,,2026-05-01,Sanne,form,website copy,transcribe,\n"
        f"{CLIP},Acme,,2026-05-01,Sanne,form,website copy,transcribe,\n"
        f"{CLIP},Bakkerij,,2026-05-01,Sanne,form,website copy,transcribe;quote-in-reports,\n",
        encoding="utf-8",
    )
    error = _refused_untouched(audio, opened, "rows 3, 4 and 5 are all for this recording")
    assert "customer, scope" in error


def test_identical_register_rows_are_one_record(tmp_path: Path) -> None:
    audio = _copy(tmp_path / "rec")
    row = f"{CLIP},Acme,,2026-05-01,Sanne,form,website copy,transcribe,2099-12-31"
    (audio.parent / "consent.csv").write_text(f"{HEADER}\n{row}\n{row}\n", encoding="utf-8")
    assert admit(audio, now=datetime(2026, 6, 1)).consent.customer == "Acme"


def test_fix_binds_identical_register_rows_together(tmp_path: Path) -> None:
    """--fix must not turn two identical rows (one record) into two that disagree."""
    from pipeline.consent import bind_records

    audio = _copy(tmp_path / "rec")
    row = f"{CLIP},Acme,,2026-05-01,Sanne,form,website copy,transcribe,2099-12-31"
    (audio.parent / "consent.csv").write_text(f"{HEADER}\n{row}\n{row}\n", encoding="utf-8")
    assert len(bind_records([check(audio)])) == 1
    after = check(audio)
    assert after.ok and after.bound, after.reason


def test_a_record_naming_another_recording_is_refused(tmp_path: Path, opened: list) -> None:
    audio = _copy(tmp_path / "rec")
    sidecar_path(audio).write_text(VALID + 'file = "other-visit.wav"\n', encoding="utf-8")
    _refused_untouched(audio, opened, "is for 'other-visit.wav', not for")


def test_replaced_audio_is_refused_before_decoding(tmp_path: Path, opened: list) -> None:
    audio = _copy(tmp_path / "rec")
    add_consent(audio, customer="Acme", method="written", obtained_by="Sanne", purpose="copy")
    shutil.copyfile(FIXTURES / OTHER, audio)  # same name, other conversation
    _refused_untouched(audio, opened, "is for another recording")


def test_consent_add_binds_the_record_to_the_bytes(tmp_path: Path) -> None:
    audio = _copy(tmp_path / "rec")
    sidecar, consent = add_consent(
        audio, customer="Acme", method="written", obtained_by="Sanne", purpose="copy"
    )
    from pipeline.files import sha256_file

    assert consent.call_id == sha256_file(audio) and consent.file == CLIP
    assert f'call_id = "{consent.call_id}"' in sidecar.read_text()
    assert check(audio).bound


def test_a_consented_link_to_an_unconsented_file_is_refused(tmp_path: Path, opened: list) -> None:
    secret = _copy(tmp_path / "private", OTHER)
    link = tmp_path / "rec" / "visit.wav"
    link.parent.mkdir()
    link.symlink_to(secret)
    sidecar_path(link).write_text(VALID + 'file = "visit.wav"\n', encoding="utf-8")
    error = _refused_untouched(link, opened, "no consent record")
    assert "consent belongs to the real file" in error and str(secret) in error


def test_a_link_uses_the_record_of_the_real_file(tmp_path: Path) -> None:
    real = _copy(tmp_path / "store")
    link = tmp_path / "rec" / "visit.wav"
    link.parent.mkdir()
    link.symlink_to(real)
    sidecar, _ = add_consent(
        link, customer="Acme", method="written", obtained_by="Sanne", purpose="copy"
    )
    assert sidecar == sidecar_path(real) and not sidecar_path(link).exists()
    admission = admit(link)
    assert admission.real == real and admission.bound


@pytest.mark.parametrize(
    "record",
    [
        VALID + f'call_id = "{"0" * 64}"\n',
        VALID + 'file = "x.wav"\n',
        VALID.replace('"transcribe", ', ""),
        VALID + "withdrawn_at = 2026-03-01\n",
        VALID + 'call_id = "not-a-hash"\n',
        None,
    ],
    ids=["other-call-id", "other-file", "no-transcribe-scope", "withdrawn", "bad-call-id", "none"],
)
def test_consent_check_says_what_transcribe_does(tmp_path: Path, record: str | None) -> None:
    audio = _copy(tmp_path / "rec")
    if record is not None:
        sidecar_path(audio).write_text(record, encoding="utf-8")
    status = check(audio)
    report = transcribe_files([audio], settings=load_settings())
    assert not status.ok and not report.ok
    assert status.reason == report.results[0].error
    cli = run_mine("consent", "check", str(audio))
    assert cli.returncode == 1 and status.reason in cli.stdout


def test_unbound_records_are_listed_and_fix_binds_them(tmp_path: Path) -> None:
    audio = _copy(tmp_path / "rec")
    register_audio = _copy(tmp_path / "rec", OTHER)
    sidecar_path(audio).write_text(VALID, encoding="utf-8")  # made before call_ids
    (audio.parent / "consent.csv").write_text(
        f"{HEADER}\n{OTHER},Acme,,2026-05-01,Sanne,form,website copy,transcribe,2099-12-31\n",
        encoding="utf-8",
    )
    listed = run_mine("consent", "check", str(audio.parent), "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["bound"] for r in rows] == [False, False]
    assert all("mine consent check --fix" in r["reason"] for r in rows)

    fixed = run_mine("consent", "check", str(audio.parent), "--fix", "--json")
    assert fixed.returncode == 0, fixed.stderr
    assert [r["bound"] for r in json.loads(fixed.stdout)] == [True, True]
    assert "bound" in fixed.stderr
    from pipeline.files import sha256_file

    assert sha256_file(audio) in sidecar_path(audio).read_text()
    assert sha256_file(register_audio) in (audio.parent / "consent.csv").read_text()
    # bound now: replacing either recording's audio is refused
    shutil.copyfile(FIXTURES / OTHER, audio)
    shutil.copyfile(FIXTURES / CLIP, register_audio)
    assert "is for another recording" in check(audio).reason
    assert "is for another recording" in check(register_audio).reason


def test_audio_replaced_after_the_gate_is_never_decoded(tmp_path: Path) -> None:
    audio = _copy(tmp_path / "rec")
    add_consent(audio, customer="Acme", method="written", obtained_by="Sanne", purpose="copy")
    admission = admit(audio)
    replacement = _copy(tmp_path / "elsewhere", OTHER)
    os.replace(replacement, audio)  # swapped in between the gate and decoding
    with pytest.raises(InputError, match="changed after its consent was checked"):
        decode(audio, expect=admission.identity)
    assert decode(audio).duration > 0  # it is audio: only the swap was refused


@pytest.mark.parametrize(
    ("register", "expected"),
    [
        ("filename,klant,datum\nx.wav,Acme,2026-05-01\n", "the columns are file, customer"),
        (
            f"{HEADER},withdrawn\n{CLIP},Acme,,2026-05-01,Sanne,form,copy,transcribe,,yes\n",
            "unknown column withdrawn",
        ),
        (f"{HEADER}\n{CLIP},Acme,,2026-05-01,Sanne\n", "row 2 has 5 cells, the header has 9"),
        ("\0\1\2binary", "not a CSV text file"),
    ],
    ids=["wrong-columns", "misnamed-withdrawn", "short-row", "binary"],
)
def test_a_malformed_register_is_named_with_the_fix(
    tmp_path: Path, opened: list, register: str, expected: str
) -> None:
    audio = _copy(tmp_path / "rec")
    (audio.parent / "consent.csv").write_text(register, encoding="utf-8")
    error = _refused_untouched(audio, opened, expected)
    assert "consent.csv is malformed" in error


def test_retention_before_consent_is_malformed(tmp_path: Path) -> None:
    audio = _copy(tmp_path / "rec")
    sidecar_path(audio).write_text(VALID + "retain_audio_until = 2025-12-31\n", encoding="utf-8")
    with pytest.raises(ConsentError, match="retain_audio_until 2025-12-31 is before obtained_at"):
        admit(audio, now=datetime(2026, 6, 1))


def test_a_future_record_is_refused_even_when_bound(tmp_path: Path) -> None:
    audio = _copy(tmp_path / "rec")
    add_consent(
        audio,
        customer="Acme",
        method="written",
        obtained_by="Sanne",
        purpose="copy",
        obtained_at=datetime.now() + timedelta(days=3),
        retain_audio_until=date.today() + timedelta(days=30),
    )
    with pytest.raises(ConsentError, match="in the future"):
        admit(audio)


def test_a_withdrawal_beside_a_link_still_counts(tmp_path: Path, opened: list) -> None:
    real = _copy(tmp_path / "store")
    add_consent(real, customer="Acme", method="written", obtained_by="Sanne", purpose="copy")
    link = tmp_path / "rec" / "visit.wav"
    link.parent.mkdir()
    link.symlink_to(real)
    assert admit(link).bound
    sidecar_path(link).write_text("withdrawn_at = 2026-05-20T09:00:00\n", encoding="utf-8")
    _refused_untouched(link, opened, "consent was withdrawn on 2026-05-20")
