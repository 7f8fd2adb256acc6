"""``analyze_gap``: the customers' vocabulary against the website's copy.

Both sides go through the same analyzer (language pipeline, lemmas, Dutch compound keys), so a
term counts the same way in a transcript and on a page.

Status of a customer term (documented rule):
- ``missing``: no page uses it (nor a spelling variant);
- ``underused``: the site uses it, but its share of the site's term mentions is below a quarter
  of its share of the customers' term mentions (the site gives it far less weight than customers);
- ``covered``: otherwise.

Gap score (the table's order): ``score = salience * (1 - coverage)`` where ``salience`` is the
term's customer score from ``mine terms`` times ``log2(1 + customers)`` and ``coverage =
min(1, site share / customer share)``; a missing term has coverage 0.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.config import TERM_LANGUAGES, Settings
from pipeline.errors import InputError
from pipeline.files import staged_files
from pipeline.progress import ProgressCallback, ProgressEvent, ignore
from pipeline.state import register_for_calls
from pipeline.text import edit_distance
from terms.analyze import Analyzer, zipf
from terms.api import distinctiveness
from terms.inputs import (
    AMOUNT,
    PAGES_CAP,
    QUOTE_SHAPE,
    TERMS_META_SHAPE,
    MapOf,
    load_json,
    may_hold_surrogates,
    read_bounded,
    read_json,
    shape_problem,
    shown,
    surrogate_problem,
)
from terms.nlp import BUNDLED_NL, LoadedPipeline, load_pipeline

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

UNDERUSED_FACTOR = 0.25
SUGGESTIONS = 3
JARGON_ROWS = 100


@dataclass(frozen=True)
class GapReport:
    """What ``analyze_gap`` wrote."""

    rows: list[dict[str, Any]]
    jargon: list[dict[str, Any]]
    pages: list[dict[str, Any]]
    meta: dict[str, Any]
    outputs: tuple[str, ...]


#: What ``mine gap`` reads of terms.json (``mine terms``); other keys are ignored.
TERMS_SHAPE = {
    "meta": TERMS_META_SHAPE,
    "terms": [
        {
            "term": str,
            "key": str,
            "language": frozenset(TERM_LANGUAGES),
            "conversations": AMOUNT,
            "mentions": AMOUNT,
            "customers?": AMOUNT,
            "score": AMOUNT,
            "evidence": [QUOTE_SHAPE],
        }
    ],
}
#: One line of pages.jsonl (``mine crawl``).
PAGE_SHAPE = {
    "url": str,
    "text": str,
    "title?": (str, None),
    "headings?": [{"text": str}],
    "lang?": (str, None),
}


def _read_terms(folder: Path) -> dict[str, Any]:
    path = folder / "terms.json" if folder.is_dir() else folder
    return read_json(path, shape=TERMS_SHAPE, made_by="mine terms")


def _read_pages(folder: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The crawled pages (each line checked) and the crawl's summary.

    Raises:
        InputError: pages.jsonl or crawl.json missing, not a regular file, too large, binary or
            malformed (a lone surrogate included), naming the file (and line) and
            ``mine crawl``, which makes them again.
    """
    path = folder / "pages.jsonl" if folder.is_dir() else folder
    raw = read_bounded(
        path,
        cap=PAGES_CAP,
        fix="run mine crawl again or check the path",
        too_large="more than mine reads of a crawl; crawl fewer pages (--max-pages)",
        missing="not found; run mine crawl first and pass its --out folder",
    )
    try:
        # "\n" only: str.splitlines also breaks at U+2028 and friends, which page text may hold
        lines = raw.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        raise InputError(
            f"{shown(path)}: not what mine crawl writes (not UTF-8 JSON: binary, damaged or saved "
            "in another encoding); run mine crawl again"
        ) from None
    del raw
    pages = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        row, problem = load_json(line)
        if not problem:
            problem = shape_problem(row, PAGE_SHAPE)
        if not problem and may_hold_surrogates(line):
            problem = surrogate_problem(row)
        if problem:
            raise InputError(
                f"{shown(path)}:{n}: not a mine page record ({problem}); run mine crawl again"
            )
        headings = [h for h in row.get("headings") or [] if h["text"]]
        pages.append({**row, "title": row.get("title") or "", "headings": headings})
    if not pages:
        raise InputError(f"{shown(path)}: no pages; the crawl found nothing to compare with")
    summary_path = path.parent / "crawl.json"
    summary = (
        read_json(summary_path, shape=MapOf(object), made_by="mine crawl")
        if summary_path.is_file()
        else {}
    )
    return pages, summary


