"""The throughput benchmark script runs end to end in its quick mode (a smoke test, no speed asserts)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "throughput.py"

HEADINGS = (
    "== Environment ==",
    "== (a) Flagship run ==",
    "== (d) Single model week at the default size ==",
    "== (b) Scaling in accounts ==",
    "== (b) Linearity in weeks ==",
    "== (c) Mesa Boltzmann wealth example ==",
    "== (c) Ratio to Boltzmann ==",
)


def test_throughput_quick_runs_and_prints_every_section(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick"], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for heading in HEADINGS:
        assert heading in out, f"missing section {heading!r}"
    for word in ("numpy", "mesa", "nproc", "acc-weeks/s", "agent-steps/s"):
        assert word in out
    assert "saved" not in out  # nothing written without --save
