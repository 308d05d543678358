"""Run the benchmarks and write docs/benchmarks.md.

python -m benchmarks.run               # full run (a few minutes), as `make bench`
python -m benchmarks.run --quick --out /tmp/b.md   # tiny sizes, to check the code works
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sklearn

from app.core.artifact import MODEL_FILE, model_folders
from app.core.model import load_models
from app.core.segment import split_sentences
from app.settings import get_settings
from benchmarks import archive, http, inprocess
from training.data import load_examples
from training.evaluation import label_matrix
from training.paths import DATA_ROOT

ROOT = Path(__file__).resolve().parent.parent
# Texts written for the benchmark (never trained on, not drawn from the corpus): a
# ~1,000-word article per language, and short documents for batches and archives.
TEXTS = Path(__file__).resolve().parent / "texts"


def unseen_sentences(language: str = "en") -> list[str]:
    """The sentences of the benchmark's short documents and its article."""
    out: list[str] = []
    for path in [
        *sorted((TEXTS / f"{language}-short").glob("*.txt")),
        TEXTS / f"{language}-article.txt",
    ]:
        text = path.read_text(encoding="utf-8")
        out += [text[a:b] for a, b in split_sentences(text)]
    return out


def short_documents(language: str = "en") -> list[str]:
    return [
        p.read_text(encoding="utf-8") for p in sorted((TEXTS / f"{language}-short").glob("*.txt"))
    ]


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        "",
    )
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem} memory, Linux {platform.release()}, "
        f"Python {platform.python_version()}, scikit-learn {sklearn.__version__}"
    )


