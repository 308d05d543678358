"""Cut the evaluation texts of one language into sentences for labelling.

    python -m training.eval.sentences ru   # training/eval/ru/*.txt -> ru.input.jsonl

Sentences come from the service's own segmenter, in text order, with ids
`<file stem>-<index>`; headlines and boilerplate are kept, as the service would see them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from app.core.segment import split_sentences

HERE = Path(__file__).resolve().parent


def main(language: str, force: bool = False) -> int:
    out = HERE / f"{language}.input.jsonl"
    passes = sorted(HERE.glob(f"{language}.pass-*.jsonl"))
    if out.exists() and passes and not force:
        print(
            f"{out.name} is already labelled ({', '.join(p.name for p in passes)}): cutting the "
            "texts again could shift every label onto another sentence. Use --force only to "
            "start the labelling over."
        )
        return 1
    rows = []
    for path in sorted((HERE / language).glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for i, (start, end) in enumerate(split_sentences(text)):
            rows.append({"id": f"{path.stem}-{i:03d}", "text": text[start:end]})
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    print(f"{len(rows)} sentences from {language}/*.txt written to {out}")
    return 0


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--force"]
    sys.exit(main(args[0] if args else "ru", force="--force" in sys.argv[1:]))
