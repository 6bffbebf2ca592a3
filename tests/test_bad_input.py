"""Bad input of every kind ends in exit 2 with one message naming the field and value, before any work.

Each case is a command line plus the files it needs. Every case must exit with
status 2, print no traceback and no "internal error", name what was wrong, and
(for the leak cases) not print a planted secret. Work is forbidden: the model,
the process pool, Dask and ABC raise if anything reaches them, so a guard that
stops working fails here at once instead of running for hours.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sim import cli_guards, limits
from sim.cli import main
from sim.errors import UserError
from sim.safepath import excerpt

ROOT = Path(__file__).resolve().parent.parent
SECRET = "PLANTED-SECRET-7f3a9c"
TINY = ["--set", "n_accounts=100", "--set", "n_reps=4", "--set", "n_managers=1"]
SCEN = 'title = "T"\nquestion = "Q?"\n'
TARGETS_OK = ROOT / "calibration" / "targets.toml"
TWO_TARGETS = ('[[target]]\nname="a"\nkpi="annual_churn_rate"\nvalue=0.2\nlow=0.1\nhigh=0.3\nstatistic="s"\n'
               'source="s"\ntrust="t"\n[[target]]\nname="b"\nkpi="win_rate_purchase"\nvalue=0.2\nlow=0.1\n'
               'high=0.3\nstatistic="s"\nsource="s"\ntrust="t"\n')
PRIOR = "[priors.churn_neglect]\nbounds = [0.001, 0.01]\n"
PROBLEM = ('scenario = "baseline"\nkpis = ["revenue_lost"]\n[parameters.enforcement]\nbounds = [0.0, 1.0]\n'
           "[parameters.audits]\nbounds = [0.0, 1.0]\n")


@dataclass(frozen=True)
class Case:
    """One bad command line: what it is, what it needs on disk, and what the message must say.

    ``argv`` and file contents may use ``{tmp}`` for the case's folder. ``links`` are symbolic
    links (name -> target). ``subprocess`` runs ``python -m sim.cli`` in a child process (for
    /proc/self/environ, which shows the environment a process started with).
    """

    id: str
    argv: list[str]
    needles: tuple[str, ...]
    files: dict[str, str | bytes] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    secret: str | None = None
    subprocess: bool = False


def _calibrate(*extra: str) -> list[str]:
    return ["calibrate", "--workers", "1", "--population", "16", "--generations", "1", *extra]


CASES = [
    # --- leaks: content of files reached through extends, or named directly, never printed ---
    Case("extends-proc-environ", ["validate", "{tmp}/a.toml"], ('extends = "/proc/self/environ"', "absolute path"),
         files={"a.toml": SCEN + 'extends = "/proc/self/environ"\n'}, secret=SECRET, subprocess=True),
    Case("extends-relative-to-proc", ["validate", "{tmp}/a.toml"], ("leads out of the scenario folders",),
         files={"a.toml": SCEN + 'extends = "../../../../../../../../proc/self/environ.toml"\n'}, secret=SECRET,
         subprocess=True),
    Case("extends-symlink-to-proc", ["validate", "{tmp}/a.toml"], ("symbolic link", 'extends = "env.toml"'),
         files={"a.toml": SCEN + 'extends = "env.toml"\n'}, links={"env.toml": "/proc/self/environ"},
         secret=SECRET, subprocess=True),
    Case("validate-proc-environ-directly", ["validate", "/proc/self/environ"], ("/proc", "system folder"),
         secret=SECRET, subprocess=True),
    Case("extends-etc-shadow", ["validate", "{tmp}/a.toml"], ('extends = "/etc/shadow"', "absolute path"),
         files={"a.toml": SCEN + 'extends = "/etc/shadow"\n'}),
    Case("extends-home-path", ["validate", "{tmp}/a.toml"], ('extends = "~/x.toml"', "absolute path"),
         files={"a.toml": SCEN + 'extends = "~/x.toml"\n'}),
    Case("extends-dotdot-escape", ["validate", "{tmp}/in/deep/a.toml"], ("leads out of the scenario folders",),
         files={"in/deep/a.toml": SCEN + 'extends = "../../out/secret.toml"\n',
                "out/secret.toml": f"{SECRET} is not toml\n"}, secret=SECRET),
    Case("extends-symlink-escape", ["validate", "{tmp}/in/a.toml"], ("symbolic link",),
         files={"in/a.toml": SCEN + 'extends = "s.toml"\n', "out/secret.toml": f"{SECRET} is not toml\n"},
         links={"in/s.toml": "{tmp}/out/secret.toml"}, secret=SECRET),
    Case("extends-not-toml", ["validate", "{tmp}/a.toml"], ('extends = "./notes.txt"', "not a .toml file"),
         files={"a.toml": SCEN + 'extends = "./notes.txt"\n', "notes.txt": SECRET}, secret=SECRET),
    Case("extends-beside-file-not-quoted", ["validate", "{tmp}/a.toml"], ("b.toml", "not valid TOML", "line 1"),
         files={"a.toml": SCEN + 'extends = "b.toml"\n', "b.toml": f"{SECRET} is not toml\n"}, secret=SECRET),
    Case("long-bad-line-quoted-briefly", ["validate", "{tmp}/a.toml"], ("not valid TOML", "…"),
         files={"a.toml": "x" * 40 + " " + SECRET * 20 + "\n"}, secret=SECRET * 3),
    Case("control-chars-escaped", ["validate", "{tmp}/a.toml"], ("not valid TOML", "\\x1b"),
         files={"a.toml": "oops \x1b[31mred\x1b[0m\n"}, secret="\x1b[31m"),
    # --- output folders that cannot be made ---
    *[Case(f"{cmd}-out-under-file", [*argv, "--out", "{tmp}/afile/sub"], ("--out", "afile", "is a file"),
           files={"afile": "x"}) for cmd, argv in (
        ("compare", ["compare", "baseline", "--replications", "1", "--workers", "1", *TINY]),
        ("sweep", ["sweep", "baseline", "--vary", "enforcement=0:1:2", "--replications", "1", "--workers", "1", *TINY]),
        ("sensitivity", ["sensitivity", "{tmp}/p.toml", "--n", "2", "--replications", "1", "--workers", "1", *TINY]),
        ("calibrate", _calibrate()), ("run", ["run", "baseline", *TINY]))],
    *[Case(f"{cmd}-out-in-{root}", [*argv, "--out", f"/{root}/salesim-test"], ("--out", f"/{root}", "system folder"))
      for cmd, argv in (
          ("compare", ["compare", "baseline", "--replications", "1", "--workers", "1", *TINY]),
          ("sweep", ["sweep", "baseline", "--vary", "enforcement=0:1:2", "--replications", "1", "--workers", "1",
                     *TINY]),
          ("sensitivity", ["sensitivity", "{tmp}/p.toml", "--n", "2", "--replications", "1", "--workers", "1",
                           *TINY]),
          ("calibrate", _calibrate())) for root in ("proc", "sys")],
    Case("run-out-in-dev", ["run", "baseline", *TINY, "--out", "/dev/null"], ("/dev", "system folder")),
    Case("validation-report-out-in-proc", ["validation-report", "--out", "/proc/report.md"], ("/proc",)),
    Case("out-symlink-loop", ["compare", "baseline", "--replications", "1", "--workers", "1", *TINY,
                              "--out", "{tmp}/loop"], ("--out", "symbolic links"), links={"loop": "{tmp}/loop"}),
    Case("given-out-under-file", ["sensitivity", "{tmp}/p.toml", "--given", "{tmp}/runs.parquet", "--out",
                                  "{tmp}/afile/x"], ("is a file",), files={"afile": "x"}),
    # --- targets files ---
    *[Case(f"targets-{name}", _calibrate("--targets", "{tmp}/t.toml", "--out", "{tmp}/cal"), needles,
           files={"t.toml": text}) for name, text, needles in (
        ("priors-is-a-number", "priors = 5\n" + TWO_TARGETS, ("'priors'", "5")),
        ("target-is-text", 'target = "x"\n' + PRIOR, ("'target'", "'x'")),
        ("target-entry-not-table", "target = [1, 2]\n" + PRIOR, ("target[0]", "1")),
        ("string-prior-bounds", TWO_TARGETS + '[priors.churn_neglect]\nbounds = ["a", "b"]\n',
         ("priors.churn_neglect.bounds", "'a'")),
        ("nan-prior-bounds", TWO_TARGETS + "[priors.churn_neglect]\nbounds = [nan, 0.01]\n",
         ("priors.churn_neglect.bounds", "nan")),
        ("inf-target-value", TWO_TARGETS.replace("high=0.3", "high=inf", 1) + PRIOR, ("target[0]", "inf")),
        ("kpi-is-a-list", TWO_TARGETS.replace('kpi="annual_churn_rate"', "kpi=[]") + PRIOR, ("target[0].kpi", "[]")),
        ("bool-target-value", TWO_TARGETS.replace("value=0.2", "value=true", 1) + PRIOR, ("target[0]", "True")),
        ("weeks-huge", "weeks = 10000000000\n" + TWO_TARGETS + PRIOR, ("'weeks'", "10000000000")),
        ("weeks-negative", "weeks = -3\n" + TWO_TARGETS + PRIOR, ("'weeks'", "-3")),
        ("unknown-key", "wekes = 3\n" + TWO_TARGETS + PRIOR, ("'wekes'", "did you mean 'weeks'")),
        ("unknown-prior", TWO_TARGETS + "[priors.churn_neglekt]\nbounds = [0.001, 0.01]\n",
         ("priors.churn_neglekt", "did you mean")),
        ("empty-file", "", ("'target'", "at least two")),
        ("not-utf8", b"title = \"\xff\xfe\"\n", ("t.toml", "not UTF-8")),
        ("not-toml", "target = [\n", ("t.toml", "not valid TOML")))],
    Case("targets-is-a-folder", _calibrate("--targets", "{tmp}/tdir", "--out", "{tmp}/cal"), ("tdir", "not found"),
         files={"tdir/x": ""}),
    # --- sensitivity problem files ---
    *[Case(f"problem-{name}", ["sensitivity", "{tmp}/p.toml", "--n", "2", "--workers", "1", "--out", "{tmp}/s"],
           needles, files={"p.toml": text}) for name, text, needles in (
        ("norm-negative-sd", PROBLEM.replace("bounds = [0.0, 1.0]\n", 'bounds = [0.5, -0.1]\ndist = "norm"\n', 1),
         ("parameters.enforcement.bounds", "-0.1", "sd > 0")),
        ("lognorm-zero-sd", PROBLEM.replace("bounds = [0.0, 1.0]\n", 'bounds = [0.5, 0]\ndist = "lognorm"\n', 1),
         ("parameters.enforcement.bounds", "sd > 0")),
        ("triang-peak-outside", PROBLEM.replace("bounds = [0.0, 1.0]\n", 'bounds = [0, 1, 2]\ndist = "triang"\n', 1),
         ("parameters.enforcement.bounds", "peak fraction")),
        ("triang-two-bounds", PROBLEM.replace("bounds = [0.0, 1.0]\n", 'bounds = [0, 1]\ndist = "triang"\n', 1),
         ("parameters.enforcement.bounds", "3 finite numbers")),
        ("nan-bounds", PROBLEM.replace("bounds = [0.0, 1.0]", "bounds = [nan, 1.0]", 1),
         ("parameters.enforcement.bounds", "nan")),
        ("kpis-is-text", PROBLEM.replace('kpis = ["revenue_lost"]', 'kpis = "revenue_lost"'),
         ("'kpis'", "list of KPI names")),
        ("kpis-nested", PROBLEM.replace('kpis = ["revenue_lost"]', "kpis = [[1]]"), ("'kpis'", "[[1]]")),
        ("weeks-negative", "weeks = -1\n" + PROBLEM, ("'weeks'", "-1")),
        ("weeks-huge", "weeks = 10000000000\n" + PROBLEM, ("'weeks'", "10000000000")),
        ("unknown-dist", PROBLEM.replace("bounds = [0.0, 1.0]\n", 'bounds = [0, 1]\ndist = "gauss"\n', 1),
         ("parameters.enforcement.dist", "'gauss'")),
        ("levels-not-a-list", PROBLEM + "[parameters.crm_rule]\nlevels = 5\n", ("parameters.crm_rule.levels", "5")),
        ("empty-file", "", ("'parameters'", "at least two")),
        ("not-utf8", b"title = \"\xff\"\n", ("p.toml", "not UTF-8")))],
    Case("problem-unknown-name", ["sensitivity", "screeening"], ("screeening", "not found", "screening")),
    # --- scheduler, workers and sizes ---
    Case("scheduler-not-an-address", ["compare", "baseline", "--replications", "1", *TINY, "--scheduler",
                                      "notanaddress", "--out", "{tmp}/c"],
         ("--scheduler", "'notanaddress'", "HOST:PORT")),
    Case("scheduler-port-out-of-range", ["sweep", "baseline", "--vary", "enforcement=0:1:2", *TINY, "--scheduler",
                                         "tcp://h:99999", "--out", "{tmp}/c"], ("--scheduler", "99999")),
    Case("calibrate-scheduler-not-an-address", _calibrate("--scheduler", "nope", "--out", "{tmp}/cal"),
         ("--scheduler", "'nope'")),
    Case("weeks-10-billion-run", ["run", "baseline", "--weeks", "10000000000"],
         ("--weeks", "10,000,000,000", "5,200", "memory")),
    Case("weeks-10-billion-compare", ["compare", "baseline", "--weeks", "10000000000"], ("--weeks", "5,200")),
    Case("weeks-negative", ["run", "baseline", "--weeks", "-5"], ("--weeks", "'-5'")),
    Case("weeks-not-a-number", ["run", "baseline", "--weeks", "1e3"], ("--weeks", "'1e3'")),
    Case("replications-billion", ["compare", "baseline", "--replications", "1000000000"],
         ("--replications", "1,000,000,000", "100,000", "memory")),
    Case("replications-zero", ["compare", "baseline", "--replications", "0"], ("--replications", "'0'")),
    Case("large-without-flag", ["compare", "baseline", "banner_mandate", "--replications", "50000", "--out",
                                "{tmp}/c"], ("100,000 runs", "--large", "GB", "hours")),
    Case("sweep-10e8-steps", ["sweep", "baseline", "--vary", "enforcement=0:1:100000000", "--out", "{tmp}/s"],
         ("STEPS", "100,000,000", "memory")),
    Case("sweep-grid-product", ["sweep", "baseline", "--vary", "enforcement=0:1:2000", "--vary", "audits=0:1:1000",
                                "--out", "{tmp}/s"], ("design points", "2,000,000", "memory")),
    Case("sweep-lhs-10e8", ["sweep", "baseline", "--vary", "enforcement=0:1:2", "--design", "lhs", "--samples",
                            "100000000", "--out", "{tmp}/s"], ("--samples", "100,000,000", "memory")),
    Case("sweep-steps-zero", ["sweep", "baseline", "--vary", "enforcement=0:1:0"], ("STEPS", "at least 1")),
    Case("sweep-unknown-lever", ["sweep", "baseline", "--vary", "enforcment=0:1:2"], ("enforcment", "enforcement")),
    Case("sensitivity-n-huge", ["sensitivity", "screening", "--n", "100000000", "--out", "{tmp}/s"],
         ("--n 100000000", "sample points", "memory")),
    Case("workers-100000", ["compare", "baseline", "--replications", "1", *TINY, "--workers", "100000", "--out",
                            "{tmp}/c"], ("--workers", "100,000", "256")),
    Case("workers-zero", ["compare", "baseline", "--workers", "0"], ("--workers", "'0'")),
    Case("calibrate-workers-100000", _calibrate("--out", "{tmp}/cal", "--workers", "100000"), ("--workers", "256")),
    Case("calibrate-population-huge", ["calibrate", "--population", "1000000000", "--out", "{tmp}/cal"],
         ("--population", "1,000,000,000")),
    Case("calibrate-population-below-parameters", ["calibrate", "--workers", "1", "--population", "8",
                                                    "--generations", "3", "--out", "{tmp}/cal"],
         ("--population 8", "12 calibrated parameters", "--population 13")),
    Case("validation-report-replications-huge", ["validation-report", "--replications", "1000000000", "--out",
                                                  "{tmp}/v.md"], ("--replications", "100,000")),
    # --- symbolic link loops ---
    Case("symlink-loop-a-b-a", ["validate", "{tmp}/A.toml"], ("A.toml", "symbolic links"),
         links={"A.toml": "{tmp}/B.toml", "B.toml": "{tmp}/A.toml"}),
    Case("symlink-self", ["validate", "{tmp}/self.toml"], ("self.toml", "symbolic links"),
         links={"self.toml": "{tmp}/self.toml"}),
    Case("extends-into-loop", ["validate", "{tmp}/e.toml"], ('extends = "A.toml"', "symbolic links"),
         files={"e.toml": SCEN + 'extends = "A.toml"\n'}, links={"A.toml": "{tmp}/B.toml", "B.toml": "{tmp}/A.toml"}),
    Case("run-scenario-symlink-loop", ["run", "{tmp}/self.toml"], ("symbolic links",),
         links={"self.toml": "{tmp}/self.toml"}),
    Case("targets-symlink-loop", _calibrate("--targets", "{tmp}/t.toml", "--out", "{tmp}/cal"), ("t.toml",),
         links={"t.toml": "{tmp}/t.toml"}),
    Case("problem-symlink-loop", ["sensitivity", "{tmp}/q.toml"], ("q.toml", "not found"),
         links={"q.toml": "{tmp}/q.toml"}),
    # --- experiment folders ---
    Case("corrupt-spec-json-resume", ["compare", "baseline", "--replications", "1", "--workers", "1", *TINY, "--out",
                                      "{tmp}/exp", "--resume"], ("spec.json", "damaged", "cannot be resumed"),
         files={"exp/spec.json": '{"kind": "compare", '}),
    Case("corrupt-spec-json-no-resume", ["sweep", "baseline", "--vary", "enforcement=0:1:2", "--replications", "1",
                                         "--workers", "1", *TINY, "--out", "{tmp}/exp"], ("spec.json", "damaged"),
         files={"exp/spec.json": b"\xff\xfe"}),
    Case("spec-json-not-an-object", ["compare", "baseline", "--replications", "1", "--workers", "1", *TINY, "--out",
                                     "{tmp}/exp", "--resume"], ("spec.json",), files={"exp/spec.json": "[1, 2]"}),
    Case("posterior-corrupt", ["compare", "baseline", "--replications", "2", "--workers", "1", *TINY,
                               "--posterior", "{tmp}/post", "--out", "{tmp}/c"], ("--posterior", "posterior.csv"),
         files={"post/posterior.csv": "a,b\n1,\"x\n"}),
    Case("posterior-no-weight", ["compare", "baseline", "--replications", "2", "--workers", "1", *TINY,
                                 "--posterior", "{tmp}/post", "--out", "{tmp}/c"], ("--posterior", "'weight'"),
         files={"post/posterior.csv": "churn_neglect\n0.005\n"}),
    # --- calibration: shipped data and resume of another problem ---
    Case("calibrate-into-shipped-fit", _calibrate(), ("calibration/fitted/targets", "--overwrite")),
    Case("calibrate-write-scenario-over-shipped", _calibrate("--write-scenario", "--out", "{tmp}/cal"),
         ("scenarios/calibrated.toml", "--overwrite")),
    Case("calibrate-existing-without-resume", _calibrate("--out", "{tmp}/cal"), ("abc.db", "--resume"),
         files={"cal/abc.db": ""}),
    Case("calibrate-resume-other-problem", _calibrate("--out", "{tmp}/cal", "--resume"),
         ("different problem", "population was 500, now 16"),
         files={"cal/abc.db": "", "cal/problem.json": "@FINGERPRINT population=500"}),
    Case("calibrate-resume-other-weeks", _calibrate("--out", "{tmp}/cal", "--resume"),
         ("different problem", "weeks was 52, now 104"),
         files={"cal/abc.db": "", "cal/problem.json": "@FINGERPRINT weeks=52"}),
    Case("calibrate-resume-other-priors", _calibrate("--out", "{tmp}/cal", "--resume"),
         ("different problem", "priors was"),
         files={"cal/abc.db": "", "cal/problem.json": '@FINGERPRINT priors={"churn_neglect":[0.001,0.02]}'}),
    Case("calibrate-resume-other-targets", _calibrate("--out", "{tmp}/cal", "--resume"),
         ("different problem", "targets was []"),
         files={"cal/abc.db": "", "cal/problem.json": "@FINGERPRINT targets=[]"}),
    Case("calibrate-resume-other-set", _calibrate("--out", "{tmp}/cal", "--resume", "--set", "n_accounts=500"),
         ("different problem", "scenario_parameters"),
         files={"cal/abc.db": "", "cal/problem.json": "@FINGERPRINT population=16"}),
    Case("calibrate-resume-damaged-fingerprint", _calibrate("--out", "{tmp}/cal", "--resume"),
         ("problem.json", "damaged"), files={"cal/abc.db": "", "cal/problem.json": "{"}),
    Case("calibrate-into-folder-with-files", _calibrate("--out", "{tmp}/mine"), ("holds files", "--overwrite"),
         files={"mine/notes.txt": "keep me"}),
    # --- scenarios and overrides ---
    Case("scenario-empty-file", ["validate", "{tmp}/e.toml"], ("'title' is missing",), files={"e.toml": ""}),
    Case("scenario-is-a-folder", ["validate", "{tmp}/d.toml"], ("d.toml", "folder"), files={"d.toml/x": ""}),
    Case("scenario-unknown-name", ["run", "basline"], ("'basline'", "baseline")),
    Case("scenario-unknown-key", ["validate", "{tmp}/a.toml"], ("'titel'",), files={"a.toml": SCEN + "titel = 3\n"}),
    Case("scenario-inf-parameter", ["validate", "{tmp}/a.toml"], ("parameters.enforcement", "inf"),
         files={"a.toml": SCEN + "[parameters]\nenforcement = inf\n"}),
    Case("scenario-nan-parameter", ["validate", "{tmp}/a.toml"], ("parameters.enforcement", "nan"),
         files={"a.toml": SCEN + "[parameters]\nenforcement = nan\n"}),
    Case("scenario-not-utf8", ["validate", "{tmp}/a.toml"], ("a.toml", "not UTF-8"),
         files={"a.toml": b'title = "\xff"\n'}),
    Case("scenario-huge-file", ["validate", "{tmp}/a.toml"], ("a.toml", "larger than 1,000,000 bytes"),
         files={"a.toml": SCEN + "#" * 1_100_000 + "\n"}),
    Case("scenario-device", ["validate", "/dev/zero"], ("/dev", "system folder")),
    Case("extends-wrong-type", ["validate", "{tmp}/a.toml"], ("extends = 5",),
         files={"a.toml": SCEN + "extends = 5\n"}),
    Case("set-nan", ["run", "baseline", "--set", "enforcement=nan"], ("enforcement", "nan")),
    Case("set-negative-count", ["run", "baseline", "--set", "n_accounts=-5"], ("n_accounts", "-5")),
    Case("set-long-value-quoted-briefly", ["run", "baseline", "--set", "crm_rule=" + "z" * 300], ("crm_rule", "…"),
         secret="z" * 100),
    Case("seed-negative", ["run", "baseline", "--seed", "-1"], ("--seed", "'-1'")),
    Case("given-is-a-folder", ["sensitivity", "screening", "--given", "{tmp}/g"], ("--given", "no such file"),
         files={"g/x": ""}),
]


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every way of doing work fail loudly: bad input must be refused before any of it."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("work started before the input was checked")

    from sim.calibrate import run as calibrate_run
    from sim.experiment import executors
    from sim.model import SalesModel

    monkeypatch.setattr(SalesModel, "run", refuse)
    monkeypatch.setattr(executors.ProcessExecutor, "__init__", refuse)
    monkeypatch.setattr(executors.DaskExecutor, "__init__", refuse)
    monkeypatch.setattr(calibrate_run, "run_abc", refuse)


def _materialise(case: Case, tmp: Path) -> list[str]:
    """Write the case's files and links under ``tmp``; return its argv with ``{tmp}`` filled in."""
    for name, content in case.files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str) and content.startswith("@FINGERPRINT"):
            content = _fingerprint_with(content.split()[1])
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content.replace("{tmp}", str(tmp)), encoding="utf-8")
    for name, target in case.links.items():
        link = tmp / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target.replace("{tmp}", str(tmp)))
    if any("{tmp}/p.toml" in a for a in case.argv) and "p.toml" not in case.files:
        (tmp / "p.toml").write_text(PROBLEM)
    if any("runs.parquet" in a for a in case.argv):
        (tmp / "runs.parquet").write_bytes(b"PAR1")
    return [a.replace("{tmp}", str(tmp)) for a in case.argv]


