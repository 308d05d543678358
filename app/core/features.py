"""A fast hashed n-gram featurizer, equal in output to scikit-learn's HashingVectorizers.

`HashedNgrams().transform(texts)` gives the same matrix as a FeatureUnion of
`HashingVectorizer(ngram_range=word_ngrams, alternate_sign=False, norm=None)` and
`HashingVectorizer(analyzer="char_wb", ngram_range=char_ngrams, alternate_sign=False,
norm=None)`, but hashes each distinct word once and remembers it: news text repeats its
words, and character n-grams of the words were most of the time spent.

`analyze(text)` gives the same columns with the span of text each comes from, for the
evidence; both enumerate n-grams through the same two functions, so they cannot drift.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import murmurhash3_32

TOKEN = re.compile(r"(?u)\b\w\w+\b")
_WORD = re.compile(r"\S+")
_INT_MIN = -(2**31)
_CACHED_WORD_CHARS = 40  # longer words are hashed every time, never kept
_ENTRY_BYTES = 200  # a cache entry's own cost (dict slot, str and array headers)


def feature_index(feature: str, n_features: int) -> int:
    """The column scikit-learn's hashing gives `feature` (its INT_MIN case included)."""
    h = murmurhash3_32(feature, seed=0)
    if h == _INT_MIN:
        return (2**31 - 1 - (n_features - 1)) % n_features
    return abs(h) % n_features


def word_ngrams(tokens: list[str], lo: int, hi: int) -> Iterator[tuple[str, int, int]]:
    """Each word n-gram of `tokens` as (gram, first token, last token + 1), in sklearn's order."""
    for n in range(lo, hi + 1):
        for i in range(len(tokens) - n + 1):
            yield (tokens[i] if n == 1 else " ".join(tokens[i : i + n])), i, i + n


