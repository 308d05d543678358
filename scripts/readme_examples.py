"""Write the README's examples from the models in models/ (or --model-dir).

    python -m scripts.readme_examples          # rewrite the examples in README.md
    python -m scripts.readme_examples --check  # exit 1, naming each example, if any drifted

Each example lies between `<!-- example:NAME:start -->` and `<!-- example:NAME:end -->`
in README.md and is made here: the request (a curl command or a `framing` command) and
what the service or the command answers with the current models, laid out as in the
README. Rerun it after retraining (`make evaluate` does); `tests/model/test_readme.py`
fails while the README shows other answers than the current models give.

Model versions are left out of the comparison: a version is the model's creation date
and the start of its file's hash, so the same data and code trained again (as CI does)
give the same answers under a new version. The README shows the version that made it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
EN_TEXT = "The ministry rejected the report as a fabrication. Three people were hurt."
RU_TEXT = (
    "Минобороны назвало сообщения об ударе по рынку фейком. "
    "Пострадали лишь двое, их жизни ничто не угрожает."
)
VERSION = re.compile(r'"version": "[^"]*"')
MARKER = re.compile(r"<!-- example:([a-z0-9-]+):start -->\n(.*?)<!-- example:\1:end -->", re.S)


def _j(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _sentence(s: dict[str, Any]) -> str:
    head = {k: s[k] for k in ("index", "start", "end", "text")}
    return (
        f"   {_j(head)[:-1]},\n"
        f'    "language": {_j(s["language"])}, "labels": {_j(s["labels"])},\n'
        f'    "scores": {_j(s["scores"])}}}'
    )


def _response(body: dict[str, Any], full: bool) -> str:
    """A /classify answer laid out one sentence to a few lines, as the README shows it."""
    lines = [f'{{"models": {_j(body["models"])},']
    if full:
        lines.append(f' "labels": {_j(body["labels"])},')
    lines.append(f' "language": {_j(body["language"])},')
    lines.append(' "sentences": [')
    lines.append(",\n".join(_sentence(s) for s in body["sentences"]) + "],")
    if full:
        summary = body["summary"]
        lines.append(
            f' "summary": {{"sentences": {summary["sentences"]}, "labelled": {summary["labelled"]},'
        )
        lines.append(f'             "counts": {_j(summary["counts"])},')
        lines.append(f'             "languages": {_j(summary["languages"])}}}}}')
    else:
        lines.append(' "...": "labels and summary as above"}')
    return "\n".join(lines)


class Examples:
    """The answers of an app serving the models in `model_dir`, and of the CLI."""

    def __init__(self, model_dir: Path) -> None:
        from fastapi.testclient import TestClient

        from app.api.main import create_app
        from app.settings import Settings

        self.model_dir = model_dir
        self._client = TestClient(create_app(Settings(model_dir=model_dir)))
        self._client.__enter__()

    def close(self) -> None:
        self._client.__exit__(None, None, None)

    def post(self, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._client.post(path, **kwargs)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def classify_en(self) -> str:
        body = self.post("/classify", json={"text": EN_TEXT})
        request = {"text": EN_TEXT}
        return (
            "```sh\ncurl -s localhost:8000/classify -H 'content-type: application/json' \\\n"
            f"  -d '{_j(request)}'\n```\n\n```json\n{_response(body, full=True)}\n```\n"
        )

    def classify_ru(self) -> str:
        body = self.post(
            "/classify",
            content=RU_TEXT.encode(),
            headers={"content-type": "text/plain; charset=utf-8"},
        )
        return (
            "```sh\ncurl -s localhost:8000/classify -H 'content-type: text/plain; charset=utf-8' "
            f"\\\n  --data-binary '{RU_TEXT}'\n```\n\n```json\n{_response(body, full=False)}\n```\n"
        )

    def evidence(self) -> str:
        body = self.post("/classify", json={"text": EN_TEXT, "explain": True})
        evidence = {k: v for k, v in body["sentences"][0]["evidence"].items() if v}
        lines = []
        for label, spans in evidence.items():
            items = ",\n".join(f"  {_j(e)}" for e in spans)
            lines.append(f"{_j(label)}: [\n{items}]")
        return '```json\n"evidence": {' + ",\n".join(lines) + "}\n```\n"

    def cli_table(self) -> str:
        from app.cli import main

        out, err = io.StringIO(), io.StringIO()
        stdin = sys.stdin
        try:
            sys.stdin = io.StringIO(EN_TEXT)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(["--model-dir", str(self.model_dir), "classify", "-"])
        finally:
            sys.stdin = stdin
        if code != 0:
            raise RuntimeError(f"framing classify failed: {err.getvalue()}")
        return f"```console\n$ echo '{EN_TEXT}' | framing classify -\n{out.getvalue()}```\n"


MAKERS: dict[str, Callable[[Examples], str]] = {
    "classify-en": Examples.classify_en,
    "classify-ru": Examples.classify_ru,
    "evidence": Examples.evidence,
    "cli-table": Examples.cli_table,
}


def render(model_dir: Path) -> dict[str, str]:
    """Every example, by name, as the current models answer it."""
    examples = Examples(model_dir)
    try:
        return {name: make(examples) for name, make in MAKERS.items()}
    finally:
        examples.close()


def in_readme(text: str) -> dict[str, str]:
    """The examples README.md holds now, by name."""
    return {m.group(1): m.group(2) for m in MARKER.finditer(text)}


def drifted(text: str, examples: dict[str, str]) -> list[str]:
    """The examples whose README text differs from `examples`, versions aside."""
    now = in_readme(text)

    def same(a: str | None, b: str) -> bool:
        return a is not None and VERSION.sub("", a) == VERSION.sub("", b)

    return [name for name in examples if not same(now.get(name), examples[name])]


def rewrite(text: str, examples: dict[str, str]) -> str:
    missing = set(examples) - set(in_readme(text))
    if missing:
        raise SystemExit(f"README.md has no markers for {sorted(missing)}")
    return MARKER.sub(
        lambda m: (
            f"<!-- example:{m.group(1)}:start -->\n{examples[m.group(1)]}"
            f"<!-- example:{m.group(1)}:end -->"
        ),
        text,
    )


def main(argv: list[str] | None = None) -> int:
    from app.settings import get_settings

    parser = argparse.ArgumentParser(prog="python -m scripts.readme_examples")
    parser.add_argument("--model-dir", type=Path, help="default FRAMING_MODEL_DIR or models/")
    parser.add_argument("--check", action="store_true", help="only say which examples drifted")
    args = parser.parse_args(argv)
    examples = render(args.model_dir or get_settings().model_dir)
    text = README.read_text(encoding="utf-8")
    if args.check:
        changed = drifted(text, examples)
        for name in changed:
            print(f"README.md: example {name} is not what the current models give", file=sys.stderr)
        return 1 if changed else 0
    README.write_text(rewrite(text, examples), encoding="utf-8")
    print(f"wrote {len(examples)} examples into {README.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
