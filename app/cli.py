"""The `framing` command line: classify files, run batches, serve, train."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

BATCH_CHUNK = 64


def _load_models(model_dir: Path | None, language: str | None = None) -> Any:
    from app.model import ModelLoadError, load_models
    from app.settings import get_settings

    try:
        models = load_models(model_dir or get_settings().model_dir)
    except ModelLoadError as exc:
        raise SystemExit(f"framing: {exc}") from None
    if language is not None and language not in models.languages:
        raise SystemExit(
            f"framing: no model reads {language!r}; the languages served are "
            f"{', '.join(models.languages)}"
        )
    return models


def _read_input(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(f"framing: cannot read {name}: {exc}") from None


def _table(sentences: list[Any], labels: list[str], out: IO[str]) -> None:
    short = {label: label.split("_")[0][:8] for label in labels}
    header = f"{'#':>3}  {'start':>6}  " + "  ".join(f"{short[x]:>8}" for x in labels)
    out.write(header + "  labels / sentence\n")
    for s in sentences:
        scores = "  ".join(f"{s.scores[x]:8.2f}" for x in labels)
        tags = ",".join(s.labels) or "-"
        if len({x.language for x in sentences}) > 1:
            tags = f"{s.language}: {tags}"
        text = s.text if len(s.text) <= 100 else s.text[:97] + "..."
        out.write(f"{s.index:>3}  {s.start:>6}  {scores}  [{tags}] {text}\n")


def _classify(args: argparse.Namespace) -> int:
    from app.classify import classify_texts
    from app.language import UnsupportedLanguage

    models = _load_models(args.model_dir, args.language)
    failed = 0
    for name in args.files:
        text = _read_input(name)
        if not text.strip():
            print(f"framing: {name} holds no text", file=sys.stderr)
            continue
        try:
            [(sentences, summary, language)] = classify_texts(
                models, [text], explain=args.explain, languages=[args.language]
            )
        except UnsupportedLanguage as exc:
            print(f"framing: {name}: {exc}", file=sys.stderr)
            failed += 1
            continue
        if args.json:
            for s in sentences:
                row = {"file": name, **s.model_dump(exclude_none=True)}
                sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            if len(args.files) > 1:
                print(f"== {name}")
            how = str(language.source)
            if language.confidence is not None:
                how = f"{how}, {language.confidence:.2f}"
            print(f"language: {language.code} ({how})")
            _table(sentences, models.labels, sys.stdout)
            counts = ", ".join(f"{k} {v}" for k, v in summary.counts.items())
            print(f"{summary.sentences} sentences, {summary.labelled} labelled ({counts})")
    return 1 if failed else 0


def _models(args: argparse.Namespace) -> int:
    """The languages served, each model's version and its test-split figures."""
    models = _load_models(args.model_dir)
    for language, model in models.models.items():
        test = model.manifest.metrics.get("test", {})
        macro = test.get("macro", {}).get("f1")
        figures = f"test macro-F1 {macro:.3f}" if isinstance(macro, float) else "no test figures"
        print(f"{language}  {model.version}  {figures}")
    return 0


