"""The README stays true: its tables are what the code declares, and CI runs its test command."""

from __future__ import annotations

import re
from pathlib import Path

from sim.reference import kpis_markdown, params_markdown

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _block(tag: str) -> str:
    m = re.search(rf"<!-- {tag} -->\n(.*?)\n<!-- /{tag} -->", README, re.S)
    assert m, f"README has no {tag} block"
    return m.group(1).strip()


def test_kpi_table_matches_the_code():
    assert _block("kpi-table") == kpis_markdown().strip(), "regenerate with: salesim reference readme"


def test_parameter_table_matches_the_code():
    assert _block("parameter-table") == params_markdown().strip(), "regenerate with: salesim reference readme"


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "test-command" in ci
    m = re.search(r"<!-- test-command -->\n```bash\n(python3 .*)\n```", README)
    assert m and "pytest" in m.group(1)


def test_every_shipped_scenario_is_listed_in_the_readme():
    for path in (ROOT / "scenarios").glob("*.toml"):
        assert f"`{path.stem}`" in README, path.stem
