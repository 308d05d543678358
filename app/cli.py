"""The `framing` command line: classify files, run batches, serve, train."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from app.core.artifact import ModelLoadError
from app.core.language import UnsupportedLanguage, language_name
from app.core.model import ModelSet
from app.settings import Settings, get_settings


class CommandError(Exception):
    """A mistake the user can fix: one line per message, exit status 2."""

    def __init__(self, *messages: str) -> None:
        self.messages = list(messages)
        super().__init__("; ".join(messages))


def _positive(text: str) -> int:
    """An argparse type: a whole number above 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not above 0")
    return value


def _port(text: str) -> int:
    value = _positive(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (1 to 65535)")
    return value


def _settings() -> Settings:
    """The FRAMING_* settings; CommandError naming each variable that is wrong."""
    try:
        return get_settings()
    except ValidationError as exc:
        raise CommandError(
            *(
                f"FRAMING_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
                for e in exc.errors()
            )
        ) from None


def _load_models(model_dir: Path | None, language: str | None = None) -> ModelSet:
    from app.core.model import load_models

    try:
        settings = _settings()
        models = load_models(model_dir or settings.model_dir, cache_dir=settings.cache_dir)
    except ModelLoadError as exc:
        raise CommandError(str(exc)) from None
    if language is not None and language not in models.languages:
        raise CommandError(
            f"no model reads {language_name(language)}; --language takes "
            f"{', '.join(models.languages)}"
        )
    return models


def _read_text(name: str) -> str:
    """The text of a file (or stdin for -); CommandError when it is missing or empty."""
    if name == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(name).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CommandError(f"{name}: no such file") from None
        except IsADirectoryError:
            raise CommandError(f"{name}: is a folder, not a text file") from None
        except UnicodeDecodeError as exc:
            raise CommandError(
                f"{name}: not UTF-8 text (byte {exc.start}); convert it, e.g. "
                f"iconv -f windows-1251 -t utf-8 {name}"
            ) from None
        except OSError as exc:
            raise CommandError(f"{name}: {exc.strerror}") from None
    if not text.strip():
        raise CommandError(f"{name}: holds no text")
    return text


def _table(result: Any, labels: list[str], out: IO[str]) -> None:
    short = {label: label.split("_")[0][:8] for label in labels}
    header = f"{'#':>3}  {'start':>6}  " + "  ".join(f"{short[x]:>8}" for x in labels)
    out.write(header + "  labels / sentence\n")
    mixed = len(result.summary.languages) > 1
    for s in result.sentences:
        scores = "  ".join(f"{s.scores[x]:8.2f}" for x in labels)
        tags = ",".join(s.labels) or "-"
        if mixed:
            tags = f"{s.language}: {tags}"
        text = s.text if len(s.text) <= 100 else s.text[:97] + "..."
        out.write(f"{s.index:>3}  {s.start:>6}  {scores}  [{tags}] {text}\n")


def _classify(args: argparse.Namespace) -> int:
    from app.core.classifier import classify

    models = _load_models(args.model_dir, args.language)
    failed = 0
    for name in args.files:
        try:
            text = _read_text(name)
            [result] = classify(models, [text], explain=args.explain, languages=[args.language])
        except (CommandError, UnsupportedLanguage) as exc:
            message = str(exc)
            if isinstance(exc, UnsupportedLanguage):
                message = f"{name}: {message} (say so with --language)"
            print(f"framing: {message}", file=sys.stderr)
            failed += 1
            continue
        if args.json:
            for s in result.sentences:
                row = {"file": name, **{k: v for k, v in asdict(s).items() if v is not None}}
                sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
            continue
        if len(args.files) > 1:
            print(f"== {name}")
        found = result.language
        how = str(found.source)
        if found.confidence is not None:
            how = f"{how}, {found.confidence:.2f}"
        print(f"language: {found.language} ({how})")
        _table(result, models.labels, sys.stdout)
        counts = ", ".join(f"{k} {v}" for k, v in result.summary.counts.items())
        print(
            f"{result.summary.sentences} sentences, {result.summary.labelled} labelled ({counts})"
        )
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


def _batch(args: argparse.Namespace) -> int:
    from app.batch.records import InputError, input_files

    out: Path = args.out
    engine = args.engine or ("local" if out.suffix == ".jsonl" else "dask")
    try:
        files = input_files([str(p) for p in args.inputs])
    except InputError as exc:
        raise CommandError(*exc.problems) from None
    if engine == "local":
        if len(files) != 1:
            raise CommandError(
                "the local engine reads one file; use a folder as --out (the Dask engine) "
                "for several files or globs"
            )
        args.inputs = files
        if out.is_dir():
            raise CommandError(f"--out {out} is a folder; the local engine writes a .jsonl file")
        if not out.parent.is_dir():
            raise CommandError(f"--out {out}: the folder {out.parent} does not exist")
        rejects = args.rejects or out.with_name(out.name + ".rejects")
        if rejects.is_dir():
            raise CommandError(f"--rejects {rejects} is a folder; name a file")
        if not rejects.parent.is_dir():
            raise CommandError(f"--rejects {rejects}: the folder {rejects.parent} does not exist")
        args.rejects = rejects
        return _batch_local(args)
    if args.rejects is not None:
        raise CommandError(
            "--rejects is for the local engine; the Dask engine writes OUT/rejects.jsonl"
        )
    if out.exists() and not out.is_dir():
        raise CommandError(f"--out {out} is a file; the Dask engine writes into a folder")
    if not out.parent.is_dir():
        raise CommandError(f"--out {out}: the folder {out.parent} does not exist")
    return _batch_dask(args)


def _print_reject(reject: Any) -> None:
    print(f"framing: {reject}", file=sys.stderr)


def _batch_local(args: argparse.Namespace) -> int:
    from app.batch.local import run_local

    models = _load_models(args.model_dir, args.language)
    source: Path = args.inputs[0]
    rejects: Path = args.rejects
    try:
        summary = run_local(
            source,
            args.out,
            rejects,
            models,
            explain=args.explain,
            language=args.language,
            progress=not args.quiet,
            on_reject=_print_reject,
        )
    except OSError as exc:
        raise CommandError(f"{exc.filename or args.out}: {exc.strerror or exc}") from None
    print(
        f"{summary['documents']} documents ({summary['sentences']} sentences) written to "
        f"{args.out}; {summary['rejects']} rejected ({rejects})",
        file=sys.stderr,
    )
    return 1 if summary["rejects"] and args.strict else 0


def _batch_dask(args: argparse.Namespace) -> int:
    from app.batch.archive import REJECTS_FILE, run
    from app.batch.records import InputError

    try:
        summary = run(
            [str(p) for p in args.inputs],
            args.out,
            args.model_dir or _settings().model_dir,
            scheduler=args.scheduler,
            workers=args.workers,
            partition_size=args.partition_size,
            progress=not args.quiet,
            language=args.language,
            explain=args.explain,
        )
    except InputError as exc:
        raise CommandError(*exc.problems) from None
    except (ValueError, ModelLoadError) as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        where = f"the Dask scheduler {args.scheduler}" if args.scheduler else args.out
        raise CommandError(f"{where}: {exc}") from None
    print(json.dumps(summary, indent=2))
    rejects = args.out / REJECTS_FILE
    for line in rejects.read_text(encoding="utf-8").splitlines()[:20]:
        r = json.loads(line)
        print(f"framing: {r['file']}:{r['line']}: {r['reason']}", file=sys.stderr)
    return 1 if summary["rejects"] and args.strict else 0


def _report(args: argparse.Namespace) -> int:
    from app.batch.report import ReportError, build

    target: Path = args.html or args.out / "report.html"
    if target.is_dir():
        raise CommandError(f"--html {target} is a folder; name a .html file")
    if not target.parent.is_dir():
        raise CommandError(f"--html {target}: the folder {target.parent} does not exist")
    try:
        page = build(args.out, top=args.top, most=args.sources, title=args.title)
        target.write_text(page, encoding="utf-8")
    except ReportError as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"{exc.filename or target}: {exc.strerror or exc}") from None
    print(f"wrote {target}", file=sys.stderr)
    return 0


