"""The report of an archive run, opened from disk in Chromium at both widths: it loads
nothing, breaks no rule of its own CSP, and its charts and tables are there."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, VIEWPORTS

distributed = pytest.importorskip("dask.distributed")

TEXTS = [
    "The ministry denied any involvement in the strike. Rain is expected in the north tomorrow.",
    "Officials blamed foreign agents for the riots. Only a handful of minor injuries were seen.",
    "The council approved the budget on Monday. Police dismissed the footage as fake.",
    "Министерство отвергло все обвинения в причастности к удару. Завтра ожидается дождь.",
]
SOURCES = ["Harbour Wire", "The Evening Ledger", "National Broadcaster", None]


@pytest.fixture(scope="module")
def report(bilingual_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from app.batch.archive import run
    from app.batch.report import build

    base = tmp_path_factory.mktemp("report-page")
    source = base / "archive.jsonl"
    with source.open("w", encoding="utf-8") as f:
        for i in range(80):
            record = {
                "id": f"d{i}",
                "text": TEXTS[i % 4],
                "source": SOURCES[(i // 4) % 4],
                "date": f"2026-01-{1 + i % 28:02d}",
                "url": f"https://news.example/d{i}",
            }
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
        f.write("{broken\n")
    out = base / "out"
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        run(
            [str(source)],
            out,
            bilingual_model_dir,
            scheduler=cluster.scheduler_address,
            progress=False,
            explain=True,
        )
    page = out / "report.html"
    page.write_text(build(out, title="Test archive"), encoding="utf-8")
    yield page


def test_the_report_reads_offline_at_both_widths(report: Path, browser: Any, viewport: str) -> None:
    context = browser.new_context(viewport=VIEWPORTS[viewport], offline=True)
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    url = report.as_uri()
    page.goto(url)
    assert requests == [url], "the report loads nothing but itself"
    assert not errors, errors  # a style its CSP refused would be reported here
    # Its own <style> applies (allowed by hash): the page is laid out as designed.
    assert page.evaluate("getComputedStyle(document.body).maxWidth") == "1100px"
    assert page.locator("svg.chart").count() == 3
    for chart in page.locator("svg.chart").all():
        assert chart.is_visible()
        assert chart.bounding_box()["width"] <= VIEWPORTS[viewport]["width"]
    assert page.locator("tr[data-source]").count() == 5  # 4 sources and all sources
    assert page.locator("ol.top li").count() >= 3
    assert page.locator("ol.top mark").count() >= 3
    # Nothing wider than the screen but the tables that scroll in their own box.
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"report-{viewport}.png"), full_page=True)
    context.close()
