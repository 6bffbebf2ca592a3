"""Read a book folder (CSV or Parquet files, docs/book.md) and check it row by row and column by column.

Every problem becomes one :class:`BookError` naming the file, the row, the column, the value and what is
allowed; no traceback reaches a user. The checked files become a :class:`sim.book.model.Book`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import TypeAdapter, ValidationError

from sim.book.columns import FILES, MANIFEST, PROBLEM_CATEGORIES, REQUIRED_FILES, SPEND_COLUMNS, WEEKS_PER_YEAR
from sim.book.model import Book
from sim.book.rows import ROWS
from sim.errors import UserError

MAX_SHOWN = 10  # problems listed in one message; the rest are counted
MIN_ACCOUNTS = 10  # the model's smallest unit (Params.n_accounts)


class BookError(UserError):
    """A book folder or one of its files is invalid; the message names file, row, column, value and rule."""


def find_file(folder: Path, stem: str) -> Path | None:
    """The CSV or Parquet file ``stem`` in ``folder`` (refusing both at once), or None."""
    found = [folder / f"{stem}{ext}" for ext in (".csv", ".parquet") if (folder / f"{stem}{ext}").is_file()]
    if len(found) > 1:
        raise BookError(f"Book {folder} has both {stem}.csv and {stem}.parquet: keep one of them.")
    return found[0] if found else None


def read_book(folder: str | Path) -> Book:
    """Read and check the book in ``folder``: accounts, reps and (optional) opportunities, plus book.toml."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BookError(f"Book folder {folder} not found: a book is a folder holding accounts.csv (or .parquet) "
                        "and reps.csv (or .parquet); see docs/book.md.")
    frames: dict[str, pd.DataFrame] = {}
    for stem in FILES:
        path = find_file(folder, stem)
        if path is None:
            if stem in REQUIRED_FILES:
                raise BookError(f"Book {folder} has no {stem}.csv or {stem}.parquet: every book needs "
                                f"{' and '.join(REQUIRED_FILES)} files (docs/book.md).")
            continue
        frames[stem] = read_table(path, stem)
    as_of = _as_of(folder, frames)
    return _assemble(folder, frames, as_of)


def read_table(path: Path, stem: str) -> pd.DataFrame:
    """One file, checked against its declared columns and row rules; missing values are None."""
    df = _read_csv(path) if path.suffix == ".csv" else _read_parquet(path)
    if len(df) == 0:
        raise BookError(f"Invalid book file {path}: it has a header but no rows; it needs one row per {stem[:-1]}.")
    _check_columns(path, stem, df)
    _check_rows(path, stem, df)
    return df


