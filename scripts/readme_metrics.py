"""Copy the evaluation tables of training/reports/<language>.md into README.md.

    python -m scripts.readme_metrics

Replaces what stands between the `metrics:start` and `metrics:end` markers.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "training" / "reports"
START, END = "<!-- metrics:start -->", "<!-- metrics:end -->"
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


def main() -> None:
    parts: list[str] = []
    for language in ("en", "ru"):
        parts += tables(language)
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    readme.write_text(before + START + "\n" + "\n".join(parts) + END + after, encoding="utf-8")


if __name__ == "__main__":
    main()
