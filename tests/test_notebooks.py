"""Notebooks: committed without outputs, and each runs top to bottom at the small size with its own checks.

Every notebook asserts its key results in its own cells (the sign of the mandate's effect, Ishigami's indices,
a posterior inside its prior box, ...), so executing it checks results, not just that it runs. The kernel is
this interpreter's (a kernel spec is written to a temporary JUPYTER_PATH), its environment has
SALESIM_NOTEBOOK_SMALL=1, and its working directory is a temporary folder, so outputs land there.

Strip outputs before committing a notebook you ran::

    python tests/test_notebooks.py --strip
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
CELL_TIMEOUT_S = 600


def test_the_four_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == ["01_workshop.ipynb", "02_what_if.ipynb", "03_sensitivity.ipynb",
                                           "04_calibration.ipynb", "05_own_book.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_has_no_outputs(path: Path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4
    dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
             and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; run " \
                      "'python tests/test_notebooks.py --strip' before committing"
    first_code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    assert "SALESIM_NOTEBOOK_SMALL" in "".join(first_code["source"]), "the small-size switch belongs at the top"


@pytest.fixture(scope="module")
def kernel_path(tmp_path_factory) -> Path:
    """A python3 kernel spec that starts this interpreter (so the kernel sees this venv's packages)."""
    pytest.importorskip("ipykernel", reason="install the test extras: pip install -e '.[test]'")
    from ipykernel.kernelspec import write_kernel_spec

    root = tmp_path_factory.mktemp("jupyter")
    write_kernel_spec(root / "kernels" / "python3", overrides={"display_name": "salesim tests"})
    return root


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_its_checks_pass(path: Path, kernel_path: Path, tmp_path: Path, monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="install the test extras: pip install -e '.[test]'")
    nbclient = pytest.importorskip("nbclient", reason="install the test extras: pip install -e '.[test]'")
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_path))  # searched before the user's and the venv's kernels
    monkeypatch.setenv("SALESIM_NOTEBOOK_SMALL", "1")  # the kernel inherits this environment
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT_S,
                                     resources={"metadata": {"path": str(tmp_path)}})
    t0 = time.perf_counter()
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as e:
        pytest.fail(f"{path.name} failed after {time.perf_counter() - t0:.0f} s:\n{e}", pytrace=False)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "the notebook should draw its charts inline"
    if path.stem != "01_workshop":  # the others write their experiments under runs/ in the working folder
        assert (tmp_path / "runs").is_dir()


def strip(paths: list[Path]) -> None:
    """Remove outputs and execution counts (and per-cell execution metadata) in place."""
    for path in paths:
        nb = json.loads(path.read_text(encoding="utf-8"))
        for c in nb["cells"]:
            if c["cell_type"] == "code":
                c["outputs"], c["execution_count"] = [], None
            c.get("metadata", {}).pop("execution", None)
        path.write_text(json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print("stripped", path)


if __name__ == "__main__":
    if sys.argv[1:2] != ["--strip"]:
        sys.exit("usage: python tests/test_notebooks.py --strip [NOTEBOOK ...]")
    strip([Path(p) for p in sys.argv[2:]] or NOTEBOOKS)