def char_wb_ngrams(word: str, lo: int, hi: int) -> list[str]:
    """The char_wb n-grams of one lower-cased word, repeats included, in sklearn's order."""
    padded = f" {word} "
    grams: list[str] = []
    for n in range(lo, hi + 1):
        grams.extend(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
        if len(padded) <= n:
            break
    return grams


class Occurrences(NamedTuple):
    """The features a text produces, one per occurrence: column and span, as arrays."""

    columns: np.ndarray
    starts: np.ndarray
    ends: np.ndarray


class HashedNgrams(TransformerMixin, BaseEstimator):
    """Counts of hashed word n-grams (first block) and char_wb n-grams (second block)."""

    def __init__(
        self,
        word_ngrams: tuple[int, int] = (1, 3),
        char_ngrams: tuple[int, int] = (1, 6),
        n_word_features: int = 2**18,
        n_char_features: int = 2**19,
        cache_bytes: int = 16 * 2**20,
    ) -> None:
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.n_word_features = n_word_features
        self.n_char_features = n_char_features
        self.cache_bytes = cache_bytes

    def fit(self, X: Iterable[str], y: Any = None) -> HashedNgrams:
        """Nothing to learn: hashing needs no vocabulary."""
        self.n_features_out_ = self.n_word_features + self.n_char_features
        return self

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_cache", None)  # a cache, not a parameter: rebuilt after loading
        state.pop("_cache_used", None)
        return state

    def _caches(self) -> tuple[dict[str, np.ndarray], dict[str, int]]:
        """The per-word caches, emptied when they hold more than `cache_bytes` (counted as
        the words' and column arrays' sizes plus a fixed cost per entry)."""
        cache = self.__dict__.get("_cache")
        if cache is None or self.__dict__.get("_cache_used", 0) > self.cache_bytes:
            cache = self.__dict__["_cache"] = ({}, {})
            self.__dict__["_cache_used"] = 0
        return cache

    def char_columns(self, word: str) -> np.ndarray:
        """Columns of the char_wb n-grams of one lower-cased word, repeats included."""
        grams = char_wb_ngrams(word, *self.char_ngrams)
        offset = self.n_word_features
        return np.fromiter(
            (offset + feature_index(g, self.n_char_features) for g in grams),
            dtype=np.int32,
            count=len(grams),
        )

    def transform(self, X: Iterable[str]) -> sparse.csr_matrix:
        chars_cache, words_cache = self._caches()
        lo, hi = self.word_ngrams
        n_words = self.n_word_features
        added = 0
        columns: list[np.ndarray] = []
        for text in X:
            lower = text.lower()
            parts: list[np.ndarray] = []
            for word in lower.split():
                cols = chars_cache.get(word)
                if cols is None:
                    cols = self.char_columns(word)
                    if len(word) <= _CACHED_WORD_CHARS:  # a run-on "word" is not worth keeping
                        chars_cache[word] = cols
                        added += _ENTRY_BYTES + len(word) + cols.nbytes
                parts.append(cols)
            word_cols: list[int] = []
            for gram, _, _ in word_ngrams(TOKEN.findall(lower), lo, hi):
                col = words_cache.get(gram)
                if col is None:
                    col = feature_index(gram, n_words)
                    if len(gram) <= 3 * _CACHED_WORD_CHARS:
                        words_cache[gram] = col
                        added += _ENTRY_BYTES + len(gram)
                word_cols.append(col)
            parts.append(np.array(word_cols, dtype=np.int64))
            columns.append(np.concatenate(parts))
        self.__dict__["_cache_used"] = self.__dict__.get("_cache_used", 0) + added
        return count_matrix(columns, self.n_word_features + self.n_char_features)

    def analyze(self, text: str) -> Occurrences:
        """Every feature `transform` counts for `text`, with the span it comes from.

        A character n-gram comes from its whole word (the text between white space); a
        word n-gram from its first word's start to its last word's end. Spans index
        `text` itself, also where lower-casing changes a string's length.
        """
        chars_cache, words_cache = self._caches()
        lower = text.lower()
        to_original = _offset_map(text, lower)
        columns: list[np.ndarray] = []
        starts: list[int] = []
        ends: list[int] = []
        counts: list[int] = []
        for m in _WORD.finditer(lower):
            word = m.group()
            cols = chars_cache.get(word)
            if cols is None:
                cols = self.char_columns(word)
            columns.append(cols)
            starts.append(to_original(m.start()))
            ends.append(to_original(m.end()))
            counts.append(len(cols))
        matches = list(TOKEN.finditer(lower))
        grams = list(word_ngrams([m.group() for m in matches], *self.word_ngrams))
        if grams:
            word_cols = np.fromiter(
                (
                    words_cache[g] if g in words_cache else feature_index(g, self.n_word_features)
                    for g, _, _ in grams
                ),
                dtype=np.int64,
                count=len(grams),
            )
            columns.append(word_cols)
            starts.extend(to_original(matches[first].start()) for _, first, _ in grams)
            ends.extend(to_original(matches[last - 1].end()) for _, _, last in grams)
            counts.extend([1] * len(grams))
        if not columns:
            empty = np.zeros(0, dtype=np.int64)
            return Occurrences(empty, empty, empty)
        repeat = np.array(counts, dtype=np.int64)
        return Occurrences(
            np.concatenate(columns).astype(np.int64),
            np.repeat(np.array(starts, dtype=np.int64), repeat),
            np.repeat(np.array(ends, dtype=np.int64), repeat),
        )

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array([f"hash{i}" for i in range(self.n_word_features + self.n_char_features)])


def _offset_map(text: str, lower: str) -> Any:
    """A function from offsets in `lower` (text.lower()) to offsets in `text`."""
    if len(lower) == len(text):
        return int
    starts = np.cumsum([0, *(len(c.lower()) for c in text)])  # lower offset of each char

    def to_original(offset: int) -> int:
        return int(np.searchsorted(starts, offset, side="right") - 1)

    return to_original


def count_matrix(columns: list[np.ndarray], n_features: int) -> sparse.csr_matrix:
    """CSR counts of the column ids of each row, built sorted and summed in one pass."""
    n_rows = len(columns)
    if not n_rows:
        return sparse.csr_matrix((0, n_features))
    lengths = np.fromiter((len(c) for c in columns), dtype=np.int64, count=n_rows)
    rows = np.repeat(np.arange(n_rows, dtype=np.int64), lengths)
    keys, counts = np.unique(rows * n_features + np.concatenate(columns), return_counts=True)
    key_rows = keys // n_features
    indptr = np.searchsorted(key_rows, np.arange(n_rows + 1, dtype=np.int64))
    matrix = sparse.csr_matrix(
        (counts.astype(np.float64), (keys % n_features).astype(np.int32), indptr),
        shape=(n_rows, n_features),
    )
    matrix.has_sorted_indices = True
    matrix.has_canonical_format = True
    return matrix
