"""Held-out splits that keep near-paraphrases (and whole documents) on one side."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.model_selection import StratifiedGroupKFold

from training.quality import near_duplicates

PARAPHRASE_SIMILARITY = 0.5


def paraphrase_groups(texts: Sequence[str], docs: Sequence[str] | None = None) -> np.ndarray:
    """Group ids: the sentences of one document form a group; sentences outside documents
    are joined when their char 3-gram TF-IDF cosine passes PARAPHRASE_SIMILARITY.

    Similarity is not used across documents: their stock furniture ("Sign up for our
    newsletter") would chain hundreds of documents into one group."""
    docs = list(docs) if docs is not None else [""] * len(texts)
    alone = [i for i, doc in enumerate(docs) if not doc]
    rows: list[int] = []
    cols: list[int] = []
    if len(alone) > 1:
        # Pairs at PARAPHRASE_SIMILARITY or above (near_duplicates keeps those above its
        # threshold: the float just below makes that "at or above").
        at_least = float(np.nextafter(PARAPHRASE_SIMILARITY, 0.0))
        pairs = near_duplicates([texts[i] for i in alone], threshold=at_least)
        index = np.asarray(alone)
        rows += [int(index[i]) for i, _, _ in pairs]
        cols += [int(index[j]) for _, j, _ in pairs]
    first: dict[str, int] = {}
    for i, doc in enumerate(docs):
        if doc:
            rows.append(first.setdefault(doc, i))
            cols.append(i)
    n = len(texts)
    link = sparse.csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
    _, groups = connected_components(link, directed=False)
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
