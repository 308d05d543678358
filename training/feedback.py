"""Training with analysts' corrections (`python -m training.train --feedback DB_OR_JSONL`).

Corrections are real sentences, and a few hundred of them barely move a model trained on
thousands of written ones at equal weight, so they are weighted. How much is chosen on
the corrections themselves:

1. Corrections are read from a database (a SQLite file or a postgresql:// URL) or from
   a JSONL export (GET /feedback/export, `framing feedback export`), one language at a
   time. Several annotators' corrections of one sentence become one example: a label is
   on when more than half of them gave it (two who disagree: off).
2. Each sentence falls in a slice by a hash of its document (source and document id) or,
   without one, of its text: 60% train, 20% tune, 20% held out. The slice of a sentence
   never changes as corrections are added, so a held-out sentence stays held out in
   every later run, and a document's sentences stay together.
3. Each weighting scheme is fitted on the corpus's training split plus the train slice,
   and scored on the tune slice (macro-F1, a label absent from both gold and predictions
   counting as right; ties broken by the lower log-loss): equal weight, fixed multiples
   (3, 10, 30), and real-dominant schemes where the corrections together weigh as much
   as the corpus, or three times as much. The best wins; remaining ties go to the
   smaller weight.
4. The model is refitted with that scheme on the corpus plus the train and tune slices.
   The held-out slice is never trained on: it only scores the new model against the
   serving one, per label, in the report and the manifest, before anyone reloads it.

C and the thresholds stay as chosen on the corpus.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from scipy import sparse
from sklearn.base import clone
from sklearn.metrics import precision_recall_fscore_support
from sklearn.pipeline import Pipeline

from app.feedback.records import Correction
from app.feedback.store import StorageError, is_postgres_url, open_store, redact
from training.data import DataError
from training.evaluation import label_matrix, metrics
from training.pipeline import CLASSIFIER, WEIGHTING, OccurrenceTfidf, build_pipeline

SLICES = (("train", 6), ("tune", 2), ("held_out", 2))  # tenths of the sentences
FIXED = (1.0, 3.0, 10.0, 30.0)
DOMINANT = (1.0, 3.0)  # the corrections' total weight over the corpus's
DEFAULT_SCHEME = "x10"
MIN_TUNE = 5  # fewer tuning sentences than this: no choice, the default scheme


@dataclass(frozen=True)
class FeedbackExample:
    key: str
    text: str
    labels: tuple[str, ...]
    slice: str
    annotators: tuple[str, ...]


@dataclass
class FeedbackSet:
    """One language's corrections, one example per sentence, each in its slice."""

    source: str
    language: str
    examples: list[FeedbackExample]
    records: int
    fingerprint: str
    annotators: dict[str, int] = field(default_factory=dict)

    def part(self, name: str) -> list[FeedbackExample]:
        return [ex for ex in self.examples if ex.slice == name]


def slice_of(key: str, source: str | None, document_id: str | None) -> str:
    """The slice of a sentence, fixed by a hash of its document (or its own key)."""
    group = f"doc:{source or ''}:{document_id}" if document_id else f"sentence:{key}"
    tenth = int(hashlib.sha256(group.encode("utf-8")).hexdigest()[:8], 16) % 10
    for name, size in SLICES:
        if tenth < size:
            return name
        tenth -= size
    raise AssertionError("unreachable")


def _from_jsonl(path: Path) -> list[Correction]:
    rows: list[Correction] = []
    problems: list[str] = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            record = Correction(**{**raw, "labels": tuple(raw["labels"])})
        except (json.JSONDecodeError, TypeError, KeyError) as exc:
            problems.append(f"{path}:{line_no}: not a correction ({type(exc).__name__}: {exc})")
            continue
        if not record.intact():
            problems.append(f"{path}:{line_no}: the record does not match its checksum")
            continue
        rows.append(record)
    if problems:
        raise DataError(problems)
    return rows


def read_corrections(where: str) -> tuple[str, list[Correction]]:
    """Every correction in a database or a JSONL export; (where, without a password)."""
    if where.endswith(".jsonl"):
        path = Path(where)
        if not path.is_file():
            raise DataError([f"--feedback {where}: no such file"])
        return where, _from_jsonl(path)
    if not is_postgres_url(where) and not Path(where.removeprefix("sqlite:///")).is_file():
        raise DataError([f"--feedback {where}: no such database file (or give a .jsonl export)"])
    try:
        store = open_store(where, migrate=False, pool_size=1)
        try:
            rows = list(store.corrections())
        finally:
            store.close()
    except StorageError as exc:
        raise DataError([f"--feedback: {exc}"]) from None
    damaged = [r.id for r in rows if not r.intact()]
    if damaged:
        raise DataError([f"--feedback {redact(where)}: rows {damaged[:10]} fail their checksum"])
    return redact(where), rows


