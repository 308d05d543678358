"""Training one language's model: split, choose C and thresholds, fit, evaluate.

Steps: hold out a test split (stratified by label set, grouped so that near-paraphrases
and the sentences of one document stay on one side); pick C by grouped cross-validation
on the training split and per-label thresholds on its out-of-fold scores; fit; score the
test split and, when asked, leave-one-domain-out cross-validation, the texts written
apart and the real-news set. Nothing is tuned on anything but the training split.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.pipeline import Pipeline

from app.core.artifact import Manifest, ModelLoadError, read_manifest
from app.feedback.records import Correction
from training.data import DataError, fingerprint, load_examples
from training.evaluation import best_thresholds, label_matrix, metrics
from training.feedback import FeedbackFit, feedback_set, fit_with_feedback
from training.pipeline import FEATURES, build_pipeline, export
from training.splits import grouped_folds, holdout_split, paraphrase_groups

KNOWN_DESCRIPTIONS = {
    "blame_attribution": "Assigns fault or responsibility for something bad to an actor, "
    "explicitly or by insinuation.",
    "downplaying": "Minimises the severity, scale, cost or harm of an event, an action or its "
    "victims, or reports such minimising.",
    "official_denial": "An official or institutional actor denies, rejects or dismisses an "
    "accusation, report, claim or responsibility.",
}
C_GRID = (4.0, 16.0, 64.0)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class TrainResult:
    pipeline: Pipeline  # the fitted scikit-learn pipeline (training and tests only)
    manifest: Manifest
    arrays: dict[str, np.ndarray]  # what serving reads (app/core/artifact.py)
    feedback: FeedbackFit | None = None  # with corrections: how they were used


def fit_head(x: sparse.csr_matrix, y: np.ndarray, c: float, seed: int) -> Pipeline:
    """Fit the TF-IDF and classifier steps on already hashed features."""
    head = Pipeline(build_pipeline(c, seed).steps[1:])
    return head.fit(x, y)


def _fit_and_score(
    x: sparse.csr_matrix, y: np.ndarray, train: np.ndarray, held: np.ndarray, c: float, seed: int
) -> np.ndarray:
    return np.asarray(fit_head(x[train], y[train], c, seed).predict_proba(x[held]))


def fold_scores(
    x: sparse.csr_matrix,
    y: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
    c: float,
    seed: int,
    n_jobs: int,
    what: str,
) -> list[np.ndarray]:
    """Fit on each split's first part and score its second, in parallel, in order."""
    jobs = (delayed(_fit_and_score)(x, y, train, held, c, seed) for train, held in splits)
    results = []
    for i, scores in enumerate(Parallel(n_jobs=n_jobs, return_as="generator")(jobs), 1):
        results.append(scores)
        log(f"  {what} {i}/{len(splits)}")
    return results


def out_of_fold(
    x: sparse.csr_matrix,
    y: np.ndarray,
    groups: np.ndarray,
    c: float,
    folds: int,
    seed: int,
    n_jobs: int,
) -> np.ndarray:
    scores = np.zeros(y.shape, dtype=float)
    splits = grouped_folds(y, groups, folds, seed)
    for (_, held), fold in zip(
        splits, fold_scores(x, y, splits, c, seed, n_jobs, f"C={c:g} fold"), strict=True
    ):
        scores[held] = fold
    return scores


def leave_one_domain_out(
    x: sparse.csr_matrix,
    y: np.ndarray,
    domains: np.ndarray,
    c: float,
    thresholds: np.ndarray,
    labels: Sequence[str],
    seed: int,
    n_jobs: int,
) -> dict[str, Any]:
    """Train without each domain in turn and score it; pooled and per-domain figures."""
    pred = np.zeros(y.shape, dtype=int)
    names = sorted(set(domains))
    splits = [(np.flatnonzero(domains != d), np.flatnonzero(domains == d)) for d in names]
    per_domain: dict[str, float] = {}
    all_scores = fold_scores(x, y, splits, c, seed, n_jobs, "leave-one-domain-out")
    for domain, scores in zip(names, all_scores, strict=True):
        held = domains == domain
        pred[held] = scores >= thresholds
        per_domain[domain] = metrics(y[held], pred[held], labels)["macro"]["f1"]
    return {"pooled": metrics(y, pred, labels), "per_domain_macro_f1": per_domain}


def pick_canaries(
    texts: Sequence[str],
    scores: np.ndarray,
    thresholds: np.ndarray,
    labels: Sequence[str],
    per_label: int = 2,
    margin: float = 0.15,
) -> list[dict[str, Any]]:
    """Held-out sentences the model labels with a clear margin: a loaded copy must agree."""
    distance = np.abs(scores - thresholds).min(axis=1)
    decided = scores >= thresholds
    chosen: list[int] = []
    for j in [*range(len(labels)), None]:
        rows = [
            i
            for i in np.argsort(-distance)
            if distance[i] >= margin
            and (decided[i].sum() == 0 if j is None else decided[i, j])
            and i not in chosen
        ]
        chosen.extend(rows[:per_label])
    return [
        {
            "text": texts[i],
            "labels": [lab for lab, on in zip(labels, decided[i], strict=True) if on],
        }
        for i in chosen
    ]


def evaluate_file(
    pipeline: Pipeline, path: Path, labels: Sequence[str], thresholds: np.ndarray
) -> dict[str, Any]:
    """The model's figures on a labelled file it was never trained or tuned on."""
    examples = load_examples([path])
    y = label_matrix([ex.labels for ex in examples], labels)
    pred = pipeline.predict_proba([ex.text for ex in examples]) >= thresholds
    return {"file": path.name, **metrics(y, pred, labels)}


def _refuse_leaks(texts: Sequence[str], held_out: Path | None) -> None:
    """Refuse to train on any sentence of an evaluation set (stock furniture of eight words
    or fewer, "Comments are closed on this article.", may recur anywhere)."""
    if held_out is None or not held_out.is_file():
        return
    prose = {ex.text for ex in load_examples([held_out]) if len(ex.text.split()) > 8}
    leaked = prose.intersection(texts)
    if leaked:
        raise DataError(
            [
                f"{len(leaked)} training sentences are in the evaluation set {held_out}, "
                f"e.g. {next(iter(leaked))[:60]!r}: never train on it"
            ]
        )


def _refuse_leaks_of_feedback(fb: Any, evaluations: dict[str, Path]) -> None:
    """Corrections are trained on: none may be a sentence of an evaluation set."""
    for path in evaluations.values():
        _refuse_leaks([ex.text for ex in fb.examples if ex.slice != "held_out"], path)


def train(
    data: Sequence[Path],
    language: str = "en",
    seed: int = 13,
    cv: int = 5,
    lodo: bool = False,
    n_jobs: int = -1,
    evaluations: dict[str, Path] | None = None,
    feedback: tuple[str, list[Correction]] | None = None,
    serving: Path | None = None,
    reuse_c_from: Path | None = None,
) -> TrainResult:
    """Train and evaluate one language's model on the labelled files in `data`.

    `evaluations` names held-out files to score, by their key in the metrics
    ("articles", "real_news"): they are only scored, never trained or tuned on.
    `feedback` is (where, corrections): this language's are added, weighted, as
    training/feedback.py says, and the held-out ones compare the model with `serving`.
    `reuse_c_from` names an evaluation report (training/reports/CODE.json): when it was
    written for these examples with the same folds, seed and grid, its C is taken instead
    of searching the grid again. The thresholds come from the same out-of-fold scores
    either way, so the model is the one the full search would give.
    """
    started = time.perf_counter()
    examples = load_examples(data)
    labels = sorted({label for ex in examples for label in ex.labels})
    if not labels:
        raise DataError(["the data has no labelled sentences: nothing to learn"])
    texts = [ex.text for ex in examples]
    evaluations = {k: p for k, p in (evaluations or {}).items() if p.is_file()}
    for path in evaluations.values():
        _refuse_leaks(texts, path)
    y = label_matrix([ex.labels for ex in examples], labels)
    rare = [lab for j, lab in enumerate(labels) if y[:, j].sum() < 2 * cv]
    if rare:
        raise DataError([f"label {lab!r} has fewer than {2 * cv} examples" for lab in rare])
    log(f"{len(examples)} sentences, labels {labels}")

    log("grouping near-paraphrases and documents ...")
    groups = paraphrase_groups(texts, [ex.doc for ex in examples])
    train_idx, test_idx = holdout_split(y, groups, seed)
    log(f"train {len(train_idx)}, test {len(test_idx)}")

    log("hashing features ...")
    hasher = build_pipeline(seed=seed).named_steps[FEATURES]
    x = sparse.csr_matrix(hasher.transform(texts))
    x_train, y_train, g_train = x[train_idx], y[train_idx], groups[train_idx]

    # C and the thresholds are chosen on out-of-fold scores of the training split's
    # sentences from whole documents (real base rates), when there are any.
    in_docs = np.array([bool(examples[i].doc) for i in train_idx])
    judged = in_docs if in_docs.sum() >= 10 * len(labels) else np.ones(len(train_idx), bool)
    data_fingerprint = fingerprint(examples)
    grid = reused_c(reuse_c_from, data_fingerprint, cv, seed)
    best: tuple[float, float, np.ndarray] | None = None
    for c in grid:
        oof = out_of_fold(x_train, y_train, g_train, c, cv, seed, n_jobs)
        thresholds = best_thresholds(y_train[judged], oof[judged])
        f1 = metrics(y_train[judged], oof[judged] >= thresholds, labels)["macro"]["f1"]
        log(f"  C={c:g}: out-of-fold macro-F1 {f1:.4f} at thresholds {thresholds.tolist()}")
        if best is None or f1 > best[1]:
            best = (c, f1, thresholds)
    assert best is not None
    c, cv_f1, thresholds = best
    log(f"chosen C={c:g}")

    fitted: FeedbackFit | None = None
    if feedback is not None:
        fb = feedback_set(feedback[0], feedback[1], language, labels)
        log(f"{len(fb.examples)} corrected {language} sentences from {fb.source}")
        _refuse_leaks_of_feedback(fb, evaluations)
        fitted = fit_with_feedback(
            x_train, y_train, hasher, fb, labels, c, seed, thresholds, serving, log
        )
        head = fitted.head
    else:
        head = fit_head(x_train, y_train, c, seed)
    pipeline = Pipeline([(FEATURES, hasher), *head.steps])
    test_scores = head.predict_proba(x[test_idx])
    test_docs = np.array([bool(examples[i].doc) for i in test_idx])
    evaluation: dict[str, Any] = {
        "cross_validation_macro_f1": cv_f1,
        "test": metrics(y[test_idx], test_scores >= thresholds, labels),
    }
    if test_docs.any() and (~test_docs).any():
        evaluation["test_documents"] = metrics(
            y[test_idx][test_docs], test_scores[test_docs] >= thresholds, labels
        )
        evaluation["test_sentences"] = metrics(
            y[test_idx][~test_docs], test_scores[~test_docs] >= thresholds, labels
        )
    domains = np.array([ex.domain for ex in examples])
    if lodo and len(set(domains)) > 1:
        log("leave-one-domain-out ...")
        evaluation["leave_one_domain_out"] = leave_one_domain_out(
            x, y, domains, c, thresholds, labels, seed, n_jobs
        )
    if fitted is not None:
        evaluation["feedback"] = fitted.comparison
    for key, path in evaluations.items():
        log(f"scoring {path} (evaluation only) ...")
        evaluation[key] = evaluate_file(pipeline, path, labels, thresholds)

    canaries = pick_canaries([texts[i] for i in test_idx], test_scores, thresholds, labels)
    featurizer, arrays = export(pipeline)
    manifest = Manifest.unsaved(
        language=language,
        labels=labels,
        label_descriptions={
            label: KNOWN_DESCRIPTIONS.get(label, "A label from user-supplied training data.")
            for label in labels
        },
        thresholds={label: float(t) for label, t in zip(labels, thresholds, strict=True)},
        training_data={
            "fingerprint": data_fingerprint,
            "sentences": len(examples),
            "train_sentences": len(train_idx),
            "test_sentences": len(test_idx),
            "label_counts": {lab: int(y[:, j].sum()) for j, lab in enumerate(labels)},
            "domains": len(set(domains)),
            "documents": len({ex.doc for ex in examples if ex.doc}),
            "training_seconds": round(time.perf_counter() - started, 1),
            **({"feedback": fitted.provenance} if fitted is not None else {}),
        },
        trained_with={"scikit-learn": sklearn.__version__, "numpy": np.__version__},
        params={
            "C": c,
            "seed": seed,
            "cv": cv,
            "c_grid": list(C_GRID),
            "c_search": "grid"
            if grid == C_GRID or reuse_c_from is None
            else f"C of the evaluation report {reuse_c_from.name} (same data)",
            "featurizer": featurizer,
            "features": "hashed word 1-3 grams + char_wb 2-6 grams (digits masked), "
            "occurrence TF-IDF",
            "classifier": "one-vs-rest logistic regression (liblinear)",
            "thresholds": "best F1 on out-of-fold scores of the training split's document "
            "sentences",
        },
        metrics=evaluation,
        canaries=canaries,
    )
    log(f"done in {time.perf_counter() - started:.1f} s")
    return TrainResult(pipeline=pipeline, manifest=manifest, arrays=arrays, feedback=fitted)