def _fingerprint_with(change: str) -> str:
    """The fingerprint the shipped targets and baseline give with --population 16, one field changed."""
    from sim.calibrate import load_targets
    from sim.calibrate.fingerprint import fingerprint
    from sim.scenario import load_scenario

    cal = load_targets(TARGETS_OK)
    fp = fingerprint(cal, load_scenario(cal.scenario), population=16, replications=1, root_seed=1)
    key, value = change.split("=", 1)
    fp[key] = json.loads(value)
    return json.dumps(fp)


def _check(code: int, out: str, err: str, case: Case) -> None:
    text = out + err
    assert code == 2, f"exit {code}, expected 2:\n{text}"
    assert "Traceback" not in text
    assert "internal error" not in text
    assert err.startswith("salesim: error: "), err
    for needle in case.needles:
        assert needle in err, f"{needle!r} not in the message:\n{err}"
    if case.secret is not None:
        assert case.secret not in text, f"the message leaks file content:\n{text}"


# A case run in a child process starts a fresh interpreter (about 2 s): slow; the in-process cases stay quick.
@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=[pytest.mark.slow] if c.subprocess else [])
                                  for c in CASES])
def test_bad_input_exits_2_with_a_message(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str], no_work: None) -> None:
    argv = _materialise(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SALESIM_DEBUG", raising=False)
    monkeypatch.delenv("SALESIM_SCENARIOS", raising=False)
    if case.subprocess:
        env = {**os.environ, "SALESIM_PLANTED": SECRET, "PYTHONPATH": str(ROOT)}
        proc = subprocess.run([sys.executable, "-m", "sim.cli", *argv], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=120)
        _check(proc.returncode, proc.stdout, proc.stderr, case)
    else:
        code = main(argv)
        captured = capsys.readouterr()
        _check(code, captured.out, captured.err, case)


def test_planted_secret_is_really_in_proc_environ_of_a_child() -> None:
    """The leak cases are only meaningful if /proc/self/environ of the child holds the secret."""
    env = {**os.environ, "SALESIM_PLANTED": SECRET}
    proc = subprocess.run([sys.executable, "-c", "print(open('/proc/self/environ').read())"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert SECRET in proc.stdout


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_refused_calibrations_leave_shipped_files_as_they_were(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str],
                                                               no_work: None) -> None:
    fitted = ROOT / "calibration" / "fitted" / "targets"
    before = _digest(fitted), _digest(ROOT / "scenarios")
    monkeypatch.chdir(tmp_path)
    assert main(_calibrate()) == 2
    assert main(_calibrate("--write-scenario", "--out", str(tmp_path / "cal"))) == 2
    capsys.readouterr()
    assert (_digest(fitted), _digest(ROOT / "scenarios")) == before
    assert not (fitted / "problem.json").exists()


def test_resume_of_the_same_problem_is_allowed_past_the_guard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str],
                                                              no_work: None) -> None:
    """The fingerprint check must not refuse the same problem: it gets as far as ABC (refused by no_work)."""
    folder = tmp_path / "cal"
    folder.mkdir()
    (folder / "abc.db").write_text("")
    (folder / "problem.json").write_text(_fingerprint_with("population=16"))
    assert main(_calibrate("--out", str(folder), "--resume", "--generations", "3")) == 1
    assert "work started" in capsys.readouterr().err