def _read_csv(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    if not raw.strip():
        raise BookError(f"Invalid book file {path}: the file is empty; it needs a header line naming its columns "
                        "and one line per row (docs/book.md).")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        bad = raw[exc.start:exc.start + 4]
        raise BookError(f"Invalid book file {path}: line {line} (row {line - 1}) holds bytes that are not UTF-8 "
                        f"({bad!r}); export the file as UTF-8 text (in a spreadsheet: 'CSV UTF-8').") from None
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise BookError(f"Invalid book file {path}: not a valid CSV table ({str(exc).strip()}); every line "
                        "needs as many comma-separated values as the header has columns.") from None
    return df.astype(object).where(df != "", None)


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several kinds for a damaged file
        raise BookError(f"Invalid book file {path}: not a readable Parquet file ({type(exc).__name__}: "
                        f"{str(exc)[:200]}).") from None
    df = df.astype(object)
    return df.where(pd.notna(df), None)


def _check_columns(path: Path, stem: str, df: pd.DataFrame) -> None:
    declared = {c.name: c for c in FILES[stem]}
    problems = []
    for col in df.columns:
        if col not in declared:
            hint = difflib.get_close_matches(str(col), list(declared), n=1)
            if str(col).startswith("spend_") and stem == "accounts":
                problems.append(f"column '{col}' is not a known spend unit: spend is given per week "
                                "(spend_per_week, currency per week) or per year (spend_per_year)")
            else:
                problems.append(f"column '{col}' is not a column of {stem}"
                                + (f" (did you mean '{hint[0]}'?)" if hint else "")
                                + f"; allowed: {', '.join(declared)}")
    for c in FILES[stem]:
        if c.required and c.name not in df.columns:
            problems.append(f"required column '{c.name}' is missing ({c.meaning.rstrip('.')}; {c.allowed})")
    if stem == "accounts":
        given = [c for c in SPEND_COLUMNS if c in df.columns]
        if len(given) != 1:
            problems.append("exactly one spend column is needed, stating its unit: spend_per_week or "
                            f"spend_per_year; the file has {', '.join(given) or 'neither'}")
    _raise(path, problems)


def _check_rows(path: Path, stem: str, df: pd.DataFrame) -> None:
    declared = {c.name: c for c in FILES[stem]}
    cols = [str(c) for c in df.columns]
    records = [dict(zip(cols, row, strict=True)) for row in df.itertuples(index=False, name=None)]
    problems: list[str] = []
    try:
        TypeAdapter(list[ROWS[stem]]).validate_python(records)  # type: ignore[valid-type]
    except ValidationError as exc:
        for err in exc.errors():
            if len(err["loc"]) < 2:
                continue
            row, col = int(err["loc"][0]), str(err["loc"][1])
            allowed = declared[col].allowed if col in declared else ""
            value = records[row].get(col)
            problems.append(_where(path, row, col, value) + f"{_reason(err, value)}; allowed: {allowed}")
    if stem == "accounts":
        spend = next(c for c in SPEND_COLUMNS if c in df.columns)
        for row in np.flatnonzero(df[spend].isna().to_numpy())[:MAX_SHOWN]:
            problems.append(_where(path, int(row), spend, None) + "is missing; every account needs its spend")
        if "problem_category" in df.columns:
            age = df["problem_age_weeks"] if "problem_age_weeks" in df.columns else pd.Series([None] * len(df))
            for row in np.flatnonzero((df["problem_category"].notna() & age.isna()).to_numpy())[:MAX_SHOWN]:
                problems.append(_where(path, int(row), "problem_age_weeks", None)
                                + "is missing; an open problem needs its age in weeks")
    id_col = FILES[stem][0].name
    ids = df[id_col].astype(str).str.strip()
    dup = ids.duplicated(keep="first").to_numpy()
    for row in np.flatnonzero(dup)[:MAX_SHOWN]:
        first = int(np.flatnonzero((ids == ids.iloc[row]).to_numpy())[0])
        problems.append(_where(path, int(row), id_col, ids.iloc[row])
                        + f"repeats the id of row {_row_text(path, first)}; ids must be unique")
    _raise(path, problems)


def _assemble(folder: Path, frames: dict[str, pd.DataFrame], as_of: dt.date) -> Book:
    acc, reps = frames["accounts"], frames["reps"]
    apath, rpath = find_file(folder, "accounts"), find_file(folder, "reps")
    assert apath is not None and rpath is not None  # both were read
    rep_ids = reps["rep_id"].astype(str).str.strip().to_numpy()
    in_post = reps["left_on"].isna().to_numpy() if "left_on" in reps.columns else np.ones(len(reps), bool)
    slot_of = {r: i for i, r in enumerate(rep_ids[in_post])}
    all_reps = set(rep_ids.tolist())
    owner = acc["rep_id"].astype(str).str.strip().to_numpy()
    active = acc["churned_on"].isna().to_numpy() if "churned_on" in acc.columns else np.ones(len(acc), bool)
    problems = []
    unknown = ~_isin(owner, rep_ids)
    for row in np.flatnonzero(unknown)[:MAX_SHOWN]:
        problems.append(_where(apath, int(row), "rep_id", owner[row]) + f"is not a rep_id of {rpath.name}; "
                        "every account must be owned by a rep in the reps file")
    gone = active & ~unknown & ~_isin(owner, list(slot_of))
    for row in np.flatnonzero(gone)[:MAX_SHOWN]:
        problems.append(_where(apath, int(row), "rep_id", owner[row]) + "is a rep who has left (left_on is set); "
                        "a current account must be owned by a rep in post")
    if "opportunities" in frames:
        opath = find_file(folder, "opportunities")
        assert opath is not None
        opp = frames["opportunities"]
        acc_ids = set(acc["account_id"].astype(str).str.strip())
        for col, known, other in (("account_id", acc_ids, apath.name), ("rep_id", all_reps, rpath.name)):
            vals = opp[col].astype(str).str.strip().to_numpy()
            for row in np.flatnonzero(~_isin(vals, list(known)))[:MAX_SHOWN]:
                problems.append(_where(opath, int(row), col, vals[row]) + f"is not a {col} of {other}")
    _raise(folder, problems)
    n_active, n_in_post = int(active.sum()), len(slot_of)
    if n_active < max(MIN_ACCOUNTS, n_in_post) or n_in_post < 1:
        raise BookError(f"Invalid book {folder}: it has {n_active:,} current accounts (no churned_on) and "
                        f"{n_in_post:,} reps in post (no left_on); the model needs at least {MIN_ACCOUNTS} "
                        "accounts, at least one rep, and no more reps than accounts.")
    return Book.from_frames(folder, acc, reps, frames.get("opportunities"), active, in_post, slot_of, as_of)


def _isin(values: np.ndarray, known: Any) -> np.ndarray:
    """Which ``values`` are among ``known`` (hashed: NumPy's isin on text is quadratic)."""
    return pd.Series(values).isin(set(known)).to_numpy()


def _as_of(folder: Path, frames: dict[str, pd.DataFrame]) -> dt.date:
    """The export's date: book.toml's as_of, else the latest date in the files."""
    manifest = folder / MANIFEST
    if manifest.is_file():
        try:
            data = tomllib.loads(manifest.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise BookError(f"Invalid book file {manifest}: not valid UTF-8 TOML ({exc}).") from None
        value = data.get("as_of")
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime) or set(data) - {"as_of", "title"}:
            raise BookError(f"Invalid book file {manifest}: as_of = {value!r}; allowed keys are as_of (a date, "
                            "as_of = 2026-06-30, unquoted) and title (text).")
        return value
    dates = [pd.to_datetime(df[c]).max() for df in frames.values() for c in df.columns
             if c in ("last_contact", "churned_on", "left_on", "closed_on") and df[c].notna().any()]
    return max(dates).date() if dates else dt.date(2000, 1, 1)


def weeks_before(as_of: dt.date, dates: pd.Series) -> np.ndarray:
    """Weeks from each date to ``as_of`` (NaN where missing; never negative)."""
    d = pd.to_datetime(dates)
    days = (pd.Timestamp(as_of) - d).dt.days.to_numpy(dtype=float)
    return np.maximum(days / (7.0), 0.0)


def annual(series: pd.Series, per_year: bool) -> np.ndarray:
    """Spend per week from a spend column (per year: divided by the model's 52 weeks)."""
    v = pd.to_numeric(series).to_numpy(dtype=float)
    return v / WEEKS_PER_YEAR if per_year else v


def _where(path: Path, row: int, col: str, value: Any) -> str:
    shown = "(missing)" if value is None else repr(value if not isinstance(value, str) else value[:60])
    return f"{path.name} row {_row_text(path, row)}, column {col}, value {shown}: "


def _row_text(path: Path, row: int) -> str:
    """Rows count from 1 (the first data row); a CSV's line number is one more (the header)."""
    return f"{row + 1} (line {row + 2})" if path.suffix == ".csv" else str(row + 1)


def _reason(err: Any, value: Any) -> str:
    kind = err["type"]
    if kind == "missing" or (value is None and kind.endswith("_type")):
        return "is missing"
    if kind == "extra_forbidden":
        return "is not a column of this file"
    return str(err["msg"]).lower()


def _raise(where: Path, problems: list[str]) -> None:
    if not problems:
        return
    head = f"Invalid book {'file ' if where.suffix else ''}{where}"
    if len(problems) == 1:
        raise BookError(f"{head}: {problems[0]}.")
    more = f"\n  ... and {len(problems) - MAX_SHOWN} more" if len(problems) > MAX_SHOWN else ""
    lines = "\n".join(f"  - {p}" for p in problems[:MAX_SHOWN])
    raise BookError(f"{head} has {len(problems)} problems:\n{lines}{more}")


__all__ = ["PROBLEM_CATEGORIES", "BookError", "annual", "find_file", "read_book", "read_table", "weeks_before"]
