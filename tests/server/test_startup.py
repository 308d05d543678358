"""What `framing serve` does before its workers start is on every start's path: keep it light."""

from __future__ import annotations

import subprocess
import sys


def test_the_supervisor_imports_no_web_framework() -> None:
    # With several workers the supervisor imports app.api.server, then spawns the
    # workers; FastAPI in that import cost every start 0.3 s (the workers import it anyway).
    code = "import sys, app.api.server; print(sorted({'fastapi', 'numpy'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
