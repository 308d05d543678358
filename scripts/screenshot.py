"""Screenshot of the analyst's page with an example article, for the README.

    python -m scripts.screenshot [--url http://127.0.0.1:8000] [--out docs/page.png]

Needs a running service (`make run`) and Debian's Chromium.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "page.png")
    parser.add_argument("--article", type=Path, default=ROOT / "docs" / "examples" / "article.txt")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(args.url + "/")
        page.fill("#text", args.article.read_text(encoding="utf-8"))
        page.click("#analyse")
        page.wait_for_selector(".sentence")
        labelled = page.locator(".sentence.labelled")
        if labelled.count() > 1:
            labelled.nth(1).focus()
        page.screenshot(path=str(args.out), full_page=True)
        browser.close()
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
