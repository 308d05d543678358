"""The n-gram hasher: the same features for a text alone or in a batch, spans that lie in
the text, and the training adapter that follows scikit-learn's estimator rules."""

from __future__ import annotations

import pickle

import numpy as np
from sklearn.base import clone
from sklearn.utils.estimator_checks import check_get_params_invariance

from app.core.features import NgramHasher
from tests.conftest import TINY
from training.pipeline import HashedNgrams

TEXTS = [t for t, _ in TINY] + [
    "Ça va? İstanbul ŞEHİR  double  spaces\tand\ttabs",
    "😀 emoji, “curly quotes” and O'Neil—dash…",
    "a",
    "",
    "x x x x x",
    "The ministry's spokesman: 'No.'",
    "  leading and trailing space  ",
    "Министерство отвергло обвинения.",
    "a\x00b \x000 nul bytes",
]


def counts(found, n: int) -> list[dict[int, int]]:  # type: ignore[no-untyped-def]
    out: list[dict[int, int]] = [{} for _ in range(n)]
    for row, column in zip(found.rows.tolist(), found.columns.tolist(), strict=True):
        out[row][column] = out[row].get(column, 0) + 1
    return out


def test_a_text_gets_the_same_features_alone_and_in_a_batch() -> None:
    hasher = NgramHasher()
    together = counts(hasher.occurrences(TEXTS), len(TEXTS))
    for i, text in enumerate(TEXTS):
        assert counts(hasher.occurrences([text]), 1)[0] == together[i], text


def test_features_do_not_depend_on_case_or_on_what_surrounds_the_text() -> None:
    hasher = NgramHasher()
    a = counts(hasher.occurrences(["The Ministry DENIED it."]), 1)[0]
    b = counts(hasher.occurrences(["the ministry denied it."]), 1)[0]
    assert a == b
    assert a and all(0 <= c < hasher.n_features for c in a)


def test_columns_fall_in_their_blocks() -> None:
    hasher = NgramHasher(
        word_ngrams=(1, 1), char_ngrams=(3, 3), n_word_features=64, n_char_features=128
    )
    found = hasher.occurrences(["alpha beta"], spans=True)
    text = "alpha beta"
    spans = {text[a:b] for a, b in zip(found.starts, found.ends, strict=True)}
    assert spans == {"alpha", "beta"}
    words = found.columns < 64
    assert words.sum() == 2 and (found.columns[~words] < 64 + 128).all()


def test_analyze_spans_lie_in_the_text() -> None:
    hasher = NgramHasher()
    for text in TEXTS:
        found = hasher.analyze(text)
        assert counts(found, 1)[0] == counts(hasher.occurrences([text]), 1)[0]
        for start, end in zip(found.starts.tolist(), found.ends.tolist(), strict=True):
            assert 0 <= start < end <= len(text), (text, start, end)
            assert text[start:end].strip() == text[start:end]
    spans = {
        "Officials blamed foreign agents"[a:b]
        for a, b in zip(*hasher.analyze("Officials blamed foreign agents")[2:], strict=True)
    }
    assert {"Officials", "Officials blamed", "Officials blamed foreign"} <= spans
    turkish = next(t for t in TEXTS if "ŞEHİR" in t)
    assert "ŞEHİR" in {turkish[a:b] for a, b in zip(*hasher.analyze(turkish)[2:], strict=True)}


def test_the_training_adapter_follows_the_estimator_rules() -> None:
    featurizer = HashedNgrams()
    assert clone(featurizer).get_params() == featurizer.get_params()
    assert featurizer.fit(TEXTS) is featurizer
    assert featurizer.n_features_out_ == 2**18 + 2**19
    check_get_params_invariance("HashedNgrams", featurizer)
    matrix = featurizer.transform(TEXTS)
    assert matrix.shape == (len(TEXTS), 2**18 + 2**19)
    expected = counts(featurizer.hasher().occurrences(TEXTS), len(TEXTS))
    for i in range(len(TEXTS)):
        row = matrix[i]
        assert (
            dict(zip(row.indices.tolist(), row.data.astype(int).tolist(), strict=True))
            == expected[i]
        )
    restored = pickle.loads(pickle.dumps(featurizer))
    assert (restored.transform(TEXTS) != matrix).nnz == 0
    assert np.array_equal(np.sort(matrix[0].indices), matrix[0].indices)
