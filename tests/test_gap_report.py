"""Gap logic on a small corpus with known answers, and the report in a real browser."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from pipeline.config import load_settings
from reports.html import render_report
from terms.api import extract_terms
from terms.gap import analyze_gap

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
HOSTILE = ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>', "{{ 7*7 }}"]


def _mine_json(path: Path, lines: list[str]) -> None:
    """A mine transcript JSON of ``Role: text`` lines, one utterance each, 5 s apart."""
    from pipeline.records import ModelInfo, Transcript, Utterance

    utterances = tuple(
        Utterance(i, 5.0 * i, 5.0 * i + 4, "rep" if role == "Verkoper" else "customer", text)
        for i, (role, _sep, text) in enumerate(line.partition(": ") for line in lines)
    )
    t = Transcript(
        "c0" * 32,
        path.with_suffix(".wav").name,
        "nl",
        1.0,
        ModelInfo("base", "0" * 64, "test"),
        {},
        5.0 * len(lines),
        utterances,
        redacted=True,
    )
    path.write_text(json.dumps(t.to_dict(), ensure_ascii=False), encoding="utf-8")


def _corpus(root: Path) -> tuple[Path, Path]:
    calls = root / "calls"
    calls.mkdir(parents=True)
    for i in range(4):
        lines = [
            "Verkoper: Wij bieden een totaaloplossing die u volledig ontzorgt.",
            "Klant: Eh, de levertijd van de bestelling is ons grootste probleem, de planning klopt nooit.",
            "Klant: En als de levering te laat is, staat de hele planning stil, die levertijd moet korter.",
            "Klant: Het onderhoudscontract moet ook de monteur dekken.",
            f"Klant: De thermostaat gaat steeds kapot, dat is al de {i + 2}e keer.",
        ]
        if i == 0:
            # mine's own JSON: its text is read as written (another tool's .txt would lose the
            # tags and braces as transcriber annotations), so the payload reaches the report
            lines.append(
                f"Klant: Zeg {HOSTILE[0]} en {HOSTILE[1]} en {HOSTILE[2]} over de storingsmelding."
            )
            _mine_json(calls / f"gesprek{i}.json", lines)
            continue
        (calls / f"gesprek{i}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    site = root / "site"
    site.mkdir()
    pages = [
        (
            "https://acme.example/onderhoud",
            "Onderhoud",
            "Met een onderhouds contract komen onze monteurs elk jaar langs. Ook uw thermostat wordt "
            "nagekeken door een monteur. Een totaaloplossing die u ontzorgt.",
        ),
        (
            "https://acme.example/levering",
            "Levering en planning",
            "Uw bestelling wordt in overleg ingepland. De levering en de planning stemmen wij af met "
            "uw bestelling en onze monteurs. Een totaaloplossing die u ontzorgt.",
        ),
        (
            "https://acme.example/over",
            f"Over ons {HOSTILE[0]}",
            "Onze monteurs werken in heel Nederland. Een totaaloplossing die u ontzorgt.",
        ),
    ]
    with (site / "pages.jsonl").open("w", encoding="utf-8") as fh:
        for url, title, text in pages:
            fh.write(
                json.dumps(
                    {
                        "url": url,
                        "final_url": url,
                        "status": 200,
                        "title": title,
                        "description": "",
                        "headings": [
                            {"level": "h1", "text": title},
                            {"level": "h2", "text": "Totaaloplossing"},
                        ],
                        "text": text,
                        "lang": "nl",
                        "fetched_at": "2026-11-26T10:00:00+00:00",
                        "content_hash": "x",
                    }
                )
                + "\n"
            )
    return calls, site


@pytest.fixture(scope="module")
def gap(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("gap")
    calls, site = _corpus(root)
    settings = load_settings(overrides={"workspace": root / "ws"})
    extract_terms([calls], settings=settings, out_dir=root / "terms")
    report = analyze_gap(root / "terms", site, settings=settings, out_dir=root / "gap")
    return root, settings, report


def test_known_answers(gap) -> None:
    _root, _settings, report = gap
    rows = {r["key"]: r for r in report.rows}
    top = [r["key"] for r in report.rows[:3]]
    assert rows["lever+tijd"]["status"] == "missing" and "lever+tijd" in top
    assert rows["lever+tijd"]["suggested_pages"][0]["url"] == "https://acme.example/levering"
    assert rows["monteur"]["status"] == "covered"  # on every page
    contract = rows["onderhoud+contract"]
    assert contract["site_mentions"] == 1 and contract["matched"] == "compound"
    assert "onderhouds contract" in contract["matched_forms"]
    thermostat = rows["thermostaat"]
    assert thermostat["matched"] == "spelling" and thermostat["site_mentions"] == 1
    jargon = {j["key"]: j for j in report.jargon}
    assert "totaal+oplossing" in jargon and jargon["totaal+oplossing"]["site_pages"] == 3
    assert report.jargon[0]["key"] == "totaal+oplossing"  # in a heading on every page
    csv = (_root / "gap" / "gap.csv").read_text().splitlines()[0]
    assert csv.startswith("term,key,language,status,score,customer_conversations,customer_mentions")


def test_report_is_self_contained_and_escapes_everything(gap) -> None:
    root, settings, _report = gap
    out = render_report(root / "gap", out=root / "report.html", settings=settings)
    html = out.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    for needle in ('src="http', 'href="http', "src='http", "@import", "url(http"):
        assert needle not in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert" in html  # the page title with a script tag, as text
    en = render_report(root / "gap", out=root / "report-en.html", settings=settings, lang="en")
    assert "What customers say that the website does not" in en.read_text(encoding="utf-8")


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail(
            "the report test needs Debian's Chromium: apt-get install -y chromium "
            "(make test installs it when run as root)"
        )
    return path


def test_report_in_a_real_browser(gap) -> None:
    from playwright.sync_api import sync_playwright

    root, settings, report = gap
    out = render_report(root / "gap", out=root / "browser.html", settings=settings)
    requests, errors, dialogs = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=_chromium(),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(out.as_uri())
        rows = page.locator("#gap-rows tr")
        assert (
            rows.count()
            == len(report.rows)
            == len(json.loads((root / "gap" / "gap.json").read_text())["gaps"])
        )
        first = rows.nth(0).locator("strong").inner_text()
        assert first == report.rows[0]["term"]
        page.click("th[data-key=term]")  # sort by term, A to Z
        terms = [rows.nth(i).locator("strong").inner_text() for i in range(rows.count())]
        assert terms == sorted(terms, key=str.lower) or terms == sorted(terms)
        assert terms[0] != first or first == sorted(terms)[0]
        page.select_option("#status-filter", "missing")
        statuses = {rows.nth(i).get_attribute("data-status") for i in range(rows.count())}
        assert statuses == {"missing"}
        assert rows.count() == sum(r["status"] == "missing" for r in report.rows)
        page.select_option("#status-filter", "covered")
        assert {rows.nth(i).get_attribute("data-status") for i in range(rows.count())} == {
            "covered"
        }
        page.select_option("#status-filter", "")
        page.fill("#search", "storingsmelding")
        assert rows.count() == 1
        rows.nth(0).locator("summary").click()
        quote = rows.nth(0).locator("blockquote").first.inner_text()
        for text in HOSTILE:
            assert text in quote  # shown as text, never run
        ARTIFACTS.mkdir(exist_ok=True)
        page.fill("#search", "")
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        browser.close()
    assert errors == [] and dialogs == []
    assert requests and all(u.startswith("file://") for u in requests), requests


def test_missing_or_broken_inputs_get_one_line(tmp_path: Path) -> None:
    from tests.conftest import run_mine

    report = run_mine(
        "report", "--gap", str(tmp_path / "nothing"), "--out", str(tmp_path / "r.html")
    )
    assert report.returncode == 1 and "run mine gap first" in report.stderr
    (tmp_path / "terms").mkdir()
    (tmp_path / "terms" / "terms.json").write_text('{"rows": []}')
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "pages.jsonl").write_text("not json\n")
    gap = run_mine("gap", "--terms", str(tmp_path / "terms"), "--pages", str(tmp_path / "site"))
    assert gap.returncode == 1 and "run mine terms again" in gap.stderr
    assert len(gap.stderr.strip().splitlines()) == 1 and not (tmp_path / "r.html").exists()


# ---- hand-edited or damaged stage files: one line naming the file and the command ----

_QUOTE = {"call_id": "c", "source": "a.txt", "start": 1.0, "speaker": "customer", "text": "x"}
_TERMS = {
    "meta": {"conversations": 1, "languages": {"en": 1}, "pipelines": {}, "sources": []},
    "terms": [
        {
            "term": "spare parts",
            "key": "spare part",
            "language": "en",
            "conversations": 1,
            "mentions": 2,
            "customers": 1,
            "score": 1.5,
            "evidence": [{**_QUOTE, "text": "the spare parts are late"}],
        }
    ],
}
_PAGE = {
    "url": "https://acme.example/parts",
    "title": "Parts",
    "headings": [{"level": "h1", "text": "Parts"}],
    "text": "We sell spare parts and boilers.",
    "lang": "en",
}


def _stage_files(root: Path, terms: bytes | None = None, pages: bytes | None = None) -> Path:
    (root / "terms").mkdir(parents=True)
    (root / "site").mkdir()
    (root / "terms" / "terms.json").write_bytes(terms or json.dumps(_TERMS).encode())
    (root / "site" / "pages.jsonl").write_bytes(pages or (json.dumps(_PAGE) + "\n").encode())
    return root


def _edited(data: dict, change) -> bytes:
    copy = json.loads(json.dumps(data))
    change(copy)
    return json.dumps(copy).encode()


def _one_line(exc: Exception, path: Path, command: str) -> None:
    message = str(exc)
    assert message.startswith(str(path)) and "\n" not in message, message
    assert f"run {command} again" in message, message


DEEP = b"[" * 200_000 + b"]" * 200_000


@pytest.mark.parametrize(
    "terms",
    [
        pytest.param(_edited(_TERMS, lambda d: d["terms"][0].update(mentions="two")), id="str"),
        pytest.param(_edited(_TERMS, lambda d: d["terms"].append(7)), id="bad-row"),
        pytest.param(_edited(_TERMS, lambda d: d["terms"][0].pop("key")), id="missing-key"),
        pytest.param(
            _edited(_TERMS, lambda d: d["terms"][0]["evidence"][0].pop("text")), id="quote"
        ),
        pytest.param(_edited(_TERMS, lambda d: d["terms"][0].update(language="xx")), id="lang"),
        pytest.param(_edited(_TERMS, lambda d: d["terms"][0].update(customers=-3)), id="negative"),
        pytest.param(_edited(_TERMS, lambda d: d["meta"].update(pipelines=[1])), id="meta"),
        pytest.param(_edited(_TERMS, lambda d: d["meta"].update(sources=[["x"]])), id="sources"),
        pytest.param(_edited(_TERMS, lambda d: d.update(terms={"a": 1})), id="object"),
        pytest.param(json.dumps(_TERMS).replace("1.5", "NaN").encode(), id="nan"),
        pytest.param(b'{"meta": {}, "terms": ' + DEEP + b"}", id="deep"),
        pytest.param(random.Random(1).randbytes(3000), id="binary"),
        pytest.param(json.dumps(_TERMS).encode("utf-16"), id="utf-16"),
        pytest.param(_edited(_TERMS, lambda d: d["terms"][0].update(mentions=10**400)), id="huge"),
        pytest.param(
            json.dumps(_TERMS).replace('"mentions": 2', '"mentions": 1' + "0" * 5000).encode(),
            id="huge-5000-digits",
        ),
        pytest.param(_edited(_TERMS, lambda d: d["terms"][0].update(score=1e300)), id="1e300"),
        pytest.param(
            _edited(_TERMS, lambda d: d["terms"][0].update(term="spare\ud800 parts")),
            id="surrogate",
        ),
        pytest.param(
            _edited(_TERMS, lambda d: d["meta"].update(options={"x": {"\udfff": 1}})),
            id="surrogate-in-a-key-passed-on",
        ),
    ],
)
def test_hand_edited_terms_json_gets_one_line(tmp_path: Path, terms: bytes) -> None:
    from pipeline.errors import InputError

    root = _stage_files(tmp_path, terms=terms)
    settings = load_settings(env={}, overrides={"workspace": tmp_path / "ws"})
    with pytest.raises(InputError) as info:
        analyze_gap(root / "terms", root / "site", settings=settings, out_dir=root / "gap")
    _one_line(info.value, root / "terms" / "terms.json", "mine terms")
    assert "set_int_max_str_digits" not in str(info.value)  # Python's advice is not the user's
    assert not (root / "gap").exists()


@pytest.mark.parametrize(
    ("pages", "crawl"),
    [
        pytest.param(random.Random(2).randbytes(3000), None, id="binary"),
        pytest.param(b"\0" * 500, None, id="nul"),
        pytest.param(b'{"url": "\xff\xfe\xc3(", "text": "x"}\n', None, id="invalid-utf8"),
        pytest.param(b'{"url": 5, "text": "x"}\n', None, id="url-number"),
        pytest.param(b'{"url": "https://a.example/"}\n', None, id="no-text"),
        pytest.param(_edited(_PAGE, lambda d: d.update(headings="h1")), None, id="headings"),
        pytest.param(DEEP + b"\n", None, id="deep"),
        pytest.param(json.dumps(_PAGE).encode()[:40], None, id="truncated"),
        pytest.param(None, random.Random(3).randbytes(200), id="crawl-json-binary"),
        pytest.param(None, b"[1, 2]", id="crawl-json-list"),
        pytest.param(_edited(_PAGE, lambda d: d.update(title="Parts\udfff")), None, id="surrogate"),
        pytest.param(
            _edited(_PAGE, lambda d: d.update(text="spare parts \ud800 boilers")),
            None,
            id="surrogate-in-text",
        ),
        pytest.param(None, b'{"start": "https://a.example/\\ud800"}', id="crawl-json-surrogate"),
    ],
)
def test_damaged_pages_jsonl_gets_one_line(tmp_path: Path, pages, crawl) -> None:
    from pipeline.errors import InputError

    root = _stage_files(tmp_path, pages=pages)
    if crawl is not None:
        (root / "site" / "crawl.json").write_bytes(crawl)
    settings = load_settings(env={}, overrides={"workspace": tmp_path / "ws"})
    with pytest.raises(InputError) as info:
        analyze_gap(root / "terms", root / "site", settings=settings, out_dir=root / "gap")
    name = "crawl.json" if crawl is not None else "pages.jsonl"
    _one_line(info.value, root / "site" / name, "mine crawl")
    assert not (root / "gap").exists()


@pytest.fixture(scope="module")
def small_gap(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A gap.json mine gap wrote from the small hand-made terms and pages (no state involved)."""
    root = _stage_files(tmp_path_factory.mktemp("small"))
    settings = load_settings(env={}, overrides={"workspace": root / "ws"})
    analyze_gap(root / "terms", root / "site", settings=settings, out_dir=root / "gap")
    data = json.loads((root / "gap" / "gap.json").read_text())
    assert data["gaps"] and data["gaps"][0]["key"] == "spare part"
    return data


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: d["gaps"][0].update(score="high"), id="score-str"),
        pytest.param(lambda d: d["gaps"][0].update(status="great"), id="status"),
        pytest.param(lambda d: d["gaps"][0].update(evidence=[[1]]), id="evidence"),
        pytest.param(lambda d: d["gaps"][0]["evidence"][0].update(start="1:00"), id="start"),
        pytest.param(lambda d: d["gaps"][0].pop("term"), id="missing-term"),
        pytest.param(lambda d: d["gaps"].append(None), id="null-row"),
        pytest.param(lambda d: d["meta"]["terms"].update(languages={"en": "many"}), id="langs"),
        pytest.param(lambda d: d["meta"]["terms"].update(sources=[{"model": 5}]), id="model"),
        pytest.param(lambda d: d.update(jargon=[{"term": {"a": [[[1]]]}}]), id="nested-junk"),
        pytest.param(lambda d: d.update(pages=[{"url": "u", "missing_here": 3}]), id="pages"),
        pytest.param(lambda d: d.update(gaps="none"), id="gaps-str"),
        pytest.param(lambda d: d["gaps"][0].update(score=10**400), id="huge-int"),
        pytest.param(lambda d: d["meta"].update(pages=10**309), id="huge-pages"),
        pytest.param(
            lambda d: d["meta"]["terms"].update(
                sources=[{"speech_seconds": 1e308, "role_seconds": 1e308}] * 2
            ),
            id="seconds-that-sum-to-infinity",
        ),
        pytest.param(lambda d: d["gaps"][0].update(term="spare\ud800"), id="surrogate"),
        pytest.param(
            lambda d: d["meta"]["terms"].update(failed=[{"file": "a\udcff.txt", "error": "x"}]),
            id="surrogate-in-left-out",
        ),
    ],
)
def test_hand_edited_gap_json_gets_one_line(tmp_path: Path, small_gap: dict, change) -> None:
    from pipeline.errors import InputError

    (tmp_path / "gap").mkdir()
    (tmp_path / "gap" / "gap.json").write_bytes(_edited(small_gap, change))
    settings = load_settings(env={}, overrides={"workspace": tmp_path / "ws"})
    with pytest.raises(InputError) as info:
        render_report(tmp_path / "gap", out=tmp_path / "r.html", settings=settings)
    _one_line(info.value, tmp_path / "gap" / "gap.json", "mine gap")
    assert not (tmp_path / "r.html").exists()


