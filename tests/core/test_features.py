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
    featurizer = HashedNgrams(cache_bytes=10_000)
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
        found = featurizer.analyze(text)
        row = featurizer.transform([text])
        counted = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
        from_analyze: dict[int, float] = {}
        for column, start, end in zip(*found, strict=True):
            from_analyze[int(column)] = from_analyze.get(int(column), 0) + 1
            assert 0 <= start < end <= len(text), (text, start, end)
        assert from_analyze == counted, text


def test_analyze_spans_cover_word_trigrams() -> None:
    featurizer = HashedNgrams().fit([])
    text = "Officials blamed foreign agents"
    found = featurizer.analyze(text)
    spans = {text[a:b] for a, b in zip(found.starts, found.ends, strict=True)}
    assert {"Officials", "Officials blamed", "Officials blamed foreign"} <= spans


def test_the_cache_is_bounded_in_bytes() -> None:
    """Random unspaced text must not grow the per-word cache (and the worker) for good."""
    import random

    rng = random.Random(1)
    featurizer = HashedNgrams(cache_bytes=200_000).fit([])
    for _ in range(50):
        words = ["".join(rng.choices("abcdefghij", k=rng.randint(3, 12))) for _ in range(300)]
        featurizer.transform([" ".join(words), "x" * 5_000])
        chars, grams = featurizer.__dict__["_cache"]
        held = sum(a.nbytes + len(w) + 200 for w, a in chars.items())
        held += sum(len(g) + 200 for g in grams)
        assert held <= 200_000 + 300 * 4 * (200 + 8 * 66), held
        assert "x" * 5_000 not in chars  # a run-on word is hashed, never kept
