"""Train, evaluate and save the framing models, one per language.

    python training/train.py                     # every language in training/data/ -> models/
    python training/train.py --language ru       # training/data/ru -> models/ru
    python training/train.py --data mine.csv --language en --out /tmp/models

Steps: load and check the data; hold out a test split (stratified by label set, grouped
so that near-paraphrases stay on one side); pick C by cross-validation on the training
split and per-label thresholds on its out-of-fold scores; fit; score the test split,
leave-one-domain-out cross-validation and, when present, the real-news evaluation set;
write model.joblib, model.json and a report.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from joblib import Parallel, delayed
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_fscore_support
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline

from app.features import HashedNgrams
from app.model import (
    MANIFEST_FILE,
    MODEL_FILE,
    Manifest,
    ModelLoadError,
    file_sha256,
    load_model,
)
from training.data import DataError, Example, fingerprint, load_examples

ROOT = Path(__file__).resolve().parent.parent
DATA_ROOT = ROOT / "training" / "data"
DEFAULT_OUT = ROOT / "models"
DEFAULT_REPORTS = ROOT / "training" / "reports"
REAL_NEWS = ROOT.parent / "shared" / "eval" / "real-news.jsonl"  # English sentences
EVAL_ROOT = ROOT / "training" / "eval"  # <language>.jsonl: texts written apart, labelled


def corpus_languages() -> list[str]:
    """The languages with a corpus folder in training/data (en, ru, ...)."""
    return sorted(
        p.name
        for p in DATA_ROOT.iterdir()
        if p.is_dir() and re.fullmatch(r"[a-z]{2,3}", p.name) and any(p.glob("*.jsonl"))
    )


KNOWN_DESCRIPTIONS = {
    "blame_attribution": "Assigns fault or responsibility for something bad to an actor, "
    "explicitly or by insinuation.",
    "downplaying": "Minimises the severity, scale, cost or harm of an event, an action or its "
    "victims, or reports such minimising.",
    "official_denial": "An official or institutional actor denies, rejects or dismisses an "
    "accusation, report, claim or responsibility.",
}
C_GRID = (32.0, 64.0, 128.0)
PARAPHRASE_SIMILARITY = 0.5
N_JOBS = -1  # folds run on all cores


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build_pipeline(c: float = 4.0, seed: int = 0) -> Pipeline:
    """Hashed word 1-3 grams and char_wb 1-6 grams, TF-IDF, one-vs-rest logistic regression."""
    features = HashedNgrams(word_ngrams=(1, 3), char_ngrams=(1, 6))
    classifier = OneVsRestClassifier(
        LogisticRegression(C=c, class_weight="balanced", solver="liblinear", random_state=seed)
    )
    return Pipeline(
        [("hash", features), ("tfidf", TfidfTransformer(sublinear_tf=True)), ("clf", classifier)]
    )


def label_matrix(examples: Sequence[Example], labels: Sequence[str]) -> np.ndarray:
    index = {label: i for i, label in enumerate(labels)}
    y = np.zeros((len(examples), len(labels)), dtype=int)
    for row, ex in enumerate(examples):
        for label in ex.labels:
            y[row, index[label]] = 1
    return y


def paraphrase_groups(texts: Sequence[str]) -> np.ndarray:
    """Group ids joining sentences whose char 3-gram TF-IDF cosine passes PARAPHRASE_SIMILARITY."""
    x = TfidfVectorizer(analyzer="char", ngram_range=(3, 3)).fit_transform(texts)
    sim = (x @ x.T).tocsr()
    sim.data = (sim.data >= PARAPHRASE_SIMILARITY).astype(np.int8)
    sim.eliminate_zeros()
    _, groups = connected_components(sim, directed=False)
    return groups


def labelset_keys(y: np.ndarray) -> np.ndarray:
    """One stratum per label combination."""
    return np.array(["".join(map(str, row)) for row in y])


def holdout_split(y: np.ndarray, groups: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A fifth of the data as test set, stratified by label set, grouped by paraphrase."""
    splitter = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed)
    train, test = next(splitter.split(np.zeros(len(y)), labelset_keys(y), groups))
    return train, test


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
    what: str,
) -> list[np.ndarray]:
    """Fit on each split's first part and score its second, on all cores, in order."""
    jobs = (delayed(_fit_and_score)(x, y, train, held, c, seed) for train, held in splits)
    results = []
    for i, scores in enumerate(Parallel(n_jobs=N_JOBS, return_as="generator")(jobs), 1):
        results.append(scores)
        log(f"  {what} {i}/{len(splits)}")
    return results


