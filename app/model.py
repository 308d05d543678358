"""The trained model on disk: its manifest, checked loading, and scoring."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from pydantic import BaseModel, Field, ValidationError
from scipy import sparse

from app.language import LanguageDetector

MODEL_FILE = "model.joblib"
MANIFEST_FILE = "model.json"


class ModelLoadError(RuntimeError):
    """The model folder holds no usable model; the message says how to fix it."""


class LabelMetrics(BaseModel):
    precision: float
    recall: float
    f1: float
    support: int


class Canary(BaseModel):
    text: str
    labels: list[str]


class Manifest(BaseModel):
    """What model.json says about model.joblib beside it."""

    name: str = "framing"
    version: str
    language: str = Field(
        "en", pattern=r"^[a-z]{2,3}$", description="ISO 639 code of the language it reads."
    )
    created: datetime
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    sklearn_version: str
    labels: list[str] = Field(min_length=1)
    label_descriptions: dict[str, str] = {}
    thresholds: dict[str, float]
    training_data: dict[str, Any] = {}
    params: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    canaries: list[Canary] = Field(
        default=[], description="Sentences whose labels the model must reproduce when loaded."
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class LinearScorer:
    """TF-IDF and the one-vs-rest logistic regressions as a few array operations.

    Gives what `pipeline.predict_proba` gives (to rounding), without scikit-learn's
    per-call input checks, which cost more than the arithmetic on one article.
    """

    def __init__(self, pipeline: Any) -> None:
        steps = pipeline.named_steps
        tfidf = steps["tfidf"]
        self.featurizer = steps["hash"]
        self.sublinear = bool(tfidf.sublinear_tf)
        self.idf = np.asarray(tfidf.idf_, dtype=np.float64) if tfidf.use_idf else None
        estimators = steps["clf"].estimators_
        coefs = [e.coef_.toarray() if sparse.issparse(e.coef_) else e.coef_ for e in estimators]
        self.weights = np.ascontiguousarray(np.vstack(coefs).T, dtype=np.float64)
        self.intercepts = np.array([float(np.ravel(e.intercept_)[0]) for e in estimators])

    @staticmethod
    def supports(pipeline: Any) -> bool:
        steps = getattr(pipeline, "named_steps", {})
        tfidf, clf = steps.get("tfidf"), steps.get("clf")
        return (
            list(steps) == ["hash", "tfidf", "clf"]
            and getattr(tfidf, "norm", None) == "l2"
            and all(
                type(e).__name__ == "LogisticRegression"
                for e in getattr(clf, "estimators_", [None])
            )
        )

    def scores(self, sentences: list[str]) -> np.ndarray:
        return self.probabilities(self.features(sentences))

    def features(self, sentences: list[str]) -> sparse.csr_matrix:
        """Hashed n-gram counts turned into L2-normalised TF-IDF rows."""
        x = self.featurizer.transform(sentences)
        data = x.data
        if self.sublinear:
            data = np.log(data) + 1.0
        if self.idf is not None:
            data = data * self.idf[x.indices]
        row_of = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
        norms = np.sqrt(np.bincount(row_of, weights=data * data, minlength=x.shape[0]))
        norms[norms == 0] = 1.0
        data = data / norms[row_of]
        return sparse.csr_matrix((data, x.indices, x.indptr), shape=x.shape)

    def probabilities(self, x: sparse.csr_matrix) -> np.ndarray:
        """Each label's logistic regression on TF-IDF rows."""
        decision = x @ self.weights + self.intercepts
        return np.asarray(1.0 / (1.0 + np.exp(-decision)))


@dataclass(frozen=True)
class FramingModel:
    """A loaded pipeline with the labels and thresholds its manifest names."""

    manifest: Manifest
    pipeline: Any
    scorer: LinearScorer | None = None

    @property
    def labels(self) -> list[str]:
        return self.manifest.labels

    @property
    def version(self) -> str:
        return self.manifest.version

    def scores(self, sentences: list[str]) -> np.ndarray:
        """Probability of each label (columns in `labels` order) for each sentence."""
        if not sentences:
            return np.zeros((0, len(self.labels)))
        if self.scorer is not None:
            return self.scorer.scores(sentences)
        return np.asarray(self.pipeline.predict_proba(sentences), dtype=float)

    def decide(self, scores: np.ndarray) -> np.ndarray:
        """Boolean label matrix: a label is on where its score reaches its threshold."""
        thresholds = np.array([self.manifest.thresholds[label] for label in self.labels])
        return scores >= thresholds


