"""Refresh docs/report.png (the README's screenshot) from the demo's report.

Needs `make demo` first and Debian's chromium (driven by playwright, as the report test does).

    .venv/bin/python scripts/screenshot_report.py
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "demo-out" / "workspace" / "report.html"


def main() -> int:
    chromium = shutil.which("chromium")
    if not REPORT.is_file() or chromium is None:
        print("run make demo first, with chromium installed (apt-get install -y chromium)")
        return 1
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium)
        page = browser.new_page(viewport={"width": 1280, "height": 1500})
        page.goto(REPORT.as_uri())
        page.screenshot(path=str(ROOT / "docs" / "report.png"))
        browser.close()
    print(f"wrote {ROOT / 'docs' / 'report.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
