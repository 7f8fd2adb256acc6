"""Shared test helpers: real fixtures, consented copies, the real `mine` command."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from pipeline.consent import add_consent

FIXTURES = Path(__file__).parent / "fixtures"
MINE = Path(sys.executable).parent / "mine"


def references() -> dict[str, str]:
    """Reference text of each speech fixture."""
    with (FIXTURES / "references.tsv").open(encoding="utf-8") as fh:
        return {r["file"]: r["reference"] for r in csv.DictReader(fh, delimiter="\t")}


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One model cache for the whole session (assembled once from the installed packages)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cache_dir: Path) -> None:
    """No test reads the developer's mine.toml or MINE_* variables, or writes outside tmp."""
    for key in list(os.environ):
        if key.startswith("MINE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("MINE_CACHE_DIR", str(cache_dir))
    monkeypatch.setenv("MINE_WORKSPACE", str(tmp_path / "workspace"))
    monkeypatch.chdir(tmp_path)


def consented(folder: Path, name: str, *, source: Path = FIXTURES, **fields: object) -> Path:
    """Copy ``source / name`` (a fixture by default) into ``folder`` and record consent for it."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / Path(name).name
    shutil.copyfile(source / name, target)
    args: dict = {
        "customer": "Bakkerij Jansen",
        "method": "verbal-on-recording",
        "obtained_by": "Sanne",
        "purpose": "website copy",
        "retain_audio_until": date.today() + timedelta(days=30),
    }
    args.update(fields)
    add_consent(target, **args)
    return target


def run_mine(
    *args: str, env: dict | None = None, timeout: float = 600, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """Run the installed `mine` command as a user would."""
    return subprocess.run(
        [str(MINE), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )
