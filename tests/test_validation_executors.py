"""The validation report runs its arms through the experiment runner: the same numbers on every executor."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.cli import main


def _report(tmp_path: Path, name: str, *where: str) -> str:
    out = tmp_path / f"{name}.md"
    assert main(["validation-report", "--quick", "--replications", "2", "--quiet", "--out", str(out), *where]) == 0
    # the header line names the command, the time and the duration; everything after it is results
    return re.sub(r"^Produced by .*$", "", out.read_text(), flags=re.M)


@pytest.mark.slow
def test_validation_report_is_the_same_on_every_executor(tmp_path):
    serial = _report(tmp_path, "serial", "--workers", "1")
    assert "| " in serial and "95 %" in serial
    assert _report(tmp_path, "pool", "--workers", "2") == serial
    assert _report(tmp_path, "dask", "--dask-local", "--workers", "2") == serial
