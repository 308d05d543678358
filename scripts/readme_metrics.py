"""Copy the evaluation tables of training/reports/ into README.md.

    python -m scripts.readme_metrics

Replaces what stands between the `metrics:start` and `metrics:end` markers with each
language's report, and between `multilingual:start` and `multilingual:end` with the
table of `training/reports/multilingual.md` when it exists.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "training" / "reports"
START, END = "<!-- metrics:start -->", "<!-- metrics:end -->"
JOINT = "<!-- multilingual:start -->", "<!-- multilingual:end -->"
NAMES = {"en": "English", "ru": "Russian"}


def tables(language: str) -> list[str]:
    path = REPORTS / f"{language}.md"
    report = path.read_text(encoding="utf-8")
    version = re.search(r"model (\S+)", report)
    parts = [
        f"#### {NAMES.get(language, language)}",
        "",
        f"Model {version.group(1) if version else '?'}, from `{path.relative_to(ROOT)}` "
        "(written by `make evaluate`):",
        "",
    ]
    for section in re.split(r"^## ", report, flags=re.M)[1:]:
        title, _, body = section.partition("\n")
        table = [line for line in body.splitlines() if line.startswith("|")]
        alarms = [line for line in body.splitlines() if line.startswith("False-alarm")]
        if table:
            parts += [f"**{title.strip()}**", "", *table, ""]
            parts += [*alarms, ""] if alarms else []
    return parts


def replace_block(text: str, markers: tuple[str, str], lines: list[str]) -> str:
    start, end = markers
    before, _, rest = text.partition(start)
    _, _, after = rest.partition(end)
    return before + start + "\n" + "\n".join(lines) + end + after


def main() -> None:
    parts: list[str] = []
    for language in ("en", "ru"):
        parts += tables(language)
    readme = ROOT / "README.md"
    text = replace_block(readme.read_text(encoding="utf-8"), (START, END), parts)
    joint = REPORTS / "multilingual.md"
    if joint.exists():
        rows = [line for line in joint.read_text(encoding="utf-8").splitlines() if line[:1] == "|"]
        text = replace_block(text, JOINT, [*rows, ""])
    readme.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
