"""Screenshots for the README: the analyst's page, and the report of an archive run.

    python -m scripts.screenshot [--url http://127.0.0.1:8000]   # all of them, into docs/
    python -m scripts.screenshot page --out docs/page.png [--width 1400 --height 900]
    python -m scripts.screenshot report --run OUT --out docs/report.png

The page needs a running service (`make run`); `all` also runs `framing batch --explain`
and `framing report` on docs/examples/archive.jsonl with the models in models/. All need
Debian's Chromium.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLES = DOCS / "examples"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _browser(p: Any) -> Any:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    return p.chromium.launch(executable_path=chromium, args=ARGS)


def page_shot(url: str, out: Path, article: Path, width: int, height: int, select: int) -> None:
    """The page with `article` analysed and its `select`-th labelled sentence chosen."""
    with sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(url + "/")
        page.wait_for_selector("#language option[value='ru']", state="attached")
        page.fill("#text", article.read_text(encoding="utf-8"))
        page.click("#analyse")
        page.wait_for_selector(".sentence")
        labelled = page.locator(".sentence.labelled")
        if labelled.count():
            labelled.nth(min(select, labelled.count() - 1)).click()
        if width > 800:
            page.evaluate("window.scrollTo(0, 0)")
        # Wide: the whole page, panel beside the sentence. Narrow: the screen, with the sheet.
        page.screenshot(path=str(out), full_page=width > 800)
        browser.close()
    print(f"saved {out}")


def report_shot(run: Path, out: Path, width: int = 1400, height: int = 900) -> None:
    """The top of the report of the archive run in `run` (made with `framing report`)."""
    with sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto((run / "report.html").resolve().as_uri())
        tall = min(2000, page.evaluate("document.documentElement.scrollHeight"))
        page.screenshot(
            path=str(out), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": tall}
        )
        browser.close()
    print(f"saved {out}")


def make_report(run: Path, model_dir: Path | None) -> None:
    """`framing batch --explain` and `framing report` on the example archive."""
    framing = [sys.executable, "-m", "app.cli"]
    if model_dir is not None:
        framing += ["--model-dir", str(model_dir)]
    archive = EXAMPLES / "archive.jsonl"
    subprocess.run(
        [*framing, "batch", str(archive), "--out", str(run), "--explain", "--quiet"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    title = "Example archive: Dornbach and Marivka, January–February 2026"
    subprocess.run([*framing, "report", str(run), "--title", title], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m scripts.screenshot")
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--model-dir", type=Path, help="for the report's run (default models/)")
    commands = parser.add_subparsers(dest="command")
    one = commands.add_parser("page", help="one screenshot of the page")
    one.add_argument("--out", type=Path, default=DOCS / "page.png")
    one.add_argument("--article", type=Path, default=EXAMPLES / "article.txt")
    one.add_argument("--width", type=int, default=1400)
    one.add_argument("--height", type=int, default=900)
    one.add_argument("--select", type=int, default=1, help="which labelled sentence to choose")
    rep = commands.add_parser("report", help="a screenshot of a report (framing report RUN)")
    rep.add_argument("--run", type=Path, required=True)
    rep.add_argument("--out", type=Path, default=DOCS / "report.png")
    args = parser.parse_args()
    if args.command == "page":
        page_shot(args.url, args.out, args.article, args.width, args.height, args.select)
        return
    if args.command == "report":
        report_shot(args.run, args.out)
        return
    page_shot(args.url, DOCS / "page.png", EXAMPLES / "article.txt", 1400, 900, 1)
    page_shot(args.url, DOCS / "page-phone.png", EXAMPLES / "article.txt", 390, 844, 1)
    page_shot(args.url, DOCS / "page-ru.png", EXAMPLES / "article-ru.txt", 1400, 900, 1)
    with tempfile.TemporaryDirectory(prefix="framing-example-run-") as tmp:
        run = Path(tmp) / "run"
        make_report(run, args.model_dir)
        report_shot(run, DOCS / "report.png")


if __name__ == "__main__":
    main()
