"""Build training/data/ from the writers' batches and the adjudicated disagreements.

    python -m training.annotation.assemble b1 b2 ...
    python -m training.annotation.assemble --russian ru1 ru2 ...

A sentence keeps its pass-1 labels where both passes agreed, and takes the adjudicated
labels (pass2/BATCH.adjudicated.jsonl) where they did not. Near-duplicates and repeated
skeletons across batches (cookie notices, bylines) are dropped, keeping the first.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from training.quality import near_duplicates, skeleton

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


OUT = ROOT / "training" / "data" / "en"
FIELDS = ("id", "text", "labels", "domain", "register", "kind")


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main(batches: list[str], root: Path = HERE, out_dir: Path = OUT, prefix: str = "en-") -> int:
    rows: list[dict] = []
    changed = 0
    for batch in batches:
        first = read(root / "pass1" / f"{batch}.jsonl")
        second = {r["id"]: r for r in read(root / "pass2" / f"{batch}.jsonl")}
        decided = {r["id"]: r for r in read(root / "pass2" / f"{batch}.adjudicated.jsonl")}
        for row in first:
            if sorted(row["labels"]) != sorted(second[row["id"]]["labels"]):
                if row["id"] not in decided:
                    print(f"{batch}: {row['id']} disagrees and has no adjudication")
                    return 1
                decision = decided[row["id"]]
                if sorted(decision["labels"]) != sorted(row["labels"]):
                    changed += 1
                row["labels"] = sorted(decision["labels"])
                if row["labels"]:
                    row["kind"] = "move"
                elif row["kind"] == "move":
                    row["kind"] = decision.get("kind", "hard_negative")
            row["labels"] = sorted(row["labels"])
            row["batch"] = batch
            rows.append(row)
    drop: set[int] = set()
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        key = skeleton(row["text"])
        if key in seen:
            drop.add(i)
        else:
            seen[key] = i
    for i, j, _ in near_duplicates([r["text"] for r in rows]):
        if i not in drop:
            drop.add(j)
    kept = [r for i, r in enumerate(rows) if i not in drop]
    out_dir.mkdir(parents=True, exist_ok=True)
    for batch in batches:
        with (out_dir / f"{prefix}{batch}.jsonl").open("w", encoding="utf-8") as f:
            for r in kept:
                if r["batch"] == batch:
                    f.write(json.dumps({k: r[k] for k in FIELDS}, ensure_ascii=False) + "\n")
    print(
        f"{len(kept)} sentences written to {out_dir}; {len(drop)} duplicates dropped; "
        f"{changed} labels changed by adjudication"
    )
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--russian"]:  # the Russian batches, into training/data/ru
        sys.exit(main(args[1:], HERE / "ru", OUT.parent / "ru", ""))
    sys.exit(main(args))
