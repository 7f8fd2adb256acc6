"""Precision and recall of the PII redactor per type on tests/data/pii_cases.jsonl.

    .venv/bin/python bench/pii_eval.py [--set pii_heldout.jsonl] [--show-errors]

A placeholder counts as found when the redacted sentence has the expected placeholder at the
expected place (the texts between placeholders match); near-miss sentences must come back
unchanged.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pipeline.privacy import TYPES, Redactor, ner_for  # noqa: E402

CASES = Path(__file__).resolve().parent.parent / "tests" / "data" / "pii_cases.jsonl"
_PH = re.compile(r"\[(" + "|".join(TYPES) + r")\]")


def load(path: Path = CASES) -> list[dict]:
    """The labelled sentences of one set."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def score(cases: list[dict], *, use_ner: bool = True) -> dict:
    """Per-type true positives, false positives, false negatives and near-miss damage."""
    tp, fp, fn = Counter(), Counter(), Counter()
    changed = near = 0
    errors = []
    for case in cases:
        ner = ner_for(case["lang"]) if use_ner else None
        got, _ = Redactor(names=case["names"], ner=ner).redact(case["text"])
        exp = case["expected"]
        if not case["types"]:
            near += 1
            if got != case["text"]:
                changed += 1
                errors.append((case["text"], got, exp))
        got_types, exp_types = _PH.findall(got), _PH.findall(exp)
        if got == exp:
            tp.update(exp_types)
            continue
        errors.append((case["text"], got, exp)) if case["types"] else None
        # match placeholders by the text that precedes them
        got_keys = Counter(_keys(got))
        exp_keys = Counter(_keys(exp))
        for key in exp_keys:
            hit = min(exp_keys[key], got_keys.get(key, 0))
            tp[key[0]] += hit
            fn[key[0]] += exp_keys[key] - hit
        for key in got_keys:
            fp[key[0]] += max(0, got_keys[key] - exp_keys.get(key, 0))
        del got_types, exp_types
    return {"tp": tp, "fp": fp, "fn": fn, "near": near, "changed": changed, "errors": errors}


def _keys(text: str) -> list[tuple[str, str]]:
    """(type, the few words before it) for each placeholder, to tell right from wrong places."""
    out = []
    for m in _PH.finditer(text):
        before = _PH.sub("#", text[: m.start()]).split()[-2:]
        out.append((m.group(1), " ".join(before).lower()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--show-errors", action="store_true")
    ap.add_argument("--set", default="pii_cases.jsonl", help="file in tests/data/")
    args = ap.parse_args()
    cases = load(CASES.parent / args.set)
    r = score(cases)
    print(
        f"{len(cases)} sentences ({sum(bool(c['types']) for c in cases)} with PII, {r['near']} near misses)"
    )
    print(f"{'type':9} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} {'fn':>4}")
    for t in TYPES:
        tp, fp, fn = r["tp"][t], r["fp"][t], r["fn"][t]
        p = tp / (tp + fp) if tp + fp else 1.0
        rec = tp / (tp + fn) if tp + fn else 1.0
        print(f"{t:9} {p:9.3f} {rec:7.3f} {tp:4d} {fp:4d} {fn:4d}")
    print(
        f"near misses changed: {r['changed']}/{r['near']} ({r['changed'] / max(r['near'], 1):.1%})"
    )
    if args.show_errors:
        for text, got, exp in r["errors"]:
            print(f"\n  text: {_visible(text)}\n   got: {_visible(got)}\n  want: {_visible(exp)}")


def _visible(text: str) -> str:
    """``text`` with invisible characters and odd spaces written as ``\\uXXXX``."""
    return "".join(
        f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cf", "Zs") and c != " " else c
        for c in text
    )


if __name__ == "__main__":
    main()
