"""In-process throughput: segmentation, features, prediction, and one article end to end.

Every figure stands beside the plain scikit-learn pipeline (TfidfVectorizer word 1-2 grams
+ char_wb 2-5 grams, one-vs-rest logistic regression) measured in the same run.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, Pipeline

from app.core.classifier import classify
from app.core.model import ModelSet
from app.core.segment import split_sentences


def plain_pipeline(texts: Sequence[str], y: np.ndarray) -> Pipeline:
    """The textbook pipeline our model is compared with, trained on the same data."""
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ]
    )
    clf = OneVsRestClassifier(LogisticRegression(C=4.0, solver="liblinear"))
    return Pipeline([("features", features), ("clf", clf)]).fit(list(texts), y)


def median_rate(fn: Callable[[], Any], items: int, repeats: int, min_seconds: float) -> float:
    """Median items per second over `repeats` timed rounds (after one warm-up call)."""
    fn()
    rates = []
    for _ in range(repeats):
        n = 0
        started = time.perf_counter()
        while True:
            fn()
            n += 1
            elapsed = time.perf_counter() - started
            if elapsed >= min_seconds:
                break
        rates.append(items * n / elapsed)
    return statistics.median(rates)


def paired_rates(
    a: Callable[[], Any], b: Callable[[], Any], items: int, repeats: int, min_seconds: float
) -> tuple[float, float, float]:
    """Median items per second of `a` and of `b`, timed in alternating rounds, and the
    median of the per-round ratios a/b: a machine that slows down for a while slows both
    sides of a ratio, not one."""
    rates_a, rates_b = [], []
    for _ in range(repeats):
        rates_a.append(median_rate(a, items, 1, min_seconds))
        rates_b.append(median_rate(b, items, 1, min_seconds))
    ratio = statistics.median(x / y for x, y in zip(rates_a, rates_b, strict=True))
    return statistics.median(rates_a), statistics.median(rates_b), ratio


def run(
    models: ModelSet,
    baseline: Pipeline,
    sentences: Sequence[str],
    article: str,
    batches: Sequence[int] = (1, 50, 1000),
    repeats: int = 5,
    min_seconds: float = 0.3,
) -> dict[str, Any]:
    model = models.default
    plain_features = baseline.named_steps["features"]
    plain_clf = baseline.named_steps["clf"]
    featurize = model.hasher.occurrences

    def predict(found: Any, n: int) -> Any:
        return model.decision(found, n)

    rows: list[dict[str, Any]] = []
    for size in batches:
        batch = list(sentences[:size])
        while len(batch) < size:
            batch += list(sentences[: size - len(batch)])
        x_ours = featurize(batch)
        x_plain = plain_features.transform(batch)

        def rate(fn: Callable[..., Any], arg: Any, n: int = size) -> float:
            return median_rate(partial(fn, arg), n, repeats, min_seconds)

        rows.append(
            {
                "batch": size,
                "features": rate(featurize, batch),
                "features_plain": rate(plain_features.transform, batch),
                "predict": rate(partial(predict, n=size), x_ours),
                "predict_plain": rate(plain_clf.predict_proba, x_plain),
                "pipeline": rate(model.scores, batch),
                "pipeline_plain": rate(baseline.predict_proba, batch),
            }
        )
    spans = split_sentences(article)
    n = len(spans)
    article_sentences = [article[a:b] for a, b in spans]
    ours, plain, ratio = paired_rates(
        lambda: classify(models, [article]),
        lambda: baseline.predict_proba([article[a:b] for a, b in split_sentences(article)]),
        n,
        repeats,
        min_seconds,
    )
    end_to_end = {
        "ours": ours,
        "plain": plain,
        "ours_to_plain": ratio,
        "sentences": n,
        "words": len(article.split()),
        "segment": median_rate(lambda: split_sentences(article), n, repeats, min_seconds),
        "ours_explain": median_rate(
            lambda: classify(models, [article], explain=True), n, repeats, min_seconds
        ),
        "plain_one_by_one": median_rate(
            lambda: [baseline.predict_proba([s]) for s in article_sentences],
            n,
            repeats,
            min_seconds,
        ),
    }
    return {"batches": rows, "article": end_to_end}


def article_rate(
    models: ModelSet, article: str, repeats: int = 5, min_seconds: float = 0.3
) -> dict[str, Any]:
    """Sentences per second for one article end to end."""
    n = len(split_sentences(article))
    rate = median_rate(lambda: classify(models, [article]), n, repeats, min_seconds)
    return {"sentences": n, "words": len(article.split()), "ours": rate}
