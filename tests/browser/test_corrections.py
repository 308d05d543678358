"""Corrections in the page, with the keyboard alone, in Debian's Chromium: an analyst
signs in, corrects 50 sentences, they survive a restart of the service and a training
run with --feedback uses them; the review queue shows its progress. The assertions read
DOM state (data attributes, focus, progress values) and the stored rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from app.core.artifact import read_manifest
from tests.browser.conftest import VIEWPORTS
from tests.conftest import TINY
from tests.feedback.service import start_service
from tests.training.test_train import write_data
from training.train import main as train

ANA = "ana-token-0123456789"
LABELS = ["blame_attribution", "downplaying", "official_denial"]
SENTENCES = [text for text, _ in TINY] + [
    f"The council met in district {i} and approved the budget." for i in range(26)
]


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {ANA}"}


@pytest.fixture
def feedback_service(bilingual_model_dir: Path, tmp_path: Path) -> Iterator[dict[str, Any]]:
    env = {
        "FRAMING_MODEL_DIR": str(bilingual_model_dir),
        "FRAMING_DATA_DIR": str(tmp_path / "data"),
        "FRAMING_ANNOTATOR_TOKENS": json.dumps({"ana": ANA}),
    }
    proc, url = start_service(env)
    running = {"proc": proc, "url": url, "env": env, "db": tmp_path / "data" / "feedback.sqlite3"}
    yield running
    if running["proc"].poll() is None:
        running["proc"].terminate()
        running["proc"].wait(timeout=15)


def open_page(browser: Any, url: str) -> Any:
    page = browser.new_page(viewport=VIEWPORTS["wide"])
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.goto(url + "/")
    page.wait_for_selector("#language option[value='ru']", state="attached")
    return page


def tab_to(page: Any, selector: str, limit: int = 40) -> None:
    """Press Tab until the focus is on `selector`, as a keyboard user would."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def sign_in(page: Any) -> None:
    tab_to(page, "#token")
    page.keyboard.type(ANA)
    page.keyboard.press("Enter")
    page.wait_for_selector("#annotator-status[data-state='signed-in']")


def exported(url: str) -> list[dict[str, Any]]:
    r = httpx.get(url + "/feedback/export", headers=auth(), timeout=30)
    assert r.status_code == 200
    return [json.loads(line) for line in r.text.splitlines()]


def target(i: int, model: list[str]) -> list[str]:
    """What the analyst decides for sentence i: the model's labels, none, one, or two."""
    return [model, [], [LABELS[i % 3]], [LABELS[0], LABELS[2]]][i % 4]


def test_fifty_corrections_with_the_keyboard_survive_a_restart_and_train(
    browser: Any, feedback_service: dict[str, Any], tmp_path: Path
) -> None:
    url = feedback_service["url"]
    page = open_page(browser, url)
    sign_in(page)
    assert page.get_attribute("#annotator-status", "data-annotator") == "ana"
    tab_to(page, "#text")
    page.keyboard.insert_text(" ".join(SENTENCES))
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#results:not([hidden]) .sentence")
    sentences = page.locator(".sentence")
    assert sentences.count() == 50
    model = [(sentences.nth(i).get_attribute("data-labels") or "").split() for i in range(50)]
    tab_to(page, ".sentence")
    expected = []
    for i in range(50):
        assert page.evaluate("document.activeElement.dataset.index") == str(i)
        want = target(i, model[i])
        if want != model[i]:
            page.keyboard.press("0")
            for label in want:
                page.keyboard.press(str(LABELS.index(label) + 1))
        pressed = page.get_attribute("#correction .labeller", "data-labels")
        assert pressed.split() == [x for x in LABELS if x in want]
        page.keyboard.press("Enter")
        expected.append(sorted(want))
        if i < 49:
            expect(page.locator(f".sentence[data-index='{i + 1}']")).to_be_focused()
    expect(page.locator(".sentence[data-correction='saved']")).to_have_count(50, timeout=30_000)
    corrected = [
        (sentences.nth(i).get_attribute("data-corrected") or "").split() for i in range(50)
    ]
    assert corrected == expected
    assert page.get_attribute("#annotator-status", "data-count") == "50"
    assert not page.console_errors, page.console_errors

    rows = exported(url)  # in the order they were stored: the page does not wait for each
    by_text = {r["text"]: sorted(r["labels"]) for r in rows}
    assert by_text == dict(zip(SENTENCES, expected, strict=True))
    assert {r["annotator"] for r in rows} == {"ana"} and len(rows) == 50

    # A restart of the service (on the same address) keeps them all.
    feedback_service["proc"].terminate()
    feedback_service["proc"].wait(timeout=15)
    proc, url = start_service(feedback_service["env"], port=int(url.rsplit(":", 1)[1]))
    feedback_service.update(proc=proc, url=url)
    assert exported(url) == rows
    page.goto(url + "/")
    page.wait_for_selector("#annotator-status[data-count='50']")  # the session signs in again
    page.close()

    # Training with --feedback uses them.
    corpus = write_data(tmp_path / "corpus.jsonl", TINY, "Officials said so on day")
    out = tmp_path / "models"
    args = ["--data", str(corpus), "--language", "en", "--out", str(out), "--cv", "2"]
    args += [
        "--jobs",
        "1",
        "--real-news",
        "/nonexistent",
        "--feedback",
        str(feedback_service["db"]),
    ]
    assert train(args) == 0
    provenance = read_manifest(out / "en").training_data["feedback"]
    assert provenance["corrections"] == 50 and provenance["annotators"] == {"ana": 50}


