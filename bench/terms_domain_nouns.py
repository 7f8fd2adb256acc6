"""How many Dutch domain nouns come out as terms: the tagger alone vs mine's analyzer.

    .venv/bin/python bench/terms_domain_nouns.py

30 sales-domain nouns in 5 everyday sentence frames (150 sentences). "tagger" counts the
sentences where the pipeline tags the noun NOUN/PROPN; "mine" counts those where the analyzer
yields the noun's expected compound-aware key (which also needs a right lemma).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from terms.analyze import Analyzer, compound_key  # noqa: E402
from terms.nlp import load_pipeline  # noqa: E402

NOUNS = [
    ("de", "offerte"),
    ("de", "monteur"),
    ("de", "storing"),
    ("de", "levertijd"),
    ("het", "onderhoudscontract"),
    ("het", "reserveonderdeel"),
    ("de", "warmtepomp"),
    ("het", "zonnepaneel"),
    ("de", "heftruck"),
    ("het", "kassasysteem"),
    ("de", "laadpaal"),
    ("de", "omvormer"),
    ("de", "factuur"),
    ("de", "garantie"),
    ("de", "installateur"),
    ("de", "koelmachine"),
    ("de", "rekoven"),
    ("de", "printplaat"),
    ("de", "thermostaat"),
    ("het", "leasecontract"),
    ("de", "servicebeurt"),
    ("de", "voorrijkosten"),
    ("de", "storingsdienst"),
    ("de", "ketel"),
    ("de", "radiator"),
    ("de", "vloerverwarming"),
    ("de", "accu"),
    ("de", "bestelling"),
    ("de", "prijsopgave"),
    ("de", "planningstool"),
]
FRAMES = [
    "Stuur {art} {noun} maar.",
    "Wanneer krijgen we {art} {noun}?",
    "{Art} {noun} is te duur.",
    "Hebben jullie al naar {art} {noun} gekeken?",
    "Ja, en {art} {noun} doet het niet.",
]


def main() -> None:
    pipeline = load_pipeline("nl")
    analyzer = Analyzer(pipeline)
    sentences, expected, nouns = [], [], []
    for art, noun in NOUNS:
        for frame in FRAMES:
            sentences.append(frame.format(art=art, Art=art.capitalize(), noun=noun))
            expected.append(compound_key([noun]))
            nouns.append(noun)
    tagger_ok = sum(
        any(t.text == n and t.pos_ in ("NOUN", "PROPN") for t in doc)
        for doc, n in zip(pipeline.nlp.pipe(sentences), nouns, strict=True)
    )
    found = list(analyzer.analyze(sentences))
    mine_ok = sum(key in {c.key for c in cands} for cands, key in zip(found, expected, strict=True))
    misses = sorted(
        {
            s
            for s, cands, key in zip(sentences, found, expected, strict=True)
            if key not in {c.key for c in cands}
        }
    )
    n = len(sentences)
    print(f"pipeline {pipeline.name}: {n} sentences")
    print(f"tagged as a noun by the pipeline: {tagger_ok}/{n} ({tagger_ok / n:.1%})")
    print(f"extracted with the right key by mine: {mine_ok}/{n} ({mine_ok / n:.1%})")
    for s in misses[:10]:
        print("  missed:", s)


if __name__ == "__main__":
    main()
