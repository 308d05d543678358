"""Agreement between the writers' labels (pass 1) and the blind second pass (pass 2).

    python -m training.annotation.agreement b1 b2 ...
    python -m training.annotation.agreement --dir training/annotation/ru ru1 ru2 ...

For each batch: per-label Cohen's kappa before adjudication, and the disagreements
written to pass2/BATCH.disagreements.jsonl for adjudication against the guide.
Writes agreement.json with the figures for the datasheet.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from sklearn.metrics import cohen_kappa_score

HERE = Path(__file__).resolve().parent
LABELS = ["blame_attribution", "downplaying", "official_denial"]


def read(path: Path) -> dict[str, dict]:
    return {r["id"]: r for r in map(json.loads, path.read_text().splitlines()) if r}


def main(batches: list[str], root: Path = HERE) -> int:
    first: dict[str, dict] = {}
    second: dict[str, dict] = {}
    for batch in batches:
        p1, p2 = read(root / "pass1" / f"{batch}.jsonl"), read(root / "pass2" / f"{batch}.jsonl")
        missing = set(p1) - set(p2)
        if missing:
            print(f"{batch}: pass 2 lacks {len(missing)} ids, e.g. {sorted(missing)[:3]}")
            return 1
        first.update(p1)
        second.update({k: p2[k] for k in p1})
        out = root / "pass2" / f"{batch}.disagreements.jsonl"
        with out.open("w") as f:
            for k, row in p1.items():
                a, b = sorted(row["labels"]), sorted(p2[k]["labels"])
                if a != b:
                    f.write(
                        json.dumps(
                            {"id": k, "text": row["text"], "pass1": a, "pass2": b},
                            ensure_ascii=False,
                        )
                        + "\n"
                    )
    ids = sorted(first)
    result: dict[str, Any] = {
        "sentences": len(ids),
        "batches": batches,
        "kappa": {},
        "exact_match": 0.0,
    }
    for label in LABELS:
        a = [label in first[k]["labels"] for k in ids]
        b = [label in second[k]["labels"] for k in ids]
        result["kappa"][label] = round(float(cohen_kappa_score(a, b)), 3)
    result["exact_match"] = round(
        sum(sorted(first[k]["labels"]) == sorted(second[k]["labels"]) for k in ids) / len(ids), 3
    )
    (root / "agreement.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--dir"]:
        sys.exit(main(args[2:], Path(args[1]).resolve()))
    sys.exit(main(args))
