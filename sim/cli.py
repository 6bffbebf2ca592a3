"""The ``salesim`` command line: run scenarios, list them and check scenario files.

Each subcommand is one ``add_*`` function that registers its parser and one
``cmd_*`` function that does the work; new commands are added to ``COMMANDS``.
Bad input ends with exit status 2 and a one-paragraph message on stderr
(``salesim: error: ...``); a bug ends with status 1 and a one-line message,
or with the traceback when ``SALESIM_DEBUG`` is set. The pieces the subcommand modules
share (parser, argument types, formatting, exit handling) live in :mod:`sim.cli_common`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim import cli_guards, formatting
from sim.cli_batch import add_calibrate, add_compare, add_sensitivity, add_sweep, add_trial
from sim.cli_book import add_check_book, add_targets_from_book, print_assumptions
from sim.cli_common import (
    AddCommand,
    check_weeks,
    command_parser,
    run_command_line,
    seed_arg,
    text_table,
    weeks_arg,
)
from sim.cli_decide import add_discover, add_optimize, add_robust
from sim.cli_experiment import add_batch
from sim.cli_report import add_report
from sim.dashboard.cli import add_dashboard
from sim.limits import check_work
from sim.room.cli import add_room
from sim.scenario import list_scenarios, load_scenario, parse_set, scenarios_dir
from sim.validation_cli import add_validation_report

# --- run ----------------------------------------------------------------------------


def add_run(sub: argparse._SubParsersAction) -> None:
    """Register ``salesim run``."""
    p = sub.add_parser("run", help="run one scenario and write a summary, a time series and a figure",
                       description="Run one scenario and write summary.json, timeseries.csv and weekly.png.")
    p.add_argument("scenario", help="scenario name (e.g. baseline) or path to a .toml file")
    p.add_argument("--seed", type=seed_arg, default=1, help="random seed (default: 1)")
    p.add_argument("--weeks", type=weeks_arg, default=104, help="weeks to simulate (default: 104)")
    p.add_argument("--set", action="append", default=[], metavar="LEVER=VALUE",
                   help="override a parameter, e.g. --set enforcement=1.0 (repeatable)")
    p.add_argument("--large", action="store_true", help="confirm a run estimated to take hours or gigabytes")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default: runs/<scenario>-seed<N>)")
    p.add_argument("--export-book", type=Path, default=None, metavar="DIR",
                   help="also write the unit's starting state as a book (docs/book.md) into DIR")
    p.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    """Run a scenario, print its KPIs and write the run's files."""
    scenario = load_scenario(args.scenario, parse_set(args.set))
    check_weeks(args.weeks, scenario.params.burn_in_weeks)
    check_work("this run", 1, args.weeks, scenario.params.n_accounts, 1, args.large)
    out = args.out or Path("runs") / f"{scenario.name}-seed{args.seed}"
    cli_guards.output_folder(out)
    from sim.kpis import KPIS  # imported lazily: the model is heavy and not needed by other commands
    from sim.model import SalesModel

    print(f"{scenario.title}: {args.weeks} weeks, seed {args.seed}")
    if scenario.params.book:
        print_assumptions(scenario.params.book)
    model = SalesModel.from_scenario(scenario, rng=args.seed)
    if args.export_book is not None:
        from sim.book.export import export_book

        export_book(model, args.export_book)
        print(f"wrote the starting state as a book into {args.export_book}")
    model.run(args.weeks)
    kpis = model.kpis()
    print(money_line(kpis))
    print(kpi_table(kpis, KPIS))
    _write_outputs(out, scenario, args, kpis, model.timeseries())
    print(f"\nwrote {out / 'summary.json'}, {out / 'timeseries.csv'} and {out / 'weekly.png'}")
    return 0


def _write_outputs(out: Path, scenario: Any, args: argparse.Namespace, kpis: dict[str, float],
                   timeseries: Any) -> None:
    """Write summary.json, timeseries.csv and weekly.png into ``out``."""
    from sim.experiment.tidy import tidy_series
    from sim.report.weekly import plot_weekly

    summary = {"scenario": scenario.name, "seed": args.seed, "weeks": args.weeks,
               "parameters": scenario.overrides, **{k: _json_number(v) for k, v in kpis.items()}}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    tidy_series(timeseries).to_csv(out / "timeseries.csv")  # revenue_week: the annual KPIs keep the bare names
    plot_weekly(timeseries, out / "weekly.png", f"{scenario.title} (seed {args.seed})")


def _json_number(value: Any) -> float | None:
    """A KPI as a JSON-safe float; NaN and infinities become null."""
    number = float(value)
    return number if math.isfinite(number) else None


# --- scenarios and validate ----------------------------------------------------------