def feedback_set(
    where: str, rows: Iterable[Correction], language: str, labels: Sequence[str]
) -> FeedbackSet:
    """One language's corrections as examples (a label on when more than half the
    annotators gave it), each in its slice."""
    mine = [r for r in rows if r.language == language]
    unknown = sorted({label for r in mine for label in r.labels} - set(labels))
    if unknown:
        raise DataError(
            [f"--feedback: labels {unknown} are not in the {language} corpus's {list(labels)}"]
        )
    grouped: dict[str, list[Correction]] = {}
    for r in sorted(mine, key=lambda r: (r.sentence_key, r.annotator)):
        grouped.setdefault(r.sentence_key, []).append(r)
    examples = []
    digest = hashlib.sha256()
    for key, found in sorted(grouped.items()):
        votes = Counter(label for r in found for label in r.labels)
        on = tuple(sorted(label for label, n in votes.items() if 2 * n > len(found)))
        first = found[0]
        examples.append(
            FeedbackExample(
                key=key,
                text=first.text,
                labels=on,
                slice=slice_of(key, first.source, first.document_id),
                annotators=tuple(r.annotator for r in found),
            )
        )
        for r in found:
            digest.update(json.dumps([key, r.annotator, list(r.labels), r.updated]).encode())
    return FeedbackSet(
        source=where,
        language=language,
        examples=examples,
        records=len(mine),
        fingerprint=digest.hexdigest(),
        annotators=dict(Counter(r.annotator for r in mine)),
    )


def fit_weighted(
    x: sparse.csr_matrix, y: np.ndarray, weights: np.ndarray, c: float, seed: int
) -> Pipeline:
    """The TF-IDF and classifier steps of build_pipeline, fitted with sample weights."""
    steps = dict(build_pipeline(c, seed).steps)
    tfidf = OccurrenceTfidf().fit(x)
    with sklearn.config_context(enable_metadata_routing=True):
        classifier = clone(steps[CLASSIFIER])
        classifier.estimator.set_fit_request(sample_weight=True)
        classifier.fit(tfidf.transform(x), y, sample_weight=weights)
    return Pipeline([(WEIGHTING, tfidf), (CLASSIFIER, classifier)])


def schemes(n_corpus: int, n_feedback: int) -> dict[str, float]:
    """Each weighting scheme and the weight it gives one correction."""
    out = {("equal" if w == 1 else f"x{w:g}"): w for w in FIXED}
    for ratio in DOMINANT:
        out[f"real-dominant {ratio:g}:1"] = max(1.0, ratio * n_corpus / max(1, n_feedback))
    return out


def tune_score(y: np.ndarray, pred: np.ndarray) -> float:
    """Macro-F1 in which a label nobody gave and nothing predicted counts as right."""
    f1 = precision_recall_fscore_support(y, pred, zero_division=1.0)[2]
    return float(np.mean(f1))


