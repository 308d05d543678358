"""The analyst's page in a real headless Chromium (Debian's package), driven by Playwright.

Outside CI the tests skip when no Chromium is installed (`apt-get install chromium`);
in CI (CI set) they must run.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ARTICLE = (
    "Border town shelled overnight\n\n"
    "The ministry denied any involvement in the strike. "
    "Officials blamed foreign agents for the riots. "
    "Only a handful of minor injuries were reported. "
    "The council approved the budget on Monday."
)

if CHROMIUM is None:
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Chromium for the browser tests: apt-get install chromium")
    pytest.skip(
        "no Chromium installed (apt-get install chromium); browser tests skipped",
        allow_module_level=True,
    )

sync_api = pytest.importorskip("playwright.sync_api")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(bilingual_model_dir: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "FRAMING_MODEL_DIR": str(bilingual_model_dir)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "app.api.main:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{url}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("the server did not become ready")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


def test_analyse_highlight_evidence_export(server: str, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(accept_downloads=True, viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    response = page.goto(server + "/")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector("#model-info:has-text('Languages: English (model')")
    assert "Russian (model" in page.locator("#model-info").inner_text()

    page.fill("#text", ARTICLE)
    page.click("#analyse")
    page.wait_for_selector(".sentence")
    sentences = page.locator(".sentence")
    assert sentences.count() == 5
    labels = [sentences.nth(i).get_attribute("data-labels") for i in range(5)]
    assert labels == ["", "official_denial", "blame_attribution", "downplaying", ""]
    # Labels are readable without colour: each labelled sentence shows its tags as text.
    assert sentences.nth(1).locator(".tags").inner_text().strip() == "OD"
    assert page.locator("#legend li[data-label='official_denial'] .count").inner_text() == "1"

    sentences.nth(1).focus()
    detail = page.locator("#detail")
    detail.locator("ol.evidence[data-label='official_denial'] li").first.wait_for()
    assert detail.locator("mark").count() >= 1
    marked = " ".join(detail.locator("mark").all_inner_texts())
    assert any(word in marked for word in ("denied", "involvement", "ministry"))
    assert detail.locator("tr[data-label='official_denial']").inner_text().count("✓") == 1

    page.select_option("#filter", "blame_attribution")
    assert page.locator(".sentence.dimmed").count() == 4
    page.select_option("#filter", "")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page.png"), full_page=True)

    with page.expect_download() as json_download:
        page.click("#export-json")
    saved = tmp_path / "out.json"
    json_download.value.save_as(saved)
    exported = json.loads(saved.read_text())
    assert [s["labels"] for s in exported["sentences"]][1] == ["official_denial"]

    with page.expect_download() as csv_download:
        page.click("#export-csv")
    saved_csv = tmp_path / "out.csv"
    csv_download.value.save_as(saved_csv)
    lines = saved_csv.read_text().splitlines()
    assert lines[0].startswith("index,start,end,language,text,labels,score_blame_attribution")
    assert len(lines) == 6
    assert not errors, errors
    page.close()


def test_keyboard_navigation(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(server + "/")
    page.fill("#text", ARTICLE)
    page.focus("#text")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(".sentence")
    page.locator(".sentence").first.focus()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.dataset.index") == "1"
    assert page.locator("#detail h3").inner_text() == "Sentence 2 · English"
    page.close()


def test_error_is_shown(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(server + "/")
    page.click("#analyse")
    assert "Paste or open some text" in page.locator("#status").inner_text()
    page.close()


def test_russian_text_and_language_choice(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(server + "/")
    page.wait_for_selector("#language option[value='ru']", state="attached")
    page.fill(
        "#text",
        "Министерство отвергло все обвинения в причастности к удару. "
        "Пострадали лишь несколько человек, ничего серьёзного.",
    )
    page.click("#analyse")
    page.wait_for_selector(".sentence")
    assert page.locator("#status").inner_text().startswith("Russian, detected:")
    page.locator(".sentence").first.focus()
    assert page.locator("#detail h3").inner_text() == "Sentence 1 · Russian"

    page.select_option("#language", "en")
    page.click("#analyse")
    page.wait_for_selector("#status:has-text('English, as asked')")

    page.select_option("#language", "")
    page.fill("#text", "Das Ministerium wies alle Vorwürfe über den Angriff entschieden zurück.")
    page.click("#analyse")
    page.wait_for_selector("#status.error")
    assert "looks like German (de)" in page.locator("#status").inner_text()
    page.close()