def render(result: dict[str, Any]) -> str:
    ip = result["inprocess"]
    a = ip["article"]
    lines = [
        "# Benchmarks",
        "",
        f"Measured {result['date']} by `make bench` (`python -m benchmarks.run`) on "
        f"{result['machine']}. The machine is shared and noisy: figures are medians, and the "
        "ratios against the plain pipeline measured in the same run are what holds. The "
        "article's ratio is the median of per-round ratios, ours and plain timed in "
        "alternating rounds; objects alive before timing (the plain pipeline's 230,000-entry "
        "vocabulary above all) are frozen out of the garbage collector, as a worker holds "
        "none of them.",
        "",
        f"Model {result['model_version']}; the plain pipeline is TfidfVectorizer word 1-2 grams "
        "+ char_wb 2-5 grams with one-vs-rest logistic regression, trained on the same data. "
        "Every text timed was written for the benchmark (`benchmarks/texts/`): the model never "
        "saw it.",
        "",
        f"## One article end to end ({a['words']} words, {a['sentences']} sentences, one core)",
        "",
        "| path | sentences/s | ratio to plain |",
        "|---|---:|---:|",
        f"| segmentation alone (blingfire + rules) | {a['segment']:,.0f} | |",
        f"| ours: detect, segment, route, features, predict | {a['ours']:,.0f} | "
        f"{a.get('ours_to_plain', a['ours'] / a['plain']):.1f}x |",
        f"| ours, with evidence for every labelled sentence | {a['ours_explain']:,.0f} | "
        f"{a['ours_explain'] / a['plain']:.1f}x |",
        f"| plain pipeline, all sentences in one call (same segmenter) | {a['plain']:,.0f} "
        "| 1.0x |",
        f"| plain pipeline, one call per sentence | {a['plain_one_by_one']:,.0f} | "
        f"{a['plain_one_by_one'] / a['plain']:.2f}x |",
        "",
    ]
    ru = ip.get("article_ru")
    if ru:
        lines += [
            f"Russian article ({ru['words']} words, {ru['sentences']} sentences): "
            f"{ru['ours']:,.0f} sentences/s end to end.",
            "",
        ]
    lines += [
        "## By batch size (sentences/s, one core)",
        "",
        "| batch | features | plain features | predict | plain predict | pipeline | plain pipeline"
        " | pipeline ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in ip["batches"]:
        lines.append(
            f"| {r['batch']} | {r['features']:,.0f} | {r['features_plain']:,.0f} | "
            f"{r['predict']:,.0f} | {r['predict_plain']:,.0f} | {r['pipeline']:,.0f} | "
            f"{r['pipeline_plain']:,.0f} | {r['pipeline'] / r['pipeline_plain']:.1f}x |"
        )
    h = result["http"]
    lines += [
        "",
        f"## HTTP on loopback (one {a['words']}-word article per request, load from "
        f"{h['client']}, {h['seconds']:g} s per cell; echo is a bare FastAPI app that parses "
        "the same JSON body)",
        "",
        "| app | workers | concurrency | requests/s | sentences/s | p50 ms | p95 ms | p99 ms |"
        " not 200 | server CPU ms per answer |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in h["rows"]:
        lines.append(
            f"| {r['app']} | {r['workers']} | {r['concurrency']} | {r['requests_per_s']:,.1f} | "
            f"{r['sentences_per_s']:,.0f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
            f"{r['p99_ms']:.1f} | {r['errors']} | {r['cpu_ms_per_answer']:.2f} |"
        )
    ratios = []
    for r in h["rows"]:
        if r["app"] != "framing":
            continue
        echo = next(
            e
            for e in h["rows"]
            if e["app"] == "echo"
            and e["workers"] == r["workers"]
            and e["concurrency"] == r["concurrency"]
        )
        ratios.append(
            f"{r['workers']} worker(s), concurrency {r['concurrency']}: "
            f"{100 * r['requests_per_s'] / echo['requests_per_s']:.1f}%"
        )
    lines += [
        "",
        'Requests/s count answers of 200 only; "not 200" are refusals (503 with Retry-After'
        " once a worker has 16 requests waiting: load shedding) and failures, and the"
        " latency columns include them. Server CPU is the user and system time of the"
        " server's processes (all threads) during the cell, over the answers given: what one"
        " answer costs, whatever else shares the machine's cores.",
        "",
        "Framing requests/s as a share of the bare app's: " + "; ".join(ratios) + ".",
    ]
    m = result["memory"]
    lines += [
        "",
        "## Memory and start-up",
        "",
        f"- Models on disk: {m['model_mb']:.1f} MB (`models/*/{MODEL_FILE}`, all languages).",
        "- Training, as each model's manifest records it (the run that built it: `make"
        " model`, or `make evaluate` with leave-one-domain-out): "
        + ", ".join(f"{lang} {s} s" for lang, s in m["training_seconds"].items())
        + ".",
    ]
    for row in h["memory"]:
        lines.append(
            f"- {row['workers']} worker(s): ready {row['ready_seconds']:.2f} s after "
            f"start; resident memory per worker after the load: "
            f"{', '.join(f'{x} MB' for x in row['rss_mb'])}."
        )
    ar = result.get("archive")
    if ar:
        plain = ar["rows"][0]["documents_per_s"]
        one = next(
            (r for r in ar["rows"] if r["engine"].startswith("dask") and r["workers"] == 1), None
        )
        lines += [
            "",
            f"## Archives on Dask ({ar['documents']:,} documents of 2-5 sentences, partitions of "
            f"{ar['partition_size']:,})",
            "",
            "| engine | workers | seconds | documents/s | vs plain loop | vs 1 Dask worker |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for r in ar["rows"]:
            vs_one = (
                f"{r['documents_per_s'] / one['documents_per_s']:.2f}x"
                if (one and r["engine"].startswith("dask"))
                else ""
            )
            lines.append(
                f"| {r['engine']} | {r['workers']} | {r['seconds']:.1f} | "
                f"{r['documents_per_s']:,.0f} | {r['documents_per_s'] / plain:.2f}x | "
                f"{vs_one} |"
            )
        lines += ["", "Dask times include starting the local cluster and shipping the model."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the code only")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--data", type=Path, default=DATA_ROOT / "en")
    parser.add_argument("--seconds", type=float, default=5.0, help="per HTTP cell")
    parser.add_argument("--client", choices=["wrk", "httpx"], default=None)
    parser.add_argument(
        "--archive-documents",
        type=int,
        default=None,
        help="documents for the Dask archive run (default 100,000; 0 skips)",
    )
    args = parser.parse_args(argv)
    if args.archive_documents is None:
        args.archive_documents = 400 if args.quick else 100_000
    model_dir = args.model_dir or get_settings().model_dir
    models = load_models(model_dir)
    model = models.default  # English: the benchmark article and the plain pipeline are English
    examples = load_examples([args.data])
    texts = [ex.text for ex in examples]
    print(f"training the plain pipeline on {len(texts)} sentences ...", file=sys.stderr)
    baseline = inprocess.plain_pipeline(
        texts, label_matrix([ex.labels for ex in examples], model.labels)
    )
    # The plain pipeline's vocabulary (a dict of some 230,000 n-grams) is walked by every
    # full garbage collection, which slowed whatever else ran in this process by about a
    # third (18-19k against 13-14k sentences/s for our article, same minute). A worker
    # holds no such object: freezing what exists now times both paths as they run alone.
    gc.freeze()
    article = (TEXTS / "en-article.txt").read_text(encoding="utf-8")
    if args.quick:
        article = article[:800]
    n_sentences = len(split_sentences(article))
    print("in-process ...", file=sys.stderr)
    ip = inprocess.run(
        models,
        baseline,
        unseen_sentences(),
        article,
        batches=(1, 5) if args.quick else (1, 50, 1000),
        repeats=1 if args.quick else 7,
        min_seconds=0.01 if args.quick else 0.3,
    )
    if "ru" in models.languages and not args.quick:
        ru_article = (TEXTS / "ru-article.txt").read_text(encoding="utf-8")
        ip["article_ru"] = inprocess.article_rate(models, ru_article, repeats=7, min_seconds=0.3)
    print("HTTP ...", file=sys.stderr)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"text": article}, f)
    try:
        h = http.run(
            model_dir,
            Path(f.name),
            n_sentences,
            concurrencies=(1, 2) if args.quick else (1, 16, 64),
            workers=(1,) if args.quick else (1, 2),
            seconds=0.5 if args.quick else args.seconds,
            client="httpx" if args.quick else args.client,
        )
    finally:
        os.unlink(f.name)
    archive_result = None
    if args.archive_documents:
        print(f"archive ({args.archive_documents} documents) ...", file=sys.stderr)
        archive_result = archive.bench(
            short_documents(),
            model_dir,
            documents=args.archive_documents,
            partition_size=max(50, args.archive_documents // 40),
        )
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "archive": archive_result,
        "machine": machine(),
        "model_version": models.version,
        "inprocess": ip,
        "http": h,
        "memory": {
            "model_mb": sum((f / MODEL_FILE).stat().st_size for f in model_folders(model_dir))
            / 1e6,
            "training_seconds": {
                lang: models[lang].manifest.training_data.get("training_seconds", "?")
                for lang in models.languages
            },
        },
    }
    report = render(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
