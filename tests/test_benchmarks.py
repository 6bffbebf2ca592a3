"""The benchmark scripts run end to end in their quick modes (smoke tests, no speed asserts), and assert nothing.

Speed is measured in benchmarks/ and printed there; no test asserts on wall or CPU time.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "throughput.py"


def _headings() -> tuple[str, ...]:
    """The section headings the script declares (read from the script, not repeated here)."""
    tree = ast.parse(SCRIPT.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "HEADINGS":
            return ast.literal_eval(node.value)
    raise AssertionError("benchmarks/throughput.py declares no HEADINGS")


def test_benchmark_scripts_measure_and_assert_nothing() -> None:
    """Every benchmark prints its measurements: no assert statement and no AssertionError (speed is not a test)."""
    scripts = sorted(SCRIPT.parent.glob("*.py"))
    assert {p.name for p in scripts} >= {"throughput.py", "dashboard.py", "executors.py"}
    for path in scripts:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        asserts = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Assert)]
        raised = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Raise)
                  and "AssertionError" in ast.unparse(n.exc or ast.Constant(None))]
        assert not asserts and not raised, f"{path.name} asserts at lines {asserts + raised}: benchmarks only print"


@pytest.mark.slow
def test_throughput_quick_runs_and_prints_every_section(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick"], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    headings = _headings()
    assert len(headings) >= 12
    for heading in headings:
        assert heading in out, f"missing section {heading!r}"
    for word in ("numpy", "mesa", "nproc", "acc-weeks/s", "agent-steps/s", "1,000,000", "peak RSS MiB",
                 "cold compile: skipped in --quick", "cached load", "sum of medians"):
        assert word in out, f"missing {word!r}"
    # Starsim is optional: its section is measured when it is installed, and says how to install it when not
    assert "Starsim SIR" in out or "starsim is not installed" in out
    assert "saved" not in out  # nothing written without --save


@pytest.mark.slow
def test_executors_benchmark_quick_runs() -> None:
    script = SCRIPT.parent / "executors.py"
    proc = subprocess.run([sys.executable, str(script), "--quick"], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    for word in ("serial", "process pool", "dask LocalCluster", "overhead ms/run"):
        assert word in proc.stdout


@pytest.mark.slow
def test_dashboard_benchmark_prints_the_week_against_the_budget() -> None:
    """benchmarks/dashboard.py (which replaced the CPU-budget test) runs and prints; exit 0 whatever the speed."""
    script = SCRIPT.parent / "dashboard.py"
    proc = subprocess.run([sys.executable, str(script), "--repeats", "1", "--weeks", "2", "--start-week", "1"],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert "repeat 1: week" in proc.stdout and "ms CPU; budget 100 ms CPU" in proc.stdout, proc.stdout
