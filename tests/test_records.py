"""pipeline/records.py: the typed rows after the transcript, their JSON form and its checks."""

from __future__ import annotations

import dataclasses
import json

import pytest

from pipeline.config import TERM_LANGUAGES
from pipeline.records import (
    AskedQuestion,
    GapFile,
    GapRow,
    JargonRow,
    JsonRecord,
    ModelInfo,
    PageMentions,
    PageView,
    QuestionRow,
    QuestionsFile,
    Quote,
    SuggestedPage,
    Term,
    TermsFile,
    Transcript,
    Turn,
    Utterance,
)
from pipeline.shapes import RecordError

QUOTE = Quote(call_id="c1", source="a.json", start=12.5, speaker="customer", text="de levertijd")
TERM = Term(
    term="levertijd",
    key="levertijd",
    language="nl",
    kind="word",
    conversations=2,
    mentions=3,
    customers=2,
    rep_mentions=1,
    tfidf=2.5,
    zipf=2.1,
    distinctiveness=0.975,
    score=2.4375,
    forms=("levertijd", "levertijden"),
    evidence=(QUOTE,),
)
GAP_ROW = GapRow(
    term="levertijd",
    key="levertijd",
    language="nl",
    status="underused",
    score=1.2,
    term_score=2.4375,
    customer_conversations=2,
    customer_mentions=3,
    customers=2,
    site_mentions=1,
    site_heading_mentions=0,
    site_pages=(PageMentions(url="https://a.example/levering", mentions=1),),
    matched="lemma",
    matched_forms=("levertijd",),
    suggested_pages=(
        SuggestedPage(url="https://a.example/levering", title="Levering", similarity=0.42),
    ),
    evidence=(QUOTE,),
)
JARGON = JargonRow(
    term="totaaloplossing",
    key="totaal+oplossing",
    language="nl",
    score=3.1,
    site_mentions=4,
    site_heading_mentions=2,
    site_pages=2,
    pages=("https://a.example/", "https://a.example/over"),
    customer_words=("levertijd",),
)
VIEW = PageView(
    url="https://a.example/levering",
    title="Levering",
    lang="nl",
    missing_here=("levertijd",),
    site_only=("totaaloplossing",),
)
META = {"conversations": 2, "languages": {"nl": 2}, "pipelines": {}, "sources": []}
ASKED = AskedQuestion(
    question="Wat kost dat per maand?",
    language="nl",
    intent="cost",
    topic=("maand",),
    wordings=("Hoeveel betaal je dan maandelijks?",),
    conversations=2,
    customers=2,
    mentions=2,
    evidence=(QUOTE,),
)
TERMS_FILE = TermsFile(meta=META, terms=(TERM,), questions=(ASKED,))
QUESTION_ROW = QuestionRow(
    question="Wat kost dat per maand?",
    language="nl",
    intent="cost",
    wordings=("Hoeveel betaal je dan maandelijks?",),
    conversations=2,
    customers=2,
    mentions=2,
    status="partly",
    answer_url="https://a.example/prijzen",
    answer_passage="Een thuisbatterij kopen of huren.",
    answer_source="text",
    coverage=0.6,
    suggested_page="https://a.example/prijzen",
    suggested_title="Prijzen",
    closest_topic="",
    evidence=(QUOTE,),
)
QUESTIONS_FILE = QuestionsFile(meta={"questions": 1}, questions=(QUESTION_ROW,))
GAP_FILE = GapFile(
    meta={"terms": META, "pages": 2, "status_counts": {"underused": 1}},
    gaps=(GAP_ROW,),
    jargon=(JARGON,),
    pages=(VIEW,),
)
RECORDS = [QUOTE, TERM, TERMS_FILE, GAP_ROW, JARGON, VIEW, GAP_FILE, *GAP_ROW.site_pages]
RECORDS += [ASKED, QUESTION_ROW, QUESTIONS_FILE]
RECORDS += list(GAP_ROW.suggested_pages)

