"""`framing report OUT`: one self-contained HTML page about an archive run.

It reads what `framing batch ... --out OUT` wrote (`sentences/`, `rejects.jsonl`,
`_summary.json`) and shows label rates by source and by week, the most confident
flagged sentences of each label with their evidence (when the run had `--explain`), the
language mix and the rejects. The page loads nothing and runs no script: the charts are
SVG drawn here with presentation attributes, and the one <style> element is allowed by
its hash in the page's own Content-Security-Policy, so it reads the same offline, from a
mail attachment or a file share.

The sentence rows are read one part and one batch at a time, and only the columns the
counts need; the text of the few sentences shown is read at the end. Memory stays
small however large the run.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.batch.archive import REJECTS_FILE, SENTENCES_DIR, SUMMARY_FILE

NO_SOURCE = "(no source)"
OTHER_SOURCES = "(other sources)"
# One colour per label, as on the page (app/api/static/style.css), dark enough for
# 4.5:1 as text on white; sources get the Okabe-Ito palette, safe for colour blindness.
LABEL_COLOURS = ["#b3263a", "#8a5a00", "#006b7d", "#6a4c93", "#30638e", "#3f7d20"]
LABEL_TINTS = ["#f9dde1", "#fbecc8", "#d3eef2", "#e6def0", "#dbe6f0", "#dfeed6"]
SOURCE_COLOURS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000"]
EPOCH = dt.date(1970, 1, 1)
SPARE = 3  # candidates kept per sentence shown, so repeated texts can be shown once


class ReportError(Exception):
    """The folder is not an archive run's output, or part of it cannot be read."""


@dataclass
class Tally:
    """Sentences, documents and per-label counts of one group of rows."""

    sentences: int = 0
    documents: int = 0
    labels: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def add(self, sentences: int, documents: int, labels: np.ndarray) -> None:
        self.sentences += sentences
        self.documents += documents
        self.labels = labels.copy() if not len(self.labels) else self.labels + labels

    def rate(self, i: int) -> float:
        return float(self.labels[i]) / self.sentences if self.sentences else 0.0


@dataclass
class Candidate:
    score: float
    part: Path
    row: int


@dataclass
class RunData:
    labels: list[str]
    total: Tally
    by_source: dict[str, Tally]
    by_source_week: dict[tuple[str, int], Tally]
    by_week: dict[int, Tally]
    languages: Counter[str]  # sentences by the model that read them
    document_languages: Counter[str]
    undated: int
    top: dict[str, list[dict[str, Any]]]
    explained: bool
    summary: dict[str, Any] | None
    rejects: list[dict[str, Any]]


def _parts(out_dir: Path) -> list[Path]:
    if not out_dir.exists():
        raise ReportError(f"{out_dir}: no such folder")
    if not out_dir.is_dir():
        raise ReportError(
            f"{out_dir} is a file: the report reads an archive run's folder "
            "(framing batch FILES --out FOLDER)"
        )
    sentences = out_dir / SENTENCES_DIR
    if not sentences.is_dir():
        raise ReportError(
            f"{out_dir} holds no {SENTENCES_DIR}/ folder: not the output of an archive run "
            "(framing batch FILES --out FOLDER)"
        )
    return sorted(sentences.glob("part-*.parquet"))


def _week(days: np.ndarray) -> np.ndarray:
    """The Monday on or before each day (days since 1970-01-01, a Thursday)."""
    return days - (days + 3) % 7


