"""Hostile inputs for the transcript readers: a named speaker never reaches an output however the
label is written, and a damaged .docx is one line naming the file."""

from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.formats import FOREIGN_CAP, parse
from pipeline.formats.convert import to_transcript


def _text(name: str, content: str) -> str:
    t = to_transcript(parse(content.encode(), Path(name)), call_id="x", source=name, language="nl")
    return "\n".join(u.text for u in t.utterances) + repr(t.diarization)


@pytest.mark.parametrize(
    ("name", "content", "secret"),
    [
        (
            "caps.txt",
            "JAN DE VRIES: Met Jan.\nKLANT: Dag Jan.\nJAN DE VRIES: Ja meneer Vries.\n",
            "Jan",
        ),
        (
            "paren.vtt",
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v (Sanne)>Met Sanne.</v>\n",
            "Sanne",
        ),
        (
            "hyphen.vtt",
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Anne-Marie Bakker>Met Anne.</v>\n",
            "Anne",
        ),
        ("two.txt", "Klant: hoi daar\nPetra Smit: goedemiddag, met Petra\n", "Petra"),
        ("lower.txt", "sanne: met sanne\nklant: hoi sanne\nsanne: ja\n", "sanne"),
        (
            "phone.vtt",
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v +31 6 12345678>Goedemiddag.</v>\n",
            "12345678",
        ),
    ],
)
def test_named_speaker_never_in_output(name: str, content: str, secret: str) -> None:
    assert secret not in _text(name, content)


def test_corrupt_docx_xml_is_one_input_error(tmp_path: Path) -> None:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats'
            '-package.relationships+xml"/><Override PartName="/word/document.xml" ContentType="'
            'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            "</Types>",
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
            "</Relationships>",
        )
        z.writestr("word/document.xml", "<w:document truncated")
    with pytest.raises(InputError):
        parse(buf.getvalue(), tmp_path / "bad.docx")


def test_roles_and_speech_that_the_review_found_wrong() -> None:
    from pipeline.formats.annotations import strip_annotations
    from pipeline.roles import RoleHints

    def roles(text: str, **hints: object) -> dict[str, str]:
        parsed = parse(text.encode(), Path("call.txt"))
        t = to_transcript(parsed, call_id="c", source="c", language="nl", hints=RoleHints(**hints))
        return {s["id"]: s["role"] for s in t.diarization["speakers"]}

    # a labelled customer and one other speaker: the other is the rep
    assert roles("Klant: Het is koud.\nPetra Smit: Dat lossen we op.\nKlant: Fijn.\n") == {
        "S1": "customer",
        "S2": "rep",
    }
    # "Last, First" on the staff list or in the label is the same person
    call = "Jansen, Pieter: Goedemorgen.\nKees Bos: Hallo.\nJansen, Pieter: Tot ziens.\n"
    assert roles(call, reps=("Pieter Jansen",))["S1"] == "rep"
    assert strip_annotations("3 – 4 kamers") == "3 – 4 kamers"
    # a one-word name that is also a word is redacted only where it is the name
    t = to_transcript(
        parse(b"Will: What will you need?\nKlant: Will, the pump.\n", Path("w.txt")),
        call_id="c",
        source="c",
        language="en",
    )
    assert [u.text for u in t.utterances] == ["What will you need?", "[NAME], the pump."]


def test_a_huge_docx_or_transcript_is_refused_before_it_is_read(tmp_path: Path) -> None:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", "<a>" + " " * (40 * 2**20) + "</a>")
    with pytest.raises(InputError, match="more than mine reads of one .docx"):
        parse(buf.getvalue(), tmp_path / "bomb.docx")
    with pytest.raises(InputError, match="split it into smaller files"):
        parse(b"Jan: hoi\n" * (FOREIGN_CAP // 9 + 1), tmp_path / "big.txt")


def test_mine_terms_refuses_a_transcript_whose_consent_refuses_it(tmp_path: Path) -> None:
    import shutil

    from conftest import FIXTURES, consented, run_mine

    folder = tmp_path / "in"
    vtt = consented(folder, "transcripts/teams.vtt")
    shutil.copyfile(FIXTURES / "transcripts" / "zoom.vtt", folder / "no-record.vtt")
    shutil.copyfile(vtt, folder / "copy-of-teams.srt")  # identical bytes: one conversation
    ok = run_mine("terms", str(folder), "--out", str(tmp_path / "a"), "--json")
    assert ok.returncode == 0, ok.stderr
    assert '"failed": []' in ok.stdout
    meta = __import__("json").loads((tmp_path / "a" / "terms.json").read_text())["meta"]
    assert meta["conversations"] == 2
    with vtt.open("a", encoding="utf-8") as fh:  # the bytes the record was for are gone
        fh.write("\n99\n00:09:00.000 --> 00:09:01.000\n<v Jan>Nog iets.</v>\n")
    refused = run_mine("terms", str(vtt), "--out", str(tmp_path / "b"))
    assert refused.returncode == 1
    assert (
        "is for another recording" in refused.stderr and "the file was replaced" in refused.stderr
    )