#: The keys mine terms and mine gap have always written, in their order.
KEYS = {
    Quote: ["call_id", "source", "start", "speaker", "text", "recorded_at"],
    Term: [
        "term",
        "key",
        "language",
        "kind",
        "conversations",
        "mentions",
        "customers",
        "rep_mentions",
        "tfidf",
        "zipf",
        "distinctiveness",
        "score",
        "forms",
        "evidence",
    ],
    GapRow: [
        "term",
        "key",
        "language",
        "status",
        "score",
        "term_score",
        "customer_conversations",
        "customer_mentions",
        "customers",
        "site_mentions",
        "site_heading_mentions",
        "site_pages",
        "matched",
        "matched_forms",
        "suggested_pages",
        "closest_topic",
        "evidence",
    ],
    JargonRow: [
        "term",
        "key",
        "language",
        "score",
        "site_mentions",
        "site_heading_mentions",
        "site_pages",
        "pages",
        "customer_words",
    ],
    PageView: ["url", "title", "lang", "missing_here", "site_only"],
    PageMentions: ["url", "mentions"],
    SuggestedPage: ["url", "title", "similarity"],
    TermsFile: ["meta", "terms", "questions"],
    AskedQuestion: [
        "question",
        "language",
        "intent",
        "topic",
        "wordings",
        "conversations",
        "customers",
        "mentions",
        "evidence",
        "key",
        "calls",
    ],
    QuestionRow: [
        "question",
        "language",
        "intent",
        "wordings",
        "conversations",
        "customers",
        "mentions",
        "status",
        "answer_url",
        "answer_passage",
        "answer_source",
        "coverage",
        "suggested_page",
        "suggested_title",
        "closest_topic",
        "evidence",
        "key",
        "calls",
    ],
    QuestionsFile: ["meta", "questions"],
    GapFile: ["meta", "gaps", "jargon", "pages"],
}


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_round_trip(record: JsonRecord) -> None:
    data = record.to_dict()
    assert list(data) == KEYS[type(record)]
    assert json.loads(json.dumps(data)) == data  # JSON-ready: lists, not tuples
    again = type(record).from_dict(json.loads(json.dumps(data)))
    assert again == record
    assert again.to_dict() == data


@pytest.mark.parametrize("cls", list(KEYS), ids=lambda c: c.__name__)
def test_every_field_is_checked_or_carried(cls: type[JsonRecord]) -> None:
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    checked = {k.rstrip("?") for k in cls.SHAPE}
    assert names == checked | set(cls.CARRIED)
    assert not checked & set(cls.CARRIED)


def test_a_record_read_gives_back_the_json_it_was_read_from() -> None:
    """What a person (or an older mine) wrote is passed on as it was: no key added or lost."""
    quote = {"text": "spare parts", "start": 1, "call_id": "c", "note": "by hand"}
    read = Quote.from_dict(quote)
    assert read == Quote(call_id="c", start=1, text="spare parts")
    assert read.to_dict() == quote and list(read.to_dict()) == list(quote)
    read.to_dict()["text"] = "changed"  # a copy each time
    assert read.to_dict() == quote
    changed = dataclasses.replace(read, text="other")  # made in code: its own fields
    assert changed.to_dict() == {
        "call_id": "c",
        "source": "",
        "start": 1,
        "speaker": "",
        "text": "other",
        "recorded_at": "",
    }
    row = GapRow(**{**dataclasses.asdict(GAP_ROW), "evidence": (read,)})
    assert row.to_dict()["evidence"] == [quote]  # inside a new row, still as read


def test_what_a_file_may_leave_out() -> None:
    term = TERM.to_dict()
    del term["customers"], term["kind"], term["forms"]
    read = Term.from_dict(term)
    assert read.customers == read.conversations == 2  # one customer per conversation
    assert read.kind == "" and read.forms == ()
    assert "customers" not in read.to_dict()
    gap = GAP_ROW.to_dict()
    del gap["customers"], gap["site_pages"]
    assert GapRow.from_dict(gap).customers == 2
    view = {**VIEW.to_dict(), "title": None}
    assert PageView.from_dict(view).title == ""
    assert PageView.from_dict(view).to_dict()["title"] is None  # passed on as it was


def test_a_field_no_reader_relies_on_is_not_a_reason_to_refuse() -> None:
    term = {**TERM.to_dict(), "tfidf": "high", "forms": "levertijd"}
    read = Term.from_dict(term)
    assert read.tfidf == 0.0 and read.forms == ()  # the defaults, not the wrong types
    assert read.to_dict() == term


