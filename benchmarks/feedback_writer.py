"""A writer in a process of its own, for the reliability tests and the benchmark.

    python -m benchmarks.feedback_writer URL PREFIX COUNT [--size CHARS]

Stores COUNT corrections of sentences "PREFIX i ..." one by one, and after each commit
prints `ok ID INDEX` (flushed): a line printed is a correction acknowledged. A storage
error prints `error REASON MESSAGE` and exits 3.
"""

from __future__ import annotations

import argparse
import random
import string
import sys

from app.feedback.records import NewCorrection
from app.feedback.store import StorageError, open_store

LABELS = ["blame_attribution", "downplaying", "official_denial"]


def sentence(prefix: str, index: int, size: int) -> str:
    text = f"{prefix} sentence {index} about the strike."
    if size > len(text):
        rng = random.Random(f"{prefix}-{index}")
        filler = "".join(rng.choice(string.ascii_letters + " ") for _ in range(size - len(text)))
        text = f"{text} {filler}"
    return text


def correction(prefix: str, index: int, size: int = 0, annotator: str = "ana") -> NewCorrection:
    return NewCorrection(
        annotator=annotator,
        text=sentence(prefix, index, size),
        labels=tuple(LABELS[: index % 4]),
        language="en",
        model_version="test-model",
        source=f"source-{index % 3}",
        document_id=f"doc-{index // 10}",
    )


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("prefix")
    p.add_argument("count", type=int)
    p.add_argument("--size", type=int, default=0)
    p.add_argument("--annotator", default="ana")
    args = p.parse_args()
    try:
        store = open_store(args.url, pool_size=1)
        print("ready", flush=True)
        for i in range(args.count):
            saved = store.save(correction(args.prefix, i, args.size, args.annotator))
            print(f"ok {saved.id} {i}", flush=True)
    except StorageError as exc:
        print(f"error {exc.reason} {exc}", flush=True)
        return 3
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