def add_scenarios(sub: argparse._SubParsersAction) -> None:
    """Register ``salesim scenarios``."""
    p = sub.add_parser("scenarios", help="list the available scenarios",
                       description="List the scenarios: name, title, question and mechanisms.")
    p.set_defaults(func=cmd_scenarios)


def cmd_scenarios(args: argparse.Namespace) -> int:
    """Print every scenario with its question and mechanisms."""
    scenarios = list_scenarios()
    if not scenarios:
        print(f"no scenarios in {scenarios_dir()}")
    for sc in scenarios:
        print(f"{sc.name}: {sc.title}")
        print(textwrap.fill(sc.question, width=88, initial_indent="    ", subsequent_indent="    "))
        print(f"    mechanisms: {', '.join(sc.mechanisms) or '-'}\n")
    return 0


def add_validate(sub: argparse._SubParsersAction) -> None:
    """Register ``salesim validate``."""
    p = sub.add_parser("validate", help="check a scenario file without running it",
                       description="Check a scenario file (and the files it extends) without running it.")
    p.add_argument("file", help="path to a .toml scenario file, or a scenario name")
    p.set_defaults(func=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    """Load a scenario; any problem surfaces as a UserError."""
    scenario = load_scenario(args.file)
    print(f"ok: {args.file} ({scenario.title})")
    return 0


# --- KPI table -----------------------------------------------------------------------


def money_line(kpis: dict[str, float]) -> str:
    """One line that answers in money: what the run earned, what it cost and what was left, per year."""
    money = ("revenue", "pay_cost", "cost_to_serve", "cost_of_goods", "profit")
    x = {k: float(kpis.get(k, float("nan"))) for k in money}
    x["other"] = x["revenue"] - x["cost_of_goods"] - x["pay_cost"] - x["cost_to_serve"] - x["profit"]
    v = {k: formatting.money(value) for k, value in x.items()}
    margin = formatting.percent(kpis.get("profit_margin", float("nan")))
    return (f"per year: net revenue {v['revenue']} - cost of goods {v['cost_of_goods']} - pay {v['pay_cost']} "
            f"- cost to serve {v['cost_to_serve']} - other costs {v['other']} = profit {v['profit']} ({margin} margin)")


def kpi_table(values: dict[str, float], catalogue: dict[str, Any]) -> str:
    """A plain-text table of KPIs: name, plain-language label, formatted value and unit."""
    names = [n for n in catalogue if n in values] + [n for n in values if n not in catalogue]
    rows = []
    for name in names:
        kpi = catalogue.get(name)
        unit = getattr(kpi, "unit", "") or ""
        fmt = getattr(kpi, "fmt", "number")
        rows.append((name, getattr(kpi, "label", "") or "", formatting.value(values[name], fmt),
                     "" if fmt in ("percent", "money", "weeks") else unit))
    return text_table(("KPI", "meaning", "value", "unit"), rows, right=(2,))


# --- reference -------------------------------------------------------------------------


def add_reference(sub: argparse._SubParsersAction) -> None:
    """Register ``salesim reference``."""
    p = sub.add_parser("reference", help="print the table of parameters or KPIs (Markdown)",
                       description="Print every parameter (with default, range, unit and source) or every KPI.")
    p.add_argument("what", choices=["parameters", "kpis", "readme"],
                   help="which table; 'readme' rewrites the generated tables in README.md")
    p.add_argument("--group", choices=["size", "lever", "behaviour", "economics"], help="only this group of parameters")
    p.set_defaults(func=cmd_reference)


def cmd_reference(args: argparse.Namespace) -> int:
    """Print a reference table generated from the declarations."""
    from sim.reference import kpis_markdown, params_markdown, sync_readme

    if args.what == "readme":
        readme = Path(__file__).resolve().parent.parent / "README.md"
        print(f"{readme}: {'updated' if sync_readme(readme) else 'already up to date'}")
        return 0
    print(params_markdown(args.group) if args.what == "parameters" else kpis_markdown())
    return 0


# --- entry point ---------------------------------------------------------------------

COMMANDS: list[AddCommand] = [add_run, add_scenarios, add_validate, add_reference, add_compare, add_sweep,
                              add_sensitivity, add_trial, add_calibrate, add_validation_report, add_dashboard,
                              add_check_book, add_targets_from_book, add_report, add_batch, add_optimize,
                              add_discover, add_robust, add_room]


def build_parser() -> argparse.ArgumentParser:
    """The ``salesim`` parser with one subparser per entry of COMMANDS."""
    return command_parser(COMMANDS)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 bug, 2 bad input)."""
    return run_command_line(build_parser, argv)


if __name__ == "__main__":  # python -m sim.cli; nothing in sim imports sim.cli, so this file runs once
    sys.exit(main())