def _pipeline_for(lang: str, terms_meta: dict[str, Any], settings: Settings) -> LoadedPipeline:
    """The pipeline mine terms used for ``lang`` (so both sides are analysed alike)."""
    used = terms_meta.get("pipelines", {}).get(lang, {}).get("pipeline")
    preferred = {"nl": settings.terms.pipeline_nl, "en": settings.terms.pipeline_en}.get(lang)
    if used and used != "rules" and not preferred:
        preferred = str(BUNDLED_NL) if used.startswith("mine nl") else used
    try:
        return load_pipeline(lang, preferred)
    except Exception:  # noqa: BLE001 - the recorded pipeline may be gone; fall back as terms would
        return load_pipeline(lang)


def analyze_gap(
    terms_dir: Path,
    pages_dir: Path,
    *,
    settings: Settings,
    out_dir: Path,
    on_progress: ProgressCallback = ignore,
) -> GapReport:
    """Compare customer terms with the site's pages; write gap.json, gap.csv and jargon.csv.

    Raises:
        InputError: terms or pages missing or malformed.

    Example:
        >>> analyze_gap(Path("terms"), Path("site"), settings=load_settings(), out_dir=Path("gap"))
    """
    terms = _read_terms(terms_dir)
    pages, crawl_summary = _read_pages(pages_dir)
    rows_by_lang: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in terms["terms"]:
        rows_by_lang[r["language"]].append(r)
    main_lang = max(rows_by_lang, key=lambda k: len(rows_by_lang[k])) if rows_by_lang else "nl"
    on_progress(ProgressEvent("total", total=len(pages)))
    out_rows: list[dict[str, Any]] = []
    jargon_rows: list[dict[str, Any]] = []
    page_views: dict[str, dict[str, Any]] = {
        p["url"]: {
            "url": p["url"],
            "title": p.get("title", ""),
            "lang": p.get("lang"),
            "missing_here": [],
            "site_only": [],
        }
        for p in pages
    }
    for lang, term_rows in sorted(rows_by_lang.items()):
        lang_pages = [p for p in pages if (p.get("lang") or main_lang) == lang] or pages
        analyzer = Analyzer(_pipeline_for(lang, terms["meta"], settings))
        body_keys: list[list[str]] = []
        site_count: Counter = Counter()
        heading_count: Counter = Counter()
        per_page: dict[str, Counter] = defaultdict(Counter)
        forms: dict[str, Counter] = defaultdict(Counter)
        headings_text = [
            " . ".join([p.get("title", "")] + [h["text"] for h in p.get("headings", [])])
            for p in lang_pages
        ]
        for i, (p, cands, hcands) in enumerate(
            zip(
                lang_pages,
                analyzer.analyze(p["text"] for p in lang_pages),
                analyzer.analyze(headings_text),
                strict=True,
            )
        ):
            keys = [c.key for c in cands]
            body_keys.append(keys)
            for c in cands:
                site_count[c.key] += 1
                per_page[c.key][p["url"]] += 1
                forms[c.key][c.surface] += 1
            for c in hcands:
                heading_count[c.key] += 1
            on_progress(ProgressEvent("advance", done=i + 1, total=len(pages), item=p["url"]))

        from sklearn.feature_extraction.text import TfidfVectorizer  # heavy: once inputs are read

        vec = TfidfVectorizer(analyzer=lambda d: d, sublinear_tf=True)
        page_matrix = vec.fit_transform(body_keys) if any(body_keys) else None
        vocab = vec.vocabulary_ if page_matrix is not None else {}
        # spelling-variant candidates, bucketed by first letter and length: few edit distances to run
        long_keys: dict[tuple[str, int], list[str]] = defaultdict(list)
        for k in site_count:
            if len(k) >= 7:
                long_keys[k[0], len(k)].append(k)
        customer_total = sum(r["mentions"] for r in term_rows) or 1
        site_total = sum(site_count.values()) or 1
        # the customers' contexts of each term: its evidence quotes, analysed in one batch
        quotes = [(r["key"], q["text"]) for r in term_rows for q in r["evidence"]]
        context_keys: dict[str, list[str]] = {r["key"]: [] for r in term_rows}
        for (owner, _text), cands in zip(
            quotes, analyzer.analyze(t for _, t in quotes), strict=True
        ):
            context_keys[owner].extend(c.key for c in cands if c.key != owner)

        for r in term_rows:
            key = r["key"]
            match, matched = "", [key] if key in site_count else []
            if matched:
                match = "compound" if "+" in key and set(forms[key]) != {r["term"]} else "lemma"
            elif len(key) >= 8:
                limit = 1 if len(key) < 12 else 2
                matched = [
                    k
                    for n in range(len(key) - limit, len(key) + limit + 1)
                    for k in long_keys.get((key[0], n), ())
                    if k != key and edit_distance(k, key, limit) <= limit
                ]
                match = "spelling" if matched else ""
            mentions = sum(site_count[k] for k in matched)
            headings = sum(heading_count[k] for k in matched)
            pages_with = Counter()
            for k in matched:
                pages_with.update(per_page[k])
            cust_share = r["mentions"] / customer_total
            site_share = mentions / site_total
            coverage = min(1.0, site_share / cust_share) if cust_share else 1.0
            status = (
                "missing"
                if mentions == 0
                else "underused"
                if site_share < UNDERUSED_FACTOR * cust_share
                else "covered"
            )
            salience = r["score"] * math.log2(1 + r.get("customers", r["conversations"]))
            suggested = []
            if status != "covered" and page_matrix is not None:
                suggested = _suggest(context_keys[key] + [key], vec, vocab, page_matrix, lang_pages)
            out_rows.append(
                {
                    "term": r["term"],
                    "key": key,
                    "language": lang,
                    "status": status,
                    "score": round(salience * (1 - coverage), 4),
                    "term_score": r["score"],
                    "customer_conversations": r["conversations"],
                    "customer_mentions": r["mentions"],
                    "customers": r.get("customers", r["conversations"]),
                    "site_mentions": mentions,
                    "site_heading_mentions": headings,
                    "site_pages": [{"url": u, "mentions": n} for u, n in pages_with.most_common()],
                    "matched": match,
                    "matched_forms": sorted({f for k in matched for f in forms[k]}),
                    "suggested_pages": suggested,
                    "evidence": r["evidence"],
                }
            )
            for s in suggested[:1]:
                page_views[s["url"]]["missing_here"].append(r["term"])

        said = set(terms["meta"].get("vocabulary", {}).get(lang, {})) or {
            r["key"] for r in term_rows
        }
        term_contexts = {r["key"]: Counter(context_keys[r["key"]] + [r["key"]]) for r in term_rows}
        jargon = []
        for key, count in site_count.items():
            if key in said or count < 2:
                continue
            surface = forms[key].most_common(1)[0][0]
            n_pages = len(per_page[key])
            d = distinctiveness(zipf(surface, lang))
            prominence = (
                d
                * math.log2(1 + count)
                * (1 + n_pages / len(lang_pages))
                * (1 + heading_count[key])
            )
            jargon.append((prominence, key, surface, count, n_pages))
        jargon.sort(reverse=True)
        for prominence, key, surface, count, n_pages in jargon[:JARGON_ROWS]:
            surface_of = {r["key"]: r["term"] for r in term_rows}
            nearby = [
                surface_of.get(k, k)
                for k in _customer_words_near(key, per_page, body_keys, lang_pages, term_contexts)
            ]
            jargon_rows.append(
                {
                    "term": surface,
                    "key": key,
                    "language": lang,
                    "score": round(prominence, 4),
                    "site_mentions": count,
                    "site_heading_mentions": heading_count[key],
                    "site_pages": n_pages,
                    "pages": [u for u, _ in per_page[key].most_common(5)],
                    "customer_words": nearby,
                }
            )
            for u, _ in per_page[key].most_common(3):
                page_views[u]["site_only"].append(surface)

    out_rows.sort(key=lambda r: (-r["score"], r["status"] != "missing", r["term"]))
    jargon_rows.sort(key=lambda r: -r["score"])
    counts = Counter(r["status"] for r in out_rows)
    meta = {
        "terms": terms["meta"],
        "crawl": {
            k: crawl_summary.get(k) for k in ("start", "pages_fetched", "seconds", "user_agent")
        },
        "pages": len(pages),
        "status_counts": dict(counts),
        "rule": {"underused_factor": UNDERUSED_FACTOR, "suggestions": SUGGESTIONS},
        "score": "salience * (1 - coverage); see terms/gap.py",
    }
    views = [v for v in page_views.values() if v["missing_here"] or v["site_only"]]
    outputs = _write(out_rows, jargon_rows, views, meta, out_dir)
    register_for_calls(settings.workspace, terms["meta"], "gap", outputs)
    return GapReport(out_rows, jargon_rows, views, meta, tuple(str(p) for p in outputs))


