"""Books of business (docs/book.md): malformed files exit 2 with row-level messages, a model's starting state
survives an export and re-import, scenarios start from books, and targets come from a book's history."""

from __future__ import annotations

import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.book import read_book
from sim.book.example import make_book
from sim.calibrate import load_targets
from sim.cli import main
from sim.model import SalesModel
from sim.params import Params
from sim.population import nps_score
from sim.scenario import load_scenario

SMALL = {"n_accounts": 80, "n_reps": 4, "n_managers": 2}


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """A small valid book with history, as CSV."""
    return make_book(tmp_path / "book", n_accounts=80, n_reps=4, n_managers=2, seed=3)


def _bad(capsys: pytest.CaptureFixture[str], folder: Path, *needles: str) -> str:
    """check-book on ``folder`` exits 2 with a message holding every needle and no traceback."""
    rc = main(["check-book", str(folder)])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "Traceback" not in err and "internal error" not in err.lower()
    for n in needles:
        assert n in err, f"{n!r} not in: {err}"
    return err


def _edit(path: Path, change: Callable[[list[str]], list[str]]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(change(lines)) + "\n", encoding="utf-8")


def _set_cell(path: Path, row: int, column: str, value: str) -> None:
    """Set a cell of a CSV (row 1 = first data row) through pandas, keeping every other cell as written."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[row - 1, column] = value
    df.to_csv(path, index=False)


# --- malformed books: one case each ---------------------------------------------------


def test_valid_book_passes_and_says_what_it_assumes(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-book", str(book)]) == 0
    out = capsys.readouterr().out
    assert "valid" in out and "share of wallet: 80 of 80 accounts give none" in out
    assert "acct-" not in out and "rep-0" not in out  # no id leaves the machine in a report


def test_missing_required_column(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    df = pd.read_csv(book / "accounts.csv", dtype=str).drop(columns=["segment"])
    df.to_csv(book / "accounts.csv", index=False)
    _bad(capsys, book, "accounts.csv", "required column 'segment' is missing")


def test_wrong_spend_unit(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(book / "accounts.csv", lambda ls: [ls[0].replace("spend_per_year", "spend_per_month"), *ls[1:]])
    _bad(capsys, book, "spend_per_month", "spend_per_week", "spend_per_year")


def test_duplicate_account_ids(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _set_cell(book / "accounts.csv", 3, "account_id", "acct-000000")
    _bad(capsys, book, "accounts.csv row 3 (line 4), column account_id, value 'acct-000000'", "row 1 (line 2)",
         "unique")


def test_account_owned_by_unknown_rep(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _set_cell(book / "accounts.csv", 2, "rep_id", "rep-999")
    _bad(capsys, book, "accounts.csv row 2 (line 3), column rep_id, value 'rep-999'", "reps.csv")


def test_negative_spend(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _set_cell(book / "accounts.csv", 5, "spend_per_year", "-10")
    _bad(capsys, book, "row 5 (line 6), column spend_per_year, value '-10'", "greater than or equal to 0")


def test_non_utf8_bytes(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = (book / "accounts.csv").read_bytes().split(b"\n")
    raw[4] = raw[4].replace(b"north", b"n\xf6rth").replace(b"south", b"s\xf6uth").replace(b"east", b"\xe9ast") \
        .replace(b"west", b"w\xe9st")
    (book / "accounts.csv").write_bytes(b"\n".join(raw))
    _bad(capsys, book, "line 5 (row 4)", "not UTF-8")


def test_empty_file(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (book / "reps.csv").write_bytes(b"")
    _bad(capsys, book, "reps.csv", "empty")


def test_out_of_range_score_in_parquet(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    df = pd.read_csv(book / "accounts.csv")
    df.loc[6, "nps_score"] = 11
    (book / "accounts.csv").unlink()
    df.to_parquet(book / "accounts.parquet", index=False)
    _bad(capsys, book, "accounts.parquet row 7, column nps_score, value 11", "0 to 10")


def test_run_of_a_scenario_with_a_bad_book_exits_2(book: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _set_cell(book / "accounts.csv", 2, "rep_id", "rep-999")
    scen = tmp_path / "ours.toml"
    scen.write_text('title = "T"\nquestion = "Q?"\nextends = "baseline"\nbook = "book"\n', encoding="utf-8")
    rc = main(["run", str(scen), "--weeks", "2", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2 and "rep-999" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


# --- starting from a book ----------------------------------------------------------------


def test_scenario_book_is_relative_to_the_file_and_sets_the_size(book: Path, tmp_path: Path) -> None:
    scen = tmp_path / "ours.toml"
    scen.write_text('title = "T"\nquestion = "Q?"\nextends = "baseline"\nbook = "book"\n', encoding="utf-8")
    p = load_scenario(scen).params
    assert Path(p.book) == book.resolve()
    assert (p.n_accounts, p.n_reps, p.n_managers) == (80, 4, 2)


def test_model_starts_from_the_book(book: Path) -> None:
    b = read_book(book)
    m = SalesModel(Params(book=str(book)), rng=5)
    k = b.n_accounts
    assert int(m.acc.active.sum()) == k and m.acc.active[:k].all()
    np.testing.assert_allclose(m.acc.spend[:k], b.spend, rtol=1e-12)
    scored = ~np.isnan(b.sat)
    assert (nps_score(m.acc.sat[:k][scored]) == np.rint(b.sat[scored] * 10)).all()
    assert (m.acc.rep[:k] == b.slot).all()
    assert (m.acc.issue[:k] == b.issue).all() and m.acc.issue_reported[:k][b.issue > 0].all()
    np.testing.assert_allclose(m.acc.since[:k][~np.isnan(b.since)], b.since[~np.isnan(b.since)])
    assert [sorted(mg.slots) for mg in m.managers] == b.teams()
    new = b.tenure < m.p.book_new_hire_years
    assert all(r.skill == m.p.new_hire_skill for r in m.reps if new[r.slot])


def test_same_book_same_seed_same_numbers(book: Path) -> None:
    a = SalesModel(Params(book=str(book), burn_in_weeks=4), rng=2).run(8).kpis()
    b = SalesModel(Params(book=str(book), burn_in_weeks=4), rng=2).run(8).kpis()
    assert a == pytest.approx(b, nan_ok=True, rel=0, abs=0)


# --- round trip: export the starting state, import it again -------------------------------------


def test_synthetic_start_round_trips_through_an_exported_book(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    sets = [f"--set={k}={v}" for k, v in SMALL.items()] + ["--set=burn_in_weeks=0"]
    rc = main(["run", "baseline", *sets, "--weeks", "1", "--seed", "4", "--out", str(tmp_path / "run"),
               "--export-book", str(tmp_path / "exported")])
    assert rc == 0, capsys.readouterr().err
    orig = SalesModel(Params(**SMALL), rng=4)
    again = SalesModel(Params(book=str(tmp_path / "exported"), **SMALL), rng=4)
    seats = np.flatnonzero(orig.acc.active)
    k = seats.size
    assert again.acc.active[:k].all() and int(again.acc.active.sum()) == k
    for name in ("spend", "sat", "share", "issue", "issue_age", "rep", "start_score"):
        np.testing.assert_array_equal(getattr(again.acc, name)[:k], getattr(orig.acc, name)[seats], err_msg=name)
    np.testing.assert_allclose(again.acc.since[:k], orig.acc.since[seats], atol=0.5 / 7)  # dates: nearest day
    assert [r.skill for r in again.reps] == [r.skill for r in orig.reps]
    assert [r.quota for r in again.reps] == pytest.approx([r.quota for r in orig.reps], rel=1e-9)


def test_book_start_round_trips_exactly(book: Path, tmp_path: Path) -> None:
    from sim.book.export import export_book

    first = SalesModel(Params(book=str(book)), rng=9)
    export_book(first, tmp_path / "again", fmt="csv")
    second = SalesModel(Params(book=str(tmp_path / "again")), rng=9)
    for name in ("spend", "sat", "share", "wallet", "since", "issue", "issue_age", "issue_reported", "rep",
                 "active", "phase", "start_score"):
        np.testing.assert_array_equal(getattr(second.acc, name), getattr(first.acc, name), err_msg=name)
    np.testing.assert_allclose(second.acc.disposition, first.acc.disposition, rtol=1e-12)
    assert list(read_book(tmp_path / "again").account_ids) == list(read_book(book).account_ids)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spend=st.lists(st.floats(0.0, 1e7, allow_nan=False), min_size=10, max_size=30),
       scores=st.lists(st.one_of(st.none(), st.integers(0, 10)), min_size=30, max_size=30),
       per_year=st.booleans())
def test_any_valid_book_starts_the_model_with_its_spend_and_scores(tmp_path: Path, spend: list[float],
                                                                   scores: list[int | None], per_year: bool) -> None:
    n = len(spend)
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    unit = "spend_per_year" if per_year else "spend_per_week"
    pd.DataFrame({"account_id": [f"a{i}" for i in range(n)], "rep_id": [f"r{i % 3}" for i in range(n)],
                  unit: spend, "segment": "s", "region": "r",
                  "nps_score": pd.array(scores[:n], dtype="Int64")}).to_parquet(folder / "accounts.parquet")
    pd.DataFrame({"rep_id": ["r0", "r1", "r2"], "manager_id": ["m", "m", "n"],
                  "tenure_years": [3.0, 0.1, 5.0]}).to_parquet(folder / "reps.parquet")
    m = SalesModel(Params(book=str(folder)), rng=1)
    weekly = np.array(spend) / (52.0 if per_year else 1.0)
    np.testing.assert_allclose(m.acc.spend[:n], weekly, rtol=1e-12)
    given_scores = np.array([s if s is not None else -1 for s in scores[:n]])
    start = m.acc.start_score[:n]
    assert (start[given_scores >= 0] == given_scores[given_scores >= 0]).all()
    assert ((start >= 0) & (start <= 10)).all()
    assert m.p.n_accounts == n and m.p.n_managers == 2
    assert np.isfinite(m.acc.wallet).all()


# --- targets from the book's history -----------------------------------------------------------


def test_targets_from_book_match_the_files_and_leak_no_ids(book: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "t" / "ours.toml"
    assert main(["targets-from-book", str(book), "--out", str(out)]) == 0
    capsys.readouterr()
    text = out.read_text(encoding="utf-8")
    assert "acct-" not in text and "rep-0" not in text and "mgr-" not in text
    cal = load_targets(out)
    got = {t.kpi: t for t in cal.targets}
    acc = pd.read_csv(book / "accounts.csv")
    churned = acc["churned_on"].notna().sum()
    assert got["annual_churn_rate"].value == pytest.approx(churned / len(acc), abs=1e-6)
    opp = pd.read_csv(book / "opportunities.csv")
    assert got["win_rate_purchase"].value == pytest.approx((opp["outcome"] == "won").mean(), abs=1e-6)
    cur = acc[acc["churned_on"].isna()]["nps_score"].dropna()
    assert got["nps"].value == pytest.approx(100 * ((cur >= 9).mean() - (cur <= 6).mean()), abs=1e-5)
    for t in cal.targets:
        assert t.low <= t.value <= t.high and "book" in t.source
    assert set(got) == {"annual_churn_rate", "win_rate_purchase", "nps", "quota_attainment", "rep_turnover_rate"}
    scen = load_scenario(cal.scenario)  # the scenario written beside it starts from the book
    assert Path(scen.params.book) == book.resolve()
    assert tomllib.loads(text)["priors"] == tomllib.loads(Path("calibration/targets.toml").read_text())["priors"]


def test_targets_need_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = make_book(tmp_path / "nohist", n_accounts=40, n_reps=3, n_managers=1, history=False)
    (folder / "reps.csv").write_text(pd.read_csv(folder / "reps.csv").drop(columns=["quota_attainment"])
                                     .to_csv(index=False), encoding="utf-8")
    assert main(["targets-from-book", str(folder), "--out", str(tmp_path / "t.toml")]) == 2
    assert "too little history" in capsys.readouterr().err


@pytest.mark.slow
def test_calibrate_fits_to_a_book_targets_file(book: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ours.toml"
    assert main(["targets-from-book", str(book), "--out", str(out)]) == 0
    rc = main(["calibrate", "--targets", str(out), "--population", "6", "--generations", "1", "--ppc-draws", "2",
               "--workers", "1", "--out", str(tmp_path / "fit"), "--quiet"])
    assert rc == 0, capsys.readouterr().err
    fitted = load_scenario(tmp_path / "fit" / "calibrated.toml")  # loads, and still starts from the book
    assert Path(fitted.params.book) == book.resolve() and fitted.params.n_accounts == 80


@pytest.mark.slow
def test_compare_runs_on_a_book_and_workers_agree(book: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    for name, parent in (("ours", "baseline"), ("ours_mandate", "banner_mandate")):
        (tmp_path / f"{name}.toml").write_text(f'title = "{name}"\nquestion = "?"\nextends = "{parent}"\n'
                                               'book = "book"\n', encoding="utf-8")
    tables = []
    for workers in ("1", "2"):
        out = tmp_path / f"cmp{workers}"
        rc = main(["compare", str(tmp_path / "ours.toml"), str(tmp_path / "ours_mandate.toml"), "--replications",
                   "2", "--weeks", "6", "--set", "burn_in_weeks=2", "--workers", workers, "--quiet",
                   "--out", str(out)])
        assert rc == 0, capsys.readouterr().err
        tables.append(pd.read_csv(out / "comparison.csv"))
        assert "acct-" not in (out / "report.html").read_text(encoding="utf-8")
    pd.testing.assert_frame_equal(tables[0], tables[1])
    runs = pd.read_parquet(tmp_path / "cmp1" / "runs.parquet")
    assert len(runs) == 4 and runs["revenue"].gt(0).all()


def test_a_stored_run_on_a_book_is_not_reused_after_the_book_changed(book):
    """The runner's job id covers the book's contents, so --resume after an edit reruns instead of reusing."""
    from sim.experiment.jobs import Job

    def job_id() -> str:
        return Job(label="x", params={"book": str(book)}, replication=0, seed=1, weeks=10).id

    before = job_id()
    assert job_id() == before
    accounts = next(f for f in book.iterdir() if f.name.startswith("accounts"))
    accounts.write_bytes(accounts.read_bytes() + b"\n")
    assert job_id() != before
