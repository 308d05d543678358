"""Debian's Chromium driven by Playwright, and the service on tiny models, for the page
and report tests.

Outside CI the tests skip when no Chromium is installed (`apt-get install chromium`);
in CI (CI set) they must run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.http import start_uvicorn

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
# The two screens the page is checked on: a laptop and a phone.
VIEWPORTS = {"wide": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM is not None:
        return
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Chromium for the browser tests: apt-get install chromium")
    skip = pytest.mark.skip(reason="no Chromium installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.path.parts:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def server(bilingual_model_dir: Path) -> Iterator[str]:
    proc, url = start_uvicorn({"FRAMING_MODEL_DIR": str(bilingual_model_dir)})
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
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


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    """Each test that takes it runs at 1400x900 and at 390x844."""
    name: str = request.param
    return name