def _read(out_dir: Path, top: int) -> RunData:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    parts = _parts(out_dir)
    labels: list[str] | None = None
    explained = False
    total = Tally()
    by_source: dict[str, Tally] = {}
    by_source_week: dict[tuple[str, int], Tally] = {}
    by_week: dict[int, Tally] = {}
    languages: Counter[str] = Counter()
    document_languages: Counter[str] = Counter()
    undated = 0
    candidates: dict[str, list[Candidate]] = {}
    for part in parts:
        try:
            file = pq.ParquetFile(part)
        except Exception as exc:
            raise ReportError(
                f"{part}: not a readable Parquet file ({type(exc).__name__})"
            ) from None
        names = file.schema_arrow.names
        part_labels = [n.removeprefix("score_") for n in names if n.startswith("score_")]
        if labels is None:
            labels = part_labels
            candidates = {label: [] for label in labels}
        elif part_labels != labels:
            raise ReportError(f"{part}: labels {part_labels}, where other parts have {labels}")
        needed = {"sentence_index", "language", "document_language", "labels"}
        if not needed <= set(names) or not part_labels:
            raise ReportError(f"{part}: not a part of framing's output (columns {names})")
        explained = explained or "evidence" in names
        columns = [*needed, *(c for c in ("source", "date") if c in names)]
        columns += [f"score_{label}" for label in labels]
        offset = 0
        try:
            batches = list(file.iter_batches(batch_size=65_536, columns=columns))
        except Exception as exc:
            raise ReportError(
                f"{part}: not a readable Parquet file ({type(exc).__name__})"
            ) from None
        for batch in batches:
            n = batch.num_rows
            table = batch
            first = (table["sentence_index"].to_numpy() == 0).astype(np.int64)
            flat = pc.list_flatten(table["labels"]).to_numpy(zero_copy_only=False)
            parents = pc.list_parent_indices(table["labels"]).to_numpy()
            flags = np.zeros((n, len(labels)), dtype=np.int64)
            for i, label in enumerate(labels):
                flags[parents[flat == label], i] = 1
                rows = np.flatnonzero(flags[:, i])
                if len(rows):
                    scores = table[f"score_{label}"].to_numpy()[rows]
                    best = rows[np.argsort(-scores, kind="stable")[: top * SPARE]]
                    candidates[label] += [
                        Candidate(float(s), part, offset + int(r))
                        for s, r in zip(table[f"score_{label}"].to_numpy()[best], best, strict=True)
                    ]
                    candidates[label] = sorted(candidates[label], key=lambda c: -c.score)[
                        : top * SPARE
                    ]
            if "source" in table.column_names:
                encoded = pc.dictionary_encode(pc.fill_null(table["source"], NO_SOURCE))
                source_names = encoded.dictionary.to_pylist()
                source_ids = encoded.indices.to_numpy()
            else:
                source_names, source_ids = [NO_SOURCE], np.zeros(n, dtype=np.int64)
            if "date" in table.column_names:
                days = pc.fill_null(table["date"].cast(pa.int32()), -(2**31)).to_numpy()
                days = days.astype(np.int64)
            else:
                days = np.full(n, -(2**31), dtype=np.int64)
            dated = days != -(2**31)
            undated += int((~dated).sum())
            weeks = np.where(dated, _week(days), -(2**31))
            total.add(n, int(first.sum()), flags.sum(axis=0))
            for k, name in enumerate(source_names):
                mask = source_ids == k
                if mask.any():
                    by_source.setdefault(name, Tally()).add(
                        int(mask.sum()), int(first[mask].sum()), flags[mask].sum(axis=0)
                    )
                    for week in np.unique(weeks[mask & dated]):
                        both = mask & (weeks == week)
                        by_source_week.setdefault((name, int(week)), Tally()).add(
                            int(both.sum()), int(first[both].sum()), flags[both].sum(axis=0)
                        )
            for week in np.unique(weeks[dated]):
                mask = weeks == week
                by_week.setdefault(int(week), Tally()).add(
                    int(mask.sum()), int(first[mask].sum()), flags[mask].sum(axis=0)
                )
            languages.update(table["language"].to_pylist())
            document_languages.update(
                pc.filter(table["document_language"], pa.array(first.astype(bool))).to_pylist()
            )
            offset += n
    labels = labels or []
    summary = _json_file(out_dir / SUMMARY_FILE)
    if not labels and summary:
        labels = sorted(summary.get("labels", {}))
    return RunData(
        labels=labels,
        total=total if len(total.labels) else Tally(labels=np.zeros(len(labels), np.int64)),
        by_source=by_source,
        by_source_week=by_source_week,
        by_week=by_week,
        languages=languages,
        document_languages=document_languages,
        undated=undated,
        top={label: _rows(candidates.get(label, []), top) for label in labels},
        explained=explained,
        summary=summary,
        rejects=_rejects(out_dir / REJECTS_FILE),
    )


