"""Data tests on the shipped corpora, one per language: schema, labels, duplicates,
leakage and the floors."""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from app.core.segment import split_sentences
from training.data import DATA_SUFFIXES, Example, load_examples
from training.evaluation import label_matrix
from training.paths import DATA_ROOT
from training.quality import cue_phrases, near_duplicates, repeated_skeletons, word_counts
from training.splits import holdout_split, paraphrase_groups

LABELS = ["blame_attribution", "downplaying", "official_denial"]
FIELDS = {"id", "text", "labels", "domain", "register", "kind"}
KINDS = {"move", "hard_negative", "plain", "furniture"}
LANGUAGES = ["en", "ru"]
# The English floors are the corpus issue's; the Russian ones the Russian issue's.
FLOORS = {
    "en": {"rows": 6000, "label": 1200, "multi": 400, "none": 2400, "hard": 1000, "domains": 25},
    "ru": {"rows": 3000, "label": 600, "multi": 200, "none": 1200, "hard": 500, "domains": 15},
}
RU_REGISTERS = {
    "agency_wire",
    "ministry_briefing",
    "talk_show",
    "telegram_post",
    "parliament",
    "independent_media",
}


@pytest.fixture(params=LANGUAGES)
def language(request: pytest.FixtureRequest) -> str:
    code: str = request.param
    return code


@cache
def corpus(language: str) -> tuple[Example, ...]:
    return tuple(load_examples([DATA_ROOT / language]))


@cache
def texts(language: str) -> list[str]:
    return [ex.text for ex in corpus(language)]


def test_every_row_has_the_schema(language: str) -> None:
    folder = DATA_ROOT / language
    files = [p for p in folder.rglob("*") if p.suffix in DATA_SUFFIXES]
    assert files, f"no corpus files in {folder}"
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            row = json.loads(line)
            assert set(row) == FIELDS, f"{path}:{n}"
            assert isinstance(row["text"], str) and row["text"].strip(), f"{path}:{n}"
            assert row["kind"] in KINDS, f"{path}:{n}"
            assert (row["kind"] == "move") == bool(row["labels"]), f"{path}:{n}"


def test_label_names_are_the_guides(language: str) -> None:
    assert {label for ex in corpus(language) for label in ex.labels} == set(LABELS)


def test_sentence_lengths(language: str) -> None:
    counts = word_counts(texts(language))
    assert counts.min() >= 4 and counts.max() <= 70


def test_no_exact_or_near_duplicates(language: str) -> None:
    t = texts(language)
    pairs = near_duplicates(t)
    shown = [(t[i][:60], t[j][:60], round(v, 2)) for i, j, v in pairs[:5]]
    assert not pairs, f"{len(pairs)} near-duplicate pairs, e.g. {shown}"


def test_no_repeated_skeletons(language: str) -> None:
    groups = repeated_skeletons(texts(language))
    assert not groups, [texts(language)[g[0]] for g in groups[:5]]


@pytest.mark.parametrize("label", LABELS)
def test_no_cue_phrase_dominates(language: str, label: str) -> None:
    found = cue_phrases(texts(language), [ex.labels for ex in corpus(language)], label)
    assert not found, found


def test_floors(language: str) -> None:
    rows = corpus(language)
    floor = FLOORS[language]
    label_counts = Counter(label for ex in rows for label in ex.labels)
    none = [ex for ex in rows if not ex.labels]
    assert len(rows) >= floor["rows"]
    for label in LABELS:
        assert label_counts[label] >= floor["label"], (label, label_counts[label])
    assert sum(len(ex.labels) >= 2 for ex in rows) >= floor["multi"]
    assert len(none) >= floor["none"]
    assert sum(ex.kind == "hard_negative" for ex in none) >= floor["hard"]
    assert sum(ex.kind == "furniture" for ex in none) >= floor["rows"] // 30
    assert len({ex.domain for ex in rows}) >= floor["domains"]
    assert len({ex.register for ex in rows}) >= 8


def test_russian_corpus_has_the_registers_that_matter() -> None:
    registers = Counter(ex.register for ex in corpus("ru"))
    for register in RU_REGISTERS:
        assert registers[register] >= 100, (register, registers[register])


def test_russian_corpus_is_in_russian() -> None:
    """Written natively in Cyrillic, with no sentence mostly in Latin letters."""
    latin = [t for t in texts("ru") if sum(c.isascii() and c.isalpha() for c in t) > len(t) / 4]
    assert not latin, latin[:5]


def test_ids_are_unique(language: str) -> None:
    ids = Counter(ex.id for ex in corpus(language))
    assert ids.most_common(1)[0][1] == 1


def test_no_leakage_between_train_and_test(language: str) -> None:
    rows = corpus(language)
    y = label_matrix([ex.labels for ex in rows], LABELS)
    groups = paraphrase_groups(texts(language), [ex.doc for ex in rows])
    train, test = holdout_split(y, groups, seed=13)
    assert not set(train) & set(test)
    assert not set(groups[train]) & set(groups[test]), "a paraphrase group straddles the split"
    both = np.concatenate([train, test])
    pairs = near_duplicates([texts(language)[i] for i in both], threshold=0.6)
    n_train = len(train)
    straddling = [(i, j) for i, j, _ in pairs if (i < n_train) != (j < n_train)]
    assert not straddling, f"{len(straddling)} similar pairs across the split"


def test_real_news_evaluation_sentences_are_not_in_the_corpus() -> None:
    real = Path(__file__).resolve().parents[3] / "shared" / "eval" / "real-news.jsonl"
    if not real.is_file():
        pytest.skip(f"{real} not present")
    ours = texts("en") + texts("ru")
    theirs = [json.loads(line)["text"] for line in real.read_text().splitlines() if line.strip()]
    pairs = near_duplicates(ours + theirs, threshold=0.8)
    crossing = [(i, j) for i, j, _ in pairs if i < len(ours) <= j]
    assert not crossing, f"{len(crossing)} corpus sentences resemble real-news evaluation ones"


def test_evaluation_texts_are_apart_from_the_corpus(language: str) -> None:
    """The evaluation set written apart is labelled, complete, cut as the segmenter cuts
    its texts today, and resembles no corpus line."""
    path = DATA_ROOT.parent / "eval" / f"{language}.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    inputs = (DATA_ROOT.parent / "eval" / f"{language}.input.jsonl").read_text(encoding="utf-8")
    cut = [json.loads(line) for line in inputs.splitlines()]
    assert [(r["id"], r["text"]) for r in rows] == [(r["id"], r["text"]) for r in cut]
    assert all(set(r["labels"]) <= set(LABELS) for r in rows)
    recut = []
    for doc in sorted((DATA_ROOT.parent / "eval" / language).glob("*.txt")):
        body = doc.read_text(encoding="utf-8")
        recut += [
            (f"{doc.stem}-{i:03d}", body[a:b]) for i, (a, b) in enumerate(split_sentences(body))
        ]
    assert recut == [(r["id"], r["text"]) for r in rows], "the texts no longer cut as labelled"
    ours = texts(language)
    theirs = [r["text"] for r in rows]
    pairs = near_duplicates(ours + theirs, threshold=0.8)
    crossing = [(ours[i], theirs[j - len(ours)]) for i, j, _ in pairs if i < len(ours) <= j]
    # Stock furniture ("Comments are closed on this article.") may recur; prose may not.
    prose = [(a, b) for a, b in crossing if len(b.split()) > 8]
    assert not prose, prose[:3]
