"""`framing report OUT`: the HTML report of an archive run, from the rows a real run wrote."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.batch.archive import run
from app.batch.report import build
from app.cli import main

distributed = pytest.importorskip("dask.distributed")

DENIAL = "The ministry denied any involvement in the strike."
BLAME = "Officials blamed foreign agents for the riots."
DOWN = "Only a handful of minor injuries were reported."
PLAIN = "The council approved the budget on Monday."
HOSTILE = "<script>alert(1)</script> The ministry denied any involvement in the strike."

RECORDS = [
    {"id": "w1", "text": f"{DENIAL} {PLAIN}", "source": "Wire", "date": "2025-03-03"},
    {"id": "w2", "text": f"{BLAME} {PLAIN}", "source": "Wire", "date": "2025-03-12"},
    {"id": "w3", "text": PLAIN, "source": "Wire", "date": "2025-03-13"},
    {"id": "d1", "text": f"{DOWN} {DENIAL}", "source": "Daily", "date": "2025-03-05"},
    {"id": "d2", "text": HOSTILE, "source": "<b>Daily</b>", "url": 'https://x.test/?a="1"&b=<2>'},
    {"id": "n1", "text": f"{BLAME} {DOWN}"},
    {
        "id": "r1",
        "text": "Министерство отвергло все обвинения в причастности к удару.",
        "source": "Wire",
    },
]


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text of <style> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)

    def having(self, tag: str, attr: str, value: str | None = None) -> list[dict[str, str | None]]:
        return [
            a
            for t, a in self.tags
            if t == tag and attr in a and (value is None or a[attr] == value)
        ]


def parse(page: str) -> Elements:
    elements = Elements()
    elements.feed(page)
    return elements


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as c:
        yield c.scheduler_address


@pytest.fixture(scope="module")
def run_dir(
    cluster: str, bilingual_model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    base = tmp_path_factory.mktemp("report")
    source = base / "in.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in RECORDS]
    lines += [
        "{broken",
        json.dumps({"id": "de", "text": "Das Ministerium wies alle Vorwürfe zurück."}),
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = base / "out"
    run([str(source)], out, bilingual_model_dir, scheduler=cluster, progress=False, explain=True)
    return out


def test_the_report_counts_sources_weeks_languages_and_rejects(run_dir: Path) -> None:
    import pyarrow.parquet as pq

    page = build(run_dir, top=5)
    html = parse(page)
    rows = pq.read_table(run_dir / "sentences").to_pylist()
    # One row per source, the largest first, then all sources.
    sources = [a["data-source"] for a in html.having("tr", "data-source")]
    per_source = Counter(r["source"] or "(no source)" for r in rows)
    assert sources[:-1] == sorted(per_source, key=lambda s: (-per_source[s], s))
    assert sources[-1] == "all sources"
    # A line chart per label, each with a line for every dated source and one for all.
    charts = html.having("svg", "data-label")
    assert [c["data-label"] for c in charts] == [
        "blame_attribution",
        "downplaying",
        "official_denial",
    ]
    series = {a["data-series"] for a in html.having("g", "data-series")}
    assert series == {"Wire", "Daily", "all sources"}
    # The most confident sentences of each label carry that label, best first.
    for label in ("blame_attribution", "downplaying", "official_denial"):
        items = html.having("li", "data-label", label)
        flagged = {r["text"] for r in rows if label in r["labels"]}
        assert 0 < len(items) <= min(5, len(flagged))
    marks = html.having("mark", "class")
    assert marks, "the run had --explain: evidence is marked"
    assert {a["class"] for a in marks} <= {"l0", "l1", "l2"}
    # Languages: documents read, and documents refused by language.
    languages = [a["data-language"] for a in html.having("tr", "data-language")]
    assert languages == ["en", "ru", "de"]
    # Rejects by kind.
    kinds = [a["data-kind"] for a in html.having("tr", "data-kind")]
    assert sorted(kinds) == ["unreadable", "unsupported-language"]
    assert [a["data-fact"] for a in html.having("li", "data-fact")][:2] == [
        "documents",
        "sentences",
    ]


def test_the_report_is_self_contained_and_runs_no_script(run_dir: Path) -> None:
    page = build(run_dir)
    html = parse(page)
    assert not [t for t, _ in html.tags if t in ("script", "link", "img", "iframe", "object")]
    assert not [a for _, a in html.tags if any(k.startswith("on") for k in a)]
    assert not [a for _, a in html.tags if "style" in a or "src" in a]
    [csp] = html.having("meta", "http-equiv", "Content-Security-Policy")
    policy = csp["content"] or ""
    assert "default-src 'none'" in policy and "script-src" not in policy
    [style] = html.styles
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy  # the one <style> element, by its hash
    # The only addresses are the records' own, as links.
    links = [a["href"] for a in html.having("a", "href")]
    assert links == ['https://x.test/?a="1"&b=<2>']
    assert "://" not in re.sub(r"<a [^>]*>[^<]*</a>", "", page)


def test_hostile_text_source_and_url_are_escaped(run_dir: Path) -> None:
    page = build(run_dir)
    assert "<script>" not in page and "<b>Daily</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;Daily&lt;/b&gt;" in page


def test_a_run_without_sources_or_dates(cluster: str, tiny_model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        "".join(json.dumps({"text": t}) + "\n" for t in (DENIAL, BLAME, PLAIN)), encoding="utf-8"
    )
    out = tmp_path / "out"
    run([str(source)], out, tiny_model_dir, scheduler=cluster, progress=False)
    html = parse(build(out))
    assert [a["data-source"] for a in html.having("tr", "data-source")] == [
        "(no source)",
        "all sources",
    ]
    assert not html.having("svg", "data-label")  # nothing to draw by week
    assert not html.having("mark", "class")  # no --explain, no evidence
    assert not html.having("tr", "data-kind")


def test_report_command_writes_the_page(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "r.html"
    assert main(["report", str(run_dir), "--html", str(target), "--top", "2"]) == 0
    html = parse(target.read_text(encoding="utf-8"))
    assert len(html.having("li", "data-label", "official_denial")) <= 2
    assert main(["report", str(run_dir)]) == 0
    assert (run_dir / "report.html").is_file()


def test_report_mistakes_are_one_line(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = tmp_path / "out.jsonl"
    a_file.write_text("{}\n", encoding="utf-8")
    no_parts = tmp_path / "empty-run"
    no_parts.mkdir()
    broken = tmp_path / "broken-run"
    (broken / "sentences").mkdir(parents=True)
    (broken / "sentences" / "part-0000-000000.parquet").write_bytes(b"PAR1 garbage PAR1")
    bad_rejects = tmp_path / "bad-rejects"
    (bad_rejects / "sentences").mkdir(parents=True)
    (bad_rejects / "rejects.jsonl").write_text("{not json\n", encoding="utf-8")
    cases = [
        [str(tmp_path / "missing")],
        [str(a_file)],
        [str(no_parts)],
        [str(broken)],
        [str(bad_rejects)],
        [str(run_dir), "--html", str(tmp_path / "nowhere" / "r.html")],
        [str(run_dir), "--html", str(tmp_path)],
    ]
    for args in cases:
        code = main(["report", *args])
        err = capsys.readouterr().err
        assert code == 2, args
        assert err.startswith("framing: ") and len(err.splitlines()) == 1, (args, err)