def _documents(path: Path, rejects: IO[str]) -> Iterator[tuple[int, str, str]]:
    """(line, id, text) of each good line of a JSONL file; bad lines go to `rejects`."""
    with path.open(encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            reason = None
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                reason = f"not valid JSON: {exc.msg}"
            else:
                if not isinstance(row, dict):
                    reason = "not a JSON object"
                elif not isinstance(row.get("text"), str) or not row["text"].strip():
                    reason = "'text' must be a non-empty string"
                elif not isinstance(row.get("id", n), str | int):
                    reason = "'id' must be a string or a number"
            if reason:
                print(f"framing: {path}:{n}: {reason}", file=sys.stderr)
                rejects.write(
                    json.dumps({"line": n, "reason": reason, "raw": line.rstrip("\n")}) + "\n"
                )
                continue
            yield n, str(row.get("id", n)), row["text"]


def _batch(args: argparse.Namespace) -> int:
    engine = args.engine or ("local" if args.out.suffix == ".jsonl" else "dask")
    if engine == "dask":
        return _batch_dask(args)
    if len(args.inputs) != 1 or args.inputs[0].suffix != ".jsonl":
        raise SystemExit(
            "framing: the local engine reads one .jsonl file; use --engine dask "
            "(with a folder as --out) for globs, CSV or Parquet"
        )
    args.input = args.inputs[0]
    if not args.input.is_file():
        raise SystemExit(f"framing: no such file: {args.input}")
    return _batch_local(args)


def _batch_dask(args: argparse.Namespace) -> int:
    from app.archive import run
    from app.model import ModelLoadError
    from app.settings import get_settings

    try:
        summary = run(
            [str(p) for p in args.inputs],
            args.out,
            args.model_dir or get_settings().model_dir,
            scheduler=args.scheduler,
            workers=args.workers,
            partition_size=args.partition_size,
            progress=not args.quiet,
            language=args.language,
        )
    except (FileNotFoundError, ValueError, ModelLoadError) as exc:
        raise SystemExit(f"framing: {exc}") from None
    print(json.dumps(summary, indent=2))
    rejects = args.out / "rejects.jsonl"
    for line in rejects.read_text(encoding="utf-8").splitlines()[:20]:
        r = json.loads(line)
        print(f"framing: {r['file']}:{r.get('line', '?')}: {r['reason']}", file=sys.stderr)
    return 1 if summary["rejects"] and args.strict else 0


def _batch_local(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from app.classify import classify_texts, detect_each
    from app.language import Detection

    models = _load_models(args.model_dir, args.language)
    out_path: Path = args.out
    rejects_path: Path = args.rejects or out_path.with_suffix(out_path.suffix + ".rejects")
    total_bytes = args.input.stat().st_size
    done = rejected = 0
    with (
        out_path.open("w", encoding="utf-8") as out,
        rejects_path.open("w", encoding="utf-8") as rejects,
        tqdm(
            total=total_bytes, unit="B", unit_scale=True, desc="classifying", disable=args.quiet
        ) as bar,
    ):
        chunk: list[tuple[int, str, str]] = []

        def flush() -> None:
            nonlocal done
            found = detect_each(models, [t for _, _, t in chunk], args.language)
            ok = [(doc, d) for doc, d in zip(chunk, found, strict=True) if isinstance(d, Detection)]
            for (n, doc_id, text), refusal in zip(chunk, found, strict=True):
                if not isinstance(refusal, Detection):
                    print(f"framing: {args.input}:{n}: {refusal}", file=sys.stderr)
                    reject = {"line": n, "id": doc_id, "reason": str(refusal)}
                    rejects.write(json.dumps(reject, ensure_ascii=False) + "\n")
                    bar.update(len(text.encode("utf-8")))
            results = classify_texts(
                models,
                [t for (_, _, t), _ in ok],
                explain=args.explain,
                languages=[d for _, d in ok],
            )
            for ((_, doc_id, text), _), (sentences, summary, language) in zip(
                ok, results, strict=True
            ):
                row = {
                    "id": doc_id,
                    "language": language.model_dump(exclude_none=True),
                    "sentences": [s.model_dump(exclude_none=True) for s in sentences],
                    "summary": summary.model_dump(),
                }
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                bar.update(len(text.encode("utf-8")))
            done += len(ok)
            chunk.clear()

        for doc in _documents(args.input, rejects):
            chunk.append(doc)
            if len(chunk) >= BATCH_CHUNK:
                flush()
        if chunk:
            flush()
        rejects.flush()
        rejected = sum(1 for _ in rejects_path.open(encoding="utf-8"))
        bar.update(max(0, total_bytes - bar.n))
    print(
        f"{done} documents written to {out_path}; {rejected} rejected ({rejects_path})",
        file=sys.stderr,
    )
    return 1 if rejected and args.strict else 0


def _serve(args: argparse.Namespace) -> int:
    from app.server import serve
    from app.settings import get_settings

    settings = get_settings()
    serve(
        "app.main:create_app",
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers or settings.workers,
        log_level=settings.log_level,
    )
    return 0


def _train(args: argparse.Namespace) -> int:
    from training.train import main as train_main

    return train_main(args.train_args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="framing", description="Framing analysis of news text.")
    parser.add_argument(
        "--model-dir", type=Path, help="model folder (default FRAMING_MODEL_DIR or models/)"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    classify = commands.add_parser("classify", help="label the sentences of text files")
    classify.add_argument("files", nargs="+", metavar="FILE", help="UTF-8 text files, - for stdin")
    classify.add_argument("--json", action="store_true", help="one JSON object per sentence")
    classify.add_argument("--explain", action="store_true", help="add evidence (with --json)")
    classify.add_argument(
        "--language", metavar="CODE", help="the text's language (en, ru); detected by default"
    )
    classify.set_defaults(func=_classify)

    models = commands.add_parser("models", help="the languages served and each model's version")
    models.set_defaults(func=_models)

    batch = commands.add_parser(
        "batch",
        help="classify documents ({id, text}): one JSONL file to JSONL here, or files, globs, "
        "CSV and Parquet to a folder of Parquet parts on Dask",
    )
    batch.add_argument(
        "inputs",
        type=Path,
        nargs="+",
        metavar="INPUT",
        help="IN.jsonl, or (Dask) files or quoted globs of .jsonl/.csv/.parquet",
    )
    batch.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="OUT",
        help="OUT.jsonl (local engine) or a folder for Parquet parts (Dask)",
    )
    batch.add_argument(
        "--engine",
        choices=["local", "dask"],
        help="default: local for a .jsonl --out, dask otherwise",
    )
    batch.add_argument(
        "--scheduler",
        help="Dask scheduler address, e.g. tcp://HOST:8786 "
        "(default: a local cluster with one worker process per core)",
    )
    batch.add_argument("--workers", type=int, help="local cluster worker processes")
    batch.add_argument(
        "--partition-size",
        type=int,
        default=2_000,
        help="documents per Dask partition (default 2000)",
    )
    batch.add_argument(
        "--rejects", type=Path, help="local engine: where bad lines go (default OUT.rejects)"
    )
    batch.add_argument("--explain", action="store_true", help="add evidence to each sentence")
    batch.add_argument(
        "--language",
        metavar="CODE",
        help="read every document in this language (en, ru); detected per document by default",
    )
    batch.add_argument("--strict", action="store_true", help="exit 1 when any line was rejected")
    batch.add_argument("--quiet", action="store_true", help="no progress bar")
    batch.set_defaults(func=_batch)

    serve = commands.add_parser("serve", help="run the HTTP service (settings: FRAMING_*)")
    serve.add_argument("--host", help="address to bind (default FRAMING_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default FRAMING_PORT or 8000)")
    serve.add_argument("--workers", type=int, help="worker processes (default FRAMING_WORKERS)")
    serve.set_defaults(func=_serve)

    train = commands.add_parser(
        "train", help="train a model (same flags as training/train.py)", add_help=False
    )
    train.add_argument("train_args", nargs=argparse.REMAINDER)
    train.set_defaults(func=_train)

    args = parser.parse_args(argv)
    if args.command == "classify" and args.explain and not args.json:
        parser.error("--explain needs --json")
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