def reused_c(report: Path | None, data_fingerprint: str, cv: int, seed: int) -> tuple[float, ...]:
    """The C grid to search: only the C of `report` when it was chosen on the same data,
    folds, seed and grid (see `train`); the whole grid otherwise."""
    if report is None or not report.is_file():
        return C_GRID
    try:
        summary = json.loads(report.read_text(encoding="utf-8"))
        params = summary["params"]
        same = (
            summary["training_data"]["fingerprint"] == data_fingerprint
            and params["cv"] == cv
            and params["seed"] == seed
            and tuple(params["c_grid"]) == C_GRID
            and float(params["C"]) in C_GRID
        )
    except (ValueError, KeyError, TypeError):
        same = False
    if not same:
        log(f"{report} was not chosen on this data and these settings: searching C")
        return C_GRID
    log(f"C={float(params['C']):g} as {report} chose it on the same data")
    return (float(params["C"]),)


def model_is_current(out: Path, data: Sequence[Path], language: str = "en") -> bool:
    """Whether `out` holds a loadable `language` model trained on exactly these examples.

    Only the manifest is read, then the full checked load: a model whose pickle no longer
    loads (written by an older version of the code) is not current.
    """
    from app.core.model import load_model

    try:
        manifest = read_manifest(out)
        current = fingerprint(load_examples(data))
        if manifest.language != language:
            log(f"model needs building: {out} holds a {manifest.language} model")
            return False
        if manifest.training_data.get("fingerprint") != current:
            log("model needs building: the training data changed")
            return False
        load_model(out)
    except (ModelLoadError, DataError) as exc:
        log(f"model needs building: {str(exc).splitlines()[0]}")
        return False
    return True
