"""How well mine finds, groups and judges customer questions, and where it suggests copy, on
the hand-labelled sets in bench/data/questions (see its README.md; written by hand for this
evaluation, independently of the rules).

    .venv/bin/python bench/questions_eval.py [--set dev|heldout]

Two sets, each written by hand by a different annotator session, with its own company and site:
``dev`` (bench/data/questions: Zonnegloed, solar and heat pumps) is the set the rules were
developed and their thresholds chosen on; ``heldout`` (bench/data/questions/heldout: Keukenlab,
kitchens and bathrooms) was written afterwards, without seeing the rules or the first set, and
is measured without changing anything: its figures are the honest ones.

1. Detection (sentences.tsv, 278 customer sentences, nl and en): precision and recall of
   ``terms.questions.is_question`` against the ``question`` label.
2. Grouping (the labelled paraphrase groups in sentences.tsv): pairwise precision and recall
   of "same group" among the labelled questions, each sentence its own conversation.
3. Answer status (answers.tsv, 96 questions against the site in site/, crawled by mine crawl):
   accuracy of answered / partly / unanswered, precision and recall of ``unanswered``, and
   whether an ``answered`` question's page is one the label names.
4. Suggestions: the share a content team would accept (the page suggested is one the label
   names, or no page where the label says ``new``), for the questions mine does not find
   answered and for the customer terms of suggestions.tsv; with the same numbers for the rule
   before this change (no similarity floor, legal and utility pages allowed) as the baseline.
"""

from __future__ import annotations

import csv
import itertools
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.config import load_settings  # noqa: E402
from pipeline.records import Quote, Term, TermsFile  # noqa: E402
from terms.questions import Asked, asked_in, group_questions, is_question  # noqa: E402

SETS = {
    "dev": ROOT / "bench" / "data" / "questions",
    "heldout": ROOT / "bench" / "data" / "questions" / "heldout",
}
DATA = SETS["dev"]


