"""Write the corpus datasheets (training/data/README.md, training/data/ru/README.md).

Run as `python -m training.annotation.datasheet [--russian]`; every figure comes from the
corpus, the agreement files and the shortcut checks the data tests run.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score, roc_auc_score

from training.data import Example, load_examples
from training.evaluation import label_matrix
from training.quality import cue_labels, word_counts
from training.splits import holdout_split, paraphrase_groups

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
LABELS = ["blame_attribution", "downplaying", "official_denial"]


def table(counter: Counter[str], title: str, unit: str = "sentences") -> list[str]:
    rows = [f"| {title} | {unit} |", "|---|---:|"]
    rows += [f"| {k} | {v} |" for k, v in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))]
    return rows


def label_rows(rows: list[Example]) -> list[str]:
    n = len(rows)
    out = []
    for label in LABELS:
        count = sum(label in r.labels for r in rows)
        out.append(f"| {label} | {count} | {count / n:.1%} |")
    multi = sum(len(r.labels) >= 2 for r in rows)
    none = sum(not r.labels for r in rows)
    out.append(f"| two or more labels | {multi} | {multi / n:.1%} |")
    out.append(f"| no label | {none} | {none / n:.1%} |")
    return out


def shortcuts(rows: list[Example], language: str) -> dict[str, float]:
    """The figures the shortcut data tests bound (tests/data/test_corpus.py)."""
    texts = [r.text for r in rows]
    y = label_matrix([r.labels for r in rows], LABELS)
    out = {"auc": float(roc_auc_score(y.any(axis=1), word_counts(texts)))}
    free = [r.text for r in rows if not r.labels]
    for label in LABELS:
        out[label] = sum(label in cue_labels(t, language) for t in free) / len(free)
    _, test = holdout_split(y, paraphrase_groups(texts, [r.doc for r in rows]), seed=13)
    rule = np.array(
        [[label in cue_labels(rows[i].text, language) for label in LABELS] for i in test]
    )
    out["rule"] = float(f1_score(y[test], rule, average="macro", zero_division=0))
    return out


def agreement_rows(agreement: dict) -> list[str]:
    return [
        "| label | Cohen's kappa |",
        "|---|---:|",
        *[f"| {label} | {agreement['kappa'][label]:.3f} |" for label in LABELS],
    ]


def main(language: str = "en") -> int:
    russian = language == "ru"
    name = "Russian" if russian else "English"
    notes = HERE / "ru" if russian else HERE
    rows = load_examples([ROOT / "training" / "data" / language])
    docs = [r for r in rows if r.doc]
    twins = [r for r in rows if r.id.startswith("tw-")]
    alone = [r for r in rows if not r.doc and not r.id.startswith("tw-")]
    doc_ids = {r.doc for r in docs}
    writers = len({d.split("-")[1] for d in doc_ids})
    first: dict[str, Example] = {}
    for r in docs:
        first.setdefault(r.doc, r)
    per_doc = Counter(r.doc for r in docs)
    doc_agreement = json.loads((HERE / "docs" / language / "agreement.json").read_text())
    adjudicated = sum(
        len(p.read_text().splitlines())
        for p in (HERE / "docs" / language).glob("*/adjudicated.jsonl")
    )
    old_agreement = json.loads((notes / "agreement.json").read_text())
    old_adjudicated = sum(
        len((notes / "pass2" / f"{b}.adjudicated.jsonl").read_text().splitlines())
        for b in old_agreement["batches"]
    )
    twin_notes = (HERE / "twins" / f"{language}.mix.pass2.jsonl").read_text().splitlines()
    twin_keys = [json.loads(line) for line in (HERE / "twins" / f"{language}.mix.key.jsonl").open()]
    blind = {json.loads(line)["id"]: json.loads(line)["labels"] for line in twin_notes}
    twin_free = sum(not blind[k["id"]] for k in twin_keys if k["key"].startswith("tw-"))
    free_words = word_counts([r.text for r in docs if not r.labels])
    move_words = word_counts([r.text for r in docs if r.labels])
    cut = shortcuts(rows, language)
    lines = [
        f"# Datasheet: the {name} framing corpus",
        "",
        (
            "Written natively in Russian (not translated), by the same process and checks "
            "as the English corpus (`../README.md`), with a Russian addendum to the "
            "writers' brief (`training/annotation/DOC_WRITER_RU_ADDENDUM.md`). "
            if russian
            else "The Russian corpus has its own datasheet: `ru/README.md`. "
        )
        + f"Every sentence was written for this project. {len(rows)} sentences in three "
        "parts, each labelled with zero or more of `blame_attribution`, `downplaying` and "
        "`official_denial` by the labelling guide (`../shared/labelling-guide.md`):",
        "",
        "| part | files | sentences | what it is |",
        "|---|---|---:|---|",
        f"| whole documents | `docs/*.jsonl` | {len(docs)} | {len(doc_ids)} texts as "
        "published, headline to footer, labelled in context |",
        f"| twins | `twins.jsonl` | {len(twins)} | label-free sentences that keep a cue "
        "word and drop the move |",
        f"| example sentences | `{'ru*' if russian else 'en-b*'}.jsonl` | {len(alone)} | "
        "the first corpus: sentences written one at a time to show a label |",
        "",
        "One JSON object per line: `id`, `text`, `labels`, `domain`, `register`, `kind` "
        "(`move` when labelled; for label-free sentences `hard_negative`, `plain` or "
        "`furniture`: headlines, datelines, captions, bylines, boilerplate) and, for "
        "document sentences, `doc`: a document's sentences in file order are its text "
        "from top to bottom, cut by the service's own segmenter.",
        "",
        "## Whole documents",
        "",
        f"{len(doc_ids)} documents by {writers} writers working apart, {len(docs)} "
        f"sentences; {statistics.median(per_doc.values()):.0f} sentences per document "
        f"(median; {min(per_doc.values())} to {max(per_doc.values())}). Most sentences "
        "make no move, as in real copy:",
        "",
        "| label | sentences | share |",
        "|---|---:|---:|",
        *label_rows(docs),
        "",
        "Label-free sentences are as long as labelled ones (median "
        f"{np.median(free_words):.0f} words against {np.median(move_words):.0f}); "
        f"{(word_counts([r.text for r in docs]) > 30).mean():.0%} of sentences run over "
        "30 words. Label-free sentences by kind: "
        + ", ".join(
            f"{k} {v}" for k, v in sorted(Counter(r.kind for r in docs if not r.labels).items())
        )
        + ".",
        "",
        *table(
            Counter(first[d].register for d in doc_ids),
            f"register ({len({first[d].register for d in doc_ids})})",
            "documents",
        ),
        "",
        *table(
            Counter(first[d].domain for d in doc_ids),
            f"domain ({len({first[d].domain for d in doc_ids})})",
            "documents",
        ),
        "",
        "Domains are grouped from each document's free-text topic "
        "(`training/annotation/documents.py`, `DOMAINS`); leave-one-domain-out holds them "
        "out one at a time.",
        "",
        "### How they were written and labelled",
        "",
        "No public corpus carries these labels, and the first corpus (example sentences) "
        "taught a model shortcuts: labelled sentences were long and label-free ones short, "
        "cue words nearly always meant the label, and some topics never appeared. So each "
        "writer, a language model working alone to a brief "
        "(`training/annotation/DOC_WRITER_BRIEF.md`) and an assignment of registers and "
        "topics (`training/annotation/docs/assignments/`), wrote whole texts as their "
        "authors would publish them, thinking about story, outlet and reader, and labelled "
        "them afterwards (pass 1). The brief sets base rates (each label on about 5-20% of "
        "a batch's sentences), long label-free prose, cue words in ordinary use (\"the "
        'court denied bail", "the only hospital") and moves without them (insinuation, '
        "euphemism, a rhetorical question). Names of people, outlets, companies and small "
        "places are invented; nothing was copied or paraphrased from published text, and "
        "writers never saw the evaluation sets.",
        "",
        "A second annotator labelled every document blind, reading it in order "
        "(`training/annotation/DOC_LABELLER_BRIEF.md`). Agreement over "
        f"{doc_agreement['sentences']} sentences, before adjudication:",
        "",
        *agreement_rows(doc_agreement),
        "",
        f"Both passes gave the same label set on {doc_agreement['exact_match']:.1%} of "
        f"sentences. The {adjudicated} sentences where they differed were settled against "
        "the guide one by one, each with a written reason "
        "(`training/annotation/docs/<language>/<batch>/adjudicated.jsonl`); the rules "
        "settled on the way are in `training/annotation/ADJUDICATOR_ADDENDUM.md`.",
        "",
        "## Twins",
        "",
        f"For {len(twins)} moves drawn at random among those with an obvious cue word, a "
        "writer wrote a label-free sentence of about the same length that keeps the cue "
        "word and drops the move (`training/annotation/TWIN_BRIEF.md`). Twins and their "
        "sources were shuffled together and labelled blind: the blind pass gave "
        f"{twin_free} of {len(twins)} twins no label (`training/annotation/twins/`).",
        "",
        "## Example sentences",
        "",
        f"{len(alone)} sentences from the first corpus, each written alone to show a label "
        "or a hard negative, across "
        f"{len({r.domain for r in alone})} domains and {len({r.register for r in alone})} "
        "registers (writer brief `training/annotation/WRITER_BRIEF.md`):",
        "",
        "| label | sentences | share |",
        "|---|---:|---:|",
        *label_rows(alone),
        "",
        "A second annotator labelled them blind, shuffled and out of context. Agreement "
        f"over {old_agreement['sentences']} sentences, before adjudication:",
        "",
        *agreement_rows(old_agreement),
        "",
        f"The {old_adjudicated} disagreements were settled against the guide "
        f"(`training/annotation/{'ru/' if russian else ''}pass2/`). These sentences are "
        "denser in moves than real text, which is why the model's thresholds are chosen "
        "on document sentences only and the test split is reported in two parts.",
        "",
        "## Shortcut checks",
        "",
        "The data tests (`tests/data/`) enforce the schema, the label names, lengths, no "
        "near-duplicates or repeated skeletons, the floors, whole documents cut exactly as "
        "the service cuts them, no leakage across the train/test split or into the "
        "evaluation sets, and bounds on the shortcuts that gave the first corpus away. "
        "On the whole corpus today:",
        "",
        "| check | bound | now |",
        "|---|---|---:|",
        f"| word count predicting 'any label' (ROC-AUC) | at most 0.62 | {cut['auc']:.3f} |",
        *[
            f"| label-free sentences holding a cue word of {label} | at least 10% | "
            f"{cut[label]:.1%} |"
            for label in LABELS
        ],
        f"| cue-word rule on the test split (macro-F1) | at most 0.45 | {cut['rule']:.3f} |",
        "",
        "## Known gaps",
        "",
        "- All writers and annotators are language models following the same guide. "
        "Agreement on the documents (kappa 0.83-0.92) is lower than on the example "
        "sentences, as it should be for text read in context, but human annotators would "
        "disagree more, on implicit blame in particular. Human spot checks are still to do.",
        "- The documents are written, not sampled. They imitate real registers and base "
        "rates, but the evaluation on real news and on texts written apart (see the "
        "README) is the measure of what that is worth.",
        "- The model reads sentences alone. Documents were labelled in context, so a "
        "sentence whose move is only clear from the one before it is labelled, and the "
        "model can miss it.",
        (
            "- There is no independently labelled Russian real news yet: the Russian "
            "model's nearest outside measure is the texts written apart "
            "(`training/eval/ru`)."
            if russian
            else "- Downplaying is rare in real news (8 of the 373 real-news sentences), so "
            "its real-world figure is not measured well."
        ),
        "- Events and small actors are invented; real countries and kinds of institution "
        "appear as settings, and no sentence reports a real event as fact.",
    ]
    target = ROOT / "training" / "data" / ("ru/README.md" if russian else "README.md")
    target.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main("ru" if sys.argv[1:] == ["--russian"] else "en"))
