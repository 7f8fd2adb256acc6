"""Where `mine gap`'s time and memory go, phase by phase, on one crawled site.

    .venv/bin/python bench/gap_phases.py TERMS_DIR SITE_DIR

(``bench/gap_memory.py --keep DIR`` leaves terms and crawled sites to use.) Wraps each phase of
``terms.gap.analyze_gap`` and prints its seconds, the resident memory after it and the peak so
far; ``--tracemalloc`` also prints the Python objects' peak per phase (slower).
"""

from __future__ import annotations

import argparse
import functools
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

import terms.gap as gap
from pipeline.config import load_settings

PHASES = [
    "_read_terms",
    "_read_pages",
    "_pipeline_for",
    "_Site.read",
    "_customer_contexts",
    "_gap_rows",
    "_jargon",
    "_write",
]


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 1024 / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("terms", type=Path)
    ap.add_argument("site", type=Path)
    ap.add_argument("--tracemalloc", action="store_true")
    args = ap.parse_args()
    rows: list[tuple[str, float, float, float, float]] = []

    def wrap(owner: object, name: str, label: str) -> None:
        raw = vars(owner)[name]
        method = isinstance(raw, classmethod)
        inner = raw.__func__ if method else raw

        @functools.wraps(inner)
        def timed(*a: object, **k: object) -> object:
            if args.tracemalloc:
                tracemalloc.reset_peak()
            start = time.perf_counter()
            out = inner(*a, **k)
            py = tracemalloc.get_traced_memory()[1] / 1024 / 1024 if args.tracemalloc else 0.0
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            rows.append((label, time.perf_counter() - start, rss_mb(), peak, py))
            return out

        setattr(owner, name, classmethod(timed) if method else timed)

    for phase in PHASES:
        if phase == "_Site.read":
            wrap(gap._Site, "read", phase)
        else:
            wrap(gap, phase, phase)
    if args.tracemalloc:
        tracemalloc.start()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        gap.analyze_gap(args.terms, args.site, settings=load_settings(), out_dir=Path(out))
    total = time.perf_counter() - start
    print(
        f"| phase | seconds | RSS after, MB | peak so far, MB |{' Python peak, MB |' * args.tracemalloc}"
    )
    print(f"|---|---:|---:|---:|{'---:|' * args.tracemalloc}")
    for label, seconds, rss, peak, py in rows:
        extra = f" {py:.0f} |" if args.tracemalloc else ""
        print(f"| {label} | {seconds:.1f} | {rss:.0f} | {peak:.0f} |{extra}")
    print(
        f"| total | {total:.1f} | {rss_mb():.0f} | "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} |"
    )


if __name__ == "__main__":
    main()
