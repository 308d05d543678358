"""Whole documents for the corpora: cut, check, agreement, and assembly into training data.

Writers write documents as published (`<batch>/docs/*.txt`: front matter `register:`,
`topic:`, a line `---`, then the text), cut them with the service's own segmenter,
and label every sentence (pass 1). A second annotator labels the same sentences blind
(pass 2); disagreements are adjudicated against the guide. Batches live in
`training/annotation/docs/<language>/<batch>/`.

    python -m training.annotation.documents cut BATCH_DIR
    python -m training.annotation.documents check BATCH_DIR --lang en [--docs N --sentences M]
    python -m training.annotation.documents agreement en
    python -m training.annotation.documents assemble en
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import cohen_kappa_score, f1_score, roc_auc_score

from app.core.segment import split_sentences
from training.paths import DATA_ROOT
from training.quality import cue_labels, near_duplicates

ROOT = Path(__file__).resolve().parent / "docs"
LABELS = ["blame_attribution", "downplaying", "official_denial"]
KINDS = {"move", "hard_negative", "plain", "furniture"}
REGISTERS = set(
    """wire state_media official_statement briefing op_ed editorial blog tabloid broadcast
    talk_show parliament court_report ngo_report investigation social_post press_release
    media_watch feature local_news sport science business interview live_blog letters
    review""".split()
)
LONG_WORDS = 30
_FIELD = re.compile(r"^([a-z_]+):\s*(.*?)\s*$")

# Topics (free text in the front matter) to the domains leave-one-domain-out holds out.
DOMAINS = [
    (
        "religion",
        (
            "religio",
            "church",
            "bishop",
            "diocese",
            "pilgrim",
            "церк",
            "храм",
            "епарх",
            "крестный ход",
        ),
    ),
    (
        "sport",
        (
            "sport",
            "football",
            "hockey",
            "marathon",
            "cycling",
            "doping",
            "chess",
            "tennis",
            "допинг",
            "шахмат",
            "биатлон",
            "горнолыж",
        ),
    ),
    (
        "science",
        (
            "science",
            "vaccine",
            "space",
            "archaeolog",
            "climate research",
            "glacier",
            "astronomy",
            "comet",
            "вакцин",
        ),
    ),
    (
        "culture",
        (
            "culture",
            "theatre",
            "film",
            "museum",
            "festival",
            "exhibition",
            "music",
            "фестивал",
            "фильм",
        ),
    ),
    ("history", ("history", "memorial", "famine", "purge", "archive", "архив", "репресс")),
    (
        "media",
        (
            "media",
            "propaganda",
            "journalist",
            "instruction",
            "guidelines",
            "state tv",
            "методичк",
            "сми",
        ),
    ),
    ("elections", ("election", "nominee", "campaign", "vote")),
    (
        "corruption",
        ("corruption", "nepotism", "bribe", "procurement", "кумовств", "гособоронзаказ"),
    ),
    (
        "justice",
        (
            "prison",
            "court",
            "judiciary",
            "trial",
            "torture",
            "detention",
            "terror",
            "legal",
            "defamation",
            "колони",
            "пытк",
            "уголовное дело",
        ),
    ),
    ("policing", ("police", "protest", "полици")),
    ("conflict", ("border", "shelling", "drone", "military", "conscription", "war")),
    ("migration", ("refugee", "displaced", "migra")),
    (
        "health",
        (
            "health",
            "hospital",
            "measles",
            "drug",
            "pharma",
            "formula",
            "food safety",
            "кор",
            "больниц",
        ),
    ),
    ("environment", ("environment", "spill", "pollution", "wildfire", "river", "flood", "пожар")),
    (
        "disasters",
        (
            "earthquake",
            "collapse",
            "mining accident",
            "leak",
            "derail",
            "accident",
            "сход",
            "обрушение",
            "давк",
        ),
    ),
    ("energy", ("energy", "blackout", "gas", "heating", "nuclear")),
    (
        "economy",
        (
            "business",
            "bank",
            "lay-off",
            "layoff",
            "inflation",
            "price",
            "airline",
            "sanction",
            "trade",
            "tourism",
            "fisher",
            "grain",
            "agricultur",
            "harvest",
            "defect",
            "авиа",
            "рейс",
            "санкци",
            "дефект",
            "туристическ",
        ),
    ),
    (
        "society",
        (
            "welfare",
            "pension",
            "labour",
            "strike",
            "education",
            "university",
            "school",
            "housing",
            "local affairs",
            "tram",
            "pothole",
            "data breach",
            "technology",
            "cyber",
            "вуз",
            "школ",
            "пенси",
        ),
    ),
    ("diplomacy", ("diplomat", "expulsion")),
]


def domain_of(topic: str) -> str:
    lower = topic.lower()
    for domain, keys in DOMAINS:
        if any(key in lower for key in keys):
            return domain
    return "other"


def read_doc(path: Path) -> tuple[dict[str, str], str]:
    """A document's front matter and its text as published."""
    raw = path.read_text(encoding="utf-8")
    head, sep, body = raw.partition("\n---\n")
    if not sep or len(head.splitlines()) > 8:
        raise ValueError(f"{path}: no front matter (register:, topic:, then a line ---)")
    meta = {}
    for line in head.splitlines():
        m = _FIELD.match(line.strip())
        if not m:
            raise ValueError(f"{path}: bad front-matter line {line!r}")
        meta[m.group(1)] = m.group(2)
    for key in ("register", "topic"):
        if not meta.get(key):
            raise ValueError(f"{path}: front matter needs {key}:")
    return meta, body.strip("\n") + "\n"


