"""Hashed word and character n-grams, computed for many texts at once with array arithmetic.

Features are word n-grams (runs of two or more word characters, as scikit-learn's
default token pattern finds them) and character n-grams within word boundaries
(scikit-learn's `char_wb`: each whitespace-separated word padded with a space). Each
n-gram is hashed with a polynomial hash over its code points (arithmetic modulo 2**64,
computed for every window at once from prefix sums), mixed, and reduced to a column:
word n-grams in the first `n_word_features` columns, character n-grams after them.

The work is a few dozen NumPy operations over the code points of all the texts joined
together, whatever their number: no Python loop per word or per n-gram, no cache to
grow, no compiler at install time. `occurrences` gives every feature with the text it
comes from and its span, so scoring and evidence read the same features.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

import numpy as np

TOKEN = re.compile(r"(?u)\b\w\w+\b")  # what counts as a word (for the no-word rule)

_M = np.uint64(0x100000001B3)  # the hash's multiplier: odd, so invertible modulo 2**64
_M_INV = np.uint64(pow(0x100000001B3, -1, 2**64))
_PAIR = np.uint64(0x9E3779B97F4A7C15)  # combines word hashes into bigram/trigram hashes
_SEP = 0  # between texts in the joined array: a boundary, like white space
_SPACE = 32
_BMP = 0x10000
_WHITESPACE = (
    " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)  # exactly what str.split() splits on


@cache
def _tables() -> tuple[np.ndarray, np.ndarray]:
    """Per code point of the Basic Multilingual Plane: is it white space, is it a word
    character (what `\\w` matches). Built on first use (about 10 ms), not at import."""
    space = np.zeros(_BMP, dtype=bool)
    space[[ord(c) for c in _WHITESPACE]] = True
    space[_SEP] = True
    word = np.fromiter((chr(i).isalnum() or i == 95 for i in range(_BMP)), bool, count=_BMP)
    word[_SEP] = False
    return space, word


class _Powers:
    """_M**k and _M_INV**k for k up to the longest input seen, grown as needed."""

    def __init__(self) -> None:
        self.up = np.ones(1, dtype=np.uint64)
        self.down = np.ones(1, dtype=np.uint64)

    def get(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self.up) <= n:
            size = max(n + 1, 2 * len(self.up), 4096)
            up = np.full(size, _M, dtype=np.uint64)
            down = np.full(size, _M_INV, dtype=np.uint64)
            up[0] = down[0] = 1
            self.up, self.down = np.cumprod(up), np.cumprod(down)
        return self.up, self.down


_POWERS = _Powers()


def _mix(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser: spreads a polynomial hash over all bits."""
    h = h ^ (h >> np.uint64(33))  # a new array; the rest works in it
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h


def _column(h: np.ndarray, n: int, offset: int = 0) -> np.ndarray:
    """h modulo n, plus offset, as int64. `h` is overwritten. A power-of-two n (the
    default sizes) is a mask: the same numbers, without a 64-bit division each."""
    if n & (n - 1) == 0:
        h &= np.uint64(n - 1)
    else:
        h %= np.uint64(n)
    if offset:
        h += np.uint64(offset)
    return h.view(np.int64)  # below 2**63


class Occurrences(NamedTuple):
    """One entry per feature occurrence: the text it is in, its column, its span there."""

    rows: np.ndarray
    columns: np.ndarray
    starts: np.ndarray
    ends: np.ndarray


