"""How language detection routes labelled sentences, one sentence at a time.

    python -m scripts.language_check                      # our corpora, training/data/*/
    python -m scripts.language_check --extra ../shared/eval/real-news.jsonl:en

One sentence is the hardest case for detection (a document gives it more to go on).
Prints, per file set, how many sentences went to each language and how, how many were
refused, and the first few that went wrong. Evaluation only: nothing here is tuned.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from app.core.language import LanguageDetector, UnsupportedLanguage

ROOT = Path(__file__).resolve().parent.parent


def check(detector: LanguageDetector, name: str, texts: list[str], expected: str) -> None:
    outcomes: Counter[str] = Counter()
    wrong: list[str] = []
    for text in texts:
        try:
            found = detector.detect(text)
        except UnsupportedLanguage as exc:
            outcomes[f"refused as {exc.language}"] += 1
            wrong.append(f"refused as {exc.language}: {text[:70]}")
            continue
        outcomes[f"{found.language} ({found.source})"] += 1
        if found.language != expected:
            wrong.append(f"{found.language}: {text[:70]}")
    right = len(texts) - len(wrong)
    print(f"{name}: {len(texts)} sentences, {right} to {expected} ({right / len(texts):.2%})")
    for outcome, n in outcomes.most_common():
        print(f"  {outcome}: {n}")
    for line in wrong[:5]:
        print(f"  wrong: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--extra", nargs="*", default=[], metavar="FILE.jsonl:LANG")
    args = parser.parse_args()
    detector = LanguageDetector(["en", "ru"]).load()
    for folder in sorted((ROOT / "training" / "data").glob("*/")):
        files = sorted(folder.glob("*.jsonl"))
        if files:
            texts = [
                json.loads(line)["text"]
                for f in files
                for line in f.read_text(encoding="utf-8").splitlines()
            ]
            check(detector, f"training/data/{folder.name}", texts, folder.name)
    for spec in args.extra:
        path, _, language = spec.rpartition(":")
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        texts = [json.loads(line)["text"] for line in lines if line.strip()]
        check(detector, path, texts, language)


if __name__ == "__main__":
    main()
