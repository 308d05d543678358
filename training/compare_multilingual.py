"""One model for all languages, or one per language? The same evaluation decides.

    python -m training.compare_multilingual        # writes training/reports/multilingual.md

Each language's corpus is split exactly as `train.py` splits it (same grouping, same
seed), so every model is scored on the same held-out sentences. The joint model is
trained on the union of the training splits, with C and thresholds chosen by grouped
cross-validation on that union, as `train.py` does for one language. The per-language
figures are read from the models `make model` built.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
from scipy import sparse

from app.core.model import load_models
from training.data import fingerprint, load_examples
from training.evaluation import best_thresholds, label_matrix, metrics
from training.paths import DATA_ROOT, MODELS, REPORTS, corpus_languages
from training.pipeline import FEATURES, build_pipeline
from training.splits import holdout_split, paraphrase_groups
from training.trainer import C_GRID, fit_head, log, out_of_fold

SEED, CV = 13, 5


def main() -> int:
    languages = corpus_languages()
    models = load_models(MODELS)
    labels = models.labels
    hasher = build_pipeline(seed=SEED).named_steps[FEATURES]
    x_parts, y_parts, g_parts, d_parts, test_rows = [], [], [], [], {}
    offset = 0
    for language in languages:
        examples = load_examples([DATA_ROOT / language])
        manifest = models[language].manifest
        if (
            manifest.training_data.get("fingerprint") != fingerprint(examples)
            or manifest.params.get("seed") != SEED
        ):
            log(f"models/{language} was not trained on this data with seed {SEED}: make evaluate")
            return 1
        texts = [ex.text for ex in examples]
        y = label_matrix([ex.labels for ex in examples], labels)
        groups = paraphrase_groups(texts, [ex.doc for ex in examples])
        train_idx, test_idx = holdout_split(y, groups, SEED)
        x = sparse.csr_matrix(hasher.transform(texts))
        x_parts.append(x)
        y_parts.append(y)
        g_parts.append(groups + offset)  # groups never span languages
        d_parts.append(np.array([bool(ex.doc) for ex in examples]))
        offset += int(groups.max()) + 1
        start = sum(p.shape[0] for p in x_parts[:-1])
        test_rows[language] = (start + train_idx, start + test_idx)
        log(f"{language}: train {len(train_idx)}, test {len(test_idx)}")
    x_all = sparse.vstack(x_parts).tocsr()
    y_all = np.vstack(y_parts)
    g_all = np.concatenate(g_parts)
    in_docs = np.concatenate(d_parts)
    train_all = np.concatenate([tr for tr, _ in test_rows.values()])
    judged = in_docs[train_all]  # as train.py: thresholds fit to whole-document sentences

    best: tuple[float, float, np.ndarray] | None = None
    for c in C_GRID:
        oof = out_of_fold(x_all[train_all], y_all[train_all], g_all[train_all], c, CV, SEED, -1)
        thresholds = best_thresholds(y_all[train_all][judged], oof[judged])
        f1 = metrics(y_all[train_all][judged], oof[judged] >= thresholds, labels)["macro"]["f1"]
        log(f"joint C={c:g}: out-of-fold macro-F1 {f1:.4f}")
        if best is None or f1 > best[1]:
            best = (c, f1, thresholds)
    assert best is not None
    c, _, thresholds = best
    head = fit_head(x_all[train_all], y_all[train_all], c, SEED)

    lines = [
        "# One joint model or one model per language",
        "",
        "Same held-out test split per language as `train.py`; the joint model is trained on "
        f"the union of the training splits (C={c:g} by grouped cross-validation on it, "
        "thresholds on its whole-document sentences, as `train.py` does for one language). "
        "Written by `python -m training.compare_multilingual`. One split per language: "
        "differences of a hundredth are within what another split could change.",
        "",
        "| test split | model | blame F1 | downplaying F1 | denial F1 | macro F1 "
        "| documents macro F1 |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for language, (_, test_idx) in test_rows.items():
        pred = head.predict_proba(x_all[test_idx]) >= thresholds
        docs = in_docs[test_idx]
        joint = metrics(y_all[test_idx], pred, labels)
        joint_docs = metrics(y_all[test_idx][docs], pred[docs], labels)
        own: dict[str, Any] = models[language].manifest.metrics
        for name, m, d in (
            (f"{language} model", own["test"], own.get("test_documents", own["test"])),
            ("joint model", joint, joint_docs),
        ):
            cells = " | ".join(f"{m[label]['f1']:.3f}" for label in labels)
            lines.append(
                f"| {language} | {name} | {cells} | {m['macro']['f1']:.3f} "
                f"| {d['macro']['f1']:.3f} |"
            )
    report = "\n".join(lines) + "\n"
    path = REPORTS / "multilingual.md"
    path.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