@dataclass(frozen=True)
class NgramHasher:
    """Hashed word n-grams (first block of columns) and char_wb n-grams (second block)."""

    word_ngrams: tuple[int, int] = (1, 3)
    char_ngrams: tuple[int, int] = (2, 6)
    n_word_features: int = 2**18
    n_char_features: int = 2**19
    mask_digits: bool = True  # every digit reads as 0: "1,200 dead" and "3,400 dead" alike

    @property
    def n_features(self) -> int:
        return self.n_word_features + self.n_char_features

    def occurrences(self, texts: list[str], spans: bool = False) -> Occurrences:
        """Every feature of every text. With `spans`, each occurrence's start and end in
        its text (a character n-gram spans its whole word, a word n-gram its words)."""
        space, word = _tables()
        # NUL separates the texts below: inside a text it reads as white space.
        lowered = [t.lower().replace("\0", " ") for t in texts]
        joined = "\0" + "\0".join(lowered) + "\0"
        cp = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
        n = len(cp)
        bmp = np.minimum(cp, _BMP - 1)
        is_space = space[bmp] & (cp < _BMP)
        is_word = word[bmp] & (cp < _BMP)
        # Which text each position belongs to, and where that text starts.
        text_starts = np.cumsum([1] + [len(t) + 1 for t in lowered[:-1]])
        row_of = np.cumsum(cp == _SEP) - 1
        row_of[-1] = max(len(texts) - 1, 0)
        # Prefix hashes: H[i] = sum(code[j] * M**(i-1-j) for j < i), all modulo 2**64;
        # the hash of code[a:b] is H[b] - H[a] * M**(b-a). Separators hash as spaces.
        up, down = _POWERS.get(n)
        code = np.where(is_space, _SPACE, cp).astype(np.uint64)
        if self.mask_digits:
            code[(cp >= 48) & (cp <= 57)] = 48
        prefix = np.zeros(n + 1, dtype=np.uint64)
        prefix[1:] = np.cumsum(code * down[:n]) * up[:n]
        columns: list[np.ndarray] = []
        rows: list[np.ndarray] = []
        starts: list[np.ndarray] = []
        ends: list[np.ndarray] = []

        # Character n-grams inside padded words: a window is kept when no white space lies
        # strictly inside it and it holds at least one non-space character.
        solid = np.concatenate(([0], np.cumsum(~is_space)))
        word_start = word_end = None
        if spans:
            edges = np.diff(np.concatenate(([1], is_space.view(np.int8), [1])))
            first, last = np.flatnonzero(edges == -1), np.flatnonzero(edges == 1)
            which = np.maximum(np.cumsum(edges[:-1] == -1) - 1, 0)  # each position's word
            word_start = first[which] if len(first) else np.zeros(n, dtype=np.int64)
            word_end = last[which] if len(last) else np.zeros(n, dtype=np.int64)
        for size in range(self.char_ngrams[0], self.char_ngrams[1] + 1):
            count = n - size + 1
            if count <= 0:
                break
            # Window i is [i, i + size): slices of `solid`, not gathers, give its counts.
            keep = solid[size : size + count] > solid[:count]
            if size > 2:
                keep &= solid[size - 1 : size - 1 + count] - solid[1 : 1 + count] == size - 2
            i = np.flatnonzero(keep)
            h = prefix[size:][i] - prefix[i] * up[size]
            h ^= np.uint64(size)
            columns.append(_column(_mix(h), self.n_char_features, self.n_word_features))
            # A character of the window that is not white space places it in its text.
            inner = i + 1 if size >= 3 else np.where(is_space[i], i + 1, i)
            rows.append(row_of[inner])
            if spans:
                starts.append(word_start[inner])  # type: ignore[index]
                ends.append(word_end[inner])  # type: ignore[index]

        # Word n-grams: maximal runs of word characters, two or more long.
        edges = np.diff(np.concatenate(([0], is_word.view(np.int8), [0])))
        t_start, t_end = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        long_enough = t_end - t_start >= 2
        t_start, t_end = t_start[long_enough], t_end[long_enough]
        t_hash = _mix(prefix[t_end] - prefix[t_start] * up[t_end - t_start])
        t_row = row_of[t_start]
        lo, hi = self.word_ngrams
        for size in range(1, hi + 1):
            count = len(t_hash) - size + 1
            if count <= 0:
                break
            h = t_hash[:count]
            same = np.ones(count, dtype=bool)
            for k in range(1, size):
                same &= t_row[k : k + count] == t_row[:count]
                h = _mix(h * _PAIR + t_hash[k : k + count])
            if size < lo:
                continue
            columns.append(_column(h[same], self.n_word_features))
            rows.append(t_row[:count][same])
            if spans:
                starts.append(t_start[:count][same])
                ends.append(t_end[size - 1 : size - 1 + count][same])

        if not columns:
            empty = np.zeros(0, dtype=np.int64)
            return Occurrences(empty, empty, empty, empty)
        row = np.concatenate(rows).astype(np.int64, copy=False)
        if not spans:
            empty = np.zeros(0, dtype=np.int64)
            return Occurrences(row, np.concatenate(columns), empty, empty)
        base = np.asarray(text_starts, dtype=np.int64)[row]
        return Occurrences(
            row,
            np.concatenate(columns),
            np.concatenate(starts).astype(np.int64) - base,
            np.concatenate(ends).astype(np.int64) - base,
        )

    def analyze(self, text: str) -> Occurrences:
        """The features of one text with their spans, as offsets into `text` itself."""
        found = self.occurrences([text], spans=True)
        lower = text.lower()
        if len(lower) == len(text):
            return found
        # Lower-casing changed the length ("İ" becomes two code points): map offsets back.
        first_of = np.cumsum([0, *(len(c.lower()) for c in text)])
        starts = np.searchsorted(first_of, found.starts, side="right") - 1
        ends = np.searchsorted(first_of, found.ends, side="left")
        return Occurrences(found.rows, found.columns, starts, ends)
