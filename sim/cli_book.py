"""``salesim check-book`` and ``salesim targets-from-book``: a CRM export as the model's book and targets."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.errors import UserError


def print_assumptions(book_folder: str) -> None:
    """One line per value the book left to the model (on stderr, so tables on stdout stay clean)."""
    from sim.book import load_book

    book = load_book(book_folder)
    print(f"book: {book.n_accounts:,} accounts, {book.n_reps} reps, {book.n_managers} managers, as of "
          f"{book.as_of}; assumed: " + "; ".join(book.assumptions()), file=sys.stderr)


def add_check_book(sub: argparse._SubParsersAction) -> None:
    """Register ``salesim check-book``."""
    p = sub.add_parser("check-book", help="check a book of business (accounts and reps files) and say what "
                       "the model would assume", description="Check a book folder against docs/book.md: exit 0 "
                       "with a summary when valid, 2 with row- and column-level messages when not.")
    p.add_argument("book", type=Path, help="book folder (accounts.csv|parquet, reps.csv|parquet, ...)")
    p.set_defaults(func=cmd_check_book)


def cmd_check_book(args: argparse.Namespace) -> int:
    """Check a book and print its size and the model's assumptions (no id or name is printed)."""
    from sim.book import read_book

    book = read_book(args.book)
    print(f"{args.book}: valid. {book.n_accounts:,} current accounts, {book.n_reps} reps in post, "
          f"{book.n_managers} managers, as of {book.as_of}.")
    for line in book.assumptions():
        print(f"  assumed: {line}")
    return 0


def add_targets_from_book(sub: argparse._SubParsersAction) -> None:
    """Register ``salesim targets-from-book``."""
    p = sub.add_parser("targets-from-book", help="compute calibration targets from a book with history",
                       description="Compute the firm's churn rate, win rate, NPS, quota attainment and rep "
                       "turnover from a book with history and write a targets file for 'salesim calibrate "
                       "--targets FILE', with each figure's provenance. Without --scenario, a scenario that "
                       "starts from the book is written beside the targets file.")
    p.add_argument("book", type=Path, help="book folder with history (churned_on, opportunities, left_on)")
    p.add_argument("--out", type=Path, default=Path("book_targets.toml"), help="targets file to write "
                   "(default: book_targets.toml)")
    p.add_argument("--scenario", default=None, help="scenario the targets apply to (default: write "
                   "<out>_scenario.toml extending baseline with this book)")
    p.add_argument("--overwrite", action="store_true", help="replace existing files")
    p.set_defaults(func=cmd_targets_from_book)


def cmd_targets_from_book(args: argparse.Namespace) -> int:
    """Write the targets file (and, by default, its scenario)."""
    import os

    from sim.book import read_book
    from sim.book.targets import book_targets, targets_toml
    from sim.calibrate import load_targets

    book = read_book(args.book)
    targets = book_targets(book)
    if len(targets) < 2:
        raise UserError(f"Book {args.book} has too little history for targets: it gives {len(targets)} figure(s); "
                        "add churned_on to accounts, an opportunities file, or left_on and quota_attainment to "
                        "reps (docs/book.md, 'History').")
    out: Path = args.out
    scenario_path = out.with_name(out.stem + "_scenario.toml")
    written = [out] if args.scenario else [out, scenario_path]
    clash = [p for p in written if p.exists()]
    if clash and not args.overwrite:
        raise UserError(f"{clash[0]} exists; add --overwrite to replace it, or choose another --out.")
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.scenario:
        scenario = args.scenario
    else:
        rel = Path(os.path.relpath(args.book.resolve(), out.parent.resolve())).as_posix()
        scenario_path.write_text(f'title = "Our own book of business"\nquestion = "How does our own unit, '
                                 f'started from its CRM export, respond to the levers?"\nextends = "baseline"\n'
                                 f'book = "{rel}"\n', encoding="utf-8")
        scenario = scenario_path.name
    priors = load_targets().priors
    out.write_text(targets_toml(targets, scenario, priors, f"Our own figures, from the book as of {book.as_of}"),
                   encoding="utf-8")
    load_targets(out)  # the file it wrote must read back
    for t in targets:
        print(f"  {t.name:<17} {t.value:8.3f}  range {t.low:.3f} to {t.high:.3f}   ({t.source})")
    print("wrote " + " and ".join(str(p) for p in written))
    return 0