def out_of_fold(
    x: sparse.csr_matrix, y: np.ndarray, groups: np.ndarray, c: float, folds: int, seed: int
) -> np.ndarray:
    scores = np.zeros(y.shape, dtype=float)
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = list(splitter.split(x, labelset_keys(y), groups))
    for (_, val), fold in zip(
        splits, fold_scores(x, y, splits, c, seed, f"C={c:g} fold"), strict=True
    ):
        scores[val] = fold
    return scores


def best_thresholds(y: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Per label, the threshold that maximises F1 on these (out-of-fold) scores."""
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    out = np.zeros(y.shape[1])
    for j in range(y.shape[1]):
        f1s = [
            precision_recall_fscore_support(
                y[:, j], scores[:, j] >= t, average="binary", zero_division=0
            )[2]
            for t in grid
        ]
        out[j] = grid[int(np.argmax(f1s))]
    return out


def metrics(y: np.ndarray, pred: np.ndarray, labels: Sequence[str]) -> dict[str, Any]:
    p, r, f, s = precision_recall_fscore_support(y, pred, zero_division=0)
    out: dict[str, Any] = {
        label: {
            "precision": round(float(p[j]), 4),
            "recall": round(float(r[j]), 4),
            "f1": round(float(f[j]), 4),
            "support": int(s[j]),
        }
        for j, label in enumerate(labels)
    }
    for avg in ("macro", "micro"):
        ap, ar, af, _ = precision_recall_fscore_support(y, pred, average=avg, zero_division=0)
        out[avg] = {
            "precision": round(float(ap), 4),
            "recall": round(float(ar), 4),
            "f1": round(float(af), 4),
            "support": int(y.sum()),
        }
    return out


def leave_one_domain_out(
    x: sparse.csr_matrix,
    y: np.ndarray,
    domains: np.ndarray,
    c: float,
    thresholds: np.ndarray,
    labels: Sequence[str],
    seed: int,
) -> dict[str, Any]:
    """Train without each domain in turn and score it; pooled and per-domain figures."""
    pred = np.zeros(y.shape, dtype=int)
    names = sorted(set(domains))
    splits = [(np.flatnonzero(domains != d), np.flatnonzero(domains == d)) for d in names]
    per_domain: dict[str, float] = {}
    all_scores = fold_scores(x, y, splits, c, seed, "leave-one-domain-out")
    for domain, scores in zip(names, all_scores, strict=True):
        held = domains == domain
        pred[held] = scores >= thresholds
        per_domain[domain] = round(
            float(
                precision_recall_fscore_support(
                    y[held], pred[held], average="macro", zero_division=0
                )[2]
            ),
            4,
        )
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


@dataclass
class TrainResult:
    pipeline: Pipeline
    manifest: Manifest
    report: str


def evaluate_file(
    pipeline: Pipeline, path: Path, labels: Sequence[str], thresholds: np.ndarray
) -> dict[str, Any]:
    examples = load_examples([path])
    known = [ex for ex in examples if set(ex.labels) <= set(labels)]
    y = label_matrix(known, labels)
    pred = pipeline.predict_proba([ex.text for ex in known]) >= thresholds
    return {"file": path.name, "sentences": len(known), **metrics(y, pred, labels)}


def train(
    data: Sequence[Path],
    seed: int = 13,
    cv: int = 5,
    lodo: bool = True,
    real_news: Path | None = REAL_NEWS,
    language: str = "en",
    articles: Path | None = None,
) -> TrainResult:
    started = time.perf_counter()
    examples = load_examples(data)
    labels = sorted({label for ex in examples for label in ex.labels})
    if not labels:
        raise DataError(["the data has no labelled sentences: nothing to learn"])
    texts = [ex.text for ex in examples]
    if articles is not None and articles.is_file():
        held_out = {ex.text for ex in load_examples([articles])}
        leaked = held_out.intersection(texts)
        if leaked:
            raise DataError(
                [
                    f"{len(leaked)} training sentences are in the evaluation set {articles}, "
                    f"e.g. {next(iter(leaked))[:60]!r}: never train on it"
                ]
            )
    y = label_matrix(examples, labels)
    rare = [lab for j, lab in enumerate(labels) if y[:, j].sum() < 2 * cv]
    if rare:
        raise DataError([f"label {lab!r} has fewer than {2 * cv} examples" for lab in rare])
    log(f"{len(examples)} sentences, labels {labels}")

    log("grouping near-paraphrases ...")
    groups = paraphrase_groups(texts)
    train_idx, test_idx = holdout_split(y, groups, seed)
    log(f"train {len(train_idx)}, test {len(test_idx)}")

    log("hashing features ...")
    hasher = build_pipeline(seed=seed).named_steps["hash"]
    x = sparse.csr_matrix(hasher.transform(texts))
    x_train, y_train, g_train = x[train_idx], y[train_idx], groups[train_idx]

    best: tuple[float, float, np.ndarray] | None = None
    for c in C_GRID:
        oof = out_of_fold(x_train, y_train, g_train, c, cv, seed)
        thresholds = best_thresholds(y_train, oof)
        f1 = metrics(y_train, oof >= thresholds, labels)["macro"]["f1"]
        log(f"  C={c:g}: out-of-fold macro-F1 {f1:.4f} at thresholds {thresholds.tolist()}")
        if best is None or f1 > best[1]:
            best = (c, f1, thresholds)
    assert best is not None
    c, cv_f1, thresholds = best
    log(f"chosen C={c:g}")

    head = fit_head(x_train, y_train, c, seed)
    pipeline = Pipeline([("hash", hasher), *head.steps])
    test_pred = head.predict_proba(x[test_idx]) >= thresholds
    evaluation: dict[str, Any] = {
        "cross_validation_macro_f1": cv_f1,
        "test": metrics(y[test_idx], test_pred, labels),
    }
    if lodo:
        log("leave-one-domain-out ...")
        domains = np.array([ex.domain for ex in examples])
        if len(set(domains)) > 1:
            evaluation["leave_one_domain_out"] = leave_one_domain_out(
                x, y, domains, c, thresholds, labels, seed
            )
    if real_news is not None and real_news.is_file():
        log(f"scoring {real_news} (evaluation only) ...")
        evaluation["real_news"] = evaluate_file(pipeline, real_news, labels, thresholds)
    if articles is not None and articles.is_file():
        log(f"scoring {articles} (evaluation only) ...")
        evaluation["articles"] = evaluate_file(pipeline, articles, labels, thresholds)

    canaries = pick_canaries(
        [texts[i] for i in test_idx], head.predict_proba(x[test_idx]), thresholds, labels
    )
    manifest_fields = {
        "labels": labels,
        "label_descriptions": {
            label: KNOWN_DESCRIPTIONS.get(label, "A label from user-supplied training data.")
            for label in labels
        },
        "thresholds": {label: float(t) for label, t in zip(labels, thresholds, strict=True)},
        "training_data": {
            "fingerprint": fingerprint(examples),
            "sentences": len(examples),
            "train_sentences": len(train_idx),
            "test_sentences": len(test_idx),
            "label_counts": {lab: int(y[:, j].sum()) for j, lab in enumerate(labels)},
            "domains": len({ex.domain for ex in examples}),
            "training_seconds": round(time.perf_counter() - started, 1),
        },
        "params": {
            "C": c,
            "seed": seed,
            "cv": cv,
            "c_grid": list(C_GRID),
            "features": "hashed word 1-3 grams + char_wb 1-6 grams, TF-IDF",
            "classifier": "one-vs-rest logistic regression (liblinear, balanced)",
        },
        "metrics": evaluation,
        "canaries": canaries,
    }
    log(f"done in {time.perf_counter() - started:.1f} s")
    manifest = Manifest(
        version="unsaved",
        language=language,
        created=datetime.now(UTC),
        sha256="0" * 64,
        sklearn_version=sklearn.__version__,
        **manifest_fields,
    )
    return TrainResult(pipeline=pipeline, manifest=manifest, report=render_report(manifest))


def save(result: TrainResult, out: Path) -> Manifest:
    """Write model.joblib, then model.json naming its hash and version."""
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / (MODEL_FILE + ".tmp")
    joblib.dump(result.pipeline, tmp, compress=3)
    digest = file_sha256(tmp)
    manifest = result.manifest.model_copy(
        update={
            "sha256": digest,
            "version": f"{result.manifest.created:%Y.%m.%d}-{digest[:7]}",
        }
    )
    tmp.replace(out / MODEL_FILE)
    (out / MANIFEST_FILE).write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return manifest


def _table(m: dict[str, Any], labels: Sequence[str]) -> list[str]:
    rows = ["| label | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for key in [*labels, "macro", "micro"]:
        v = m[key]
        rows.append(
            f"| {key} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['support']} |"
        )
    return rows


def render_report(manifest: Manifest) -> str:
    ev = manifest.metrics
    labels = manifest.labels
    lines = [
        f"# Evaluation report: {manifest.language} model {manifest.version}",
        "",
        f"Trained {manifest.created:%Y-%m-%d %H:%M} UTC on {manifest.training_data['sentences']} "
        f"sentences (data fingerprint `{manifest.training_data['fingerprint'][:16]}`), "
        f"C={manifest.params['C']}, thresholds "
        + ", ".join(f"{k} {v:.2f}" for k, v in manifest.thresholds.items())
        + " (chosen on out-of-fold scores of the training split).",
        "",
        f"## Test split ({manifest.training_data['test_sentences']} sentences, never used for "
        "fitting or tuning)",
        "",
        *_table(ev["test"], labels),
    ]
    if "leave_one_domain_out" in ev:
        lodo = ev["leave_one_domain_out"]
        lines += [
            "",
            "## Leave-one-domain-out (pooled over held-out domains)",
            "",
            *_table(lodo["pooled"], labels),
            "",
            "Macro-F1 per held-out domain:",
            "",
        ]
        lines += [f"- {d}: {f:.3f}" for d, f in sorted(lodo["per_domain_macro_f1"].items())]
    if "real_news" in ev:
        rn = ev["real_news"]
        lines += [
            "",
            f"## Real news ({rn['sentences']} sentences of real articles, labelled "
            "independently; evaluation only)",
            "",
            *_table(rn, labels),
        ]
    if "articles" in ev:
        art = ev["articles"]
        lines += [
            "",
            f"## Articles written apart ({art['sentences']} sentences of whole texts by a "
            "writer who never saw the corpus, labelled blind twice; evaluation only)",
            "",
            *_table(art, labels),
        ]
    return "\n".join(lines) + "\n"


def model_is_current(out: Path, data: Sequence[Path], language: str = "en") -> bool:
    """Whether `out` holds a loadable `language` model trained on exactly these examples."""
    try:
        model = load_model(out)
        current = fingerprint(load_examples(data))
    except (ModelLoadError, DataError) as exc:
        log(f"model needs building: {str(exc).splitlines()[0]}")
        return False
    if model.manifest.language != language:
        log(f"model needs building: {out} holds a {model.manifest.language} model")
        return False
    articles = EVAL_ROOT / f"{language}.jsonl"
    if (
        articles.is_file()
        and "articles" not in model.manifest.metrics
        and out.parent == DEFAULT_OUT
    ):
        log(f"model needs building: it has no scores on {articles.name}")
        return False
    if model.manifest.training_data.get("fingerprint") != current:
        log("model needs building: the training data changed")
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--language",
        nargs="+",
        metavar="CODE",
        help="languages to train (default: every folder of training/data, or en with --data)",
    )
    parser.add_argument(
        "--data",
        nargs="+",
        type=Path,
        help="JSONL or CSV files, or folders of them, for one --language "
        "(default: training/data/CODE)",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="models folder: each language in OUT/CODE"
    )
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--cv", type=int, default=5, help="cross-validation folds")
    parser.add_argument(
        "--reports", type=Path, default=DEFAULT_REPORTS, help="folder for CODE.md reports"
    )
    parser.add_argument(
        "--no-lodo", action="store_true", help="skip leave-one-domain-out evaluation"
    )
    parser.add_argument(
        "--if-needed",
        action="store_true",
        help="skip a language whose folder holds a valid model of the same data",
    )
    parser.add_argument(
        "--real-news",
        type=Path,
        default=REAL_NEWS,
        help="labelled real English news to score the English model on (evaluation only)",
    )
    args = parser.parse_args(argv)
    if args.cv < 2:
        parser.error("--cv must be at least 2")
    languages = args.language or (["en"] if args.data else corpus_languages())
    if args.data and len(languages) != 1:
        parser.error("--data trains one model: give one --language")
    for code in languages:
        if not re.fullmatch(r"[a-z]{2,3}", code):
            parser.error(f"--language takes ISO 639 codes such as en or ru, not {code!r}")
    for language in languages:
        data = args.data or [DATA_ROOT / language]
        out = args.out / language
        if args.if_needed and model_is_current(out, data, language):
            log(f"{out} holds a valid {language} model of this data; nothing to do")
            continue
        log(f"== {language}: training on {', '.join(str(d) for d in data)}")
        try:
            result = train(
                data,
                seed=args.seed,
                cv=args.cv,
                lodo=not args.no_lodo,
                real_news=args.real_news if language == "en" else None,
                language=language,
                articles=EVAL_ROOT / f"{language}.jsonl",
            )
        except DataError as exc:
            log(str(exc))
            return 2
        manifest = save(result, out)
        report = render_report(manifest)
        path = args.reports / f"{language}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(report, encoding="utf-8")
        print(report)
        log(f"saved {language} model {manifest.version} to {out}, report to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
