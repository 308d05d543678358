"""The benchmark code runs end to end at tiny sizes (no timing is asserted)."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.run import main
from tests.conftest import TINY


def test_quick_benchmark_writes_its_report(tiny_model_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    data.write_text(
        "".join(
            json.dumps({"id": str(i), "text": t, "labels": ls}) + "\n"
            for i, (t, ls) in enumerate(TINY)
        )
    )
    out = tmp_path / "bench.md"
    assert (
        main(
            ["--quick", "--out", str(out), "--model-dir", str(tiny_model_dir), "--data", str(data)]
        )
        == 0
    )
    report = out.read_text()
    for heading in (
        "## One article end to end",
        "## By batch size",
        "## HTTP on loopback",
        "## Memory and start-up",
    ):
        assert heading in report
    result = json.loads(out.with_suffix(".json").read_text())
    rows = result["http"]["rows"]
    assert {r["app"] for r in rows} == {"framing", "echo"}
    assert all(r["errors"] == 0 and r["requests_per_s"] > 0 for r in rows)
    assert all(r["cpu_ms_per_answer"] > 0 for r in rows)  # the server's processes were read
    assert result["inprocess"]["article"]["sentences"] > 0