def _feedback_location(database: str | None) -> str:
    from app.feedback.store import store_location

    if database:
        return database
    settings = _settings()
    url = settings.feedback_database_url
    return store_location(settings.data_dir, url.get_secret_value() if url else None)


def _open_store(database: str | None) -> Any:
    from app.feedback.store import StorageError, open_store

    where = _feedback_location(database)
    if (
        not where.startswith(("postgresql://", "postgres://"))
        and not Path(where.removeprefix("sqlite:///")).is_file()
    ):
        raise CommandError(f"{where}: no corrections database there (--database names one)")
    try:
        return open_store(where, migrate=False, pool_size=1)
    except StorageError as exc:
        raise CommandError(str(exc)) from None


def _queue(args: argparse.Namespace) -> int:
    from app.core.artifact import model_folders, read_manifest
    from app.feedback.queue import Candidate, Picker
    from app.feedback.records import sentence_key
    from app.feedback.store import StorageError

    out: Path = args.out
    parts = sorted((out / "sentences").glob("*.parquet")) if out.is_dir() else []
    if not out.is_dir():
        raise CommandError(f"{out}: no such folder (give the --out folder of framing batch)")
    if not parts:
        raise CommandError(f"{out}: no sentences/*.parquet: not the output of an archive run")
    target: Path = args.queue or out / "queue.jsonl"
    if target.is_dir() or not target.parent.is_dir():
        raise CommandError(f"--queue {target}: name a file in an existing folder")
    try:
        manifests = {
            m.language: m
            for m in (
                read_manifest(f) for f in model_folders(args.model_dir or _settings().model_dir)
            )
        }
    except ModelLoadError as exc:
        raise CommandError(str(exc)) from None
    thresholds = {lang: m.thresholds for lang, m in manifests.items()}
    versions = {lang: m.version for lang, m in manifests.items()}
    summary = out / "_summary.json"
    if summary.is_file():
        ran = json.loads(summary.read_text(encoding="utf-8")).get("models", {})
        if ran and ran != versions:
            print(
                f"framing: the run was labelled by {ran}; the thresholds are those of {versions}",
                file=sys.stderr,
            )
            versions = {**versions, **ran}
    import pyarrow.parquet as pq

    labels = next(iter(manifests.values())).labels
    columns = ["text", "language", "labels", "source", "document_id", "sentence_index"]
    columns += [f"score_{label}" for label in labels]
    store = _open_store(args.database) if args.annotator else None
    picker = Picker(thresholds, args.size)
    read = 0
    try:
        for part in parts:  # one part in memory at a time; the picker keeps only the best
            try:
                table = pq.read_table(part, columns=columns)
            except (OSError, ValueError, KeyError) as exc:
                raise CommandError(
                    f"{part}: not a sentences part of this model's labels ({exc})"
                ) from None
            rows = table.to_pylist()
            read += len(rows)
            if store is not None:
                keys = sorted({sentence_key(r["text"]) for r in rows})
                picker.skip = store.corrected(args.annotator, keys)
            for r in rows:
                picker.add(
                    Candidate(
                        text=r["text"],
                        language=r["language"],
                        scores={label: r[f"score_{label}"] for label in labels},
                        labels=list(r["labels"] or []),
                        source=r["source"],
                        document_id=r["document_id"],
                        sentence_index=r["sentence_index"],
                        model_version=versions.get(r["language"]),
                    )
                )
    except StorageError as exc:
        raise CommandError(str(exc)) from None
    finally:
        if store is not None:
            store.close()
    picked = picker.pick()
    with target.open("w", encoding="utf-8") as f:
        for rank, item in enumerate(picked, 1):
            f.write(json.dumps(item.as_json(rank), ensure_ascii=False) + "\n")
    sources = len({item.candidate.source for item in picked})
    print(
        f"{len(picked)} of {read} sentences queued ({sources} sources, "
        f"{len({item.nearest for item in picked})} labels) in {target}; open it in the page "
        "to review them",
        file=sys.stderr,
    )
    return 0