def log_loss(y: np.ndarray, scores: np.ndarray) -> float:
    """Mean binary cross-entropy over sentences and labels: the tie-breaker, since F1 at
    fixed thresholds moves in steps on a small tune slice."""
    p = np.clip(scores, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _serving_scores(serving: Path | None, texts: list[str], labels: Sequence[str]) -> Any:
    """The serving model's decisions on these texts, or None when there is none."""
    from app.core.artifact import ModelLoadError
    from app.core.model import load_model

    if serving is None:
        return None, None
    try:
        model = load_model(serving)
    except ModelLoadError:
        return None, None
    if list(model.labels) != list(labels):
        return None, model.version
    return model.decide(model.scores(texts)), model.version


@dataclass
class FeedbackFit:
    head: Pipeline
    provenance: dict[str, Any]
    comparison: dict[str, Any]
    trained_keys: set[str]


def fit_with_feedback(
    x_train: sparse.csr_matrix,
    y_train: np.ndarray,
    hasher: Any,
    fb: FeedbackSet,
    labels: Sequence[str],
    c: float,
    seed: int,
    thresholds: np.ndarray,
    serving: Path | None,
    log: Any,
) -> FeedbackFit:
    train, tune, held = fb.part("train"), fb.part("tune"), fb.part("held_out")

    def encode(part: list[FeedbackExample]) -> tuple[sparse.csr_matrix, np.ndarray]:
        if not part:
            return sparse.csr_matrix((0, x_train.shape[1])), np.zeros((0, len(labels)), int)
        xs = sparse.csr_matrix(hasher.transform([ex.text for ex in part]))
        return xs, label_matrix([ex.labels for ex in part], labels)

    x_fb, y_fb = encode(train)
    x_tune, y_tune = encode(tune)
    x_held, y_held = encode(held)
    n = x_train.shape[0]
    tried: dict[str, Any] = {}
    chosen = DEFAULT_SCHEME
    if len(tune) >= MIN_TUNE and train:
        best: tuple[float, float, float, str] | None = None
        for name, w in schemes(n, len(train)).items():
            x = sparse.vstack([x_train, x_fb]).tocsr()
            weights = np.concatenate([np.ones(n), np.full(len(train), w)])
            head = fit_weighted(x, np.vstack([y_train, y_fb]), weights, c, seed)
            scores = head.predict_proba(x_tune)
            score = round(tune_score(y_tune, scores >= thresholds), 4)
            loss = round(log_loss(y_tune, scores), 4)
            tried[name] = {"weight": round(w, 3), "tune_macro_f1": score, "tune_log_loss": loss}
            log(
                f"  feedback scheme {name} (weight {w:.3g}): tune macro-F1 {score:.4f}, "
                f"log-loss {loss:.4f}"
            )
            key = (score, -loss, -w)
            if best is None or key > best[:3]:
                best = (*key, name)
        assert best is not None
        chosen = best[3]
        why = "best macro-F1 on the tune slice, then the lowest log-loss"
    else:
        why = f"the default: fewer than {MIN_TUNE} tuning corrections, nothing to choose on"
    used = train + tune
    weight = schemes(n, len(used))[chosen]
    x_used = sparse.vstack([x_train, x_fb, x_tune]).tocsr()
    y_used = np.vstack([y_train, y_fb, y_tune])
    weights = np.concatenate([np.ones(n), np.full(len(used), weight)])
    head = fit_weighted(x_used, y_used, weights, c, seed)
    log(f"feedback: {chosen} (weight {weight:.3g}) on {len(used)} corrections; {why}")

    comparison: dict[str, Any] = {"held_out_sentences": len(held)}
    if held:
        new_pred = head.predict_proba(x_held) >= thresholds
        comparison["new"] = metrics(y_held, new_pred, labels)
        old_pred, version = _serving_scores(serving, [ex.text for ex in held], labels)
        comparison["serving_version"] = version
        if old_pred is not None:
            comparison["serving"] = metrics(y_held, old_pred, labels)
    provenance = {
        "source": fb.source,
        "fingerprint": fb.fingerprint,
        "corrections": fb.records,
        "sentences": len(fb.examples),
        "annotators": fb.annotators,
        "slices": {"train": len(train), "tune": len(tune), "held_out": len(held)},
        "held_out_fingerprint": hashlib.sha256(
            "\n".join(sorted(ex.key for ex in held)).encode()
        ).hexdigest(),
        "scheme": chosen,
        "weight": round(weight, 3),
        "chosen_by": why,
        "tried": tried,
        "rule": "one example per sentence: a label is on when more than half its annotators "
        "gave it; slices by a hash of the document (60/20/20), the held-out slice never "
        "trained on",
    }
    return FeedbackFit(head, provenance, comparison, {ex.key for ex in used})


def render_feedback(
    provenance: dict[str, Any], comparison: dict[str, Any], labels: Sequence[str]
) -> str:
    """The report's section on the corrections: the scheme, and new against serving."""
    from tabulate import tabulate

    slices = provenance["slices"]
    lines = [
        "",
        "## Corrections",
        "",
        f"{provenance['corrections']} corrections of {provenance['sentences']} sentences from "
        f"`{provenance['source']}` (train {slices['train']}, tune {slices['tune']}, held out "
        f"{slices['held_out']}), weighted {provenance['weight']} each "
        f"({provenance['scheme']}: {provenance['chosen_by']}).",
    ]
    if provenance["tried"]:
        table = [[k, v["weight"], v["tune_macro_f1"]] for k, v in provenance["tried"].items()]
        lines += [
            "",
            *tabulate(table, ["scheme", "weight", "tune macro-F1"], tablefmt="github").splitlines(),
        ]
    held = comparison["held_out_sentences"]
    lines += [
        "",
        f"### Held-out corrections ({held} sentences, never trained on): new against serving",
        "",
    ]
    if not held:
        lines.append("No held-out corrections yet: nothing to compare.")
        return "\n".join(lines) + "\n"
    serving = comparison.get("serving")
    rows = []
    for key in [*labels, "macro"]:
        new = comparison["new"][key]
        old = serving[key] if serving else None
        rows.append(
            [
                key,
                f"{old['precision']:.3f}" if old else "-",
                f"{old['recall']:.3f}" if old else "-",
                f"{old['f1']:.3f}" if old else "-",
                f"{new['precision']:.3f}",
                f"{new['recall']:.3f}",
                f"{new['f1']:.3f}",
                new["support"],
            ]
        )
    headers = [
        "label",
        "serving P",
        "serving R",
        "serving F1",
        "new P",
        "new R",
        "new F1",
        "support",
    ]
    lines += tabulate(rows, headers, tablefmt="github").splitlines()
    name = comparison.get("serving_version") or "no serving model"
    far = comparison["new"].get("false_alarm_rate")
    old_far = serving.get("false_alarm_rate") if serving else None
    lines += ["", f"Serving model: {name}. False-alarm rate: serving {old_far}, new {far}."]
    return "\n".join(lines) + "\n"
