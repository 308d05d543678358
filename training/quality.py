"""Corpus quality checks shared by the data tests and the annotation tools."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

WORD = re.compile(r"[\w'’-]+")
NEAR_DUPLICATE = 0.8
CUE_SHARE = 0.02


def skeleton(text: str) -> str:
    """The sentence with numbers and capitalised words (names, mostly) masked."""
    tokens = []
    for i, token in enumerate(WORD.findall(text)):
        if any(c.isdigit() for c in token):
            tokens.append("0")
        elif i > 0 and token[0].isupper():
            tokens.append("N")
        else:
            tokens.append(token.lower())
    return " ".join(tokens)


def near_duplicates(
    texts: Sequence[str], threshold: float = NEAR_DUPLICATE, chunk: int = 2000
) -> list[tuple[int, int, float]]:
    """Pairs (i, j, cosine), i < j, of texts whose char 3-gram TF-IDF cosine passes
    `threshold`. A block of rows at a time, each against itself and the rows after it
    only (the upper triangle), so large corpora fit in memory and no pair is computed
    twice."""
    if len(texts) < 2:
        return []
    x = TfidfVectorizer(analyzer="char", ngram_range=(3, 3)).fit_transform(texts).tocsr()
    later = x.T.tocsc()
    pairs: list[tuple[int, int, float]] = []
    for first in range(0, x.shape[0], chunk):
        sim = (x[first : first + chunk] @ later[:, first:]).tocoo()
        rows, cols = sim.row + first, sim.col + first
        keep = (rows < cols) & (sim.data > threshold)
        pairs += [
            (int(i), int(j), float(v))
            for i, j, v in zip(rows[keep], cols[keep], sim.data[keep], strict=True)
        ]
    return pairs


def similar_across(
    ours: Sequence[str], theirs: Sequence[str], threshold: float = NEAR_DUPLICATE
) -> list[tuple[int, int, float]]:
    """Pairs (i in ours, j in theirs, cosine) whose char 3-gram TF-IDF cosine passes
    `threshold`: only the cross pairs, so a small set is checked against a large one
    quickly."""
    if not ours or not theirs:
        return []
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(3, 3)).fit([*ours, *theirs])
    x, y = vectorizer.transform(ours).tocsr(), vectorizer.transform(theirs).tocsr()
    pairs: list[tuple[int, int, float]] = []
    for first in range(0, y.shape[0], 2000):
        sim = (y[first : first + 2000] @ x.T).tocoo()
        keep = sim.data > threshold
        pairs += [
            (int(i), int(j) + first, float(v))
            for j, i, v in zip(sim.row[keep], sim.col[keep], sim.data[keep], strict=True)
        ]
    return pairs


def repeated_skeletons(texts: Sequence[str]) -> list[list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, text in enumerate(texts):
        groups[skeleton(text)].append(i)
    return [ids for ids in groups.values() if len(ids) > 1]


def cue_phrases(
    texts: Sequence[str], labels: Sequence[Sequence[str]], label: str, share: float = CUE_SHARE
) -> list[tuple[str, int, float]]:
    """Label-specific word 3-grams found in more than `share` of the label's sentences.

    Specific means at least three times as common among the label's sentences as among
    the others, so that phrases of ordinary news prose ("the ministry said") do not count.
    """
    grams = [set(zip(*(skeleton(t).split()[k:] for k in range(3)), strict=False)) for t in texts]
    inside = [g for g, ls in zip(grams, labels, strict=True) if label in ls]
    outside = [g for g, ls in zip(grams, labels, strict=True) if label not in ls]
    if not inside:
        return []
    cin = Counter(x for g in inside for x in g)
    cout = Counter(x for g in outside for x in g)
    found = []
    for gram, c in cin.most_common(50):
        fraction = c / len(inside)
        specificity = fraction / ((cout[gram] + 1) / (len(outside) + 1))
        if c >= 3 and fraction > share and specificity > 3:
            found.append((" ".join(gram), c, fraction))
    return found


def word_counts(texts: Sequence[str]) -> np.ndarray:
    return np.array([len(t.split()) for t in texts])


# Each label's obvious cue words, per language: the shortcut a model must not rely on.
CUES: dict[str, dict[str, re.Pattern[str]]] = {
    "en": {
        "blame_attribution": re.compile(
            r"\b(blam\w*|fault\w*|responsib\w*|accus\w*|culprit\w*|guilt\w*)\b", re.I
        ),
        "official_denial": re.compile(
            r"\b(den(y|ies|ied|ying|ials?)|reject\w*|dismiss\w*|refut\w*|false\w*|lie|lies|"
            r"lied|lying|fake\w*|fabricat\w*|baseless|unfounded|untrue|nonsense|smear\w*)\b",
            re.I,
        ),
        "downplaying": re.compile(
            r"\b(only|minor|just|merely|small|limited|isolated|routine|exaggerat\w*|overblown|"
            r"overstat\w*|handful|slight\w*|minimal|negligible)\b",
            re.I,
        ),
    },
    "ru": {
        "blame_attribution": re.compile(
            r"(?<!\w)(вин[аеуыо]\w*|виноват\w*|виновн\w*|обвин\w*|ответственн\w*|"
            r"виновник\w*|по\s+вине)(?!\w)",
            re.I,
        ),
        "official_denial": re.compile(
            r"(?<!\w)(отрица\w*|отверг\w*|опроверг\w*|фейк\w*|лож[ьи]\w*|лжи\w*|неправд\w*|"
            r"клевет\w*|вымыс\w*|выдум\w*|отклон\w*|голословн\w*|безоснователь\w*)(?!\w)",
            re.I,
        ),
        "downplaying": re.compile(
            r"(?<!\w)(лишь|только|всего|незначительн\w*|единичн\w*|небольш\w*|мелк\w*|"
            r"преувелич\w*|штатн\w*|планов\w*|минимальн\w*)(?!\w)",
            re.I,
        ),
    },
}


def cue_labels(text: str, language: str) -> list[str]:
    """The labels whose cue words `text` contains."""
    return [label for label, pattern in CUES[language].items() if pattern.search(text)]
