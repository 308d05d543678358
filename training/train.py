"""Train the framing models, one per language.

    python -m training.train                      # every language in training/data/ -> models/
    python -m training.train --language ru        # training/data/ru -> models/ru
    python -m training.train --data mine.csv --language en --out /tmp/models
    python -m training.train --evaluate           # also leave-one-domain-out; reports to
                                                  # training/reports/ (what `make evaluate` runs)
    python -m training.train --feedback data/feedback.sqlite3   # add analysts' corrections
    python -m training.train --feedback corrections.jsonl --out /tmp/models

Each model goes to OUT/<language>/ (model.npz, model.json, report.md).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from app.core.artifact import save_model
from training.data import DataError
from training.evaluation import render_report
from training.feedback import read_corrections, render_feedback
from training.paths import DATA_ROOT, MODELS, REAL_NEWS, REPORTS, corpus_languages, eval_set
from training.trainer import log, model_is_current, train


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m training.train", description="Train the framing models, one per language."
    )
    p.add_argument(
        "--language",
        nargs="+",
        metavar="CODE",
        help="languages to train (default: every folder of training/data, or en with --data)",
    )
    p.add_argument(
        "--data",
        nargs="+",
        type=Path,
        help="JSONL or CSV files, or folders of them, for one --language "
        "(default: training/data/CODE)",
    )
    p.add_argument(
        "--out", type=Path, default=MODELS, help="models folder: each language in OUT/CODE"
    )
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--cv", type=int, default=5, help="cross-validation folds")
    p.add_argument("--jobs", type=int, default=-1, help="parallel fits (default: one per core)")
    p.add_argument(
        "--evaluate",
        action="store_true",
        help="the full evaluation: also leave-one-domain-out, and the reports in --reports",
    )
    p.add_argument(
        "--reports",
        type=Path,
        help=f"folder for CODE.md and CODE.json reports (default with --evaluate: {REPORTS})",
    )
    p.add_argument(
        "--reuse-c",
        action="store_true",
        help="take C from the evaluation report (--reports, default training/reports) when "
        "it was chosen on the same data, folds and seed, instead of searching the grid: "
        "the same model, in a third of the time",
    )
    p.add_argument(
        "--if-needed",
        action="store_true",
        help="skip a language whose folder holds a valid model of the same data",
    )
    p.add_argument(
        "--feedback",
        metavar="DB_OR_JSONL",
        help="add analysts' corrections, weighted (training/feedback.py): a SQLite file, a "
        "postgresql:// URL or a JSONL export. A held-out fifth of them compares the new "
        "model with the serving one in the report",
    )
    p.add_argument(
        "--serving",
        type=Path,
        help="the models folder to compare with on the held-out corrections (default: "
        "what --out holds before this run)",
    )
    p.add_argument(
        "--real-news",
        type=Path,
        default=REAL_NEWS,
        help="labelled real English news to score the English model on (evaluation only)",
    )
    return p


def _not_a_folder(path: Path) -> str | None:
    """Why `path` cannot be (or become) a folder to write in, checked before training."""
    for at in (path, *path.parents):
        if at.exists():
            if not at.is_dir():
                return f"{at} is a file, not a folder"
            return None if os.access(at, os.W_OK) else f"{at} is not writable"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.cv < 2:
        p.error("--cv must be at least 2")
    if args.jobs == 0:
        p.error("--jobs takes a number of processes, or -1 for one per core")
    for flag, folder in (("--out", args.out), ("--reports", args.reports)):
        problem = _not_a_folder(folder) if folder is not None else None
        if problem:
            p.error(f"{flag} {folder}: {problem}")
    languages = args.language or (["en"] if args.data else corpus_languages())
    if args.data and len(languages) != 1:
        p.error("--data trains one model: give one --language")
    for code in languages:
        if not re.fullmatch(r"[a-z]{2,3}", code):
            p.error(f"--language takes ISO 639 codes such as en or ru, not {code!r}")
    if args.feedback and args.if_needed:
        p.error(
            "--if-needed cannot be combined with --feedback: a run with corrections always trains"
        )
    reports = args.reports or (REPORTS if args.evaluate else None)
    feedback = None
    if args.feedback:
        try:
            feedback = read_corrections(args.feedback)
        except DataError as exc:
            log(str(exc))
            return 2
        log(f"{len(feedback[1])} corrections read from {feedback[0]}")
    for language in languages:
        data = args.data or [DATA_ROOT / language]
        out = args.out / language
        if args.if_needed and model_is_current(out, data, language):
            log(f"{out} holds a valid {language} model of this data; nothing to do")
            continue
        log(f"== {language}: training on {', '.join(str(d) for d in data)}")
        evaluations = {"articles": eval_set(language)}
        if language == "en":
            evaluations["real_news"] = args.real_news
        try:
            result = train(
                data,
                language=language,
                seed=args.seed,
                cv=args.cv,
                lodo=args.evaluate,
                n_jobs=args.jobs,
                evaluations=evaluations,
                feedback=feedback,
                serving=(args.serving or args.out) / language if feedback else None,
                reuse_c_from=(args.reports or REPORTS) / f"{language}.json"
                if args.reuse_c
                else None,
            )
        except DataError as exc:
            log(str(exc))
            return 2
        manifest = save_model(result.arrays, result.manifest, out)
        report = render_report(manifest)
        if result.feedback is not None:
            report += render_feedback(
                result.feedback.provenance, result.feedback.comparison, manifest.labels
            )
        (out / "report.md").write_text(report, encoding="utf-8")
        if reports is not None:
            reports.mkdir(parents=True, exist_ok=True)
            (reports / f"{language}.md").write_text(report, encoding="utf-8")
            summary = {
                "language": language,
                "version": manifest.version,
                "training_data": manifest.training_data,
                "thresholds": manifest.thresholds,
                "params": {k: manifest.params[k] for k in ("C", "seed", "cv", "c_grid")},
                "metrics": manifest.metrics,
            }
            (reports / f"{language}.json").write_text(
                json.dumps(summary, indent=2) + "\n", encoding="utf-8"
            )
        print(report)
        log(f"saved {language} model {manifest.version} to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