def test_every_failure_case_is_distinct() -> None:
    assert len({c.id for c in CASES}) == len(CASES)


# --- the guards and limits themselves ----------------------------------------------


def test_workers_above_the_cores_are_reduced_with_a_note(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_guards.workers(32, cores=2) == 2
    assert "--workers 32" in capsys.readouterr().err
    assert cli_guards.workers(2, cores=2) == 2
    assert cli_guards.workers(None, cores=2) is None
    with pytest.raises(UserError, match="256"):
        cli_guards.workers(257, cores=512)


@pytest.mark.parametrize("address", ["tcp://10.0.0.5:8786", "localhost:8786", "tls://[::1]:8786"])
def test_scheduler_addresses_that_are_accepted(address: str) -> None:
    assert cli_guards.scheduler(address) == address


def test_output_folder_is_created_and_writable(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b"
    assert cli_guards.output_folder(out) == out
    assert out.is_dir() and list(out.iterdir()) == []


def test_estimates_grow_with_the_work() -> None:
    small, big = limits.estimate(10, 104, 2000, 2), limits.estimate(10_000, 104, 2000, 2)
    assert big.memory_bytes == 1000 * small.memory_bytes
    assert big.wall_seconds == 1000 * small.wall_seconds
    assert "GB" in limits.estimate(1_000_000, 104, 2000, 2).text()


def test_large_work_passes_with_the_flag() -> None:
    est = limits.check_work("x", 50_000, 104, 2000, 2, large=True)
    assert est.runs == 50_000
    with pytest.raises(UserError, match="--large"):
        limits.check_work("x", 50_000, 104, 2000, 2, large=False)


def test_excerpt_is_short_and_escaped() -> None:
    text = excerpt("a\x1bb\n" + "c" * 200)
    assert len(text) == 80 and "\x1b" not in text and "\n" not in text and text.endswith("…")
    assert excerpt("short") == "short"
