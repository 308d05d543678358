"""HashedNgrams equals scikit-learn's HashingVectorizers and obeys the estimator rules."""

from __future__ import annotations

import pickle

from sklearn.base import clone
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.pipeline import FeatureUnion
from sklearn.utils.estimator_checks import check_get_params_invariance

from app.core.features import HashedNgrams
from tests.conftest import TINY

TEXTS = [t for t, _ in TINY] + [
    "Ça va? İstanbul ŞEHİR  double  spaces\tand\ttabs",
    "😀 emoji, “curly quotes” and O'Neil—dash…",
    "a",
    "",
    "x x x x x",
    "The ministry's spokesman: 'No.'",
]


def reference(word=(1, 3), chars=(1, 6), nw=2**18, nc=2**19) -> FeatureUnion:  # type: ignore[no-untyped-def]
    return FeatureUnion(
        [
            (
                "w",
                HashingVectorizer(ngram_range=word, n_features=nw, alternate_sign=False, norm=None),
            ),
            (
                "c",
                HashingVectorizer(
                    analyzer="char_wb",
                    ngram_range=chars,
                    n_features=nc,
                    alternate_sign=False,
                    norm=None,
                ),
            ),
        ]
    )


def test_same_matrix_as_scikit_learn() -> None:
    ours = HashedNgrams().fit(TEXTS).transform(TEXTS)
    theirs = reference().transform(TEXTS)
    assert ours.shape == theirs.shape
    assert (ours != theirs).nnz == 0
    again = HashedNgrams().fit(TEXTS)
    again.transform(TEXTS)  # warm cache
    assert (again.transform(TEXTS) != theirs).nnz == 0


def test_other_parameters_match_too() -> None:
    ours = (
        HashedNgrams(
            word_ngrams=(1, 3), char_ngrams=(3, 4), n_word_features=2**10, n_char_features=2**12
        )
        .fit(TEXTS)
        .transform(TEXTS)
    )
    assert (ours != reference((1, 3), (3, 4), 2**10, 2**12).transform(TEXTS)).nnz == 0


def test_estimator_rules() -> None:
    featurizer = HashedNgrams(cache_size=10)
    assert clone(featurizer).get_params() == featurizer.get_params()
    assert featurizer.fit(TEXTS) is featurizer
    assert featurizer.n_features_out_ == 2**18 + 2**19
    check_get_params_invariance("HashedNgrams", featurizer)
    featurizer.transform(TEXTS)  # the cache fills, then is dropped when pickled
    restored = pickle.loads(pickle.dumps(featurizer))
    assert "_cache" not in restored.__dict__
    assert (restored.transform(TEXTS) != featurizer.transform(TEXTS)).nnz == 0


def test_analyze_gives_the_columns_transform_counts_with_their_spans() -> None:
    """Evidence and scoring enumerate the same n-grams (word 1-3 and char_wb 1-6)."""
    featurizer = HashedNgrams().fit([])
    for text in TEXTS:
        occurrences = featurizer.analyze(text)
        row = featurizer.transform([text])
        counted = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
        from_analyze: dict[int, float] = {}
        for o in occurrences:
            from_analyze[o.column] = from_analyze.get(o.column, 0) + 1
            assert 0 <= o.start < o.end <= len(text), (text, o)
        assert from_analyze == counted, text


def test_analyze_spans_cover_word_trigrams() -> None:
    featurizer = HashedNgrams().fit([])
    text = "Officials blamed foreign agents"
    spans = {text[o.start : o.end] for o in featurizer.analyze(text)}
    assert {"Officials", "Officials blamed", "Officials blamed foreign"} <= spans
