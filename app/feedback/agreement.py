"""Agreement between annotators on the sentences two or more of them corrected.

Per label, over every pair of annotators on each such sentence: the share of pairs that
agree, and kappa, that agreement corrected for chance, with chance from the share of
all their answers that give the label (Scott's pi, which is Fleiss' kappa for a fixed
number of raters; each pair counts once). Per pair of annotators, Cohen's kappa on the
sentences both corrected. Kappa is None where chance agreement is 1 (every answer the
same), and where there is nothing to compare.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations
from typing import Any

from app.feedback.records import Correction


def _kappa(observed: float, expected: float) -> float | None:
    if expected >= 1.0:
        return None
    return round((observed - expected) / (1.0 - expected), 4)


def agreement(corrections: Iterable[Correction], labels: list[str]) -> dict[str, Any]:
    by_sentence: dict[str, dict[str, frozenset[str]]] = {}
    for c in corrections:
        by_sentence.setdefault(c.sentence_key, {})[c.annotator] = frozenset(c.labels)
    shared = {key: found for key, found in by_sentence.items() if len(found) >= 2}
    names = sorted({name for found in by_sentence.values() for name in found})
    every = sorted({label for found in by_sentence.values() for s in found.values() for label in s})
    labels = [*labels, *(label for label in every if label not in labels)]
    pairs = [
        (a, b, found[a], found[b])
        for found in shared.values()
        for a, b in combinations(sorted(found), 2)
    ]
    per_label: dict[str, Any] = {}
    for label in labels:
        same = sum((label in x) == (label in y) for _, _, x, y in pairs)
        given = sum((label in x) + (label in y) for _, _, x, y in pairs)
        n = len(pairs)
        if n == 0:
            per_label[label] = {"pairs": 0, "agreement": None, "kappa": None, "rate": None}
            continue
        rate = given / (2 * n)
        observed = same / n
        per_label[label] = {
            "pairs": n,
            "agreement": round(observed, 4),
            "kappa": _kappa(observed, rate * rate + (1 - rate) * (1 - rate)),
            "rate": round(rate, 4),
        }
    by_pair: dict[str, Any] = {}
    for a, b in combinations(names, 2):
        mine = [(x, y) for p, q, x, y in pairs if (p, q) == (a, b)]
        if not mine:
            continue
        kappas: dict[str, float | None] = {}
        for label in labels:
            xa = [label in x for x, _ in mine]
            yb = [label in y for _, y in mine]
            observed = sum(u == v for u, v in zip(xa, yb, strict=True)) / len(mine)
            pa, pb = sum(xa) / len(mine), sum(yb) / len(mine)
            kappas[label] = _kappa(observed, pa * pb + (1 - pa) * (1 - pb))
        by_pair[f"{a}+{b}"] = {"sentences": len(mine), "kappa": kappas}
    exact = sum(len(set(found.values())) == 1 for found in shared.values())
    return {
        "sentences": len(by_sentence),
        "shared_sentences": len(shared),
        "annotators": names,
        "exact_match": round(exact / len(shared), 4) if shared else None,
        "labels": per_label,
        "pairs": by_pair,
    }