def _rows(found: list[Candidate], top: int) -> list[dict[str, Any]]:
    """The rows of the `top` sentences shown, read from their parts. A text met again (a
    wire story many outlets ran) is shown once, with how many more times it was met."""
    import pyarrow.parquet as pq

    rows: list[dict[str, Any]] = []
    for part in dict.fromkeys(c.part for c in found):
        table = pq.read_table(part)
        wanted = [c for c in found if c.part == part]
        taken = table.take([c.row for c in wanted]).to_pylist()
        rows += [{**row, "_score": c.score} for row, c in zip(taken, wanted, strict=True)]
    rows.sort(key=lambda r: (-r["_score"], r["document_id"], r["sentence_index"]))
    shown: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = " ".join(row["text"].split()).casefold()
        if key in shown:
            shown[key]["_again"] += 1
        elif len(shown) < top:
            shown[key] = {**row, "_again": 0}
    return list(shown.values())


def _json_file(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        raise ReportError(f"{path}: not readable JSON ({exc})") from None
    if not isinstance(value, dict):
        raise ReportError(f"{path}: not a JSON object")
    return value


def _rejects(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    with path.open(encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError:
                raise ReportError(f"{path}:{n}: not valid JSON") from None
            if not isinstance(value, dict):
                raise ReportError(f"{path}:{n}: not a JSON object")
            out.append(value)
    return out


# ---------------------------------------------------------------------------- HTML

CSS = (
    """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1d1d1f; background: #fff; margin: 0 auto; max-width: 1100px; padding: 1rem 1.5rem; }
h1 { font-size: 1.5rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
h3 { font-size: 1rem; }
.muted { color: #595959; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { text-align: left; padding: 0.25rem 0.6rem; border-bottom: 1px solid #eee;
  vertical-align: middle; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.facts { display: flex; flex-wrap: wrap; gap: 0.5rem 2rem; padding: 0; list-style: none; }
.facts strong { font-size: 1.2rem; display: block; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem 2rem; }
.scroll { overflow-x: auto; }
svg.chart { max-width: 100%; height: auto; }
figure { margin: 0; }
figcaption { font-weight: 600; margin-bottom: 0.25rem; }
.legend { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; padding: 0; list-style: none;
  font-size: 0.9rem; }
ol.top { padding-left: 1.5rem; }
ol.top li { margin-bottom: 0.8rem; }
ol.top .meta { font-size: 0.85rem; color: #595959; }
mark { padding: 0 0.1rem; border-bottom: 2px solid; color: inherit; }
"""
    + "".join(
        f"mark.l{i} {{ background: {LABEL_TINTS[i]}; border-color: {LABEL_COLOURS[i]}; }}\n"
        f".tag.l{i} {{ background: {LABEL_COLOURS[i]}; }}\n"
        for i in range(len(LABEL_COLOURS))
    )
    + """
.tag { color: #fff; font-size: 0.75rem; font-weight: bold; border-radius: 3px;
  padding: 0 0.3rem; }
details { margin: 0.25rem 0 1rem; }
"""
)


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _short(label: str) -> str:
    return "".join(word[:1].upper() for word in label.split("_"))


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _day(days: int) -> str:
    return (EPOCH + dt.timedelta(days=days)).isoformat()


def _bar(value: float, scale: float, colour: str, label: str) -> str:
    """A small horizontal bar (inline SVG) for a table cell."""
    width = 0.0 if scale <= 0 else 120 * min(1.0, value / scale)
    return (
        f'<svg width="124" height="12" role="img" aria-label="{_e(label)}">'
        f'<rect x="0" y="1" width="122" height="10" fill="#f1f1f1"/>'
        f'<rect x="0" y="1" width="{width:.1f}" height="10" fill="{colour}"/></svg>'
    )


def _sources(data: RunData, most: int) -> list[str]:
    """The sources by sentences, the largest first; beyond `most`, none."""
    ranked = sorted(data.by_source, key=lambda s: (-data.by_source[s].sentences, s))
    return ranked[:most]


def _source_table(data: RunData, most: int) -> str:
    shown = _sources(data, most)
    rest = [s for s in data.by_source if s not in shown]
    rows = [(s, data.by_source[s]) for s in shown]
    if rest:
        other = Tally()
        for s in rest:
            t = data.by_source[s]
            other.add(t.sentences, t.documents, t.labels)
        rows.append((f"{OTHER_SOURCES}: {len(rest)}", other))
    rows.append(("all sources", data.total))
    scale = max((t.rate(i) for _, t in rows for i in range(len(data.labels))), default=0.0)
    head = "".join(f'<th class="num" colspan="2">{_e(label)}</th>' for label in data.labels)
    out = [
        '<div class="scroll"><table class="by-source"><thead><tr><th>source</th>'
        '<th class="num">documents</th>'
        f'<th class="num">sentences</th>{head}</tr></thead><tbody>'
    ]
    for name, tally in rows:
        cells = "".join(
            f'<td class="num">{_pct(tally.rate(i))}</td><td>'
            + _bar(tally.rate(i), scale, LABEL_COLOURS[i % 6], f"{label} {_pct(tally.rate(i))}")
            + "</td>"
            for i, label in enumerate(data.labels)
        )
        out.append(
            f'<tr data-source="{_e(name)}"><th scope="row">{_e(name)}</th>'
            f'<td class="num">{tally.documents:,}</td><td class="num">{tally.sentences:,}</td>'
            f"{cells}</tr>"
        )
    out.append("</tbody></table></div>")
    return "".join(out)


def _line_chart(data: RunData, i: int, label: str, sources: list[str]) -> str:
    """Rate of one label per week: one line per source and a thicker one for all."""
    weeks = sorted(data.by_week)
    width, height, left, right, top, bottom = 460, 220, 44, 22, 12, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    series: list[tuple[str, str, float, list[tuple[int, float]]]] = []
    for k, source in enumerate(sources):
        points = [
            (w, data.by_source_week[(source, w)].rate(i))
            for w in weeks
            if (source, w) in data.by_source_week
        ]
        series.append((source, SOURCE_COLOURS[k % len(SOURCE_COLOURS)], 1.5, points))
    series.append(("all sources", "#1d1d1f", 3.0, [(w, data.by_week[w].rate(i)) for w in weeks]))
    peak = max((r for *_, pts in series for _, r in pts), default=0.0)
    # Four steps of a round size (1%, 2%, 2.5%, 5%, 10%, 20% or 25%) up to the peak.
    step = next((s for s in (0.01, 0.02, 0.025, 0.05, 0.1, 0.2) if 4 * s >= peak), 0.25)
    ceiling = 4 * step

    def x(w: int) -> float:
        if len(weeks) == 1:
            return left + plot_w / 2
        return left + plot_w * (w - weeks[0]) / (weeks[-1] - weeks[0])

    def y(rate: float) -> float:
        return top + plot_h * (1 - rate / ceiling)

    title = f"{label}: share of sentences by week"
    parts = [
        f'<svg class="chart" data-label="{_e(label)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="t-week-{i}">'
        f'<title id="t-week-{i}">{_e(title)}</title>'
    ]
    for step in range(5):
        rate = ceiling * step / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(rate):.1f}" y2="{y(rate):.1f}" '
            f'stroke="#e5e5e5"/><text x="{left - 6}" y="{y(rate) + 4:.1f}" font-size="11" '
            f'text-anchor="end" fill="#595959">{100 * rate:g}%</text>'
        )
    labelled = weeks if len(weeks) <= 8 else weeks[:: int(np.ceil(len(weeks) / 8))]
    for w in labelled:
        parts.append(
            f'<text x="{x(w):.1f}" y="{height - bottom + 16}" font-size="11" '
            f'text-anchor="middle" fill="#595959">{_day(w)[5:]}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{height - 4}" font-size="11" text-anchor="middle" '
        f'fill="#595959">week starting (month-day), {_day(weeks[0])[:4]}'
        f"{'–' + _day(weeks[-1])[:4] if _day(weeks[-1])[:4] != _day(weeks[0])[:4] else ''}"
        "</text>"
    )
    for name, colour, stroke, points in series:
        if not points:
            continue
        path = " ".join(f"{x(w):.1f},{y(r):.1f}" for w, r in points)
        parts.append(
            f'<g data-series="{_e(name)}"><polyline points="{path}" fill="none" '
            f'stroke="{colour}" stroke-width="{stroke}" stroke-linejoin="round"/>'
            + "".join(
                f'<circle cx="{x(w):.1f}" cy="{y(r):.1f}" r="{stroke + 0.5}" fill="{colour}">'
                f"<title>{_e(name)}, week of {_day(w)}: {_pct(r)}</title></circle>"
                for w, r in points
            )
            + "</g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _week_section(data: RunData, most: int) -> str:
    if not data.by_week:
        return (
            '<p class="muted">No record of this run had a <code>date</code>, so there is '
            "nothing to show by week. Give records a <code>date</code> (ISO, e.g. "
            "2025-03-01) to see it.</p>"
        )
    sources = _sources(data, min(most, len(SOURCE_COLOURS)))
    sources = [s for s in sources if any((s, w) in data.by_source_week for w in data.by_week)]
    legend = "".join(
        f'<li><svg width="18" height="10" aria-hidden="true"><line x1="0" x2="18" y1="5" y2="5" '
        f'stroke="{SOURCE_COLOURS[k % len(SOURCE_COLOURS)]}" stroke-width="2.5"/></svg> '
        f"{_e(s)}</li>"
        for k, s in enumerate(sources)
    )
    legend += (
        '<li><svg width="18" height="10" aria-hidden="true"><line x1="0" x2="18" y1="5" y2="5" '
        'stroke="#1d1d1f" stroke-width="4"/></svg> all sources</li>'
    )
    charts = "".join(
        f"<figure><figcaption>{_e(label)}</figcaption>{_line_chart(data, i, label, sources)}"
        "</figure>"
        for i, label in enumerate(data.labels)
    )
    weeks = sorted(data.by_week)
    head = "".join(f'<th class="num">{_e(label)}</th>' for label in data.labels)
    body = []
    for source in [*sources, None]:
        for w in weeks:
            tally = data.by_week.get(w) if source is None else data.by_source_week.get((source, w))
            if tally is None:
                continue
            rates = "".join(
                f'<td class="num">{_pct(tally.rate(i))}</td>' for i in range(len(data.labels))
            )
            body.append(
                f"<tr><td>{_e(source or 'all sources')}</td><td>{_day(w)}</td>"
                f'<td class="num">{tally.sentences:,}</td>{rates}</tr>'
            )
    note = ""
    if data.undated:
        note = (
            f'<p class="muted">{data.undated:,} sentences have no date and are left out of '
            "the weekly figures.</p>"
        )
    shown = (
        ""
        if len(sources) == len(data.by_source)
        else (
            f'<p class="muted">Lines for the {len(sources)} sources with the most sentences; '
            "the thick line is all sources.</p>"
        )
    )
    return (
        f'<ul class="legend">{legend}</ul><div class="charts">{charts}</div>{shown}{note}'
        "<details><summary>The figures by source and week</summary>"
        f'<div class="scroll"><table class="by-week"><thead><tr><th>source</th><th>week of</th>'
        f'<th class="num">sentences</th>{head}</tr></thead><tbody>{"".join(body)}</tbody>'
        "</table></div></details>"
    )


def _marked(row: dict[str, Any], label: str, i: int) -> str:
    """The sentence with the evidence for `label` marked in its colour."""
    text: str = row["text"]
    spans: list[tuple[int, int]] = []
    if row.get("evidence"):
        try:
            evidence = json.loads(row["evidence"]).get(label, [])
        except (ValueError, AttributeError):
            evidence = []
        for e in evidence:
            a, b = int(e["start"]) - int(row["start"]), int(e["end"]) - int(row["start"])
            if 0 <= a < b <= len(text):
                spans.append((a, b))
    out, at = [], 0
    for a, b in sorted(spans):
        if a < at:
            continue
        out.append(_e(text[at:a]))
        out.append(f'<mark class="l{i % 6}">{_e(text[a:b])}</mark>')
        at = b
    out.append(_e(text[at:]))
    return "".join(out)


def _top_section(data: RunData, top: int) -> str:
    out = []
    if not data.explained:
        out.append(
            '<p class="muted">This run was made without <code>--explain</code>, so the '
            "sentences are shown without the words that raised their label. Rerun with "
            "<code>--explain</code> into a new folder to see them.</p>"
        )
    for i, label in enumerate(data.labels):
        rows = data.top.get(label, [])
        out.append(
            f'<h3 id="top-{_e(label)}"><span class="tag l{i % 6}">{_e(_short(label))}</span> '
            f"{_e(label)}</h3>"
        )
        if not rows:
            out.append('<p class="muted">No sentence has this label.</p>')
            continue
        items = []
        for row in rows:
            meta = [row.get("source") or NO_SOURCE]
            if row.get("date"):
                meta.append(str(row["date"]))
            meta.append(f"document {row['document_id']}, sentence {row['sentence_index'] + 1}")
            link = ""
            if row.get("url"):
                link = (
                    f' · <a href="{_e(row["url"])}" rel="noopener noreferrer nofollow">'
                    f"{_e(row['url'])}</a>"
                )
            if row["_again"]:
                meta.append(f"repeated {row['_again']} more times among the highest scores")
            items.append(
                f'<li data-label="{_e(label)}"><div>{_marked(row, label, i)}</div>'
                f'<div class="meta">score {row["_score"]:.2f} · '
                f"{' · '.join(_e(m) for m in meta)}{link}</div></li>"
            )
        out.append(f'<ol class="top" data-label="{_e(label)}">{"".join(items)}</ol>')
    return "".join(out)


def _language_section(data: RunData) -> str:
    refused: Counter[str] = Counter(
        r.get("language") or "?" for r in data.rejects if r.get("kind") == "unsupported-language"
    )
    codes = sorted(
        set(data.document_languages) | set(data.languages) | set(refused),
        key=lambda c: (-data.document_languages.get(c, 0), c),
    )
    documents = sum(data.document_languages.values())
    rows = []
    for code in codes:
        share = data.document_languages.get(code, 0) / documents if documents else 0.0
        rows.append(
            f'<tr data-language="{_e(code)}"><th scope="row">{_e(_language_name(code))}</th>'
            f'<td class="num">{data.document_languages.get(code, 0):,}</td>'
            f"<td>{_bar(share, 1.0, '#30638e', f'{_pct(share)} of documents')}</td>"
            f'<td class="num">{data.languages.get(code, 0):,}</td>'
            f'<td class="num">{refused.get(code, 0):,}</td></tr>'
        )
    return (
        '<div class="scroll"><table class="languages"><thead><tr><th>language</th>'
        '<th class="num">documents read</th><th></th><th class="num">sentences read</th>'
        '<th class="num">documents refused</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
        '<p class="muted">A document is read in its language; a sentence in another served '
        "writing system is read by that language's model, so sentences may count under a "
        "language their document was not read in.</p>"
    )


def _language_name(code: str) -> str:
    from app.core.language import language_name

    return language_name(code).strip("'")


def _rejects_section(data: RunData) -> str:
    if not data.rejects:
        return "<p>No record was rejected.</p>"
    kinds = Counter(r.get("kind", "unknown") for r in data.rejects)
    what = {
        "unreadable": "not JSON, not UTF-8 or not an object",
        "invalid": "a field breaks the record rules (text, id, language, source, date, url)",
        "unsupported-language": "in a language no model reads",
    }
    rows = "".join(
        f'<tr data-kind="{_e(kind)}"><th scope="row">{_e(kind)}</th>'
        f'<td class="num">{n:,}</td><td class="muted">{_e(what.get(kind, ""))}</td></tr>'
        for kind, n in kinds.most_common()
    )
    examples = "".join(
        f"<li><code>{_e(r.get('file'))}:{_e(r.get('line'))}</code> {_e(r.get('reason'))}</li>"
        for r in data.rejects[:10]
    )
    more = f" (the first 10 of {len(data.rejects):,})" if len(data.rejects) > 10 else ""
    return (
        f'<table class="rejects"><thead><tr><th>kind</th><th class="num">records</th><th></th>'
        f"</tr></thead><tbody>{rows}</tbody></table>"
        f"<details><summary>Rejected records{more}</summary><ul>{examples}</ul></details>"
    )


def render(data: RunData, title: str, top: int = 10, most: int = 8) -> str:
    """The report as one HTML document."""
    summary = data.summary or {}
    dates = sorted(data.by_week)
    period = f"weeks of {_day(dates[0])} to {_day(dates[-1])}" if dates else "no dates"
    models = summary.get("models") or {}
    facts = [
        ("documents", f"{data.total.documents:,}"),
        ("sentences", f"{data.total.sentences:,}"),
        ("sources", f"{len(data.by_source):,}"),
        ("rejected records", f"{len(data.rejects):,}"),
        ("period", period),
    ]
    fact_items = "".join(
        f'<li data-fact="{_e(name)}"><strong>{_e(value)}</strong>{_e(name)}</li>'
        for name, value in facts
    )
    unfinished = ""
    if data.summary is None:
        unfinished = (
            f'<p class="muted">There is no {SUMMARY_FILE}: the run has not finished, and this '
            "report covers the parts written so far.</p>"
        )
    model_text = ", ".join(f"{_e(k)} model {_e(v)}" for k, v in models.items()) or "unknown"
    labels_legend = " ".join(
        f'<span class="tag l{i % 6}">{_e(_short(label))}</span> {_e(label)}'
        for i, label in enumerate(data.labels)
    )
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = f"""<header>
<h1>{_e(title)}</h1>
<p class="muted">Framing analysis of an archive run · {model_text} · made {generated}</p>
</header>
<ul class="facts">{fact_items}</ul>
{unfinished}
<p>Labels: {labels_legend}. Rates are the share of sentences given a label. The labels
are for triage by a person, not findings: read the sentences.</p>
<h2 id="by-source">Label rates by source</h2>
{_source_table(data, most)}
<h2 id="by-week">Label rates by week</h2>
{_week_section(data, most)}
<h2 id="top">The most confident sentences of each label</h2>
{_top_section(data, top)}
<h2 id="languages">Languages</h2>
{_language_section(data)}
<h2 id="rejects">Rejected records</h2>
{_rejects_section(data)}
"""
    digest = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
    csp = (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{_e(title)}</title>
<style>{CSS}</style>
</head>
<body>
{body}</body>
</html>
"""


def build(out_dir: Path, top: int = 10, most: int = 8, title: str | None = None) -> str:
    """The HTML report of the archive run in `out_dir`; ReportError if it is not one."""
    data = _read(out_dir, top)
    return render(data, title or f"Framing report: {out_dir.resolve().name}", top, most)