def test_the_review_queue_one_by_one_with_progress(
    browser: Any, feedback_service: dict[str, Any], tmp_path: Path
) -> None:
    url = feedback_service["url"]
    page = open_page(browser, url)
    sign_in(page)
    tab_to(page, "#text")
    page.keyboard.insert_text(" ".join(SENTENCES[:24]))
    tab_to(page, "#review-text")
    page.keyboard.press("Enter")
    page.wait_for_selector("#review:not([hidden])[data-done='false']")
    assert page.evaluate("document.activeElement.id") == "review"
    total = int(page.get_attribute("#review", "data-total"))
    assert total == 20
    first = page.get_attribute("#review-item", "data-text")
    for i in range(total):
        assert page.evaluate("document.querySelector('#review-progress').value") == i
        assert page.evaluate("document.querySelector('#review-progress').max") == total
        if i == 3:
            page.keyboard.press("s")  # skipped
            continue
        page.keyboard.press("0")
        page.keyboard.press(str(i % 3 + 1))
        page.keyboard.press("Enter")
    page.wait_for_selector("#review[data-done='true'][data-saved='19']")
    assert page.get_attribute("#review", "data-skipped") == "1"
    rows = exported(url)
    assert len(rows) == 19 and rows[0]["text"] == first
    assert rows[0]["labels"] == [LABELS[0]]

    # A queue file written by `framing queue` is reviewed the same way.
    queue = tmp_path / "queue.jsonl"
    items = [
        {
            "rank": 1,
            "text": "Rain is expected in the north tomorrow.",
            "language": "en",
            "labels": [],
            "source": "wire",
            "document_id": "w-7",
            "model_version": "archive-model",
        },
        {
            "rank": 2,
            "text": "Sign up for our daily newsletter.",
            "language": "en",
            "labels": [],
            "source": "blog",
            "document_id": "b-1",
            "model_version": "archive-model",
        },
    ]
    queue.write_text("".join(json.dumps(q) + "\n" for q in items), encoding="utf-8")
    page.set_input_files("#queue-file", str(queue))
    page.wait_for_selector("#review[data-total='2'][data-done='false']")
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.wait_for_selector("#review[data-done='true'][data-saved='2']")
    stored = {r["text"]: r for r in exported(url)}
    rain = stored[items[0]["text"]]
    assert (rain["labels"], rain["source"], rain["document_id"], rain["model_version"]) == (
        ["downplaying"],
        "wire",
        "w-7",
        "archive-model",
    )
    assert not page.console_errors, page.console_errors
    page.close()


def test_signing_in_says_when_corrections_are_off_or_the_token_is_wrong(
    browser: Any, server: str, feedback_service: dict[str, Any]
) -> None:
    page = open_page(browser, server)  # a service with no annotator tokens
    tab_to(page, "#token")
    page.keyboard.type(ANA)
    page.keyboard.press("Enter")
    page.wait_for_selector("#annotator-status[data-state='off']")
    assert page.locator("#review-actions").is_hidden()
    page.close()
    page = open_page(browser, feedback_service["url"])
    tab_to(page, "#token")
    page.keyboard.type("not-the-right-token-at-all")
    page.keyboard.press("Enter")
    page.wait_for_selector("#annotator-status[data-state='wrong']")
    page.close()
