"""Build the labelled evaluation set of one language from its two blind labelling passes.

    python -m training.eval.assemble ru

Reads <language>.input.jsonl and the passes <language>.pass-a.jsonl and
<language>.pass-b.jsonl. Prints Cohen's kappa per label, writes the disagreements to
<language>.disagreements.jsonl and, once every one is settled in
<language>.adjudicated.jsonl, the evaluation set <language>.jsonl and the agreement
figures <language>.agreement.json.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

HERE = Path(__file__).resolve().parent
LABELS = ["blame_attribution", "downplaying", "official_denial"]


def read(path: Path) -> list[dict]:
    if not path.is_file():
        raise SystemExit(f"{path} is missing: see training/eval/README.md for the steps")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    ids = [r["id"] for r in rows]
    if len(ids) != len(set(ids)):
        raise SystemExit(f"{path} repeats ids: each sentence must be labelled once")
    return rows


def main(language: str) -> int:
    texts = read(HERE / f"{language}.input.jsonl")
    a = {r["id"]: sorted(r["labels"]) for r in read(HERE / f"{language}.pass-a.jsonl")}
    b = {r["id"]: sorted(r["labels"]) for r in read(HERE / f"{language}.pass-b.jsonl")}
    ids = [r["id"] for r in texts]
    if set(a) != set(ids) or set(b) != set(ids):
        print("the passes do not label exactly the input's sentences")
        return 1
    kappa: dict[str, float | None] = {}
    for label in LABELS:
        value = float(cohen_kappa_score([label in a[i] for i in ids], [label in b[i] for i in ids]))
        kappa[label] = None if math.isnan(value) else round(value, 3)  # NaN: label unused
    exact = sum(a[i] == b[i] for i in ids) / len(ids)
    print(f"{len(ids)} sentences; kappa {kappa}; exact label-set match {exact:.1%}")
    disagreements = [
        {"id": r["id"], "text": r["text"], "pass_a": a[r["id"]], "pass_b": b[r["id"]]}
        for r in texts
        if a[r["id"]] != b[r["id"]]
    ]
    (HERE / f"{language}.disagreements.jsonl").write_text(
        "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in disagreements), "utf-8"
    )
    settled_path = HERE / f"{language}.adjudicated.jsonl"
    settled = (
        {r["id"]: sorted(r["labels"]) for r in read(settled_path)} if settled_path.is_file() else {}
    )
    stale = sorted(set(settled) - {d["id"] for d in disagreements})
    if stale:
        print(f"{len(stale)} adjudications settle no disagreement (ignored), e.g. {stale[:3]}")
        settled = {k: v for k, v in settled.items() if k not in stale}
    missing = [d["id"] for d in disagreements if d["id"] not in settled]
    if missing:
        print(f"{len(missing)} disagreements to settle in {settled_path.name}, e.g. {missing[:3]}")
        return 1
    with (HERE / f"{language}.jsonl").open("w", encoding="utf-8") as f:
        for r in texts:
            labels = settled.get(r["id"], a[r["id"]])
            row = {"id": r["id"], "text": r["text"], "labels": labels}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    figures = {
        "sentences": len(ids),
        "texts": len({i.rsplit("-", 1)[0] for i in ids}),
        "kappa": kappa,
        "exact_match": round(exact, 3),
        "adjudicated": len(disagreements),
        "label_counts": {
            label: sum(label in settled.get(i, a[i]) for i in ids) for label in LABELS
        },
    }
    (HERE / f"{language}.agreement.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(f"wrote {language}.jsonl: {figures['label_counts']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "ru"))
