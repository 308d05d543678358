"""Data tests on the shipped corpus: schema, labels, duplicates, leakage and the floors."""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from training.data import DATA_SUFFIXES, Example, load_examples
from training.quality import cue_phrases, near_duplicates, repeated_skeletons, word_counts
from training.train import DEFAULT_DATA, holdout_split, label_matrix, paraphrase_groups

LABELS = ["blame_attribution", "downplaying", "official_denial"]
FIELDS = {"id", "text", "labels", "domain", "register", "kind"}
KINDS = {"move", "hard_negative", "plain", "furniture"}


@cache
def corpus() -> tuple[Example, ...]:
    return tuple(load_examples([DEFAULT_DATA]))


def texts() -> list[str]:
    return [ex.text for ex in corpus()]


def test_every_row_has_the_schema() -> None:
    files = [p for p in DEFAULT_DATA.rglob("*") if p.suffix in DATA_SUFFIXES]
    assert files, f"no corpus files in {DEFAULT_DATA}"
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            row = json.loads(line)
            assert set(row) == FIELDS, f"{path}:{n}"
            assert isinstance(row["text"], str) and row["text"].strip(), f"{path}:{n}"
            assert row["kind"] in KINDS, f"{path}:{n}"
            assert (row["kind"] == "move") == bool(row["labels"]), f"{path}:{n}"


def test_label_names_are_the_guides() -> None:
    assert {label for ex in corpus() for label in ex.labels} == set(LABELS)


def test_sentence_lengths() -> None:
    counts = word_counts(texts())
    assert counts.min() >= 4 and counts.max() <= 70


def test_no_exact_or_near_duplicates() -> None:
    pairs = near_duplicates(texts())
    shown = [(texts()[i][:60], texts()[j][:60], round(v, 2)) for i, j, v in pairs[:5]]
    assert not pairs, f"{len(pairs)} near-duplicate pairs, e.g. {shown}"


def test_no_repeated_skeletons() -> None:
    groups = repeated_skeletons(texts())
    assert not groups, [texts()[g[0]] for g in groups[:5]]


@pytest.mark.parametrize("label", LABELS)
def test_no_cue_phrase_dominates(label: str) -> None:
    found = cue_phrases(texts(), [ex.labels for ex in corpus()], label)
    assert not found, found


def test_floors() -> None:
    rows = corpus()
    label_counts = Counter(label for ex in rows for label in ex.labels)
    none = [ex for ex in rows if not ex.labels]
    assert len(rows) >= 6000
    for label in LABELS:
        assert label_counts[label] >= 1200, (label, label_counts[label])
    assert sum(len(ex.labels) >= 2 for ex in rows) >= 400
    assert len(none) >= 2400
    assert sum(ex.kind == "hard_negative" for ex in none) >= 1000
    assert sum(ex.kind == "furniture" for ex in none) >= 200
    assert len({ex.domain for ex in rows}) >= 25
    assert len({ex.register for ex in rows}) >= 8


def test_ids_are_unique() -> None:
    ids = Counter(ex.id for ex in corpus())
    assert ids.most_common(1)[0][1] == 1


def test_no_leakage_between_train_and_test() -> None:
    rows = corpus()
    y = label_matrix(rows, LABELS)
    groups = paraphrase_groups(texts())
    train, test = holdout_split(y, groups, seed=13)
    assert not set(train) & set(test)
    assert not set(groups[train]) & set(groups[test]), "a paraphrase group straddles the split"
    both = np.concatenate([train, test])
    pairs = near_duplicates([texts()[i] for i in both], threshold=0.6)
    n_train = len(train)
    straddling = [(i, j) for i, j, _ in pairs if (i < n_train) != (j < n_train)]
    assert not straddling, f"{len(straddling)} similar pairs across the split"


def test_real_news_evaluation_sentences_are_not_in_the_corpus() -> None:
    real = Path(__file__).resolve().parents[3] / "shared" / "eval" / "real-news.jsonl"
    if not real.is_file():
        pytest.skip(f"{real} not present")
    ours = texts()
    theirs = [json.loads(line)["text"] for line in real.read_text().splitlines() if line.strip()]
    pairs = near_duplicates(ours + theirs, threshold=0.8)
    crossing = [(i, j) for i, j, _ in pairs if i < len(ours) <= j]
    assert not crossing, f"{len(crossing)} corpus sentences resemble real-news evaluation ones"
