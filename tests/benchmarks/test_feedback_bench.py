"""The corrections benchmark runs end to end at a tiny size (no timing is asserted):
both databases, every measurement, every kill checked for lost corrections."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import feedback
from benchmarks.pgserver import NoPostgres, bin_dir
from tests.feedback.conftest import no_postgres


def test_the_feedback_benchmark_runs(tmp_path: Path) -> None:
    try:
        bin_dir()
    except NoPostgres as exc:
        no_postgres(str(exc))
    out = tmp_path / "figures.json"
    assert feedback.main(["--writes", "8", "--kill-after", "5", "--json", str(out)]) == 0
    found = json.loads(out.read_text())
    assert [r["database"].split()[0] for r in found] == ["SQLite", "PostgreSQL"]
    assert found[1]["server_killed"]["acknowledged"] >= 5
    assert all(r["writer_killed"]["acknowledged"] >= 5 for r in found)
