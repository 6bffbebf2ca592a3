"""Saved experiment files and ``salesim batch``: the same arguments as the typed command, resume, bad files."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import build_parser, main
from sim.experiment.executors import SerialExecutor
from sim.experiment.files import command_args, load_experiment
from sim.experiment.sweep import parse_vary, sweep
from sim.scenario import load_scenario

EXPERIMENTS = Path(__file__).resolve().parent.parent / "experiments"
SMALL = {"n_accounts": 200, "n_reps": 2, "n_managers": 1, "burn_in_weeks": 4}
SMALL_TOML = "[set]\nn_accounts = 200\nn_reps = 2\nn_managers = 1\nburn_in_weeks = 4\n"
SMALL_SET = ["--set", "n_accounts=200", "--set", "n_reps=2", "--set", "n_managers=1", "--set", "burn_in_weeks=4"]
SWEEP = ('kind = "sweep"\nscenario = "banner_mandate"\nreplications = 2\nweeks = 12\nseed = 3\n'
         '[vary]\nenforcement = { low = 0.0, high = 1.0, steps = 2 }\n' + SMALL_TOML)
# Fields that only say how and where to run, not what: they come from the batch command line.
HOW = ("workers", "scheduler", "dask_local", "resume", "quiet", "large", "func", "command", "out")


def _write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _what(ns: argparse.Namespace) -> dict:
    return {k: v for k, v in vars(ns).items() if k not in HOW}


def _batch_options(*extra: str) -> argparse.Namespace:
    return build_parser().parse_args(["batch", "x.toml", *extra])


@pytest.mark.parametrize("text, typed", [
    ('kind = "compare"\nscenarios = ["baseline", "banner_mandate"]\nreplications = 3\nweeks = 30\n' + SMALL_TOML,
     ["compare", "baseline", "banner_mandate", "--replications", "3", "--weeks", "30", *SMALL_SET]),
    (SWEEP, ["sweep", "banner_mandate", "--vary", "enforcement=0.0:1.0:2", "--replications", "2", "--weeks", "12",
             "--seed", "3", *SMALL_SET]),
    ('kind = "sweep"\nscenario = "baseline"\ndesign = "lhs"\nsamples = 4\n'
     '[vary]\ncoaching_style = ["close_focused", "customer_focused"]\nbanner_target = [0.5, 0.9]\n'
     '[reference]\nbanner_target = 0.5\n',
     ["sweep", "baseline", "--vary", "coaching_style=close_focused,customer_focused", "--vary",
      "banner_target=0.5,0.9", "--design", "lhs", "--samples", "4", "--reference", "banner_target=0.5"]),
])
def test_a_file_gives_the_arguments_of_the_typed_command(tmp_path: Path, text: str, typed: list[str]) -> None:
    exp = load_experiment(_write(tmp_path, text))
    assert _what(command_args(exp, _batch_options())) == _what(build_parser().parse_args(typed))


def test_a_trial_file_gives_the_arguments_of_salesim_trial(tmp_path: Path) -> None:
    trial = EXPERIMENTS / "trials" / "null_outreach.toml"
    exp = load_experiment(_write(tmp_path, f'kind = "trial"\ntrial = "{trial}"\nreplications = 2\n'))
    typed = build_parser().parse_args(["trial", str(trial), "--replications", "2"])
    assert _what(command_args(exp, _batch_options())) == _what(typed)


def test_shipped_experiment_files_are_valid_and_name_their_outputs() -> None:
    files = sorted(EXPERIMENTS.glob("*.toml"))
    assert {"flagship_compare.toml", "mandate_sweep.toml"} <= {f.name for f in files}
    for f in files:
        exp = load_experiment(f)
        args = command_args(exp, _batch_options())
        assert exp.title and args.out.parts[0] == "runs", f


def test_batch_resumes_the_store_the_typed_sweep_wrote_to_the_same_runs(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    base = load_scenario("banner_mandate", SMALL)
    varies = [parse_vary("enforcement=0.0:1.0:2")]
    first = sweep(base, varies, "grid", 20, 2, 12, 3, SerialExecutor(), out, progress=False)
    path = _write(tmp_path, SWEEP + "[reference]\nenforcement = 0.0\n")  # the point differences are taken against
    assert main(["batch", str(path), "--workers", "1", "--quiet", "--out", str(out)]) == 2  # no silent rerun
    assert "--resume" in capsys.readouterr().err
    sorted((out / "runs").glob("*.json"))[0].unlink()  # as if killed before the last run finished
    assert main(["batch", str(path), "--workers", "1", "--quiet", "--resume", "--out", str(out)]) == 0
    again = pd.read_parquet(out / "runs.parquet")
    assert len(again) == 4 and sorted(again["enforcement"].unique()) == [0.0, 1.0]
    pd.testing.assert_frame_equal(again, first.reset_index(drop=True), check_exact=True)
    vs = pd.read_csv(out / "sweep_vs_reference.csv")  # not banner_mandate's own enforcement (1.0): the file's
    assert vs.loc[vs["reference"], "enforcement"].tolist() == [0.0]
    assert vs.loc[~vs["reference"], "profit_diff"].notna().all()
    assert "best 2 points on profit" in capsys.readouterr().out


BAD = [
    ('kind = "compare"\nscenarios = ["baseline"]\nreplicatons = 3\n', "replicatons", "did you mean 'replications'"),
    ('kind = "comparison"\n', "kind", "did you mean 'compare'"),
    ('kind = "compare"\nscenarios = ["baseline"]\nreplications = 0\n', "replications", "at least 1"),
    ('kind = "compare"\nscenarios = ["baseline"]\nweeks = 2.5\n', "weeks", "whole number"),
    ('kind = "compare"\nscenarios = ["baseline", "no_such_scenario"]\n', "scenarios[1]", "no_such_scenario"),
    ('kind = "compare"\nscenarios = []\n', "scenarios", "non-empty list"),
    ('kind = "compare"\nscenarios = ["baseline"]\n[set]\nenforcement = 3\n', "scenarios[0]", "enforcement"),
    ('kind = "compare"\nscenarios = ["baseline"]\nweeks = 10\n', "weeks", "burn-in"),
    ('kind = "compare"\nscenarios = ["baseline"]\nvary = 1\n', "vary", "a compare does not use it"),
    ('kind = "sweep"\nscenario = "baseline"\n[vary]\nenforcment = [0.5]\n', "vary.enforcment",
     "Did you mean 'enforcement'"),
    ('kind = "sweep"\nscenario = "baseline"\n[vary]\nenforcement = { low = 0.0, high = 1.0 }\n',
     "vary.enforcement", "low, high and steps"),
    ('kind = "sweep"\nscenario = "baseline"\n[vary]\nenforcement = [0.5, 2.0]\n', "vary.enforcement",
     "between 0 and 1"),
    ('kind = "sweep"\nscenario = "baseline"\ndesign = "grd"\n[vary]\nenforcement = [0.5]\n', "design",
     "did you mean 'grid'"),
    ('kind = "trial"\ntrial = "trials/nope.toml"\n', "trial", "existing trial file"),
    ('kind = "sweep"\nscenario = "baseline"\n[vary]\nenforcement = [0.5]\n[reference]\nenforcment = 0.5\n',
     "reference", "varied here: enforcement"),
    ('kind = "compare"\nscenarios = ["baseline"\n', "", "not valid TOML"),
    ('kind = "optimize"\n', "problem", "needs its problem file"),
    ('kind = "discover"\nproblem = "decisions/nope.toml"\n', "problem", "existing problem file"),
    (f'kind = "robust"\nproblem = "{EXPERIMENTS / "trials" / "ascarza_outreach.toml"}"\n', "problem",
     "allowed keys are"),
]


@pytest.mark.parametrize("text, field, allowed", BAD, ids=[b[1] or "toml" for b in BAD])
def test_bad_experiment_files_are_refused_by_field(tmp_path: Path, text: str, field: str, allowed: str,
                                                   capsys) -> None:
    path = _write(tmp_path, text, "bad.toml")
    assert main(["batch", str(path), "--out", str(tmp_path / "never")]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and allowed in err and "Traceback" not in err
    if field:
        assert f"field '{field}'" in err
    assert not (tmp_path / "never").exists()


def test_a_decision_experiment_hands_its_problem_file_to_its_command() -> None:
    exp = load_experiment(EXPERIMENTS / "optimize_mandate.toml")
    args = command_args(exp, _batch_options())
    assert exp.kind == "optimize" and args.command == "optimize"
    assert args.file == EXPERIMENTS / "decisions" / "optimize_mandate.toml"
    assert args.out == Path("runs") / "optimize-optimize_mandate" and args.replications is None


def test_every_problem_of_a_file_is_listed_at_once(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path, 'kind = "compare"\nscenarios = ["baseline"]\nreplications = -1\nseed = "x"\n')
    assert main(["batch", str(path)]) == 2
    err = capsys.readouterr().err
    assert "2 problems" in err and "field 'replications'" in err and "field 'seed'" in err


def test_a_missing_file_is_refused(tmp_path: Path, capsys) -> None:
    assert main(["batch", str(tmp_path / "nope.toml")]) == 2
    assert "nope.toml" in capsys.readouterr().err
