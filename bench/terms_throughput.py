"""Term extraction throughput vs raw spaCy ``nlp.pipe`` with the same pipeline and text.

    .venv/bin/python bench/terms_throughput.py [--words 500000]

Builds a corpus of at least --words words per language by repeating the customer lines of
bench/data/conversations/, then times (alternating, best of 2) raw ``nlp.pipe`` over it and
``mine``'s full per-utterance path (cleaning, nlp.pipe, candidate patterns, compound keys,
counting). Prints words per second and the ratio mine / raw (target >= 0.8).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from terms.analyze import Analyzer  # noqa: E402
from terms.api import analyze_conversation  # noqa: E402
from terms.inputs import Conversation, read_conversation  # noqa: E402
from terms.nlp import load_pipeline  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "conversations"


def corpus(language: str, words: int) -> Conversation:
    lines = []
    for f in sorted(DATA.glob(f"{language}_*.txt")):
        conv = read_conversation(f, language=language)
        lines += [u for u in conv.utterances if u.speaker == "customer"]
    out, count = [], 0
    while count < words:
        for u in lines:
            out.append(u)
            count += len(u.text.split())
    return Conversation("bench", "bench", language, tuple(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--words", type=int, default=500_000)
    args = ap.parse_args()
    for language in ("nl", "en"):
        pipeline = load_pipeline(language)
        conv = corpus(language, args.words)
        texts = [u.text for u in conv.utterances]
        n_words = sum(len(t.split()) for t in texts)
        raw_times, mine_times = [], []
        for _ in range(2):
            start = time.perf_counter()
            for _doc in pipeline.nlp.pipe(texts, batch_size=256):
                pass
            raw_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            analyze_conversation(conv, Analyzer(pipeline))
            mine_times.append(time.perf_counter() - start)
        raw, mine = min(raw_times), min(mine_times)
        print(
            f"{language} ({pipeline.name}, components {pipeline.nlp.pipe_names}): {n_words} words; "
            f"raw nlp.pipe {n_words / raw:,.0f} words/s, mine {n_words / mine:,.0f} words/s, "
            f"ratio {raw / mine:.2f} (target >= 0.8)"
        )


if __name__ == "__main__":
    main()
