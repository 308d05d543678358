"""Cut the evaluation texts of one language into sentences for labelling.

    python training/eval/sentences.py ru   # training/eval/ru/*.txt -> ru.input.jsonl

Sentences come from the service's own segmenter, in text order, with ids
`<file stem>-<index>`; headlines and boilerplate are kept, as the service would see them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from app.segment import split_sentences  # noqa: E402


def main(language: str) -> int:
    rows = []
    for path in sorted((HERE / language).glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for i, (start, end) in enumerate(split_sentences(text)):
            rows.append({"id": f"{path.stem}-{i:03d}", "text": text[start:end]})
    out = HERE / f"{language}.input.jsonl"
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    print(f"{len(rows)} sentences from {language}/*.txt written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "ru"))