def cut(batch: Path) -> list[dict[str, str]]:
    """The sentences of a batch's documents, as the service cuts them, in order."""
    rows = []
    for path in sorted((batch / "docs").glob("*.txt")):
        _, body = read_doc(path)
        for i, (start, end) in enumerate(split_sentences(body)):
            rows.append({"id": f"{path.stem}-{i:03d}", "doc": path.stem, "text": body[start:end]})
    return rows


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def _labels(path: Path) -> dict[str, list[str]]:
    return {r["id"]: sorted(r["labels"]) for r in _jsonl(path)}


def batches(language: str) -> list[Path]:
    return sorted(p for p in (ROOT / language).glob("*") if (p / "docs").is_dir())


def check(batch: Path, language: str, docs: int = 0, sentences: int = 0) -> list[str]:
    """What keeps a batch from the corpus targets (empty when it meets them)."""
    problems: list[str] = []
    expected = cut(batch)
    given = [(r["id"], r["text"]) for r in _jsonl(batch / "input.jsonl")]
    if given != [(r["id"], r["text"]) for r in expected]:
        problems.append("input.jsonl is stale: cut the documents again")
    files = sorted((batch / "docs").glob("*.txt"))
    for path in files:
        meta, _ = read_doc(path)
        if meta["register"] not in REGISTERS:
            problems.append(f"{path.name}: register {meta['register']!r} is not in the list")
    pass1 = {r["id"]: r for r in _jsonl(batch / "pass1.jsonl")}
    missing = [r["id"] for r in expected if r["id"] not in pass1]
    if missing:
        problems.append(f"pass1.jsonl lacks {len(missing)} sentences, e.g. {missing[:3]}")
        return problems
    texts = [r["text"] for r in expected]
    y = np.array([[lab in pass1[r["id"]]["labels"] for lab in LABELS] for r in expected])
    wc = np.array([len(t.split()) for t in texts])
    anyl = y.any(axis=1)
    if docs and len(files) < docs:
        problems.append(f"{len(files)} documents; the target is {docs}")
    if sentences and len(texts) < sentences:
        problems.append(f"{len(texts)} sentences; the target is {sentences}")
    if (wc > LONG_WORDS).mean() < 0.25:
        problems.append(f"{(wc > LONG_WORDS).mean():.1%} of sentences over {LONG_WORDS} words")
    if anyl.any() and (~anyl).any() and roc_auc_score(anyl, wc) > 0.60:
        problems.append(f"word count predicts 'any label' (ROC-AUC {roc_auc_score(anyl, wc):.3f})")
    cue = np.array([[lab in cue_labels(t, language) for lab in LABELS] for t in texts])
    for j, label in enumerate(LABELS):
        if (~anyl).any() and cue[~anyl, j].mean() < 0.12:
            problems.append(f"{cue[~anyl, j].mean():.1%} of label-free sentences hold {label} cues")
        if not 0.05 <= y[:, j].mean() <= 0.20:
            problems.append(f"{label} rate {y[:, j].mean():.1%} (allowed 5-20%)")
    if f1_score(y, cue, average="macro", zero_division=0) > 0.50:
        problems.append("a cue-word rule scores macro-F1 over 0.50")
    prose = [
        t for r, t in zip(expected, texts, strict=True) if pass1[r["id"]]["kind"] != "furniture"
    ]
    pairs = near_duplicates(prose)
    if pairs:
        problems.append(f"{len(pairs)} near-duplicate pairs")
    return problems


