"""How much server time one week on the dashboard costs: the model's step plus drawing the frame.

``step_ms()`` is what a benchmark calls; the dashboard's budget is 100 ms a week at the default
size (20 reps, 2,000 accounts). ``python -m sim.dashboard.timing`` prints the breakdown.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

from sim.dashboard.frames import RunBoard
from sim.dashboard.state import Session

BUDGET_MS = 100.0


def step_breakdown(weeks: int = 30, start_week: int = 26, preset: str = "banner_mandate", seed: int = 1,
                   **sizes: Any) -> dict[str, float]:
    """Time ``weeks`` single-week steps of the page, each followed by drawing every chart and the book.

    The run is first advanced to ``start_week`` and one frame is drawn, so the charts' frames
    are cached as they are while a room watches. Returns medians (and the worst frame) in ms.
    """
    session = Session(preset=preset, seed=seed)
    for name, value in sizes.items():
        session.set_lever(name, value)
    session.horizon = max(session.horizon, start_week + weeks)
    session.step(start_week)
    board = RunBoard()
    board.draw(session.run, session.horizon)
    model, draw, total, cpu = [], [], [], []
    for _ in range(weeks):
        c0, t0 = time.process_time(), time.perf_counter()
        session.step(1)
        t1 = time.perf_counter()
        board.draw(session.run, session.horizon)
        t2, c2 = time.perf_counter(), time.process_time()
        model.append((t1 - t0) * 1e3)
        draw.append((t2 - t1) * 1e3)
        total.append((t2 - t0) * 1e3)
        cpu.append((c2 - c0) * 1e3)
    return {
        "model_step_ms": statistics.median(model),
        "draw_ms": statistics.median(draw),
        "week_ms": statistics.median(total),
        "week_cpu_ms": statistics.median(cpu),
        "worst_week_ms": max(total),
        "weeks": float(weeks),
        "accounts": float(session.params.n_accounts),
        "budget_ms": BUDGET_MS,
    }


def step_ms(weeks: int = 30, cpu: bool = False, **kwargs: Any) -> float:
    """Median server time of one dashboard week (model step + charts + book image), in milliseconds.

    Wall-clock time by default; ``cpu=True`` gives this process's CPU time, which a busy machine
    (other jobs on the same cores) does not inflate.
    """
    return step_breakdown(weeks, **kwargs)["week_cpu_ms" if cpu else "week_ms"]


def main() -> int:
    result = step_breakdown()
    print(f"one dashboard week at {result['accounts']:,.0f} accounts: median {result['week_ms']:.1f} ms "
          f"(model step {result['model_step_ms']:.1f} ms, drawing {result['draw_ms']:.1f} ms), "
          f"worst {result['worst_week_ms']:.1f} ms, CPU {result['week_cpu_ms']:.1f} ms; budget {BUDGET_MS:.0f} ms")
    return 0 if result["week_cpu_ms"] <= BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
