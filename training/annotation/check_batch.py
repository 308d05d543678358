"""Check one or more corpus batch files (JSONL) against the corpus rules.

Usage: python training/annotation/check_batch.py FILE [FILE ...]
Prints problems; exit status 1 when any rule is broken.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

LABELS = {"blame_attribution", "downplaying", "official_denial"}
KINDS = {"move", "hard_negative", "plain", "furniture"}
FIELDS = {"id", "text", "labels", "domain", "register", "kind"}
WORD = re.compile(r"[\w'’-]+")


def skeleton(text: str) -> str:
    toks = []
    for i, tok in enumerate(WORD.findall(text)):
        if any(c.isdigit() for c in tok):
            toks.append("0")
        elif i > 0 and tok[0].isupper():
            toks.append("N")
        else:
            toks.append(tok.lower())
    return " ".join(toks)


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
    sk: dict[str, list[str]] = defaultdict(list)
    for where, r in rows:
        sk[skeleton(r["text"])].append(where)
    for s, ws in sk.items():
        if len(ws) > 1:
            print(f"repeated skeleton at {', '.join(ws)}: {s[:80]}")
            bad += 1
    texts = [r["text"] for _, r in rows]
    if len(texts) > 1:
        from sklearn.feature_extraction.text import TfidfVectorizer

        x = TfidfVectorizer(analyzer="char", ngram_range=(3, 3), lowercase=True).fit_transform(texts)
        sim = (x @ x.T).tocoo()
        for i, j, v in zip(sim.row, sim.col, sim.data):
            if i < j and v > 0.8:
                print(f"near-duplicate ({v:.2f}): {rows[i][0]} ~ {rows[j][0]}")
                bad += 1
    # cue phrases: label-specific word 3-grams used in more than 2% of a label's sentences
    grams = [set(zip(*(skeleton(t).split()[k:] for k in range(3)))) for t in texts]
    for label in sorted(LABELS):
        inside = [g for g, (_, r) in zip(grams, rows) if label in r["labels"]]
        outside = [g for g, (_, r) in zip(grams, rows) if label not in r["labels"]]
        if not inside:
            continue
        cin = Counter(x for g in inside for x in g)
        cout = Counter(x for g in outside for x in g)
        for gram, c in cin.most_common(30):
            share = c / len(inside)
            spec = share / ((cout[gram] + 1) / (len(outside) + 1))
            if c >= 3 and share > 0.02 and spec > 3:
                print(f"cue phrase '{' '.join(gram)}' in {c}/{len(inside)} ({share:.1%}) of {label} sentences")
                bad += 1
    counts = Counter(l for _, r in rows for l in r["labels"])
    print(f"{len(rows)} rows; labels {dict(counts)}; "
          f"two+ labels {sum(len(r['labels']) > 1 for _, r in rows)}; "
          f"none {sum(not r['labels'] for _, r in rows)}; kinds {dict(Counter(r['kind'] for _, r in rows))}")
    print(f"domains {dict(Counter(r['domain'] for _, r in rows))}")
    print(f"registers {dict(Counter(r['register'] for _, r in rows))}")
    print("OK" if not bad else f"{bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
