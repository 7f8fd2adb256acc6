"""The built wheel, installed outside the checkout, behaves as the editable install.

The wheel is built from a copy of what pyproject.toml names (so nothing stale in the checkout's
build/ can slip in) and installed without dependencies into a fresh virtual environment; that
environment sees the main one's third-party packages through a path line in a .pth file of its
own, which appends the folder to sys.path after the wheel's and runs none of that folder's .pth
files (so the editable finder of the development install is never used). `mine` runs from a
folder outside the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 300


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    site: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def mine(self) -> Path:
        return self.venv / "bin" / "mine"


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _source_files() -> list[Path]:
    """What the build reads: pyproject.toml, the readme, and the packages and modules it names."""
    project = _project()
    tool = project["tool"]["setuptools"]
    files = [ROOT / "pyproject.toml", ROOT / project["project"]["readme"]]
    files += [ROOT / f"{name}.py" for name in tool.get("py-modules", [])]
    for package in tool["packages"]:
        folder = ROOT / package.replace(".", "/")
        files += [
            p
            for p in sorted(folder.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        ]
    return files


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, f"{cmd} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _clean_env(tmp: Path) -> dict[str, str]:
    """The environment without anything that would put the checkout or the main venv first."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONUSERBASE"}
    }
    env.update(
        {"PYTHONNOUSERSITE": "1", "PYTHONSAFEPATH": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    )
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if p and not Path(p).is_relative_to(ROOT)
    )
    env["HOME"] = str(tmp)
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    assert not base.is_relative_to(ROOT)
    env = _clean_env(base)

    src = base / "src"
    for path in _source_files():
        target = src / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    dist = base / "dist"
    pip = [sys.executable, "-m", "pip"]
    offline = ["-q", "--no-deps", "--no-index"]  # the wheel alone: no download, no dependency
    _run([*pip, "wheel", *offline, "--no-build-isolation", "-w", dist, src], base, env)
    (wheel,) = dist.glob("mine-*.whl")

    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], base, env)
    fresh = venv / "bin" / "python"
    _run([*pip, "--python", fresh, "install", *offline, "--no-compile", wheel], base, env)
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(_run([fresh, "-c", purelib], base, env).strip())
    # The main venv's third-party packages, after the wheel's files; its .pth files are not run.
    main = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (site / "zz-main-venv-dependencies.pth").write_text(
        "".join(f"{p}\n" for p in main), encoding="utf-8"
    )
    return Installed(wheel, venv, site)


def test_every_top_level_package_is_listed_for_the_wheel() -> None:
    tool = _project()["tool"]["setuptools"]
    here = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench", "scripts"}
    assert here <= set(tool["packages"]), "add to [tool.setuptools] packages in pyproject.toml"


def test_wheel_contains_every_file_of_its_packages(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    expected = {
        p.relative_to(ROOT).as_posix()
        for p in _source_files()
        if p.parent != ROOT or p.suffix == ".py"
    }
    missing = sorted(expected - names)
    assert not missing, f"left out of the wheel: {missing}"
    assert "terms/pipelines/nl_mine/meta.json" in names
    assert "reports/templates/report.html.j2" in names


def test_installed_wheel_uses_the_shipped_dutch_pipeline(
    installed: Installed, tmp_path_factory: pytest.TempPathFactory
) -> None:
    work = tmp_path_factory.mktemp("outside")
    env = _clean_env(work)
    env["MINE_WORKSPACE"] = str(work / "workspace")

    tool = _project()["tool"]["setuptools"]
    modules = [*tool.get("py-modules", []), *tool["packages"]]
    probe = _run(
        [
            installed.python,
            "-c",
            "import importlib, importlib.util, json, sys; from terms import nlp; "
            f"files = [importlib.import_module(m).__file__ for m in {modules!r}]; "
            "print(json.dumps({'files': files, 'bundled': str(nlp.BUNDLED_NL), 'path': sys.path, "
            "'official': [n for n in ('nl_core_news_lg', 'nl_core_news_md', 'nl_core_news_sm') "
            "if importlib.util.find_spec(n)]}))",
        ],
        work,
        env,
    )
    seen = json.loads(probe)
    for file in seen["files"]:
        assert Path(file).is_relative_to(installed.site), f"{file} is not the wheel's"
    assert str(ROOT) not in seen["path"] and "" not in seen["path"]
    bundled = Path(seen["bundled"])
    assert bundled.is_relative_to(installed.site) and (bundled / "meta.json").is_file()

    calls = work / "calls"
    calls.mkdir()
    (calls / "call1.txt").write_text(
        "Klant: Het onderhoudscontract voor de warmtepomp is te duur.\n"
        "Verkoper: Dan kijken we naar de offerte.\n"
        "Klant: De levertijd van de warmtepomp is ook erg lang.\n",
        encoding="utf-8",
    )
    args = ["terms", calls, "--out", work / "terms", "--language", "nl"]
    if seen["official"]:  # an official pipeline would win: name the shipped one
        args += ["--pipeline-nl", bundled]
    _run([installed.mine, *args], work, env)
    meta = json.loads((work / "terms" / "terms.json").read_text(encoding="utf-8"))["meta"]
    used = meta["pipelines"]["nl"]["pipeline"]
    assert used.startswith("mine nl") or Path(used) == bundled, meta["pipelines"]
