"""The analyst's page in a real headless Chromium (Debian's package), driven by Playwright,
at 1400x900 and at 390x844. The assertions read DOM state (data attributes, roles,
focus, boxes, computed colours), never the page's wording."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import ARTIFACTS, VIEWPORTS

ARTICLE = (
    "Border town shelled overnight\n\n"
    "The ministry denied any involvement in the strike. "
    "Officials blamed foreign agents for the riots. "
    "Only a handful of minor injuries were reported. "
    "The council approved the budget on Monday."
)
LABELS = ["", "official_denial", "blame_attribution", "downplaying", ""]
BOTH = "The spokesman denied the claims and blamed provocateurs."
RU_TEXT = (
    "Министерство отвергло все обвинения в причастности к удару. "
    "Пострадали лишь несколько человек, ничего серьёзного."
)
DE_TEXT = "Das Ministerium wies alle Vorwürfe über den Angriff entschieden zurück."
# Sentences for a long document: the chosen one lies far below the first screen.
FILLER = [
    "The council approved the budget on Monday.",
    "Rain is expected in the north tomorrow.",
    "The museum opened a new wing.",
    "Turnout was 31 percent.",
]


def long_text(sentences: int) -> str:
    body = [f"{FILLER[i % 4][:-1]} in district {i}." for i in range(sentences)]
    body[sentences - 5] = "Officials blamed foreign agents for the riots."
    return " ".join(body)


def open_page(browser: Any, server: str, viewport: str, **options: Any) -> Any:
    page = browser.new_page(viewport=VIEWPORTS[viewport], **options)
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    response = page.goto(server + "/")
    assert response is not None and response.status == 200
    page.wait_for_selector("#language option[value='ru']", state="attached")
    return page


def analyse(page: Any, text: str) -> None:
    page.fill("#text", text)
    page.click("#analyse")
    page.wait_for_selector("#results:not([hidden]) .sentence")
    page.wait_for_selector("#analyse:not([disabled])")


def box(page: Any, selector: str) -> dict[str, float]:
    found: dict[str, float] = page.eval_on_selector(
        selector,
        "e => { const r = e.getBoundingClientRect();"
        " return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,"
        " width: r.width, height: r.height}; }",
    )
    return found


def active_index(page: Any) -> str | None:
    found: str | None = page.evaluate("document.activeElement.dataset.index ?? null")
    return found


def test_analyse_highlight_filter_and_export(
    server: str, browser: Any, viewport: str, tmp_path: Path
) -> None:
    page = open_page(browser, server, viewport, accept_downloads=True)
    csp = httpx.get(server + "/").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    analyse(page, ARTICLE)
    sentences = page.locator(".sentence")
    assert sentences.count() == 5
    assert [sentences.nth(i).get_attribute("data-labels") for i in range(5)] == LABELS
    # Labels are readable without colour: each labelled sentence shows its initials.
    assert sentences.nth(1).locator(".tags").inner_text().strip() == "OD"
    assert page.locator("#legend li[data-label='official_denial'] .count").inner_text() == "1"
    assert page.get_attribute("#results", "data-language") == "en"
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), "no sideways scroll"

    page.select_option("#filter", "blame_attribution")
    assert page.locator(".sentence.dimmed").count() == 4
    assert page.locator(".sentence[aria-disabled='true']").count() == 4
    page.select_option("#filter", "")

    with page.expect_download() as json_download:
        page.click("#export-json")
    assert re.fullmatch(r"text-framing-\d{8}-\d{6}\.json", json_download.value.suggested_filename)
    saved = tmp_path / "out.json"
    json_download.value.save_as(saved)
    assert [s["labels"] for s in json.loads(saved.read_text())["sentences"]][1] == [
        "official_denial"
    ]
    with page.expect_download() as csv_download:
        page.click("#export-csv")
    assert re.fullmatch(r"text-framing-\d{8}-\d{6}\.csv", csv_download.value.suggested_filename)
    saved_csv = tmp_path / "out.csv"
    csv_download.value.save_as(saved_csv)
    lines = saved_csv.read_text().splitlines()
    assert lines[0].startswith("index,start,end,language,text,labels,score_blame_attribution")
    assert len(lines) == 6

    # A file's name goes into the export's name.
    source = tmp_path / "Border report (draft).txt"
    source.write_text(ARTICLE, encoding="utf-8")
    page.set_input_files("#file", str(source))
    page.wait_for_selector("#status[data-encoding='utf-8']")
    page.click("#analyse")
    page.wait_for_selector("#results:not([data-stale])")
    with page.expect_download() as named:
        page.click("#export-json")
    assert re.fullmatch(
        r"Border_report_draft_-framing-\d{8}-\d{6}\.json", named.value.suggested_filename
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".sentence").nth(1).click()
    page.screenshot(path=str(ARTIFACTS / f"page-{viewport}.png"))
    assert not page.console_errors, page.console_errors
    page.close()


def test_the_detail_panel_stands_beside_the_sentence_or_is_a_bottom_sheet(
    server: str, browser: Any, viewport: str
) -> None:
    page = open_page(browser, server, viewport)
    analyse(page, long_text(120))
    target = page.locator(".sentence.labelled").first
    index = target.get_attribute("data-index")
    target.click()
    assert page.get_attribute("#detail", "data-index") == index
    assert "open" in (page.get_attribute("#detail", "class") or "")
    sentence = box(page, f"#sentence-{index}")
    detail = box(page, "#detail")
    height = VIEWPORTS[viewport]["height"]
    assert sentence["top"] > 0 and sentence["bottom"] < height, "the sentence is in view"
    if viewport == "wide":
        assert detail["left"] >= box(page, "#document")["right"]
        assert abs(detail["top"] - sentence["top"]) <= 24, (detail, sentence)
    else:
        assert page.eval_on_selector("#detail", "e => getComputedStyle(e).position") == "fixed"
        assert detail["bottom"] == pytest.approx(height, abs=1)
        assert detail["width"] == pytest.approx(VIEWPORTS[viewport]["width"], abs=1)
        assert sentence["bottom"] <= detail["top"], "the sentence is above the sheet"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"page-long-{viewport}.png"))

    # Closing it (button or Escape) leaves focus on the sentence, and no details.
    page.click("#close-detail")
    assert "open" not in (page.get_attribute("#detail", "class") or "")
    assert active_index(page) == index
    assert page.locator(".sentence[aria-selected='true']").count() == 0
    if viewport == "phone":
        assert not page.is_visible("#detail")
    page.keyboard.press("ArrowDown")
    assert "open" in (page.get_attribute("#detail", "class") or "")
    page.keyboard.press("Escape")
    assert "open" not in (page.get_attribute("#detail", "class") or "")
    page.close()


def test_evidence_is_coloured_per_label(server: str, browser: Any, viewport: str) -> None:
    page = open_page(browser, server, viewport)
    analyse(page, BOTH)
    sentence = page.locator(".sentence").first
    labels = (sentence.get_attribute("data-labels") or "").split()
    assert sorted(labels) == ["blame_attribution", "official_denial"]
    sentence.click()
    colours = {}
    for label in labels:
        marks = page.locator(f"#detail blockquote mark[data-label='{label}']")
        assert marks.count() >= 1, label
        listed = page.locator(f"#detail ol.evidence[data-label='{label}'] mark")
        assert listed.count() >= 1, label
        colours[label] = {
            listed.nth(i).evaluate("e => getComputedStyle(e).backgroundColor")
            for i in range(listed.count())
        }
        in_quote = {
            marks.nth(i).evaluate("e => getComputedStyle(e).borderBottomColor")
            for i in range(marks.count())
        }
        assert len(colours[label]) == 1 and len(in_quote) == 1, (label, colours, in_quote)
    assert colours["blame_attribution"] != colours["official_denial"]
    page.close()


def test_score_bars_mark_each_labels_threshold(server: str, browser: Any, viewport: str) -> None:
    page = open_page(browser, server, viewport)
    thresholds = {
        label["name"]: label["thresholds"]
        for label in httpx.get(server + "/labels").json()["labels"]
    }
    analyse(page, f"{ARTICLE}\n\n{RU_TEXT}")
    for index in ("1", "6"):
        page.click(f"#sentence-{index}")
        language = page.get_attribute("#detail", "data-language")
        assert language == ("en" if index == "1" else "ru")
        for label, per_language in thresholds.items():
            bar = page.locator(f"#detail tr[data-label='{label}'] .bar")
            threshold = float(bar.get_attribute("data-threshold") or "nan")
            assert threshold == per_language[language]
            score = float(bar.get_attribute("aria-valuenow") or "nan")
            width = box(page, f"#detail tr[data-label='{label}'] .bar")["width"]
            tick = bar.locator(".threshold").evaluate(
                "e => e.getBoundingClientRect().left - e.parentElement.getBoundingClientRect().left"
            )
            fill = bar.locator(".fill").evaluate("e => e.getBoundingClientRect().width")
            assert tick / width == pytest.approx(threshold, abs=0.02)
            assert fill / width == pytest.approx(score, abs=0.02)
            on = "on" in (bar.get_attribute("class") or "").split()
            labelled = label in (page.get_attribute(f"#sentence-{index}", "data-labels") or "")
            assert on == labelled == (score >= threshold)
    page.close()


def test_next_and_previous_flagged_by_key_and_button(
    server: str, browser: Any, viewport: str
) -> None:
    page = open_page(browser, server, viewport)
    analyse(page, ARTICLE)
    assert page.is_disabled("#prev-flagged") and not page.is_disabled("#next-flagged")
    page.locator("h1").click()  # focus outside the text box
    visited = []
    for _ in range(3):
        page.keyboard.press("n")
        visited.append(page.get_attribute("#detail", "data-index"))
    assert visited == ["1", "2", "3"]
    assert active_index(page) == "3"
    assert page.is_disabled("#next-flagged")
    page.keyboard.press("p")
    assert page.get_attribute("#detail", "data-index") == "2"
    page.click("#prev-flagged")
    assert page.get_attribute("#detail", "data-index") == "1"
    assert page.is_disabled("#prev-flagged")
    page.click("#next-flagged")
    assert page.get_attribute("#detail", "data-index") == "2"
    # Only the flagged sentences the filter shows.
    page.select_option("#filter", "downplaying")
    page.keyboard.press("Escape")
    page.locator("h1").click()
    page.keyboard.press("n")
    assert page.get_attribute("#detail", "data-index") == "3"
    # Keys typed into the text box are text.
    page.focus("#text")
    page.keyboard.press("End")
    page.keyboard.type("n")
    assert page.input_value("#text").endswith("n")
    page.close()


def test_a_result_is_marked_stale_after_an_edit_or_an_error(
    server: str, browser: Any, viewport: str
) -> None:
    page = open_page(browser, server, viewport)
    analyse(page, ARTICLE)
    assert page.get_attribute("#results", "data-stale") is None
    assert not page.is_visible("#stale")
    page.focus("#text")
    page.keyboard.press("End")
    page.keyboard.type(" More.")
    assert page.get_attribute("#results", "data-stale") == "edited"
    assert page.is_visible("#stale")
    page.fill("#text", ARTICLE)  # back to the text the result is for
    page.dispatch_event("#text", "input")
    assert page.get_attribute("#results", "data-stale") is None
    page.select_option("#language", "ru")
    assert page.get_attribute("#results", "data-stale") == "edited"
    page.select_option("#language", "")
    assert page.get_attribute("#results", "data-stale") is None

    page.fill("#text", DE_TEXT)
    page.click("#analyse")
    page.wait_for_selector("#status.error")
    assert page.get_attribute("#status", "data-problem") == "unsupported-language"
    assert page.get_attribute("#results", "data-stale") == "failed"
    assert page.is_visible("#stale")
    assert page.locator(".sentence").count() == 5  # the old result, marked
    analyse(page, ARTICLE)
    page.wait_for_selector("#results:not([data-stale])")
    assert not page.is_visible("#stale")
    page.close()


ENCODED = {
    "utf-8": (lambda t: t.encode("utf-8"), "utf-8"),
    "utf-8 with BOM": (lambda t: t.encode("utf-8-sig"), "utf-8"),
    "utf-16 with BOM": (lambda t: t.encode("utf-16"), "utf-16le"),
    "utf-16be with BOM": (lambda t: b"\xfe\xff" + t.encode("utf-16-be"), "utf-16be"),
    "utf-16le, no BOM": (lambda t: t.encode("utf-16-le"), "utf-16le"),
    "windows-1251": (lambda t: t.encode("cp1251"), "windows-1251"),
    "koi8-r": (lambda t: t.encode("koi8-r"), "koi8-r"),
}


@pytest.mark.parametrize("kind", list(ENCODED))
def test_files_are_decoded_by_their_encoding(
    server: str, browser: Any, kind: str, tmp_path: Path
) -> None:
    encode, expected = ENCODED[kind]
    text = f"{RU_TEXT}\nMixed with Latin: Reuters, 2024.\n"
    path = tmp_path / "article.txt"
    path.write_bytes(encode(text))
    page = open_page(browser, server, "wide")
    page.set_input_files("#file", str(path))
    page.wait_for_selector(f"#status[data-encoding='{expected}']")
    assert page.input_value("#text") == text
    analyse(page, page.input_value("#text"))
    assert page.get_attribute("#results", "data-language") == "ru"
    page.close()


REFUSED = {
    "latin-1 French": (
        "Le ministère a démenti toute implication. Été, café, élève.".encode("cp1252"),
        "encoding",
    ),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "encoding"),
    "empty": (b"", "empty"),
    "only spaces": (b"  \n\t\n", "empty"),
}


@pytest.mark.parametrize("kind", list(REFUSED))
def test_files_in_other_encodings_are_refused(
    server: str, browser: Any, kind: str, tmp_path: Path
) -> None:
    data, problem = REFUSED[kind]
    path = tmp_path / "other.txt"
    path.write_bytes(data)
    page = open_page(browser, server, "wide")
    page.fill("#text", ARTICLE)
    page.set_input_files("#file", str(path))
    page.wait_for_selector("#status.error")
    assert page.get_attribute("#status", "data-problem") == problem
    assert page.get_attribute("#status", "data-encoding") is None
    assert page.input_value("#text") == ARTICLE  # nothing replaced
    page.close()


def test_the_document_is_one_tab_stop_with_arrow_keys_inside(
    server: str, browser: Any, viewport: str
) -> None:
    page = open_page(browser, server, viewport)
    analyse(page, long_text(400))
    assert page.locator(".sentence[tabindex='0']").count() == 1
    assert page.get_attribute("#document", "role") == "listbox"
    page.focus("#export-csv")
    page.keyboard.press("Tab")
    assert active_index(page) == "0"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    assert active_index(page) == "2"
    assert page.get_attribute("#detail", "data-index") == "2"
    page.keyboard.press("End")
    assert active_index(page) == "399"
    page.keyboard.press("Home")
    page.keyboard.press("ArrowDown")
    assert active_index(page) == "1"
    assert page.locator(".sentence[tabindex='0']").count() == 1
    # One Tab leaves the whole document; Shift+Tab comes back to the same sentence.
    page.keyboard.press("Tab")
    assert active_index(page) is None
    assert page.evaluate("document.activeElement.id") == "close-detail"
    page.keyboard.press("Shift+Tab")
    assert active_index(page) == "1"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "export-csv"
    page.close()


def test_sentences_are_named_by_their_text(server: str, browser: Any, viewport: str) -> None:
    page = open_page(browser, server, viewport)
    analyse(page, ARTICLE)
    listbox = page.get_by_role("listbox")
    assert listbox.count() == 1
    options = listbox.get_by_role("option")
    assert options.count() == 5
    blamed = listbox.get_by_role("option", name=re.compile("^Officials blamed foreign agents"))
    assert blamed.count() == 1
    assert "blame attribution" in (blamed.get_attribute("aria-label") or "")
    blamed.click()
    assert blamed.get_attribute("aria-selected") == "true"
    page.close()


CONTRAST = """() => {
  const channel = (c) => {
    c /= 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const parse = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    if (el.closest(":disabled, [hidden], noscript")) continue;
    const style = getComputedStyle(el);
    if (style.visibility !== "visible" || style.display === "none") continue;
    const fg = parse(style.color).slice(0, 3);
    const [a, b] = [luminance(fg), luminance(background(el))].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const what = [el.tagName, el.className, el.textContent.slice(0, 30), ratio.toFixed(2)];
    if (ratio < 4.5) out.push(what);
  }
  return out;
}"""


def test_text_contrast_is_at_least_4_5(server: str, browser: Any, viewport: str) -> None:
    page = open_page(browser, server, viewport)
    analyse(page, ARTICLE + " " + BOTH)
    page.locator(".sentence.labelled").first.click()
    assert page.evaluate(CONTRAST) == []
    page.locator(".sentence.labelled").last.click()
    page.select_option("#filter", "downplaying")  # dimmed sentences
    page.fill("#text", DE_TEXT)
    page.click("#analyse")  # an error and a stale result
    page.wait_for_selector("#status.error")
    assert page.is_visible("#stale")
    assert page.evaluate(CONTRAST) == []
    page.close()


def test_without_javascript_the_page_says_so(server: str, browser: Any, viewport: str) -> None:
    context = browser.new_context(java_script_enabled=False, viewport=VIEWPORTS[viewport])
    page = context.new_page()
    page.goto(server + "/")
    assert page.is_visible("#noscript")
    assert not page.is_visible("#app")
    assert page.inner_text("#model-info") == ""
    context.close()


def test_russian_text_and_the_language_choice(server: str, browser: Any) -> None:
    page = open_page(browser, server, "wide")
    analyse(page, RU_TEXT)
    assert page.get_attribute("#results", "data-language") == "ru"
    assert page.get_attribute("#results", "data-language-source") == "detected"
    page.locator(".sentence").first.click()
    assert page.get_attribute("#detail", "data-language") == "ru"
    page.select_option("#language", "en")
    page.click("#analyse")
    page.wait_for_selector("#results[data-language-source='request'][data-language='en']")
    page.close()


def test_an_empty_text_is_not_sent(server: str, browser: Any) -> None:
    page = open_page(browser, server, "wide")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/classify" in r.url else None)
    page.click("#analyse")
    assert page.get_attribute("#status", "data-problem") == "empty"
    assert not requests
    page.close()
