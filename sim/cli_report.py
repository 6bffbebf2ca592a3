"""``salesim report``: re-render a stored comparison against any reference scenario, with no rerun."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim import cli_guards
from sim.cli_common import text_table
from sim.errors import UserError

if TYPE_CHECKING:
    import pandas as pd

    from sim.experiment.compare import Comparison


def add_report(sub: argparse._SubParsersAction) -> None:
    """Register ``salesim report``."""
    p = sub.add_parser("report", help="re-render a comparison's report and tables with any reference, no rerun",
                       description="Read a 'salesim compare' folder (meta.json, runs.parquet, series.parquet) and "
                       "write comparison.csv, ranking.csv, profit_pairs.csv and report.html again, with the "
                       "differences taken against --reference. The numbers equal those of a fresh compare that "
                       "lists that scenario first.")
    p.add_argument("folder", type=Path, metavar="DIR", help="the --out folder of a finished 'salesim compare'")
    p.add_argument("--reference", metavar="NAME", default=None,
                   help="the scenario differences are taken against (default: the comparison's first)")
    p.add_argument("--out", type=Path, default=None, help="write the tables and report here (default: DIR)")
    p.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    """Re-summarise a stored comparison and write its tables and report."""
    from sim.experiment.compare import PAIRS_CSV, RANKING_CSV, load_comparison
    from sim.experiment.lock import FolderLock
    from sim.report.comparison import write_comparison_report

    folder: Path = args.folder
    if not folder.is_dir():
        raise UserError(f"{folder}: no such folder; give the --out folder of a finished 'salesim compare'.")
    out = args.out or folder
    if args.out is not None:
        cli_guards.output_folder(out)
    with FolderLock(folder):  # no compare may write the runs while they are read
        result = load_comparison(folder, args.reference, out)
        report = write_comparison_report(result)
    print(ranking_text(result))
    print(f"\nwrote {out / 'comparison.csv'}, {out / RANKING_CSV}, {out / PAIRS_CSV} and {report}")
    return 0


def ranking_text(result: Comparison) -> str:
    """The ranking on profit as a plain-text table: rank, scenario, profit and its paired difference."""
    from sim import formatting as fm
    from sim.kpis import display_format
    from sim.report.executive import word

    if result.answer is None:
        return ""
    fmt, ref = display_format("profit"), result.scenarios[0]["name"]
    rows = []
    for _, r in result.answer.ranking.iterrows():
        diff = "" if r["scenario"] == ref else (
            f"{fm.estimate(r['profit_diff'], r['profit_diff_low'], r['profit_diff_high'], fmt, signed=True)}: "
            f"{word(r['profit_diff'], bool(r['profit_distinct']), r['profit_diff_low'], r['profit_diff_high'])}")
        rows.append([str(r["rank"]), str(r["scenario"]), fm.value(r["profit"], fmt), diff])
    return text_table(["rank", "scenario", "profit per year", f"difference vs {ref} [paired 95 % CI]"], rows,
                      right=(0, 2))


BEST_POINTS = 5  # design points a sweep prints, best profit first


def sweep_reference(values: dict[str, Any], levers: list[str]) -> dict[str, Any]:
    """``--reference`` of a sweep checked: it may only name varied levers."""
    from sim.tomlfile import did_you_mean

    for k in values:
        if k not in levers:
            raise UserError(f"--reference {k}=...: {k!r} is not a varied lever; {did_you_mean(k, levers)}"
                            f"name one of {', '.join(levers)}.")
    return values


def sweep_answer(records: list[dict[str, Any]], levers: list[str], design: str, out: Path, title: str,
                 chosen: bool = False) -> list[Path]:
    """Print a sweep's best points against its reference point; draw the heatmap of a grid of two levers
    (small multiples for a third).

    ``records`` is ``runs.attrs["vs_reference"]`` of :func:`sim.experiment.sweep.sweep`; ``chosen`` says
    the reference point was given (--reference) rather than the base scenario's. Returns the files
    written (the differences table, and the heatmap when there is one).
    """
    import pandas as pd

    from sim.experiment.sweep_answer import ANSWER_CSV, ANSWER_KPIS, best_points
    from sim.report.sweep_figure import plot_sweep_heatmap

    diffs = pd.DataFrame(records)
    ref = diffs[diffs["reference"]].iloc[0]
    where = ", ".join(f"{k} = {_plain(ref[k])}" for k in levers)
    whose = "--reference" if chosen else "the base scenario's levers"
    print(f"\nbest {min(BEST_POINTS, len(diffs))} points on profit, against the reference point ({where}; "
          f"{whose}, or the design point nearest them):")
    print(points_text(best_points(diffs, n=BEST_POINTS), levers, ANSWER_KPIS))
    written = [out / ANSWER_CSV]
    if design == "grid" and len(levers) in (2, 3):
        written.append(plot_sweep_heatmap(diffs, levers, ANSWER_KPIS, out / "sweep_heatmap.png",
                                          f"{title}: which {levers[0]} and {levers[1]}?"))
    return written


def points_text(rows: pd.DataFrame, levers: list[str], kpis: tuple[str, ...]) -> str:
    """Design points as a plain-text table: levers, each KPI's mean and paired difference with a word."""
    from sim import formatting as fm
    from sim.kpis import display_format, label
    table = []
    for _, r in rows.iterrows():
        cells = [_plain(r[k]) for k in levers]
        for k in kpis:
            fmt = display_format(k)
            diff = "reference" if r["reference"] else (
                f"{fm.estimate(r[f'{k}_diff'], r[f'{k}_diff_low'], r[f'{k}_diff_high'], fmt, signed=True)}"
                f"{'' if r[f'{k}_distinct'] else ' (cannot tell from zero)'}")
            cells += [fm.value(r[k], fmt), diff]
        table.append(cells)
    heads = [*levers, *[h for k in kpis for h in (label(k), "difference [paired 95 % CI]")]]
    return text_table(heads, table)


def _plain(x: object) -> str:
    from sim import formatting as fm

    return x if isinstance(x, str) else fm.plain(x)