def _tsv(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def _pr(tp: int, fp: int, fn: int) -> str:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return f"precision {p:.2f} ({tp}/{tp + fp}), recall {r:.2f} ({tp}/{tp + fn})"


def detection(rows: list[dict[str, str]]) -> None:
    print("1. detection (sentences.tsv)")
    for lang in ("nl", "en", "all"):
        sel = [r for r in rows if lang in ("all", r["lang"])]
        tp = sum(is_question(r["text"], r["lang"]) and r["label"] == "question" for r in sel)
        fp = sum(is_question(r["text"], r["lang"]) and r["label"] != "question" for r in sel)
        fn = sum(not is_question(r["text"], r["lang"]) and r["label"] == "question" for r in sel)
        print(f"   {lang}: {len(sel)} sentences: {_pr(tp, fp, fn)}")
    misses = [r for r in rows if is_question(r["text"], r["lang"]) != (r["label"] == "question")]
    for r in misses:
        print(
            f"     {'missed' if r['label'] == 'question' else 'false '}  {r['lang']}  {r['text']}"
        )


def grouping(rows: list[dict[str, str]]) -> None:
    print("2. grouping (labelled paraphrase groups)")
    labelled = [r for r in rows if r["label"] == "question" and r["group"] != "-"]
    for lang in ("nl", "en"):
        sel = [r for r in labelled if r["lang"] == lang]
        asked: list[Asked] = []
        gold: dict[str, str] = {}
        for i, r in enumerate(sel):
            found = asked_in(
                [_utterance(r["text"])],
                call_id=f"c{i}",
                source=f"c{i}",
                language=lang,
                roles_known=True,
            )
            if found:
                asked.append(found[0])
                gold[f"c{i}"] = r["group"]
        groups = group_questions(asked, customers=lambda c: c, evidence=100)
        pred = {q.call_id: n for n, g in enumerate(groups) for q in g.evidence}
        tp = fp = fn = 0
        for a, b in itertools.combinations(sorted(gold), 2):
            same_gold, same_pred = gold[a] == gold[b], pred.get(a) == pred.get(b)
            tp += same_gold and same_pred
            fp += same_pred and not same_gold
            fn += same_gold and not same_pred
        print(
            f"   {lang}: {len(gold)} questions in {len(set(gold.values()))} labelled groups -> "
            f"{len(groups)} groups; pairs {_pr(tp, fp, fn)}"
        )


def _utterance(text: str):  # noqa: ANN202
    from pipeline.records import Utterance

    return Utterance(0, 0.0, 1.0, "customer", text)


def _page(url: str) -> str:
    """A crawled page's address as the labels write it (a path in the site folder)."""
    return url.split("site/", 1)[-1] if "site/" in url else url


def _terms_file(questions: list[dict[str, str]], terms: list[dict[str, str]]) -> TermsFile:
    asked = []
    for i, r in enumerate(questions):
        found = asked_in(
            [_utterance(r["question"])],
            call_id=f"q{i}",
            source=f"q{i}",
            language=r["lang"],
            roles_known=True,
        )
        # a labelled question that detection misses is still judged (status is measured apart)
        asked.append(
            found[0]
            if found
            else Asked(r["question"], 0.0, "customer", f"q{i}", f"q{i}", r["lang"])
        )
    grouped = []
    for a in asked:  # each labelled question on its own
        grouped += group_questions([a], customers=lambda c: c)
    rows = [
        Term(
            term=t["term"],
            key=t["key"],
            language=t["lang"],
            conversations=1,
            mentions=1,
            customers=1,
            score=1.0,
            evidence=(Quote(call_id="t", source="t", start=0.0, text=t["term"]),),
        )
        for t in terms
    ]
    meta = {"conversations": 1, "languages": {"nl": 1}, "sources": []}
    return TermsFile(meta=meta, terms=tuple(rows), questions=tuple(grouped))


def _keys(terms: list[dict[str, str]]) -> list[dict[str, str]]:
    """Each labelled term with its key, as mine terms would make it (the language pipeline)."""
    from terms.analyze import Analyzer
    from terms.nlp import load_pipeline

    out = []
    for lang in ("nl", "en"):
        sel = [t for t in terms if t["lang"] == lang]
        analyzer = Analyzer(load_pipeline(lang))
        for t, cands in zip(sel, analyzer.analyze(t["term"] for t in sel), strict=True):
            key = cands[0].key if cands else t["term"].lower()
            out.append({**t, "key": key})
    return out


def judged(site: Path, tf: TermsFile, out: Path, *, baseline: bool) -> tuple[list, list]:
    import terms.gap as gap

    (out / "terms").mkdir(parents=True, exist_ok=True)
    (out / "terms" / "terms.json").write_text(json.dumps(tf.to_dict(), ensure_ascii=False))
    saved = gap.SUGGEST_FLOOR, gap.utility_page
    if baseline:  # the rule before: every page may be suggested, however weakly it fits
        gap.SUGGEST_FLOOR, gap.utility_page = 1e-9, lambda page: False
    try:
        report = gap.analyze_gap(
            out / "terms",
            site,
            settings=load_settings(overrides={"workspace": out / "ws"}),
            out_dir=out / ("base" if baseline else "gap"),
        )
    finally:
        gap.SUGGEST_FLOOR, gap.utility_page = saved
    return report.questions, report.rows


def accepted(suggested: str, gold: list[str]) -> bool:
    return (not suggested and gold == ["new"]) or (bool(suggested) and _page(suggested) in gold)


def status_and_suggestions(questions: list[dict[str, str]], terms: list[dict[str, str]]) -> None:
    from crawl import crawl_site

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        crawl_site(str(DATA / "site"), out_dir=out / "site", options=load_settings().crawl)
        terms = _keys(terms)
        tf = _terms_file(questions, terms)
        results = {b: judged(out / "site", tf, out, baseline=b) for b in (False, True)}
    rows, term_rows = results[False]
    by_q = {r["question"]: r for r in rows}
    print("3. answer status (answers.tsv against site/)")
    confusion: Counter = Counter()
    page_ok = page_n = 0
    for q in questions:
        r = by_q.get(q["question"]) or next(
            x
            for x in rows
            if q["question"].endswith(x["question"]) or x["question"] in q["question"]
        )
        confusion[q["status"], r["status"]] += 1
        if r["status"] == "answered" and q["status"] == "answered":
            page_n += 1
            page_ok += _page(r["answer_url"]) in q["pages"].split()
    n = len(questions)
    right = sum(v for (g, p), v in confusion.items() if g == p)
    print(f"   {n} questions: accuracy {right / n:.2f} ({right}/{n})")
    tp = confusion["unanswered", "unanswered"]
    fp = sum(v for (g, p), v in confusion.items() if p == "unanswered" and g != "unanswered")
    fn = sum(v for (g, p), v in confusion.items() if g == "unanswered" and p != "unanswered")
    print(f"   unanswered: {_pr(tp, fp, fn)}")
    print(
        "   labelled -> found: "
        + ", ".join(f"{g}->{p} {v}" for (g, p), v in sorted(confusion.items()))
    )
    print(f"   answered and labelled answered: the page is a labelled one {page_ok}/{page_n}")
    print("4. suggestions a content team would accept")
    for name, (qrows, trows) in (("this rule", results[False]), ("baseline", results[True])):
        byq = {r["question"]: r for r in qrows}
        ok = total = legal = 0
        for q in questions:
            r = byq.get(q["question"]) or next(
                x
                for x in qrows
                if x["question"] in q["question"] or q["question"].endswith(x["question"])
            )
            if r["status"] == "answered" or q["status"] == "answered":
                continue
            total += 1
            ok += accepted(r["suggested_page"], q["pages"].split())
            legal += _legal(r["suggested_page"])
        byt = {(t["language"], t["term"]): t for t in trows}
        tok = tlegal = 0
        for t in terms:
            row = byt.get((t["lang"], t["term"]))
            first = row["suggested_pages"][0]["url"] if row and row["suggested_pages"] else ""
            if row and row["status"] == "covered":
                first = (row["site_pages"] or [{"url": ""}])[0]["url"]
            tok += accepted(first, t["pages"].split())
            tlegal += _legal(first)
        print(
            f"   {name}: questions {ok}/{total} = {ok / max(total, 1):.2f} "
            f"({legal} on legal/utility pages); terms {tok}/{len(terms)} = "
            f"{tok / len(terms):.2f} ({tlegal} on legal/utility pages)"
        )


LEGAL = ("privacy", "voorwaarden", "cookie", "contact", "zoeken", "categorie", "terms", "search")


def _legal(url: str) -> bool:
    return any(w in _page(url) for w in LEGAL)


def main() -> None:
    import argparse

    global DATA
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", choices=sorted(SETS), default="heldout")
    DATA = SETS[ap.parse_args().set]
    print(f"set: {DATA.relative_to(ROOT)}")
    sentences = _tsv("sentences.tsv")
    detection(sentences)
    grouping(sentences)
    status_and_suggestions(_tsv("answers.tsv"), _tsv("suggestions.tsv"))


if __name__ == "__main__":
    main()
