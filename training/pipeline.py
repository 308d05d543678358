"""The scikit-learn pipeline training fits, and its export to the arrays serving reads.

Serving never imports scikit-learn: a fitted pipeline is reduced to its featurizer's
parameters, the inverse document frequencies and each label's weights and intercept
(`export`), which app/core/model.py scores with array arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline

from app.core.features import NgramHasher

FEATURES, WEIGHTING, CLASSIFIER = "hash", "tfidf", "clf"


class HashedNgrams(TransformerMixin, BaseEstimator):
    """Counts of hashed word and character n-grams (app.core.features.NgramHasher)."""

    def __init__(
        self,
        word_ngrams: tuple[int, int] = (1, 3),
        char_ngrams: tuple[int, int] = (2, 6),
        n_word_features: int = 2**18,
        n_char_features: int = 2**19,
        mask_digits: bool = True,
    ) -> None:
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.n_word_features = n_word_features
        self.n_char_features = n_char_features
        self.mask_digits = mask_digits

    def hasher(self) -> NgramHasher:
        return NgramHasher(
            word_ngrams=self.word_ngrams,
            char_ngrams=self.char_ngrams,
            n_word_features=self.n_word_features,
            n_char_features=self.n_char_features,
            mask_digits=self.mask_digits,
        )

    def fit(self, X: Iterable[str], y: Any = None) -> HashedNgrams:
        """Nothing to learn: hashing needs no vocabulary."""
        self.n_features_out_ = self.n_word_features + self.n_char_features
        return self

    def transform(self, X: Iterable[str]) -> sparse.csr_matrix:
        texts = list(X)
        found = self.hasher().occurrences(texts)
        counts = sparse.csr_matrix(
            (np.ones(len(found.rows)), (found.rows, found.columns)),
            shape=(len(texts), self.n_word_features + self.n_char_features),
        )
        counts.sum_duplicates()
        return counts


class OccurrenceTfidf(TransformerMixin, BaseEstimator):
    """TF-IDF where each occurrence of a feature counts once: a feature's value is
    count x idf, divided by the square root of the sum of idf squared over the
    sentence's occurrences. Scoring can then add up occurrences without grouping them.
    """

    def fit(self, X: sparse.csr_matrix, y: Any = None) -> OccurrenceTfidf:
        n = X.shape[0]
        df = np.bincount(X.indices, minlength=X.shape[1])
        self.idf_ = (np.log((1 + n) / (1 + df)) + 1.0).astype(np.float64)
        return self

    def transform(self, X: sparse.csr_matrix) -> sparse.csr_matrix:
        X = sparse.csr_matrix(X, dtype=np.float64)
        idf = self.idf_[X.indices]
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        mass = np.bincount(rows, weights=X.data * idf * idf, minlength=X.shape[0])
        norm = np.sqrt(mass)
        norm[norm == 0] = 1.0
        return sparse.csr_matrix((X.data * idf / norm[rows], X.indices, X.indptr), shape=X.shape)


def build_pipeline(c: float = 4.0, seed: int = 0, **features: Any) -> Pipeline:
    """Hashed word and character n-grams, occurrence TF-IDF, one logistic regression per
    label (one-vs-rest). No class weighting: with real base rates (most sentences carry
    no label) balanced weights raised false alarms on the texts written apart."""
    classifier = OneVsRestClassifier(LogisticRegression(C=c, solver="liblinear", random_state=seed))
    return Pipeline(
        [
            (FEATURES, HashedNgrams(**features)),
            (WEIGHTING, OccurrenceTfidf()),
            (CLASSIFIER, classifier),
        ]
    )


def export(pipeline: Pipeline) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The featurizer's parameters and the arrays serving needs, from a fitted pipeline."""
    steps = pipeline.named_steps
    featurizer: HashedNgrams = steps[FEATURES]
    estimators = steps[CLASSIFIER].estimators_
    coefs = [e.coef_.toarray() if sparse.issparse(e.coef_) else e.coef_ for e in estimators]
    arrays = {
        "idf": np.asarray(steps[WEIGHTING].idf_, dtype=np.float32),
        "weights": np.ascontiguousarray(np.vstack(coefs).T, dtype=np.float32),
        "intercepts": np.array([float(np.ravel(e.intercept_)[0]) for e in estimators]),
    }
    params = featurizer.get_params()
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
    return params, arrays
