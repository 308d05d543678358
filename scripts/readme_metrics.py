"""Copy the evaluation tables of training/reports/en.md into README.md.

    python scripts/readme_metrics.py

Replaces what stands between the `metrics:start` and `metrics:end` markers.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- metrics:start -->", "<!-- metrics:end -->"


def main() -> None:
    report = (ROOT / "training" / "reports" / "latest.md").read_text(encoding="utf-8")
    version = re.search(r"model (\S+)", report)
    sections = re.split(r"^## ", report, flags=re.M)[1:]
    parts = [
        f"Model {version.group(1) if version else '?'}, from `training/reports/en.md` "
        "(written by `training/train.py`):",
        "",
    ]
    for section in sections:
        title, _, body = section.partition("\n")
        table = [line for line in body.splitlines() if line.startswith("|")]
        if table:
            parts += [f"**{title.strip()}**", "", *table, ""]
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    readme.write_text(before + START + "\n" + "\n".join(parts) + END + after, encoding="utf-8")


if __name__ == "__main__":
    main()
