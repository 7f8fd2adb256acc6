"""Running a command as a subprocess for a benchmark: its wall time and peak resident memory."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Runs argv[1:] and prints the child's peak RSS (KiB) and exit status.
_WRAP = """
import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)
"""


def measure(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of ``cmd``, run from the repository root; exits with
    the command's error output when it fails."""
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _WRAP, *cmd], capture_output=True, text=True, check=True, cwd=ROOT
    )
    peak, rc = out.stdout.split()
    if rc != "0":
        sys.exit(f"failed: {' '.join(cmd)}\n{out.stderr}")
    return time.perf_counter() - start, int(peak) / 1024
