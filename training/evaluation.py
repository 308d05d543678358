"""Scoring predictions, choosing thresholds, and the evaluation report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import precision_recall_fscore_support

from app.core.artifact import Manifest


def label_matrix(label_sets: Sequence[Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    index = {label: i for i, label in enumerate(labels)}
    y = np.zeros((len(label_sets), len(labels)), dtype=int)
    for row, found in enumerate(label_sets):
        for label in found:
            if label in index:
                y[row, index[label]] = 1
    return y


def best_thresholds(y: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Per label, the threshold that maximises F1 on these (out-of-fold) scores (the
    lowest such threshold on ties). F1 is 2 TP / (true + predicted), 0 when both are 0,
    as scikit-learn computes it, for every threshold of the grid at once."""
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    out = np.zeros(y.shape[1])
    for j in range(y.shape[1]):
        truth = np.asarray(y[:, j]) == 1
        predicted = np.asarray(scores[:, j])[:, None] >= grid[None, :]
        tp = (predicted & truth[:, None]).sum(axis=0).astype(float)
        denominator = truth.sum() + predicted.sum(axis=0).astype(float)
        f1 = np.divide(2.0 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)
        out[j] = grid[int(np.argmax(f1))]
    return out


def metrics(y: np.ndarray, pred: np.ndarray, labels: Sequence[str]) -> dict[str, Any]:
    """Per-label and averaged precision, recall and F1, and the false-alarm rate: the
    share of sentences with no label that get one."""
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
    none = np.asarray(y).sum(axis=1) == 0
    flagged = np.asarray(pred).sum(axis=1) > 0
    out["false_alarm_rate"] = round(float(flagged[none].mean()), 4) if none.any() else None
    out["sentences"] = len(y)
    return out


def _table(m: dict[str, Any], labels: Sequence[str]) -> list[str]:
    from tabulate import tabulate

    table = [
        [key, m[key]["precision"], m[key]["recall"], m[key]["f1"], m[key]["support"]]
        for key in [*labels, "macro", "micro"]
    ]
    headers = ["label", "precision", "recall", "F1", "support"]
    rows = tabulate(table, headers, tablefmt="github", floatfmt=".3f").splitlines()
    if m.get("false_alarm_rate") is not None:
        rows += [
            "",
            f"False-alarm rate (label-free sentences given a label): {m['false_alarm_rate']:.3f}",
        ]
    return rows


SECTIONS = {
    "test": "Test split ({n} sentences, never used for fitting or tuning)",
    "test_documents": "Test split: sentences of whole documents ({n})",
    "test_sentences": "Test split: example sentences of the first corpus ({n})",
    "leave_one_domain_out": "Leave-one-domain-out (pooled over held-out domains)",
    "articles": "Texts written apart ({n} sentences of whole texts by writers who never saw "
    "the corpus, labelled blind twice; evaluation only)",
    "real_news": "Real news ({n} sentences of real articles, labelled independently; "
    "evaluation only)",
}


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
        + " (chosen on out-of-fold scores of the training split's whole-document sentences).",
    ]
    for key, title in SECTIONS.items():
        if key not in ev:
            continue
        block = ev[key]["pooled"] if key == "leave_one_domain_out" else ev[key]
        lines += [
            "",
            f"## {title.format(n=block.get('sentences', '?'))}",
            "",
            *_table(block, labels),
        ]
        if key == "leave_one_domain_out":
            lines += ["", "Macro-F1 per held-out domain:", ""]
            per = ev[key]["per_domain_macro_f1"]
            lines += [f"- {d}: {f:.3f}" for d, f in sorted(per.items())]
    return "\n".join(lines) + "\n"
