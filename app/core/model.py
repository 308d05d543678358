"""The framing model: its pipeline, fast scoring, and the set of models served by language."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline

from app.core.artifact import (
    CLASSIFIER,
    FEATURES,
    WEIGHTING,
    Manifest,
    ModelLoadError,
    load_artifact,
    model_folders,
)
from app.core.features import HashedNgrams
from app.core.language import LanguageDetector


def build_pipeline(c: float = 4.0, seed: int = 0) -> Pipeline:
    """Hashed word 1-3 grams and char_wb 1-6 grams, TF-IDF, one-vs-rest logistic regression."""
    classifier = OneVsRestClassifier(
        LogisticRegression(C=c, class_weight="balanced", solver="liblinear", random_state=seed)
    )
    return Pipeline(
        [
            (FEATURES, HashedNgrams(word_ngrams=(1, 3), char_ngrams=(1, 6))),
            (WEIGHTING, TfidfTransformer(sublinear_tf=True)),
            (CLASSIFIER, classifier),
        ]
    )


class LinearScorer:
    """TF-IDF and the one-vs-rest logistic regressions as a few array operations.

    Gives what `pipeline.predict_proba` gives (to rounding), without scikit-learn's
    per-call input checks, which cost more than the arithmetic on one article.
    """

    def __init__(self, pipeline: Any) -> None:
        steps = pipeline.named_steps
        tfidf = steps[WEIGHTING]
        if tfidf.norm != "l2":
            raise ModelLoadError(
                "The model's TF-IDF step must use the l2 norm. Rebuild it.", reason="wrong-steps"
            )
        self.featurizer: HashedNgrams = steps[FEATURES]
        self.sublinear = bool(tfidf.sublinear_tf)
        self.idf = np.asarray(tfidf.idf_, dtype=np.float64) if tfidf.use_idf else None
        estimators = steps[CLASSIFIER].estimators_
        coefs = [e.coef_.toarray() if sparse.issparse(e.coef_) else e.coef_ for e in estimators]
        # (n_features, n_labels): one column of weights per label, read by the evidence too.
        self.weights = np.ascontiguousarray(np.vstack(coefs).T, dtype=np.float64)
        self.intercepts = np.array([float(np.ravel(e.intercept_)[0]) for e in estimators])

    def scores(self, sentences: list[str]) -> np.ndarray:
        return self.probabilities(self.features(sentences))

    def weigh(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        """Hashed n-gram counts turned into L2-normalised TF-IDF rows."""
        data = counts.data
        if self.sublinear:
            data = np.log(data) + 1.0
        if self.idf is not None:
            data = data * self.idf[counts.indices]
        rows = counts.shape[0]
        row_of = np.repeat(np.arange(rows), np.diff(counts.indptr))
        norms = np.sqrt(np.bincount(row_of, weights=data * data, minlength=rows))
        norms[norms == 0] = 1.0
        data = data / norms[row_of]
        return sparse.csr_matrix((data, counts.indices, counts.indptr), shape=counts.shape)

    def features(self, sentences: list[str]) -> sparse.csr_matrix:
        return self.weigh(self.featurizer.transform(sentences))

    def probabilities(self, x: sparse.csr_matrix) -> np.ndarray:
        """Each label's logistic regression on TF-IDF rows."""
        decision = x @ self.weights + self.intercepts
        return np.asarray(1.0 / (1.0 + np.exp(-decision)))


@dataclass(frozen=True)
class FramingModel:
    """A loaded pipeline with the labels and thresholds its manifest names."""

    manifest: Manifest
    pipeline: Any
    scorer: LinearScorer

    @property
    def labels(self) -> list[str]:
        return self.manifest.labels

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def language(self) -> str:
        return self.manifest.language

    @property
    def thresholds(self) -> np.ndarray:
        return np.array([self.manifest.thresholds[label] for label in self.labels])

    def scores(self, sentences: list[str]) -> np.ndarray:
        """Probability of each label (columns in `labels` order) for each sentence."""
        if not sentences:
            return np.zeros((0, len(self.labels)))
        return self.scorer.scores(sentences)

    def decide(self, scores: np.ndarray) -> np.ndarray:
        """Boolean label matrix: a label is on where its score reaches its threshold."""
        return scores >= self.thresholds


def load_model(model_dir: Path) -> FramingModel:
    """Load and check the model in `model_dir`; raise ModelLoadError with a fix if unusable."""
    manifest, pipeline = load_artifact(model_dir)
    scorer = LinearScorer(pipeline)  # a dense copy of the weights, for speed
    for estimator in pipeline.named_steps[CLASSIFIER].estimators_:
        estimator.sparsify()  # the pipeline's own copy: mostly zeros, kept sparse
    model = FramingModel(manifest=manifest, pipeline=pipeline, scorer=scorer)
    check_canaries(model)
    return model


def check_canaries(model: FramingModel) -> None:
    """Raise ModelLoadError when the model does not give its canary sentences their labels."""
    canaries = model.manifest.canaries
    if not canaries:
        return
    decided = model.decide(model.scores([c.text for c in canaries]))
    for canary, row in zip(canaries, decided, strict=True):
        got = [label for label, on in zip(model.labels, row, strict=True) if on]
        if sorted(got) != sorted(canary.labels):
            raise ModelLoadError(
                f"The model labels the canary sentence {canary.text[:60]!r} as {got}, "
                f"not {canary.labels}: it does not behave as trained. Rebuild it.",
                reason="canary",
            )


@dataclass(frozen=True)
class ModelSet:
    """The models served, one per language, and the detector that routes text to them."""

    models: dict[str, FramingModel]
    detector: LanguageDetector = field(compare=False)

    @property
    def languages(self) -> list[str]:
        return list(self.models)

    @property
    def default(self) -> FramingModel:
        return next(iter(self.models.values()))

    @property
    def labels(self) -> list[str]:
        """The labels every model gives (the same set in each language, in one order)."""
        return self.default.labels

    @property
    def version(self) -> str:
        """One model's version, or each language's: "en 2026.11.26-1a2b3c4, ru ..."."""
        if len(self.models) == 1:
            return self.default.version
        return ", ".join(f"{lang} {m.version}" for lang, m in self.models.items())

    @property
    def versions(self) -> dict[str, str]:
        return {lang: m.version for lang, m in self.models.items()}

    def __getitem__(self, language: str) -> FramingModel:
        return self.models[language]


def load_models(model_dir: Path, previous: ModelSet | None = None) -> ModelSet:
    """Load every language's model under `model_dir` (or the one model in it), checked.

    Each language has a folder named by its code (models/en, models/ru); a folder that
    holds model.json itself is one model, read in its manifest's language. The language
    detector of `previous` is kept when it serves the same languages.
    """
    models: dict[str, FramingModel] = {}
    for folder in model_folders(model_dir):
        model = load_model(folder)
        language = model.language
        if folder != model_dir and folder.name != language:
            raise ModelLoadError(
                f"{folder} holds a model for {language!r}; a language's model must be in a "
                f"folder named by its code ({model_dir / language}). Move it or rebuild it.",
                reason="wrong-language-folder",
            )
        if models:
            first = next(iter(models.values()))
            if model.labels != first.labels:
                raise ModelLoadError(
                    f"The {language} model gives the labels {model.labels} but the "
                    f"{first.language} model gives {first.labels}: every language must "
                    "give the same labels. Retrain one of them on data with the same label set.",
                    reason="label-mismatch",
                )
        models[language] = model
    if previous is not None and previous.detector.served == list(models):
        return ModelSet(models=models, detector=previous.detector)
    return ModelSet(models=models, detector=LanguageDetector(list(models)).load())