def agreement(language: str) -> dict[str, Any]:
    """Cohen's kappa per label between the passes, per batch and over all; writes each
    batch's disagreements.jsonl."""
    ids: list[str] = []
    first: dict[str, list[str]] = {}
    second: dict[str, list[str]] = {}
    per_batch: dict[str, dict[str, float]] = {}
    for batch in batches(language):
        rows = _jsonl(batch / "input.jsonl")
        a, b = _labels(batch / "pass1.jsonl"), _labels(batch / "pass2.jsonl")
        batch_ids = [r["id"] for r in rows]
        if set(a) != set(batch_ids) or set(b) != set(batch_ids):
            raise SystemExit(f"{batch}: the passes do not label exactly the cut sentences")
        per_batch[batch.name] = {
            label: round(
                float(
                    cohen_kappa_score(
                        [label in a[i] for i in batch_ids], [label in b[i] for i in batch_ids]
                    )
                ),
                3,
            )
            for label in LABELS
        }
        disagreements = [
            {"id": r["id"], "text": r["text"], "pass1": a[r["id"]], "pass2": b[r["id"]]}
            for r in rows
            if a[r["id"]] != b[r["id"]]
        ]
        (batch / "disagreements.jsonl").write_text(
            "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in disagreements), "utf-8"
        )
        ids += batch_ids
        first.update(a)
        second.update(b)
    kappa = {
        label: round(
            float(
                cohen_kappa_score(
                    [label in first[i] for i in ids], [label in second[i] for i in ids]
                )
            ),
            3,
        )
        for label in LABELS
    }
    figures = {
        "sentences": len(ids),
        "kappa": kappa,
        "exact_match": round(sum(first[i] == second[i] for i in ids) / max(1, len(ids)), 3),
        "disagreements": sum(first[i] != second[i] for i in ids),
        "per_batch": per_batch,
    }
    (ROOT / language / "agreement.json").write_text(json.dumps(figures, indent=2) + "\n")
    return figures


def assemble(language: str) -> int:
    """Write training/data/<language>/docs/<batch>.jsonl: pass-1 labels where the passes
    agree, the adjudicated ones where they did not."""
    out_dir = DATA_ROOT / language / "docs"
    out_dir.mkdir(parents=True, exist_ok=True)
    written = 0
    for batch in batches(language):
        meta = {p.stem: read_doc(p)[0] for p in (batch / "docs").glob("*.txt")}
        pass1 = {r["id"]: r for r in _jsonl(batch / "pass1.jsonl")}
        settled = {r["id"]: r for r in _jsonl(batch / "adjudicated.jsonl")}
        disputed = {r["id"] for r in _jsonl(batch / "disagreements.jsonl")}
        unsettled = sorted(disputed - set(settled))
        if unsettled:
            raise SystemExit(f"{batch}: {len(unsettled)} disagreements to adjudicate first")
        rows = []
        for r in _jsonl(batch / "input.jsonl"):
            labels = sorted(
                settled[r["id"]]["labels"] if r["id"] in disputed else pass1[r["id"]]["labels"]
            )
            kind = pass1[r["id"]]["kind"]
            if labels:
                kind = "move"
            elif kind == "move":
                kind = settled.get(r["id"], {}).get("kind") or "plain"
                kind = kind if kind in KINDS and kind != "move" else "plain"
            doc_meta = meta[r["doc"]]
            rows.append(
                {
                    "id": r["id"],
                    "doc": r["doc"],
                    "text": r["text"],
                    "labels": labels,
                    "domain": domain_of(doc_meta["topic"]),
                    "register": doc_meta["register"],
                    "kind": kind,
                }
            )
        (out_dir / f"{batch.name}.jsonl").write_text(
            "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in rows), "utf-8"
        )
        written += len(rows)
    return written


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m training.annotation.documents")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("cut")
    c.add_argument("batch", type=Path)
    k = sub.add_parser("check")
    k.add_argument("batch", type=Path)
    k.add_argument("--lang", required=True)
    k.add_argument("--docs", type=int, default=0)
    k.add_argument("--sentences", type=int, default=0)
    for name in ("agreement", "assemble"):
        sub.add_parser(name).add_argument("language")
    args = p.parse_args(argv)
    if args.command == "cut":
        rows = cut(args.batch)
        (args.batch / "input.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8"
        )
        print(f"{len(rows)} sentences")
    elif args.command == "check":
        problems = check(args.batch, args.lang, args.docs, args.sentences)
        print("\n".join(problems) or "OK")
        return 1 if problems else 0
    elif args.command == "agreement":
        figures = agreement(args.language)
        print(json.dumps({k: v for k, v in figures.items() if k != "per_batch"}, indent=2))
    else:
        print(
            f"{assemble(args.language)} sentences written to {DATA_ROOT / args.language / 'docs'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
