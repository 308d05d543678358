"""Feature experiments for issue 12: does a variant read the move rather than the topic?

    python -m training.experiments --language en --variants base mask_names skipgrams
    python -m training.experiments --language ru --real-news   # real news: report only

Each variant is scored the way a model is chosen: C and the thresholds from grouped
cross-validation on the training split (document sentences, real base rates), then the
texts written apart (training/eval/CODE.jsonl) and, pooled, the cross-validation scores
themselves. The test split and real news are never looked at for a choice; `--final`
adds the test split and `--real-news` the real-news set for reporting a choice made.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from training.data import Example, load_examples
from training.evaluation import best_thresholds, label_matrix, metrics
from training.paths import DATA_ROOT, REAL_NEWS, eval_set
from training.pipeline import HashedNgrams
from training.splits import holdout_split, paraphrase_groups
from training.trainer import C_GRID, fit_head, log, out_of_fold

# A capitalised word that does not open its sentence: names, places, organisations.
CAPITALISED = re.compile(r"(?<=[^\s\"'«„“(\[—–-])(\s+)([A-ZА-ЯЁ][\w'’-]*)", re.UNICODE)
WORD = re.compile(r"\w+", re.UNICODE)


def mask_capitalised(text: str, keep: frozenset[str] = frozenset()) -> str:
    """Every capitalised word after the first of its sentence, letters replaced by 'x'
    (same length, so offsets hold), unless its lower-case form is in `keep`."""

    def repl(m: re.Match[str]) -> str:
        word = m.group(2)
        if word.lower() in keep:
            return m.group(0)
        return m.group(1) + re.sub(r"\w", "x", word)

    return CAPITALISED.sub(repl, text)


def lowercase_vocabulary(texts: Sequence[str], min_count: int = 2) -> frozenset[str]:
    """Words seen written in lower case (common nouns, verbs) at least `min_count` times."""
    counts: dict[str, int] = {}
    for text in texts:
        for w in WORD.findall(text):
            if w.islower():
                counts[w] = counts.get(w, 0) + 1
    return frozenset(w for w, n in counts.items() if n >= min_count)


@dataclass
class Texts:
    """Sentences with their document neighbours (empty when a sentence stands alone)."""

    text: list[str]
    previous: list[str]
    headline: list[str]


def with_context(examples: Sequence[Example]) -> Texts:
    prev: list[str] = []
    head: list[str] = []
    last_doc, last_text, first_text = "", "", ""
    for ex in examples:
        if ex.doc and ex.doc == last_doc:
            prev.append(last_text)
            head.append(first_text)
        else:
            prev.append("")
            head.append("")
            first_text = ex.text
        last_doc, last_text = ex.doc, ex.text
    return Texts([ex.text for ex in examples], prev, head)


def eval_examples(path: Path, documents: bool = True) -> list[Example]:
    """An evaluation file's sentences; with `documents`, each in the document its id
    names (NAME-NNN; the texts written apart are whole texts in order, real news is not)."""
    out = []
    for ex in load_examples([path]):
        doc = ex.id.rsplit("-", 1)[0] if documents and re.search(r"-\d+$", ex.id) else ""
        out.append(Example(id=ex.id, text=ex.text, labels=ex.labels, doc=doc))
    return out


Featurize = Callable[[Texts, "Fitted"], sparse.csr_matrix]


@dataclass
class Fitted:
    """What a variant learns from the training split before featurizing (vocabulary)."""

    keep: frozenset[str] = frozenset()


def _hash(texts: Sequence[str], **kw: Any) -> sparse.csr_matrix:
    return sparse.csr_matrix(HashedNgrams(**kw).fit(texts).transform(texts))


def base(t: Texts, f: Fitted) -> sparse.csr_matrix:
    return _hash(t.text)


def mask_names(t: Texts, f: Fitted) -> sparse.csr_matrix:
    return _hash([mask_capitalised(s) for s in t.text])


def mask_rare_names(t: Texts, f: Fitted) -> sparse.csr_matrix:
    return _hash([mask_capitalised(s, f.keep) for s in t.text])


def _skip_pairs(text: str, gap: int = 3) -> str:
    """Word pairs up to `gap` words apart, each written as one token 'a_b'."""
    words = [w for w in WORD.findall(text.lower()) if len(w) > 1]
    pairs = [
        f"{words[i]}_{words[j]}"
        for i in range(len(words))
        for j in range(i + 2, min(i + 2 + gap, len(words)))
    ]
    return " ".join(pairs)


def skipgrams(t: Texts, f: Fitted) -> sparse.csr_matrix:
    pairs = [_skip_pairs(s) for s in t.text]
    extra = _hash(pairs, word_ngrams=(1, 1), char_ngrams=(99, 99), n_char_features=1)
    return sparse.hstack([base(t, f), extra], format="csr")


def mask_rare_skipgrams(t: Texts, f: Fitted) -> sparse.csr_matrix:
    masked = Texts([mask_capitalised(s, f.keep) for s in t.text], t.previous, t.headline)
    return skipgrams(masked, f)


def _context(texts: Sequence[str], weight: float) -> sparse.csr_matrix:
    x = _hash(texts, char_ngrams=(99, 99), n_char_features=1)
    return x * weight


def previous_sentence(t: Texts, f: Fitted) -> sparse.csr_matrix:
    return sparse.hstack([base(t, f), _context(t.previous, 0.5)], format="csr")


def headline(t: Texts, f: Fitted) -> sparse.csr_matrix:
    return sparse.hstack([base(t, f), _context(t.headline, 0.5)], format="csr")


def words_only(t: Texts, f: Fitted) -> sparse.csr_matrix:
    return _hash(t.text, char_ngrams=(99, 99), n_char_features=1)


def short_chars(t: Texts, f: Fitted) -> sparse.csr_matrix:
    return _hash(t.text, char_ngrams=(3, 5))


def _documents_only(examples: Sequence[Example], idx: np.ndarray) -> np.ndarray:
    return np.array([i for i in idx if examples[i].doc])


def _documents_twice(examples: Sequence[Example], idx: np.ndarray) -> np.ndarray:
    """Document sentences count twice (a repeat stays in its original's fold)."""
    return np.concatenate([idx, _documents_only(examples, idx)])


def _share_of_documents(share: float) -> Callable[[Sequence[Example], np.ndarray], np.ndarray]:
    """Every example sentence, and the sentences of a fixed `share` of the documents: a
    document is in when a hash of its name falls below `share`, so a smaller share's
    documents are all in a larger one's (a learning curve over documents)."""

    def pick(examples: Sequence[Example], idx: np.ndarray) -> np.ndarray:
        def kept(doc: str) -> bool:
            digest = hashlib.blake2b(doc.encode("utf-8"), digest_size=8).digest()
            return int.from_bytes(digest, "big") / 2**64 < share

        return np.array([i for i in idx if not examples[i].doc or kept(examples[i].doc)])

    return pick


# Variants that change which training sentences count, and how much, not the features.
WEIGHTING: dict[str, Callable[[Sequence[Example], np.ndarray], np.ndarray]] = {
    "documents_only": _documents_only,
    "documents_twice": _documents_twice,
    "documents_25": _share_of_documents(0.25),
    "documents_50": _share_of_documents(0.5),
    "documents_75": _share_of_documents(0.75),
}

VARIANTS: dict[str, Featurize] = {
    "documents_only": base,
    "documents_twice": base,
    "documents_25": base,
    "documents_50": base,
    "documents_75": base,
    "words_only": words_only,
    "short_chars": short_chars,
    "base": base,
    "mask_names": mask_names,
    "mask_rare_names": mask_rare_names,
    "skipgrams": skipgrams,
    "mask_rare_skipgrams": mask_rare_skipgrams,
    "previous_sentence": previous_sentence,
    "headline": headline,
}


def run_variant(
    name: str,
    examples: Sequence[Example],
    train_idx: np.ndarray,
    test_idx: np.ndarray,
    groups: np.ndarray,
    y: np.ndarray,
    labels: Sequence[str],
    sets: dict[str, list[Example]],
    cv: int,
    seed: int,
    jobs: int,
    grid: Sequence[float] = C_GRID,
) -> dict[str, Any]:
    started = time.perf_counter()
    featurize = VARIANTS[name]
    fitted = Fitted(keep=lowercase_vocabulary([examples[i].text for i in train_idx]))
    x = featurize(with_context(examples), fitted)
    train_idx = WEIGHTING.get(name, lambda e, idx: idx)(examples, train_idx)
    x_train, y_train = x[train_idx], y[train_idx]
    in_docs = np.array([bool(examples[i].doc) for i in train_idx])
    best: tuple[float, float, np.ndarray, np.ndarray] | None = None
    for c in grid:
        oof = out_of_fold(x_train, y_train, groups[train_idx], c, cv, seed, jobs)
        thresholds = best_thresholds(y_train[in_docs], oof[in_docs])
        f1 = metrics(y_train[in_docs], oof[in_docs] >= thresholds, labels)["macro"]["f1"]
        if best is None or f1 > best[1]:
            best = (c, f1, thresholds, oof)
    assert best is not None
    c, _, thresholds, oof = best
    head = fit_head(x_train, y_train, c, seed)
    result: dict[str, Any] = {
        "variant": name,
        "C": c,
        "thresholds": [round(float(t), 2) for t in thresholds],
        "cv_documents": metrics(y_train[in_docs], oof[in_docs] >= thresholds, labels),
        "cv_all": metrics(y_train, oof >= thresholds, labels),
    }
    for key, rows in sets.items():
        if key == "test":
            xs, ys = x[test_idx], y[test_idx]
        else:
            xs = featurize(with_context(rows), fitted)
            ys = label_matrix([ex.labels for ex in rows], labels)
        pred = head.predict_proba(xs) >= thresholds
        result[key] = metrics(ys, pred, labels)
        if key == "apart":  # for paired comparisons between variants (`compare`)
            result["apart_predictions"] = pred.astype(int).tolist()
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def compare(
    a: dict[str, Any], b: dict[str, Any], language: str, rounds: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """Macro-F1 of variant b minus variant a on the texts written apart, with a 95%
    interval from resampling whole documents (sentences of a text are not independent)."""
    examples = eval_examples(eval_set(language))
    labels = sorted({lab for ex in examples for lab in ex.labels})
    y = label_matrix([ex.labels for ex in examples], labels)
    pa, pb = np.array(a["apart_predictions"]), np.array(b["apart_predictions"])
    docs = np.array([ex.doc for ex in examples])
    names = np.unique(docs)
    rows = [np.flatnonzero(docs == d) for d in names]
    rng = np.random.default_rng(seed)

    def macro(idx: np.ndarray, pred: np.ndarray) -> float:
        return float(metrics(y[idx], pred[idx], labels)["macro"]["f1"])

    everything = np.arange(len(y))
    diffs = []
    for _ in range(rounds):
        idx = np.concatenate([rows[i] for i in rng.integers(0, len(rows), len(rows))])
        diffs.append(macro(idx, pb) - macro(idx, pa))
    low, high = np.percentile(diffs, [2.5, 97.5])
    return macro(everything, pb) - macro(everything, pa), float(low), float(high)


def row(result: dict[str, Any], labels: Sequence[str], keys: Sequence[str]) -> str:
    cells = [result["variant"], f"{result['C']:g}"]
    for key in keys:
        m = result[key]
        per = "/".join(f"{m[lab]['f1']:.2f}" for lab in labels)
        cells.append(f"{m['macro']['f1']:.3f} ({per}) FA {m['false_alarm_rate']:.3f}")
    return "| " + " | ".join(cells) + " |"


def print_comparisons(path: Path, language: str) -> int:
    results = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    mine = {r["variant"]: r for r in results if r.get("language") == language}
    if "base" not in mine or "apart_predictions" not in mine["base"]:
        log(f"{path} has no base run of {language} with predictions: run --variants base")
        return 2
    print("| variant | macro-F1 minus base, texts written apart | 95% interval (documents) |")
    print("|---|---:|---|")
    for name, result in mine.items():
        if name != "base" and "apart_predictions" in result:
            diff, low, high = compare(mine["base"], result, language)
            print(f"| {name} | {diff:+.3f} | {low:+.3f} to {high:+.3f} |")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.experiments")
    p.add_argument("--language", default="en")
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    p.add_argument("--cv", type=int, default=5)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--c-grid", type=float, nargs="+", default=list(C_GRID))
    p.add_argument("--final", action="store_true", help="also the test split")
    p.add_argument("--real-news", action="store_true", help="also real news (English)")
    p.add_argument("--out", type=Path, help="JSON lines of results (appended)")
    p.add_argument(
        "--compare",
        type=Path,
        metavar="RESULTS",
        help="no training: each variant in RESULTS (--out of earlier runs) against base, "
        "on the texts written apart of --language, with a 95%% interval",
    )
    args = p.parse_args(argv)
    if args.compare:
        return print_comparisons(args.compare, args.language)

    examples = load_examples([DATA_ROOT / args.language])
    labels = sorted({lab for ex in examples for lab in ex.labels})
    y = label_matrix([ex.labels for ex in examples], labels)
    groups = paraphrase_groups([ex.text for ex in examples], [ex.doc for ex in examples])
    train_idx, test_idx = holdout_split(y, groups, args.seed)
    sets: dict[str, list[Example]] = {"apart": eval_examples(eval_set(args.language))}
    if args.final:
        sets["test"] = []
    if args.real_news and REAL_NEWS.is_file():
        sets["real_news"] = eval_examples(REAL_NEWS, documents=False)
    keys = ["cv_documents", "cv_all", *sets]
    print(f"| variant | C | {' | '.join(keys)} |")
    print("|" + "---|" * (2 + len(keys)))
    for name in args.variants:
        log(f"{args.language} {name} ...")
        result = run_variant(
            name,
            examples,
            train_idx,
            test_idx,
            groups,
            y,
            labels,
            sets,
            args.cv,
            args.seed,
            args.jobs,
            args.c_grid,
        )
        result["language"] = args.language
        print(row(result, labels, keys), flush=True)
        if args.out:
            with args.out.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
