"""Held-out splits that keep near-paraphrases (and whole documents) on one side."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedGroupKFold

PARAPHRASE_SIMILARITY = 0.5


def paraphrase_groups(texts: Sequence[str], docs: Sequence[str] | None = None) -> np.ndarray:
    """Group ids joining sentences whose char 3-gram TF-IDF cosine passes
    PARAPHRASE_SIMILARITY, and the sentences of one document."""
    x = TfidfVectorizer(analyzer="char", ngram_range=(3, 3)).fit_transform(texts)
    sim = (x @ x.T).tocsr()
    sim.data = (sim.data >= PARAPHRASE_SIMILARITY).astype(np.int8)
    sim.eliminate_zeros()
    if docs is not None:
        rows, cols = [], []
        first: dict[str, int] = {}
        for i, doc in enumerate(docs):
            if doc:
                rows.append(first.setdefault(doc, i))
                cols.append(i)
        link = sparse.csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=sim.shape)
        sim = sim + link
    _, groups = connected_components(sim, directed=False)
    return np.asarray(groups)


def labelset_keys(y: np.ndarray) -> np.ndarray:
    """One stratum per label combination."""
    return np.array(["".join(map(str, row)) for row in y])


def holdout_split(y: np.ndarray, groups: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A fifth of the data as test set, stratified by label set, grouped by paraphrase."""
    splitter = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed)
    train, test = next(splitter.split(np.zeros(len(y)), labelset_keys(y), groups))
    return train, test


def grouped_folds(
    y: np.ndarray, groups: np.ndarray, folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), labelset_keys(y), groups))