@pytest.mark.parametrize(
    ("cls", "data", "message"),
    [
        (Quote, {"text": "x"}, "start is missing"),
        (Quote, {"text": "x", "start": -1}, "start is a number, not a number of 0 or more"),
        (Quote, ["x", 1], "the top level is a list, not an object"),
        (
            TermsFile,
            {"meta": {}, "terms": [{**TERM.to_dict(), "mentions": "two"}]},
            "terms[0].mentions is text, not a number of 0 or more",
        ),
        (
            TermsFile,
            {"meta": {}, "terms": [{**TERM.to_dict(), "language": "xx"}]},
            "terms[0].language is 'xx', not one of " + ", ".join(sorted(TERM_LANGUAGES)),
        ),
        (
            GapFile,
            {**GAP_FILE.to_dict(), "gaps": [{**GAP_ROW.to_dict(), "score": float("nan")}]},
            "gaps[0].score is nan, not a finite number",
        ),
        (
            GapFile,
            {**GAP_FILE.to_dict(), "jargon": [[[{"term": [[1]]}]]]},
            "jargon[0] is a list, not an object",
        ),
        (
            GapFile,
            {**GAP_FILE.to_dict(), "pages": [{**VIEW.to_dict(), "site_only": None}]},
            "pages[0].site_only is null, not a list",
        ),
        (
            TermsFile,
            {"meta": {"conversations": 10**400}, "terms": []},
            "meta.conversations is a 401-digit number, more than the 1e+12 mine accepts",
        ),
        (
            TermsFile,
            {"meta": {}, "terms": [{**TERM.to_dict(), "term": "lever\ud800tijd"}]},
            "terms[0].term holds the unpaired surrogate \\ud800, not text",
        ),
    ],
)
def test_from_dict_refuses_a_wrong_shape_in_one_line(
    cls: type[JsonRecord], data: object, message: str
) -> None:
    with pytest.raises(RecordError) as caught:
        cls.from_dict(data)
    assert str(caught.value) == message
    assert "\n" not in str(caught.value)


def test_where_names_the_place_of_a_nested_record() -> None:
    with pytest.raises(RecordError, match=r"^gaps\[3\]\.status is missing$"):
        GapRow.from_dict({"term": "x", "language": "nl"}, where="gaps[3]")
    with pytest.raises(RecordError, match=r"^gaps\[3\]\.evidence\[0\]\.start is missing$"):
        GapRow.from_dict({**GAP_ROW.to_dict(), "evidence": [{"text": "x"}]}, where="gaps[3]")


def test_lone_surrogates_are_checked_only_when_asked() -> None:
    data = {**QUOTE.to_dict(), "text": "\udc80"}
    with pytest.raises(RecordError):
        Quote.from_dict(data)
    assert Quote.from_dict(data, check_text=False).text == "\udc80"


def test_turns_keep_their_list_form() -> None:
    turn = Turn(1.5, 3.25, "S2")
    assert turn.to_list() == [1.5, 3.25, "S2"]
    assert Turn.from_list(json.loads(json.dumps(turn.to_list()))) == turn
    t = Transcript(
        call_id="c",
        source="a.wav",
        language="nl",
        language_probability=1.0,
        model=ModelInfo("base", "0" * 64, "test"),
        options={},
        duration=4.0,
        utterances=(Utterance(0, 0.0, 4.0, "unknown", "hallo"),),
        diarization={"turns": [[0, 1.5, "S1"], turn.to_list()]},
    )
    assert t.turns == (Turn(0, 1.5, "S1"), turn)
    assert Transcript.from_dict(json.loads(json.dumps(t.to_dict()))).turns == t.turns
    assert dataclasses.replace(t, diarization={}).turns == ()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([0, 1], "diarization.turns[0] is not a turn [start, end, speaker]"),
        ({"start": 0}, "diarization.turns[0] is not a turn [start, end, speaker]"),
        (["0", 1, "S1"], "diarization.turns[0][0] is text, not a number"),
        ([0, 1, 2], "diarization.turns[0][2] is a number, not text"),
    ],
)
def test_a_damaged_turn_is_refused_in_one_line(value: object, message: str) -> None:
    with pytest.raises(RecordError) as caught:
        Turn.from_list(value, "diarization.turns[0]")
    assert str(caught.value) == message


def test_a_checked_transcript_names_the_place() -> None:
    data = {
        "call_id": "c",
        "language": "nl",
        "model": {"name": "base", "sha256": "0", "source": "test"},
        "utterances": [{"idx": 0, "start": 0, "end": 1, "text": 5}],
    }
    with pytest.raises(RecordError, match=r"^utterances\[0\]\.text is a number, not text$"):
        Transcript.from_dict(data, check=True)