def test_gap_json_without_optional_meta_still_renders(tmp_path: Path, small_gap: dict) -> None:
    data = json.loads(json.dumps(small_gap))
    data["meta"] = {}
    for page in data["pages"]:
        page.pop("title", None)
    (tmp_path / "gap").mkdir()
    (tmp_path / "gap" / "gap.json").write_text(json.dumps(data))
    settings = load_settings(env={}, overrides={"workspace": tmp_path / "ws"})
    out = render_report(tmp_path / "gap", out=tmp_path / "r.html", settings=settings)
    assert "spare parts" in out.read_text()


def test_page_text_with_unicode_line_separators_is_one_record(tmp_path: Path) -> None:
    page = {**_PAGE, "text": "We sell spare parts.\u2028Boilers too.\u0085And more."}
    root = _stage_files(tmp_path, pages=(json.dumps(page, ensure_ascii=False) + "\n").encode())
    settings = load_settings(env={}, overrides={"workspace": tmp_path / "ws"})
    report = analyze_gap(root / "terms", root / "site", settings=settings, out_dir=root / "gap")
    assert report.meta["pages"] == 1


def test_stage_files_are_regular_files_of_at_most_200_mb(tmp_path: Path) -> None:
    from pipeline.errors import InputError

    settings = load_settings(env={}, overrides={"workspace": tmp_path / "ws"})
    (tmp_path / "gap").mkdir()
    with (tmp_path / "gap" / "gap.json").open("wb") as fh:  # sparse: refused before it is read
        fh.truncate(200 * 1024 * 1024 + 1)
    with pytest.raises(InputError) as info:
        render_report(tmp_path / "gap", out=tmp_path / "r.html", settings=settings)
    assert str(info.value).startswith(f"{tmp_path / 'gap' / 'gap.json'}: larger than 200 MB")
    _one_line(info.value, tmp_path / "gap" / "gap.json", "mine gap")
    with pytest.raises(InputError) as info:
        render_report(Path("/dev/zero"), out=tmp_path / "r.html", settings=settings)
    assert str(info.value) == (
        "/dev/zero: a device, not a regular file; run mine gap again or check the path"
    )
    root = _stage_files(tmp_path / "stage")
    (root / "terms" / "terms.json").unlink()
    (root / "terms" / "terms.json").mkdir()
    with pytest.raises(InputError) as info:
        analyze_gap(root / "terms", root / "site", settings=settings, out_dir=root / "gap")
    _one_line(info.value, root / "terms" / "terms.json", "mine terms")
    assert "a folder, not a regular file" in str(info.value)
    assert not (tmp_path / "r.html").exists() and not (root / "gap").exists()
