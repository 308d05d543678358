"""Write training/data/README.md, the corpus datasheet, from the corpus and agreement.json."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from training.data import load_examples

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


LABELS = ["blame_attribution", "downplaying", "official_denial"]


def table(counter: Counter[str], title: str) -> list[str]:
    rows = [f"| {title} | sentences |", "|---|---:|"]
    rows += [f"| {k} | {v} |" for k, v in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))]
    return rows


def main(language: str = "en") -> int:
    russian = language == "ru"
    notes = HERE / "ru" if russian else HERE
    rows = load_examples([ROOT / "training" / "data" / language])
    agreement = json.loads((notes / "agreement.json").read_text())
    labels = Counter(label for r in rows for label in r.labels)
    combos = Counter(" + ".join(r.labels) if r.labels else "(none)" for r in rows)
    kinds = Counter(r.kind for r in rows if not r.labels)
    words = sorted(len(r.text.split()) for r in rows)
    adjudicated = sum(
        len((notes / "pass2" / f"{b}.adjudicated.jsonl").read_text().splitlines())
        for b in agreement["batches"]
    )
    lines = [
        f"# Datasheet: the {'Russian' if russian else 'English'} framing corpus",
        "",
        *(
            [
                "Written natively in Russian (not translated); the Russian model "
                "(`models/ru`, report `training/reports/ru.md`) is trained on it. Same guide, "
                "same process and same checks "
                "as the English corpus (`../README.md`); writer brief "
                "`training/annotation/ru/WRITER_BRIEF.md`.",
                "",
            ]
            if russian
            else ["The Russian corpus has its own datasheet: `ru/README.md`.", ""]
        ),
        f"{len(rows)} {'Russian' if russian else 'English'} sentences, each labelled with "
        "zero or more of "
        "`blame_attribution`, `downplaying` and `official_denial` by the labelling guide "
        "(`../shared/labelling-guide.md`). One JSON object per line: `id`, `text`, "
        "`labels`, `domain`, `register`, and `kind` (`move` when labelled; for unlabelled "
        "sentences `hard_negative`, `plain` or `furniture`: headlines, datelines, captions, "
        "bylines, boilerplate).",
        "",
        "## Counts",
        "",
        "| label | sentences |",
        "|---|---:|",
        *[f"| {label} | {labels[label]} |" for label in LABELS],
        f"| two or more labels | {sum(len(r.labels) >= 2 for r in rows)} |",
        f"| no label | {sum(not r.labels for r in rows)} |",
        "",
        "Unlabelled sentences by kind: "
        + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
        + ".",
        "",
        *table(combos, "label set"),
        "",
        f"Length: {words[0]} to {words[-1]} words, median {words[len(words) // 2]}.",
        "",
        *table(Counter(r.domain for r in rows), f"domain ({len({r.domain for r in rows})})"),
        "",
        *table(Counter(r.register for r in rows), f"register ({len({r.register for r in rows})})"),
        "",
        "## How it was written",
        "",
        "No public corpus carries these three labels, so the sentences were written for "
        "this project. Language-model writers, working apart, each wrote one batch of "
        "about 970 sentences covering five domains, in all registers, to a written brief "
        "(`training/annotation/WRITER_BRIEF.md`). The brief covers realism per register, "
        "many wordings for each move, a quarter of implicit cases, and moves several "
        "clauses from their attribution. It also asks for sentences that carry a move "
        "about one actor next to neutral facts about another, and hard negatives of every "
        "kind the guide lists. Writers labelled their own sentences (pass 1) and ran a "
        "checker (`training/annotation/check_batch.py`) for schema, length, "
        "near-duplicates, repeated skeletons and over-used cue phrases. Names, places and "
        "events are invented or used only as settings. No sentence was copied from "
        "published text, and writers never saw the real-news evaluation set.",
        "",
        "## How it was checked",
        "",
        "A second annotator per batch labelled every sentence blind: it saw only ids and "
        "texts, shuffled, with its own brief (`training/annotation/LABELLER_BRIEF.md`). "
        f"Agreement over {agreement['sentences']} sentences, before adjudication "
        "(`training/annotation/agreement.py`):",
        "",
        "| label | Cohen's kappa |",
        "|---|---:|",
        *[f"| {label} | {agreement['kappa'][label]:.3f} |" for label in LABELS],
        "",
        f"Both passes gave the same label set on {agreement['exact_match']:.1%} of sentences. "
        f"The {adjudicated} disagreements were settled against the guide, one by one, with a "
        "written reason each (`training/annotation/pass2/*.adjudicated.jsonl`, brief in "
        "`ADJUDICATOR_BRIEF.md`). The rules settled on the way are in that brief. The most "
        "frequent one: an official who explicitly rejects a claim about severity makes an "
        "official_denial as well as downplaying. Assembly "
        "(`training/annotation/assemble.py`) then dropped sentences that repeated another "
        "(character 3-gram TF-IDF cosine above 0.8, or the same skeleton with names and "
        "numbers masked), mostly boilerplate such as cookie notices that several writers "
        "wrote alike.",
        "",
        "The data tests (`tests/data/`) enforce the schema, the label names, lengths of 4 to "
        "70 words, no near-duplicates and no repeated skeletons, no label-specific word "
        "3-gram in more than 2% of a label's sentences, the count floors, and no leakage "
        "across the train/test split.",
        "",
        "## Known gaps",
        "",
        "- Both annotation passes were made by language models following the same guide. "
        "The very high kappa partly reflects a shared reading of the guide and shared "
        "habits. Human annotators would disagree more, on implicit blame in particular. "
        "Human spot checks are still to do.",
        "- The sentences are written, not sampled: they are cleaner and more explicit than "
        "much real copy, especially opinion writing with heavy sarcasm or long build-ups. "
        "The real-news evaluation (see the model report) measures what that costs.",
        "- Sentences stand alone. The model sees no article context, so blame that is only "
        "clear from a previous sentence is out of reach.",
        "- English only, and mostly international-news English. Downplaying is well "
        "covered here but rare in the real-news evaluation set (8 sentences), so its "
        "real-world figure is not measured.",
        "- Domains are topics with invented events. Real actors (countries, ministries) "
        "appear as settings, and no sentence reports a real event as fact.",
    ]
    target = ROOT / "training" / "data" / ("ru/README.md" if russian else "README.md")
    target.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main("ru" if sys.argv[1:] == ["--russian"] else "en"))