def _feedback(args: argparse.Namespace) -> int:
    from app.feedback.agreement import agreement
    from app.feedback.store import StorageError

    store = _open_store(args.database)
    try:
        if args.action == "export":
            for record in store.corrections(language=args.language):
                sys.stdout.write(json.dumps(record.as_json(), ensure_ascii=False) + "\n")
        elif args.action == "agreement":
            labels = sorted({label for r in store.corrections() for label in r.labels})
            print(json.dumps(agreement(store.corrections(), labels), indent=2))
        else:
            bad = store.check()
            print(f"{store.count()} corrections in {store.where}; {len(bad)} damaged rows")
            for row_id in bad[:20]:
                print(f"framing: row {row_id} does not match its checksum", file=sys.stderr)
            return 1 if bad else 0
    except StorageError as exc:
        raise CommandError(str(exc)) from None
    finally:
        store.close()
    return 0


def _serve(args: argparse.Namespace) -> int:
    from app.api.server import serve
    from app.core.artifact import model_folders

    settings = _settings()
    chosen = {
        "host": args.host,
        "port": args.port,
        "workers": args.workers,
        "model_dir": args.model_dir,
    }
    settings = settings.model_copy(update={k: v for k, v in chosen.items() if v is not None})
    try:
        model_folders(settings.model_dir)  # a missing folder fails here, not in each worker
    except ModelLoadError as exc:
        raise CommandError(str(exc)) from None
    serve("app.api.main:create_app", settings)
    return 0