def read_manifest(model_dir: Path) -> Manifest:
    path = model_dir / MANIFEST_FILE
    if not path.is_file():
        raise ModelLoadError(
            f"No model manifest at {path}. Build a model with `make model` "
            "(or `python training/train.py --out DIR`) and point FRAMING_MODEL_DIR at its folder."
        )
    try:
        return Manifest.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, UnicodeDecodeError, ValidationError) as exc:
        raise ModelLoadError(
            f"The manifest {path} is not valid: {exc}. Rebuild the model."
        ) from exc


def load_model(model_dir: Path) -> FramingModel:
    """Load and check the model in `model_dir`; raise ModelLoadError with a fix if unusable.

    The joblib file is a pickle and can run code when loaded, so it is loaded only after
    its SHA-256 matches the manifest's.
    """
    manifest = read_manifest(model_dir)
    path = model_dir / MODEL_FILE
    if not path.is_file():
        raise ModelLoadError(f"No model file at {path}. Rebuild the model with `make model`.")
    digest = file_sha256(path)
    if digest != manifest.sha256:
        raise ModelLoadError(
            f"{path} has SHA-256 {digest}, but its manifest says {manifest.sha256}: the file was "
            "changed or replaced. Refusing to load it; rebuild the model with `make model`."
        )
    if manifest.sklearn_version != sklearn.__version__:
        raise ModelLoadError(
            f"The model was trained with scikit-learn {manifest.sklearn_version}, but "
            f"{sklearn.__version__} is installed. Retrain it (`make model`) or install "
            f"scikit-learn=={manifest.sklearn_version}."
        )
    missing = [label for label in manifest.labels if label not in manifest.thresholds]
    if missing:
        raise ModelLoadError(f"The manifest has no threshold for {missing}. Rebuild the model.")
    pipeline = joblib.load(path)
    n_outputs = len(getattr(pipeline, "classes_", manifest.labels))
    if n_outputs != len(manifest.labels):
        raise ModelLoadError(
            f"The model predicts {n_outputs} labels but its manifest lists {manifest.labels}. "
            "Rebuild the model."
        )
    scorer = None
    if LinearScorer.supports(pipeline):
        scorer = LinearScorer(pipeline)  # a dense copy of the weights, for speed
        for estimator in pipeline.named_steps["clf"].estimators_:
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
                f"not {canary.labels}: it does not behave as trained. Rebuild it."
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

    def __getitem__(self, language: str) -> FramingModel:
        return self.models[language]


def model_folders(model_dir: Path) -> list[Path]:
    """The folders under `model_dir` holding a model: one per language, or itself."""
    for child in model_dir.glob("*/"):
        if (child / MODEL_FILE).is_file() and not (child / MANIFEST_FILE).is_file():
            raise ModelLoadError(
                f"{child} holds {MODEL_FILE} but no {MANIFEST_FILE}: a training run did not "
                "finish. Rebuild the models with `make model`, or remove the folder."
            )
    children = [p for p in model_dir.glob("*/") if (p / MANIFEST_FILE).is_file()]
    if children:
        # English first: it reads text no detector can place (numbers, names).
        return sorted(children, key=lambda p: (p.name != "en", p.name))
    return [model_dir]


def load_models(model_dir: Path, previous: ModelSet | None = None) -> ModelSet:
    """Load every language's model under `model_dir` (or the one model in it), checked.

    Each language has a folder named by its code (models/en, models/ru); a folder that
    holds model.json itself is one model, read in its manifest's language. The language
    detector of `previous` is kept when it serves the same languages.
    """
    if not model_dir.is_dir():
        raise ModelLoadError(
            f"The model folder {model_dir} does not exist. Build the models with `make model` "
            "or point FRAMING_MODEL_DIR at a folder holding them."
        )
    models: dict[str, FramingModel] = {}
    for folder in model_folders(model_dir):
        model = load_model(folder)
        language = model.manifest.language
        if folder != model_dir and folder.name != language:
            raise ModelLoadError(
                f"{folder} holds a model for {language!r}; a language's model must be in a "
                f"folder named by its code ({model_dir / language}). Move it or rebuild it."
            )
        first = next(iter(models.values()), model)
        if model.labels != first.labels:
            raise ModelLoadError(
                f"The {language} model gives the labels {model.labels} but the "
                f"{first.manifest.language} model gives {first.labels}: every language must "
                "give the same labels. Retrain one of them on data with the same label set."
            )
        models[language] = model
    if previous is not None and previous.detector.served == list(models):
        return ModelSet(models=models, detector=previous.detector)
    return ModelSet(models=models, detector=LanguageDetector(list(models)).load())
