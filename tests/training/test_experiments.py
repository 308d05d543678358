"""The feature variants of training/experiments.py transform text as they claim."""

from __future__ import annotations

import numpy as np

from training.data import Example
from training.experiments import (
    WEIGHTING,
    lowercase_vocabulary,
    mask_capitalised,
    with_context,
)


def test_masking_hides_names_keeps_offsets_and_the_first_word() -> None:
    text = "The ministry denied the report by Ivan Petrov on Tuesday."
    masked = mask_capitalised(text)
    assert len(masked) == len(text)
    assert masked.startswith("The ministry denied")
    assert "Ivan" not in masked and "Petrov" not in masked
    assert "xxxx xxxxxx" in masked


def test_masking_keeps_words_seen_in_lower_case() -> None:
    keep = lowercase_vocabulary(["the ministry said", "a ministry spokesman"], min_count=2)
    assert keep == {"ministry"}
    masked = mask_capitalised("Yesterday the Ministry and Roskomnadzor spoke.", keep)
    assert "Ministry" in masked and "Roskomnadzor" not in masked


def test_context_is_the_documents_headline_and_previous_sentence() -> None:
    rows = [
        Example("a0", "Headline A", (), doc="a"),
        Example("a1", "First of A.", (), doc="a"),
        Example("a2", "Second of A.", (), doc="a"),
        Example("x", "A sentence alone.", ()),
        Example("b0", "Headline B", (), doc="b"),
    ]
    t = with_context(rows)
    assert t.headline == ["", "Headline A", "Headline A", "", ""]
    assert t.previous == ["", "Headline A", "First of A.", "", ""]


def test_a_share_of_documents_keeps_whole_documents_examples_and_smaller_shares() -> None:
    rows = [Example(f"x{i}", f"Example {i}.", ()) for i in range(20)]
    rows += [
        Example(f"d{d}-{k}", f"Doc {d} line {k}.", (), doc=f"d{d}")
        for d in range(200)
        for k in range(3)
    ]
    idx = np.arange(len(rows))
    picked = {
        name: set(WEIGHTING[name](rows, idx).tolist())
        for name in ("documents_25", "documents_50", "documents_75")
    }
    for name, share in (("documents_25", 0.25), ("documents_50", 0.5), ("documents_75", 0.75)):
        docs = {rows[i].doc for i in picked[name] if rows[i].doc}
        assert abs(len(docs) / 200 - share) < 0.1, (name, len(docs))
        assert set(range(20)) <= picked[name]  # every example sentence stays
        assert all(i in picked[name] for i in idx if rows[i].doc in docs)  # whole documents
    assert picked["documents_25"] < picked["documents_50"] < picked["documents_75"]