def train(argv: Sequence[str]) -> int:
    """`framing train ARGS` runs `python -m training.train ARGS` in its own process.

    Training uses every core and a lot of memory, and needs the `train` extra; the
    service and the batch engines never import it.
    """
    return subprocess.call([sys.executable, "-m", "training.train", *argv])


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="framing", description="Framing analysis of news text.")
    p.add_argument(
        "--model-dir", type=Path, help="model folder (default FRAMING_MODEL_DIR or models/)"
    )
    commands = p.add_subparsers(dest="command", required=True)

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
        help="classify records ({id, text}): one file to JSONL here, or files and globs "
        "to a Parquet dataset on Dask",
    )
    batch.add_argument(
        "inputs",
        type=Path,
        nargs="+",
        metavar="INPUT",
        help=".jsonl, .csv or .parquet files (Dask: also quoted globs)",
    )
    batch.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="OUT",
        help="OUT.jsonl (local engine) or a folder (Dask): one row per sentence",
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
    batch.add_argument("--workers", type=_positive, help="local cluster worker processes")
    batch.add_argument(
        "--partition-size", type=_positive, default=2_000, help="records per Dask partition (2000)"
    )
    batch.add_argument(
        "--rejects", type=Path, help="local engine: where bad records go (default OUT.rejects)"
    )
    batch.add_argument("--explain", action="store_true", help="add evidence to each sentence")
    batch.add_argument(
        "--language",
        metavar="CODE",
        help="read every document in this language (en, ru); detected per document by default",
    )
    batch.add_argument("--strict", action="store_true", help="exit 1 when any record was rejected")
    batch.add_argument("--quiet", action="store_true", help="no progress bar")
    batch.set_defaults(func=_batch)

    report = commands.add_parser(
        "report",
        help="an HTML report of an archive run (the folder framing batch wrote): label rates "
        "by source and week, the most confident sentences, languages, rejects",
    )
    report.add_argument("out", type=Path, metavar="OUT", help="the archive run's --out folder")
    report.add_argument("--html", type=Path, help="where to write it (default OUT/report.html)")
    report.add_argument("--top", type=_positive, default=10, help="sentences shown per label (10)")
    report.add_argument(
        "--sources", type=_positive, default=8, help="sources shown by name (8; the rest pooled)"
    )
    report.add_argument("--title", help="the report's title (default: the folder's name)")
    report.set_defaults(func=_report)

    queue = commands.add_parser(
        "queue",
        help="the sentences of an archive run the model is least sure of, spread over "
        "sources and labels, for analysts to review in the page",
    )
    queue.add_argument("out", type=Path, metavar="OUT", help="the archive run's --out folder")
    queue.add_argument("--size", type=_positive, default=50, help="sentences to pick (50)")
    queue.add_argument("--queue", type=Path, help="where to write it (default OUT/queue.jsonl)")
    queue.add_argument(
        "--annotator", help="leave out sentences this annotator has corrected already"
    )
    queue.add_argument(
        "--database",
        help="the corrections database (default: FRAMING_FEEDBACK_DATABASE_URL, or "
        "FRAMING_DATA_DIR/feedback.sqlite3)",
    )
    queue.set_defaults(func=_queue)

    feedback = commands.add_parser(
        "feedback", help="the corrections database: export it, annotator agreement, a check"
    )
    feedback.add_argument("action", choices=["export", "agreement", "check"])
    feedback.add_argument("--database", help="as for framing queue")
    feedback.add_argument("--language", metavar="CODE", help="export one language")
    feedback.set_defaults(func=_feedback)

    serve = commands.add_parser("serve", help="run the HTTP service (settings: FRAMING_*)")
    serve.add_argument("--host", help="address to bind (default FRAMING_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=_port, help="port (default FRAMING_PORT or 8000)")
    serve.add_argument(
        "--workers", type=_positive, help="worker processes (default FRAMING_WORKERS)"
    )
    serve.set_defaults(func=_serve)

    commands.add_parser(
        "train", help="train models: the flags of python -m training.train (see --help)"
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["train"]:
        return train(args_list[1:])
    p = parser()
    args = p.parse_args(args_list)
    if args.command == "classify" and args.explain and not args.json:
        p.error("--explain needs --json")
    try:
        result: int = args.func(args)
    except CommandError as exc:
        for message in exc.messages:
            print(f"framing: {message}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    sys.exit(main())
