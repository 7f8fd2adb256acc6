"""Customer questions: detection, paraphrase grouping, FAQ extraction, whether a small site we
wrote answers them, the briefs, and the whole path through mine terms, gap, report and run."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from crawl.extract import extract_html, extract_markdown
from pipeline.config import load_settings
from pipeline.errors import InputError
from pipeline.records import ModelInfo, Transcript, Utterance
from reports.brief import MARKER, write_briefs
from terms.api import extract_terms
from terms.gap import analyze_gap
from terms.questions import asked_in, group_questions, is_question
from tests.conftest import run_mine

QUESTIONS = [
    ("nl", "Wat kost dat per maand?"),
    ("nl", "Hoeveel betaal je dan maandelijks"),
    ("nl", "Hoe lang duurt de installatie"),
    ("nl", "Kunnen jullie ook in het weekend komen"),
    ("nl", "Is er subsidie voor"),
    ("nl", "Hebben jullie ook leasing?"),
    ("nl", "Moet ik daar zelf iets voor regelen"),
    ("nl", "Hoeveel panelen passen er op mijn dak"),
    ("nl", "Wat voor omvormer zit erbij?"),
    ("nl", "Sorry, maar waar komt die buitenunit dan te staan?"),
    ("nl", "Dus dat is inclusief btw?"),
    ("en", "How long before the engineer comes out?"),
    ("en", "What happens if the battery breaks"),
    ("en", "Do you also do the paperwork"),
    ("en", "Can I get it before winter"),
    ("en", "Which battery would you recommend"),
    ("en", "So that includes the scaffolding?"),
    ("en", "What's the damage, roughly"),
    ("nl", "Na hoeveel jaar heb je het eruit"),
    ("nl", "Werkt zo'n ding nog wel bij min tien"),
]
NOT_QUESTIONS = [
    ("nl", "toch?"),
    ("nl", "weet je?"),
    ("nl", "hè?"),
    ("nl", "Dat is best duur, toch?"),
    ("nl", "Dat vind ik wel fijn, weet je."),
    ("nl", "Hoe gaat het?"),
    ("nl", "Hoe gaat het met u?"),
    ("nl", "Wat zei je?"),
    ("nl", "Sorry, wat bedoelt u?"),
    ("nl", "Kunt u dat herhalen?"),
    ("nl", "Ik weet niet wanneer we thuis zijn."),
    ("nl", "Wanneer we thuis zijn, kan het."),
    ("nl", "Wat een gedoe zeg."),
    ("nl", "Echt?"),
    ("nl", "Zet het maar op de mail."),
    ("en", "right?"),
    ("en", "you know?"),
    ("en", "It's quite expensive, isn't it?"),
    ("en", "How are you?"),
    ("en", "How's it going?"),
    ("en", "What did you say?"),
    ("en", "Can you say that again?"),
    ("en", "That's what my neighbour said."),
    ("en", "What my neighbour said was true."),
    ("en", "What a mess that was."),
    ("en", "Really?"),
    ("nl", "Wilt u een kopje koffie?"),
    ("nl", "Kunt u dat even op de mail zetten?"),
    ("nl", "Zei je nou vijftig of vijftien?"),
    ("nl", "Hoe meer panelen hoe beter, zou ik zeggen."),
    ("nl", "Dat moet dan via de meterkast, weet je wel?"),
    ("en", "Would you like a cup of tea?"),
    ("en", "How on earth do people afford this!"),
    ("en", "Did you say fifteen or fifty?"),
]


@pytest.mark.parametrize(("lang", "text"), QUESTIONS)
def test_questions_are_found_with_or_without_a_question_mark(lang: str, text: str) -> None:
    assert is_question(text, lang)


@pytest.mark.parametrize(("lang", "text"), NOT_QUESTIONS)
def test_tags_greetings_talk_about_the_talk_and_statements_are_not(lang: str, text: str) -> None:
    assert not is_question(text, lang)


def _u(i: int, speaker: str, text: str) -> Utterance:
    return Utterance(i, 10.0 * i, 10.0 * i + 8, speaker, text)


def test_only_customers_questions_count_and_all_speech_when_roles_are_unknown() -> None:
    said = [
        _u(0, "rep", "Wilt u een offerte ontvangen? Hoe groot is uw dak?"),
        _u(1, "customer", "Ja graag. Wat kost een thuisbatterij eigenlijk?"),
        _u(2, "customer", "Dat is best duur, toch?"),
    ]
    found = asked_in(said, call_id="a", source="a.json", language="nl", roles_known=True)
    assert [a.text for a in found] == ["Wat kost een thuisbatterij eigenlijk?"]
    assert found[0].start == 10.0 and found[0].speaker == "customer"
    unknown = [Utterance(u.idx, u.start, u.end, "unknown", u.text) for u in said]
    found = asked_in(unknown, call_id="a", source="a.json", language="nl", roles_known=False)
    # without roles all speech counts ("Wilt u een offerte ontvangen?" is an offer, not asked)
    assert [a.text for a in found] == [
        "Hoe groot is uw dak?",
        "Wat kost een thuisbatterij eigenlijk?",
    ]


def test_paraphrases_are_one_question_and_other_questions_stay_apart() -> None:
    said = {
        "a": ["Wat kost dat per maand?", "Hoeveel subsidie krijg ik?"],
        "b": ["Hoeveel betaal je dan maandelijks?"],
        "c": ["Wat ben ik per maand kwijt?", "Hoe lang duurt de installatie?"],
        "d": ["Hoe lang duurt zo'n installatie eigenlijk?"],
    }
    asked = []
    for call, texts in said.items():
        asked += asked_in(
            [_u(i, "customer", t) for i, t in enumerate(texts)],
            call_id=call,
            source=f"{call}.json",
            language="nl",
            roles_known=True,
        )
    groups = group_questions(asked, customers=lambda c: {"d": "c"}.get(c, c))
    by_first = {g.question: g for g in groups}
    monthly = next(g for g in groups if "Wat kost dat per maand?" in (g.question, *g.wordings))
    assert {monthly.question, *monthly.wordings} == {
        "Wat kost dat per maand?",
        "Hoeveel betaal je dan maandelijks?",
        "Wat ben ik per maand kwijt?",
    }
    assert monthly.conversations == 3 and monthly.customers == 3 and monthly.intent == "cost"
    install = next(g for g in groups if "installatie" in g.question)
    assert install.conversations == 2 and install.customers == 1  # c and d: one customer
    assert len(groups) == 3, by_first
    assert {q.call_id for q in monthly.evidence} == {"a", "b", "c"}


def test_faq_entries_are_read_from_every_markup_form() -> None:
    html = """<html lang="nl"><head><title>Vragen | X</title>
    <script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"FAQPage",
    "mainEntity":[{"@type":"Question","name":"Wat kost een thuisbatterij?","acceptedAnswer":
    {"@type":"Answer","text":"Vanaf <b>€ 4.950</b> inclusief installatie."}}]}]}</script>
    <script type="application/ld+json">{not json</script></head><body>
    <nav><details><summary>Menu?</summary><a href="/">Home</a></details></nav>
    <main><h1>Vragen</h1>
    <details><summary>Hoe lang duurt de installatie?</summary><p>Meestal één dag.</p></details>
    <dl><dt>Is er subsidie?</dt><dd>Ja, de ISDE.</dd><dt>Vermogen</dt><dd>5 kW</dd></dl>
    <h2>Maakt de buitenunit geluid?</h2><p>Heel weinig: 35 dB.</p><p>Fluisterstil.</p>
    <h2>Over ons</h2><p>Wij zijn een bedrijf.</p></main>
    <footer><h3>Vragen?</h3><p>Bel ons.</p></footer></body></html>"""
    faq = extract_html(html, url="https://x.example/vragen").faq
    assert [(f["form"], f["question"], f["answer"]) for f in faq] == [
        ("jsonld", "Wat kost een thuisbatterij?", "Vanaf € 4.950 inclusief installatie."),
        ("details", "Hoe lang duurt de installatie?", "Meestal één dag."),
        ("dl", "Is er subsidie?", "Ja, de ISDE."),
        ("heading", "Maakt de buitenunit geluid?", "Heel weinig: 35 dB. Fluisterstil."),
    ]
    md = extract_markdown("# Titel\n\nIntro\n\n## Hoe snel komen jullie?\n\nBinnen een week.\n")
    assert md.faq == [
        {"question": "Hoe snel komen jullie?", "answer": "Binnen een week.", "form": "heading"}
    ]


HEAD = '<html lang="nl"><head><title>{title} | Zonnegloed</title>{extra}</head><body>'
NAV = '<header><nav><a href="/">Home</a> <a href="/prijzen">Prijzen</a></nav></header><main>'
FOOT = "</main><footer><p>Zonnegloed, Utrecht. Bel ons op werkdagen.</p></footer></body></html>"
JSONLD = json.dumps(
    {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [
            {
                "@type": "Question",
                "name": "Hoe lang duurt het plaatsen van zonnepanelen?",
                "acceptedAnswer": {
                    "@type": "Answer",
                    "text": "Het plaatsen duurt meestal één dag.",
                },
            }
        ],
    }
)
PAGES = {
    "index.html": (
        "Zonnegloed",
        "",
        "<h1>Energieneutraal wonen</h1><p>Zonnegloed ontzorgt u van advies tot oplevering. "
        "Zonnepanelen, thuisbatterijen, warmtepompen en laadpalen voor uw woning.</p>",
    ),
    "prijzen.html": (
        "Prijzen",
        "",
        "<h1>Prijzen</h1><h2>Thuisbatterij</h2><p>Een thuisbatterij kost vanaf € 4.950, "
        "inclusief installatie en btw.</p><h2>Zonnepanelen</h2><p>Een set van tien zonnepanelen "
        "kost vanaf € 3.800.</p>",
    ),
    "subsidie.html": (
        "Subsidie",
        "",
        "<h1>Subsidie</h1><p>Voor een warmtepomp bestaat subsidie van de overheid, de ISDE. "
        "Wij helpen u met de aanvraag van de subsidie.</p>",
    ),
    "veelgestelde-vragen.html": (
        "Veelgestelde vragen",
        f'<script type="application/ld+json">{JSONLD}</script>',
        "<h1>Veelgestelde vragen</h1><p>Hoe lang duurt het plaatsen van zonnepanelen? Het "
        "plaatsen duurt meestal één dag.</p>",
    ),
    "thuisbatterij.html": (
        "Thuisbatterij",
        "",
        "<h1>Thuisbatterij</h1><p>Sla uw zonnestroom op voor de avond. Zelfconsumptie "
        "verhogen met een slimme thuisbatterij.</p><details><summary>Kan een thuisbatterij "
        "in de garage staan?</summary><p>Ja, een garage of berging is een goede plek, "
        "als het er niet vriest.</p></details>",
    ),
    "laadpaal.html": (
        "Laadpaal",
        "",
        "<h1>Laadpaal</h1><p>Laad uw elektrische auto thuis op met zonnestroom.</p>"
        "<dl><dt>Werkt de laadpaal met elke auto?</dt><dd>Ja, onze laadpalen werken met elke "
        "elektrische auto met een type 2 stekker.</dd></dl>",
    ),
    "warmtepomp.html": (
        "Warmtepomp",
        "",
        "<h1>Warmtepomp</h1><p>Een warmtepomp verwarmt uw woning met buitenlucht, met een "
        "hoge SCOP.</p><h2>Maakt een warmtepomp veel geluid?</h2><p>Nee, de buitenunit maakt "
        "ongeveer 35 dB, zo stil als een koelkast.</p>",
    ),
    "privacy.html": (
        "Privacyverklaring",
        "",
        "<h1>Privacyverklaring</h1><p>Wij verwerken uw gegevens voor de installatie, het "
        "onderhoud en de garantie. Onze monteur ziet uw adres. Wij bewaren uw gegevens "
        "zeven jaar. Monteur, installatie, garantie, onderhoud, monteur.</p>",
    ),
    "algemene-voorwaarden.html": (
        "Algemene voorwaarden",
        "",
        "<h1>Algemene voorwaarden</h1><p>Artikel 1. De monteur voert de installatie uit "
        "volgens de overeenkomst. Artikel 2. Garantie op de installatie geldt voor "
        "monteurswerk. Artikel 3. De monteur mag in de winter de planning wijzigen. "
        "Monteur, winter, monteur, winter, installatie.</p>",
    ),
}
#: What each conversation's customer asks (the rep's questions and tags must not count).
CALLS = {
    "een": [
        ("rep", "Goedemiddag, wilt u een offerte ontvangen?"),
        ("customer", "Ja. Wat kost een thuisbatterij eigenlijk?"),
        ("customer", "En hoe lang duurt het plaatsen van de zonnepanelen"),
        ("customer", "Dat is best duur, toch?"),
        ("customer", "Hoeveel subsidie krijg ik voor een warmtepomp?"),
        ("customer", "De monteur moet wel voor de winter komen, want het is hier koud."),
    ],
    "twee": [
        ("customer", "Hoeveel betaal je voor zo'n thuisbatterij?"),
        ("customer", "Kan die thuisbatterij ook in de garage?"),
        ("customer", "Helpen jullie ook een vereniging van eigenaren met een collectief dak?"),
        ("customer", "Die monteur, die komt toch voor de winter?"),
    ],
    "drie": [
        ("customer", "Werkt de laadpaal met elke auto?"),
        ("customer", "Maakt zo'n warmtepomp veel herrie?"),
        ("customer", "Helpt u ook de vereniging van eigenaren met zo'n collectief dak?"),
        ("customer", "En de monteur in de winter, hoe zit dat?"),
    ],
}


def _transcript(path: Path, lines: list[tuple[str, str]]) -> None:
    utterances = tuple(_u(i, role, text) for i, (role, text) in enumerate(lines))
    t = Transcript(
        hashlib.sha256(path.name.encode()).hexdigest(),
        path.with_suffix(".wav").name,
        "nl",
        1.0,
        ModelInfo("base", "0" * 64, "test"),
        {},
        10.0 * len(lines),
        utterances,
        redacted=True,
    )
    path.write_text(json.dumps(t.to_dict(), ensure_ascii=False), encoding="utf-8")


def write_site(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (title, extra, body) in PAGES.items():
        page = HEAD.format(title=title, extra=extra) + NAV + body + FOOT
        (folder / name).write_text(page, encoding="utf-8")
    return folder


def write_calls(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in CALLS.items():
        _transcript(folder / f"{name}.json", lines)
    return folder


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("questions")
    calls, site = write_calls(root / "calls"), write_site(root / "export")
    settings = load_settings(overrides={"workspace": root / "ws"})
    run = run_mine("crawl", str(site), "--out", str(root / "site"), cwd=root)
    assert run.returncode == 0, run.stderr
    extract_terms([calls], settings=settings, out_dir=root / "terms")
    report = analyze_gap(root / "terms", root / "site", settings=settings, out_dir=root / "gap")
    rows = {r["question"]: r for r in report.questions}
    return root, settings, report, rows


def _row(rows: dict, *words: str) -> dict:
    found = [
        r
        for r in rows.values()
        if any(all(w in t.lower() for w in words) for t in (r["question"], *r["wordings"]))
    ]
    assert len(found) == 1, (words, list(rows))
    return found[0]


def test_the_site_answers_partly_answers_or_does_not(judged) -> None:
    _root, _settings, report, rows = judged
    cost = _row(rows, "thuisbatterij", "kost")
    assert cost["status"] == "answered" and cost["answer_url"].endswith("prijzen.html")
    assert "4.950" in cost["answer_passage"] and cost["conversations"] == 2
    assert {cost["question"], *cost["wordings"]} == {
        "Hoeveel betaal je voor zo'n thuisbatterij?",
        "Wat kost een thuisbatterij eigenlijk?",
    }
    faq = _row(rows, "plaatsen", "zonnepanelen")
    assert faq["status"] == "answered" and faq["answer_source"] == "faq"
    assert faq["answer_url"].endswith("veelgestelde-vragen.html")
    assert _row(rows, "garage")["answer_url"].endswith("thuisbatterij.html")  # <details>
    assert _row(rows, "garage")["status"] == "answered"
    assert _row(rows, "laadpaal")["status"] == "answered"  # <dt>/<dd>
    noise = _row(rows, "herrie")  # "herrie" is "geluid" on the site: a heading that asks it
    assert noise["status"] == "answered" and noise["answer_url"].endswith("warmtepomp.html")
    subsidy = _row(rows, "subsidie")
    assert subsidy["status"] == "partly" and subsidy["answer_url"].endswith("subsidie.html")
    assert subsidy["suggested_page"].endswith("subsidie.html")  # where the topic already is
    vve = _row(rows, "vereniging")
    assert vve["status"] == "unanswered" and vve["conversations"] == 2
    texts = " ".join([*rows, *(w for r in rows.values() for w in r["wordings"])])
    assert "offerte" not in texts and "best duur" not in texts  # the rep, a tag question
    statuses = [r["status"] for r in report.questions]
    assert statuses == sorted(statuses, key=["unanswered", "partly", "answered"].index)


def test_legal_and_utility_pages_are_never_suggested(judged) -> None:
    root, _settings, report, rows = judged
    legal = ("privacy.html", "algemene-voorwaarden.html")
    for row in report.rows:
        assert not any(s["url"].endswith(legal) for s in row["suggested_pages"]), row
    for row in report.questions:
        assert not row["suggested_page"].endswith(legal), row
    monteur = next(r for r in report.rows if r["term"] == "monteur")
    # the legal pages say "monteur" most: without the rule they would be its place
    assert monteur["site_pages"] and all(p["url"].endswith(legal) for p in monteur["site_pages"])


def test_questions_files_and_report_section(judged) -> None:
    root, settings, report, _rows = judged
    with (root / "gap" / "questions.csv").open(encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert [r["question"] for r in table] == [r["question"] for r in report.questions]
    assert set(table[0]) >= {
        "question", "wordings", "conversations", "customers", "status", "answer_url",
        "answer_passage", "suggested_page", "evidence",
    }  # fmt: skip
    meta = json.loads((root / "gap" / "questions.json").read_text())["meta"]
    assert meta["status_counts"] == {
        s: sum(r["status"] == s for r in report.questions)
        for s in ("unanswered", "partly", "answered")
    }


def test_briefs_for_the_pages_with_work(judged, tmp_path: Path) -> None:
    root, settings, report, rows = judged
    out = tmp_path / "briefs"
    result = write_briefs(root / "gap", out=out, settings=settings)
    subsidy = (out / "subsidie.md").read_text(encoding="utf-8")
    assert "Hoeveel subsidie krijg ik voor een warmtepomp?" in subsidy
    assert "(een.json, 40 s)" in subsidy  # its quote, with call and time
    index = (out / "index.md").read_text(encoding="utf-8")
    assert "(subsidie.md)" in index and "Vraagt om een nieuwe pagina" in index
    assert result.pages == len([p for p in out.glob("*.md") if p.name != "index.md"])
    for brief in out.glob("*.md"):
        text = brief.read_text(encoding="utf-8")
        assert "privacy" not in brief.name and "voorwaarden" not in brief.name
        assert "<" not in text.replace("\\<", "")
    # a second run removes briefs no longer needed, and only those
    (out / "stale.md").write_text("x")
    listed = (out / MARKER).read_text() + "stale.md\n"
    (out / MARKER).write_text(listed)
    keep = tmp_path / "briefs" / "notes.txt"
    write_briefs(root / "gap", out=out, settings=settings)
    assert not (out / "stale.md").exists()
    keep.write_text("mine")
    (out / MARKER).unlink()
    with pytest.raises(InputError, match="did not write"):
        write_briefs(root / "gap", out=out, settings=settings)
    assert keep.read_text() == "mine"


def test_quotes_in_a_brief_cannot_add_markup(tmp_path: Path) -> None:
    from reports.brief import md

    hostile = "Kost het <img src=x onerror=alert(1)> [klik](javascript:alert(1)) `x` *y*?"
    from markdown_it import MarkdownIt  # CommonMark, as rich (a dependency) ships it

    html = MarkdownIt("commonmark").render(f"- {md(hostile)}")
    for made in ("<img", "<a ", "<code>", "<em>", "<strong>"):
        assert made not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # shown as text
    assert md("a\nb\n# kop") == "a b # kop"  # one line: a quote cannot open a heading


def test_mine_run_carries_questions_to_report_and_briefs_and_forget_erases_them(
    tmp_path: Path,
) -> None:
    from tests.conftest import consented

    said = tmp_path / "said"
    said.mkdir()
    (said / "jansen.txt").write_text(
        "Sanne: Goedemiddag, ik ben Sanne van Zonnegloed.\n"
        "Els: Kan de thuisbatterij ook in het kippenhok staan?\n"
        "Els: En hoeveel subsidie krijg ik voor een warmtepomp?\n"
        "Sanne: Dat zoek ik voor u uit.\n",
        encoding="utf-8",
    )
    (said / "pieters.txt").write_text(
        "Sanne: Goedemiddag, ik ben Sanne van Zonnegloed.\n"
        "Joris: Werkt de laadpaal met elke auto?\n"
        "Joris: Helpen jullie ook een vereniging van eigenaren met een collectief dak?\n"
        "Sanne: Zeker.\n",
        encoding="utf-8",
    )
    rec = tmp_path / "rec"
    consented(rec, "jansen.txt", source=said, customer="Els Jansen")
    consented(rec, "pieters.txt", source=said, customer="Joris Pieters")
    site = write_site(tmp_path / "export")
    ws = tmp_path / "ws"
    args = ["run", str(rec), "--site", str(site), "--workspace", str(ws), "--rep", "Sanne", "-q"]
    run = run_mine(*args, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    rows = json.loads((ws / "gap" / "questions.json").read_text())["questions"]
    asked = {r["question"]: r for r in rows}
    assert "Werkt de laadpaal met elke auto?" in asked
    assert asked["Werkt de laadpaal met elke auto?"]["status"] == "answered"
    assert not any("Goedemiddag" in q or "uit" == q for q in asked)  # the rep's lines
    assert (ws / "gap" / "questions.csv").is_file()
    report = (ws / "report.html").read_text(encoding="utf-8")
    assert 'id="questions"' in report and "kippenhok" in report
    assert (ws / "briefs" / "index.md").is_file()
    briefs = " ".join(p.read_text(encoding="utf-8") for p in (ws / "briefs").glob("*.md"))
    assert "kippenhok" in briefs
    # the subject's export holds its own questions and quotes, none of the other customer's
    out = tmp_path / "export-jansen"
    exported = run_mine("export-subject", "Els Jansen", "--out", str(out), "--workspace", str(ws))
    assert exported.returncode == 0, exported.stderr
    dump = " ".join(p.read_text(encoding="utf-8") for p in out.rglob("*.json"))
    assert "kippenhok" in dump and "laadpaal" not in dump and "vereniging" not in dump
    # forget: no trace of the conversation's questions anywhere in the workspace
    gone = run_mine("forget", str(rec / "jansen.txt"), "--yes", "--workspace", str(ws))
    assert gone.returncode == 0, gone.stderr
    again = run_mine(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    everything = " ".join(
        p.read_bytes().decode("utf-8", "replace") for p in ws.rglob("*") if p.is_file()
    )
    assert "kippenhok" not in everything
    assert "laadpaal" in (ws / "gap" / "questions.json").read_text()  # the other stays


def test_questions_section_in_a_real_browser(judged, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from reports.html import render_report
    from tests.test_gap_report import HOSTILE, _chromium

    root, settings, report, _rows = judged
    gap = tmp_path / "gap"
    shutil.copytree(root / "gap", gap)
    data = json.loads((gap / "questions.json").read_text())
    answered = [r for r in data["questions"] if r["status"] == "answered"]
    answered[0]["answer_url"] = "https://zonnegloed.example/prijzen"
    answered[1]["answer_url"] = "javascript:alert(1)"
    first = data["questions"][0]
    first["question"] = f"Wat kost {HOSTILE[0]} {HOSTILE[1]}?"
    first["evidence"][0]["text"] = HOSTILE[2]
    (gap / "questions.json").write_text(json.dumps(data), encoding="utf-8")
    out = render_report(gap, out=tmp_path / "report.html", settings=settings)
    requests, errors, dialogs = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        page = browser.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(out.as_uri())
        items = page.locator("#questions li.question")
        assert items.count() == len(data["questions"])
        statuses = [items.nth(i).get_attribute("data-status") for i in range(items.count())]
        assert statuses == [r["status"] for r in data["questions"]]
        assert statuses[0] == "unanswered" and statuses[-1] == "answered"
        top = items.nth(0)
        assert not top.locator("blockquote").first.is_visible()  # folded until asked
        top.locator("summary").click()
        assert top.locator("blockquote").first.inner_text().startswith(HOSTILE[2])
        assert HOSTILE[0] in top.locator("summary").inner_text()  # text, never markup
        links = page.locator("#questions a")
        hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
        assert hrefs == ["https://zonnegloed.example/prijzen"]  # javascript: stays text
        assert "Vragen die klanten stellen" in page.locator("#questions h2").inner_text()
        browser.close()
    assert errors == [] and dialogs == []
    assert requests and all(u.startswith("file://") for u in requests), requests


def test_questions_sharing_one_word_of_two_are_two_questions() -> None:
    said = ["Is er subsidie voor de warmtepomp?", "Maakt zo'n warmtepomp veel herrie?"]
    asked = asked_in(
        [_u(i, "customer", t) for i, t in enumerate(said)],
        call_id="a",
        source="a.json",
        language="nl",
        roles_known=True,
    )
    assert len(group_questions(asked, customers=lambda c: c)) == 2


def test_faq_answers_lose_scripts_styles_and_nested_entries() -> None:
    answer = "<script>alert(1)</script><style>b{color:red}</style><p>Het kost 5 euro</p>"
    ld = json.dumps(
        {
            "@type": "FAQPage",
            "mainEntity": [
                {
                    "@type": "Question",
                    "name": "Wat kost een <b>thuisbatterij</b>?",
                    "acceptedAnswer": {"@type": "Answer", "text": answer},
                }
            ],
        }
    )
    ld = ld.replace("</", "<\\/")  # as a page writes it: "</script>" would end the block
    html = (
        f'<html><head><script type="application/ld+json">{ld}</script></head><body><main>'
        "<details><summary>A?</summary><p>x</p><details><summary>B?</summary><p>y</p></details>"
        "</details></main></body></html>"
    )
    faq = extract_html(html).faq
    assert [(f["question"], f["answer"]) for f in faq] == [
        ("Wat kost een thuisbatterij?", "Het kost 5 euro"),
        ("A?", "x"),
        ("B?", "y"),
    ]


def test_a_planted_marker_or_a_folder_in_the_way_touches_nothing(judged, tmp_path: Path) -> None:
    root, settings, _report, _rows = judged
    out = tmp_path / "briefs"
    write_briefs(root / "gap", out=out, settings=settings)
    index = (out / "index.md").read_text(encoding="utf-8")
    victim = tmp_path / "victim.md"
    victim.write_text("keep")
    (out / "notes.txt").write_text("keep")
    (out / "sub.md").mkdir()
    (out / MARKER).write_bytes(b"../victim.md\nsub.md\nnotes.txt\na\x00b.md\n/etc/passwd\n")
    write_briefs(root / "gap", out=out, settings=settings)
    assert victim.read_text() == "keep" and (out / "notes.txt").read_text() == "keep"
    assert (out / "sub.md").is_dir()
    (out / "index.md").unlink()
    (out / "index.md").mkdir()  # a brief's name taken by a folder: refused, nothing replaced
    before = {p.name: p.read_bytes() for p in out.glob("*.md") if p.is_file()}
    with pytest.raises(InputError, match="index.md: not a file mine brief wrote"):
        write_briefs(root / "gap", out=out, settings=settings)
    assert {p.name: p.read_bytes() for p in out.glob("*.md") if p.is_file()} == before
    assert index


def test_bare_addresses_in_quotes_do_not_become_links() -> None:
    from reports.brief import md

    text = md("zie https://evil.example/x of www.evil.example of x@y.z \u202eabc")
    assert "https://" not in text and "www.evil" not in text and "x@y" not in text
    assert "\u202e" not in text and "evil.example" in text


def test_mine_brief_command(judged, tmp_path: Path) -> None:
    root, _settings, _report, _rows = judged
    env = {"MINE_WORKSPACE": str(root / "ws")}
    done = run_mine("brief", "--gap", str(root / "gap"), "--out", str(tmp_path / "b"), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "b") and (tmp_path / "b" / "index.md").is_file()
    assert "page briefs" in done.stderr
    missing = run_mine("brief", "--gap", str(tmp_path / "nowhere"), "--out", str(tmp_path / "c"))
    assert missing.returncode == 1 and len(missing.stderr.strip().splitlines()) == 1
    assert "nowhere" in missing.stderr and "mine gap" in missing.stderr
    assert not (tmp_path / "c").exists()
