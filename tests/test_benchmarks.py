"""The throughput benchmark script runs end to end in its quick mode (a smoke test, no speed asserts)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "throughput.py"



def _headings() -> tuple[str, ...]:
    """The section headings the script declares (read from the script, not repeated here)."""
    import ast

    tree = ast.parse(SCRIPT.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "HEADINGS":
            return ast.literal_eval(node.value)
    raise AssertionError("benchmarks/throughput.py declares no HEADINGS")


def test_throughput_quick_runs_and_prints_every_section(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick"], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    headings = _headings()
    assert len(headings) >= 7
    for heading in headings:
        assert heading in out, f"missing section {heading!r}"
    for word in ("numpy", "mesa", "nproc", "acc-weeks/s", "agent-steps/s"):
        assert word in out
    assert "saved" not in out  # nothing written without --save


def test_executors_benchmark_quick_runs() -> None:
    script = SCRIPT.parent / "executors.py"
    proc = subprocess.run([sys.executable, str(script), "--quick"], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    for word in ("serial", "process pool", "dask LocalCluster", "overhead ms/run"):
        assert word in proc.stdout
