"""Check one or more corpus batch files (JSONL) against the corpus rules.

Usage: python -m training.annotation.check_batch FILE [FILE ...]
Prints problems; exit status 1 when any rule is broken.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from training.quality import cue_phrases, near_duplicates, repeated_skeletons

LABELS = {"blame_attribution", "downplaying", "official_denial"}
KINDS = {"move", "hard_negative", "plain", "furniture"}
FIELDS = {"id", "text", "labels", "domain", "register", "kind"}


def main(paths: list[str]) -> int:
    rows = []
    bad = 0
    for p in paths:
        for n, line in enumerate(Path(p).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                print(f"{p}:{n}: bad JSON: {e}")
                bad += 1
                continue
            where = f"{p}:{n}"
            if set(r) != FIELDS:
                print(f"{where}: fields must be exactly {sorted(FIELDS)}, got {sorted(r)}")
                bad += 1
                continue
            if not set(r["labels"]) <= LABELS or len(set(r["labels"])) != len(r["labels"]):
                print(f"{where}: bad labels {r['labels']}")
                bad += 1
            if r["kind"] not in KINDS:
                print(f"{where}: bad kind {r['kind']}")
                bad += 1
            if (r["kind"] == "move") != bool(r["labels"]):
                print(f"{where}: kind 'move' iff labels non-empty")
                bad += 1
            nw = len(r["text"].split())
            if not 4 <= nw <= 70:
                print(f"{where}: {nw} words (4 to 70 allowed)")
                bad += 1
            rows.append((where, r))
    ids = Counter(r["id"] for _, r in rows)
    for i, c in ids.items():
        if c > 1:
            print(f"duplicate id {i} x{c}")
            bad += 1
    texts = [r["text"] for _, r in rows]
    for group in repeated_skeletons(texts):
        print(f"repeated skeleton at {', '.join(rows[i][0] for i in group)}")
        bad += 1
    for i, j, v in near_duplicates(texts):
        print(f"near-duplicate ({v:.2f}): {rows[i][0]} ~ {rows[j][0]}")
        bad += 1
    for label in sorted(LABELS):
        for gram, c, share in cue_phrases(texts, [r["labels"] for _, r in rows], label):
            print(f"cue phrase '{gram}' in {c} ({share:.1%}) of {label} sentences")
            bad += 1
    counts = Counter(label for _, r in rows for label in r["labels"])
    print(
        f"{len(rows)} rows; labels {dict(counts)}; "
        f"two+ labels {sum(len(r['labels']) > 1 for _, r in rows)}; "
        f"none {sum(not r['labels'] for _, r in rows)}; "
        f"kinds {dict(Counter(r['kind'] for _, r in rows))}"
    )
    print(f"domains {dict(Counter(r['domain'] for _, r in rows))}")
    print(f"registers {dict(Counter(r['register'] for _, r in rows))}")
    print("OK" if not bad else f"{bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
