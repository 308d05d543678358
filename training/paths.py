"""Where training finds its data and puts what it makes."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_ROOT = ROOT / "training" / "data"  # <language>/*.jsonl: the corpora
EVAL_ROOT = ROOT / "training" / "eval"  # <language>.jsonl: texts written apart, labelled
REPORTS = ROOT / "training" / "reports"  # <language>.md and .json, written by `make evaluate`
MODELS = ROOT / "models"  # <language>/model.npz and model.json
REAL_NEWS = ROOT.parent / "shared" / "eval" / "real-news.jsonl"  # English, evaluation only


def corpus_languages() -> list[str]:
    """The languages with a corpus folder in training/data (en, ru, ...)."""
    return sorted(
        p.name
        for p in DATA_ROOT.iterdir()
        if p.is_dir() and re.fullmatch(r"[a-z]{2,3}", p.name) and any(p.rglob("*.jsonl"))
    )


def eval_set(language: str) -> Path:
    """The texts written apart for `language` (may not exist)."""
    return EVAL_ROOT / f"{language}.jsonl"
