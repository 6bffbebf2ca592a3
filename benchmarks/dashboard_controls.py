"""How the dashboard's controls respond while it plays, measured in real Chromium (Debian's, via Playwright).

Usage::

    python benchmarks/dashboard_controls.py               # 5 Pause tries at the fastest speed
    python benchmarks/dashboard_controls.py --tries 10 --speed 8

It starts ``salesim dashboard`` on a loopback port, plays the default preset and, for each try, records
every change of the week counter in the page (a MutationObserver), clicks Pause at a random moment and
notes how long the page took to show Play again and how many weeks ran after the server got the click.
It prints, per try and as medians: frames a second, the longest gap between two frames, the largest
jump in weeks between two frames, the Pause latency, and the weeks after Pause. This is a measurement,
not a test: it prints and never fails on speed (the browser tests assert only counts: at most one week
after Pause).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import dashboard_helpers as dh  # noqa: E402

from sim.dashboard.state import SPEEDS  # noqa: E402

OBSERVE = """() => {
  window.__frames = [];
  const seen = () => {
    const e = document.querySelector('.week-counter');
    if (e) window.__frames.push([performance.now(), Number(e.dataset.week)]);
  };
  new MutationObserver(seen).observe(document.body, {subtree: true, childList: true, attributes: true});
}"""


def one_try(page, speed_index: int, rng: random.Random) -> dict[str, float]:
    """Play from week 0, click Pause after a random wait, and measure the frames and the pause."""
    page.locator("button.reset").first.click()
    page.wait_for_selector('.week-counter[data-week="0"]')
    page.locator(".speed button").nth(speed_index).click()
    page.evaluate(OBSERVE)
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("Number(document.querySelector('.week-counter').dataset.week) >= 4", timeout=60_000)
    time.sleep(rng.uniform(0.5, 1.5))
    t0 = time.perf_counter()
    page.get_by_role("button", name="Pause").click()
    page.wait_for_selector("button.play:has-text('Play')", timeout=120_000)
    latency = time.perf_counter() - t0
    time.sleep(1.0)
    paused_at = int(page.locator(".week-counter").first.get_attribute("data-paused-at"))
    frames = page.evaluate("window.__frames")
    changes = [(t, w) for (t, w), (_, prev) in zip(frames[1:], frames[:-1], strict=True) if w != prev]
    gaps = [(b[0] - a[0]) / 1e3 for a, b in zip(changes, changes[1:], strict=False)]
    jumps = [b[1] - a[1] for a, b in zip(changes, changes[1:], strict=False)]
    span = (changes[-1][0] - changes[0][0]) / 1e3 if len(changes) > 1 else float("nan")
    return {"fps": (len(changes) - 1) / span if span > 0 else float("nan"),
            "longest_gap_s": max(gaps, default=float("nan")), "largest_jump_weeks": max(jumps, default=0),
            "pause_latency_s": latency, "weeks_after_pause": dh.week(page) - paused_at}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tries", type=int, default=5, help="Pause tries (default 5)")
    ap.add_argument("--speed", type=int, default=SPEEDS[-1], choices=SPEEDS, help="weeks a second (default: fastest)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the random click moments (default 1)")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    rng = random.Random(args.seed)
    results = []
    with tempfile.TemporaryDirectory() as exports, dh.dashboard_server(Path(exports)) as url, \
            sync_playwright() as p:
        browser = dh.launch(p)
        page = dh.open_dashboard(browser.new_context(viewport={"width": 1280, "height": 720}), url)
        for i in range(args.tries):
            r = one_try(page, SPEEDS.index(args.speed), rng)
            results.append(r)
            print(f"try {i + 1}: {r['fps']:.1f} frames/s, longest gap {r['longest_gap_s']:.2f} s, largest jump "
                  f"{r['largest_jump_weeks']} weeks, Pause shown after {r['pause_latency_s']:.2f} s, "
                  f"{r['weeks_after_pause']} weeks after Pause")
        browser.close()
    med = {k: statistics.median(r[k] for r in results) for k in results[0]}
    print(f"median at {args.speed} weeks a second over {args.tries} tries: {med['fps']:.1f} frames/s, longest gap "
          f"{med['longest_gap_s']:.2f} s, largest jump {med['largest_jump_weeks']:.0f} weeks, Pause shown after "
          f"{med['pause_latency_s']:.2f} s, {med['weeks_after_pause']:.0f} weeks after Pause "
          f"(worst {max(r['weeks_after_pause'] for r in results)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