def _suggest(
    keys: list[str],
    vec: TfidfVectorizer,
    vocab: dict[str, int],
    matrix: Any,
    pages: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The pages whose text is most like the customers' contexts of a term (TF-IDF cosine)."""
    known = [k for k in keys if k in vocab]
    if not known:
        return []
    query = vec.transform([known])
    import numpy as np
    from sklearn.metrics.pairwise import linear_kernel

    sims = linear_kernel(query, matrix).ravel()
    best = np.argsort(-sims)[:SUGGESTIONS]
    return [
        {
            "url": pages[i]["url"],
            "title": pages[i].get("title", ""),
            "similarity": round(float(sims[i]), 3),
        }
        for i in best
        if sims[i] > 0
    ]


def _customer_words_near(
    key: str,
    per_page: dict[str, Counter],
    body_keys: list[list[str]],
    pages: list[dict[str, Any]],
    term_contexts: dict[str, Counter],
) -> list[str]:
    """Customer terms whose contexts share the most words with where the site uses ``key``."""
    urls = set(per_page[key])
    site_context: Counter = Counter()
    for page, keys in zip(pages, body_keys, strict=True):
        if page["url"] in urls:
            site_context.update(k for k in keys if k != key)
    if not site_context:
        return []
    scored = []
    for term_key, ctx in term_contexts.items():
        overlap = sum(min(ctx[k], site_context[k]) for k in ctx)
        if overlap:
            scored.append((overlap / math.sqrt(sum(ctx.values())), term_key))
    scored.sort(reverse=True)
    return [k for _, k in scored[:3]]  # keys; mapped to the customers' surface forms by the caller


def _write(
    rows: list[dict[str, Any]],
    jargon: list[dict[str, Any]],
    pages: list[dict[str, Any]],
    meta: dict[str, Any],
    out_dir: Path,
) -> list[Path]:
    gap_cols = [
        "term",
        "key",
        "language",
        "status",
        "score",
        "customer_conversations",
        "customer_mentions",
        "customers",
        "site_mentions",
        "site_heading_mentions",
        "matched",
        "suggested_pages",
        "evidence",
    ]
    import pandas as pd

    table = pd.DataFrame(
        [
            {
                **{c: r[c] for c in gap_cols[:-2]},
                "suggested_pages": " ".join(s["url"] for s in r["suggested_pages"]),
                "evidence": " | ".join(q["text"] for q in r["evidence"]),
            }
            for r in rows
        ],
        columns=gap_cols,
    )
    jcols = [
        "term",
        "key",
        "language",
        "score",
        "site_mentions",
        "site_heading_mentions",
        "site_pages",
        "pages",
        "customer_words",
    ]
    jtable = pd.DataFrame(
        [
            {**r, "pages": " ".join(r["pages"]), "customer_words": "; ".join(r["customer_words"])}
            for r in jargon
        ],
        columns=jcols,
    )
    targets = [out_dir / "gap.json", out_dir / "gap.csv", out_dir / "jargon.csv"]
    with staged_files(targets) as (js, csv, jcsv):
        js.write_text(
            json.dumps(
                {"meta": meta, "gaps": rows, "jargon": jargon, "pages": pages},
                ensure_ascii=False,
                indent=1,
            ),
            encoding="utf-8",
        )
        table.to_csv(csv, index=False)
        jtable.to_csv(jcsv, index=False)
    return targets
