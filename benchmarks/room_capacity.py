"""Capacity of a workshop room: quarter latency for 20 tables, the server's memory, a dashboard beside it.

Usage::

    python benchmarks/room_capacity.py                    # 20 tables, 4 quarters, the preset's size (2,000 accounts)
    python benchmarks/room_capacity.py --tables 40 --quarters 6 --accounts 5000

It starts ``salesim room`` as a subprocess on a free loopback port with a fresh database, opens a
room, lets ``--tables`` tables join and lock a different policy each quarter over HTTP (as their
browsers would), and runs ``--quarters`` quarters. It prints, for each quarter, the time from the
facilitator's click to the answer (all tables computed and saved) and the server's own compute
time; the resident memory (RSS) of the server and its workers before the room, at its peak during
the quarters, and after the room is ended; the latency of the facilitator's page (its JSON) while a
quarter computes; and the server time of one dashboard week in this process (``sim.dashboard.timing``,
a facilitator's dashboard on the same laptop), idle and while the room computes.

With ``--dashboard-tabs N`` (default 3; 0 skips it, so does a missing Chromium) it then serves the
Solara dashboard in this process, opens N tabs in Chromium, closes them, and prints how many
dashboard sessions (:class:`sim.dashboard.state.Session`) are alive and this process's RSS with
the tabs open and after they closed, for three rounds: a session's memory is released when its
tab closes if the count returns to 0 and the RSS stops growing from round to round.

It is a measurement, not a test: it prints and never fails on speed (the room's budget is 10 s a quarter).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

BUDGET_S = 10.0  # DESIGN §5: a quarter for all tables of a 20-table room within 10 s
LEVERS = ["banner_target", "enforcement", "coaching_style", "one_on_one", "banner_bonus"]


class Browser:
    """One table's (or the facilitator's) browser: cookies kept, JSON in and out."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def call(self, path: str, data: Any = None) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        headers = {"Content-Type": "application/json"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn.request("GET" if data is None else "POST", path, None if data is None else json.dumps(data), headers)
            r = conn.getresponse()
            for value in r.headers.get_all("set-cookie") or []:
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
            body = r.read().decode()
            return r.status, json.loads(body) if body.startswith(("{", "[")) else body
        finally:
            conn.close()


def expect(ok: object, what: object) -> None:
    """Stop with a message when the room did not do what the measurement needs (this is not a speed check)."""
    if not ok:
        raise SystemExit(f"room_capacity: the room did not answer as expected: {what}")


def rss_mb(pid: int) -> tuple[float, float]:
    """Resident memory of the server process and of its descendants (fork server and workers), in MB."""
    import psutil

    try:
        root = psutil.Process(pid)
        own, workers = root.memory_info().rss, 0
        for p in root.children(recursive=True):
            with contextlib.suppress(psutil.NoSuchProcess):
                workers += p.memory_info().rss
    except psutil.NoSuchProcess:
        return float("nan"), float("nan")
    return own / 2**20, workers / 2**20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path, port: int, args: list[str]) -> tuple[subprocess.Popen, str]:
    cmd = [sys.executable, "-m", "sim.room.cli", "--db", str(db), "--port", str(port), *args]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    expect(proc.stdout is not None, "no output pipe")
    key = ""
    while not key:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit(f"salesim room exited: status {proc.wait()}")
        found = re.search(r"/host\?key=(\S+)", line)
        key = found.group(1) if found else ""
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    while True:
        with contextlib.suppress(OSError):
            if Browser(port).call("/readyz")[0] == 200:
                return proc, key
        time.sleep(0.2)


def policy(i: int, quarter: int) -> dict[str, Any]:
    """A different policy for each table and quarter (enforcement and target sweep the range)."""
    return {
        "banner_target": str((50 + 7 * i + 5 * quarter) % 100),
        "enforcement": str((13 * i + 29 * quarter) % 101),
        "coaching_style": ("close_focused", "neutral", "customer_focused")[(i + quarter) % 3],
        "one_on_one": bool((i + quarter) % 2),
        "banner_bonus": str(100 * ((i * quarter) % 6)),
    }


def dashboard_sessions(tabs: int, rounds: int = 3) -> list[tuple[int, int, float, float]]:
    """(round, sessions alive with the tabs open, sessions alive after they closed, RSS open, RSS closed) for
    ``rounds`` rounds of ``tabs`` dashboard tabs, the dashboard served in this process."""
    import gc
    import os

    import dashboard_helpers as dh
    import psutil
    from playwright.sync_api import sync_playwright

    from sim.dashboard import cli
    from sim.dashboard.guard import live_sessions
    from sim.dashboard.state import Session

    os.environ.setdefault("MPLBACKEND", "agg")
    port = free_port()
    with tempfile.TemporaryDirectory() as exports:
        threading.Thread(target=cli.serve, kwargs={"port": port, "exports": Path(exports)}, daemon=True).start()
        url = f"http://127.0.0.1:{port}/"
        while True:
            with contextlib.suppress(OSError):
                if Browser(port).call("/readyz")[0] == 200:
                    break
            time.sleep(0.3)

        def alive() -> int:
            gc.collect()
            return sum(1 for o in gc.get_objects() if isinstance(o, Session))

        def rss() -> float:
            return psutil.Process().memory_info().rss / 2**20

        out = []
        with sync_playwright() as p:
            browser = dh.launch(p)
            for r in range(1, rounds + 1):
                context = browser.new_context()
                pages = [dh.open_dashboard(context, url) for _ in range(tabs)]
                dh.step(pages[0], 2)
                opened, rss_open = alive(), rss()
                context.close()
                deadline = time.monotonic() + 120
                while live_sessions() > 0 and time.monotonic() < deadline:
                    time.sleep(0.5)
                time.sleep(1.0)
                out.append((r, opened, alive(), rss_open, rss()))
            browser.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=20, help="tables in the room (default 20)")
    ap.add_argument("--quarters", type=int, default=4, help="quarters to play (default 4)")
    ap.add_argument("--accounts", type=int, default=None, help="accounts per unit (default: the preset's)")
    ap.add_argument("--reps", type=int, default=None, help="reps per unit (default: the preset's)")
    ap.add_argument("--workers", type=int, default=None, help="server workers (default: one per core)")
    ap.add_argument(
        "--restart-after",
        type=int,
        default=0,
        help="stop and restart the server after this quarter (0: never); the next quarter then replays "
        "every table from the warm-up",
    )
    ap.add_argument("--dashboard-tabs", type=int, default=3, help="dashboard tabs opened and closed (0: skip)")
    args = ap.parse_args(argv)

    from sim.dashboard.timing import step_breakdown

    port = free_port()
    extra = ["--tables-max", str(max(args.tables, 1)), "--quarters", str(args.quarters)]
    for flag, value in (("--accounts", args.accounts), ("--reps", args.reps), ("--workers", args.workers)):
        if value is not None:
            extra += [flag, str(value)]
    print("a dashboard week in this process, idle ...", file=sys.stderr)
    idle = step_breakdown(weeks=20)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        proc, key = start_server(Path(tmp) / "room.sqlite", port, extra)
        started = time.perf_counter() - t0
        try:
            time.sleep(3.0)  # let the workers finish loading the kernels
            host = Browser(port)
            host.call(f"/host?key={key}")
            status, made = host.call("/api/host/rooms", {"preset": "banner_mandate", "levers": LEVERS, "seed": 1})
            expect(status == 200, made)
            code = made["code"]
            tables = [Browser(port) for _ in range(args.tables)]
            for i, t in enumerate(tables):
                status, answer = t.call("/api/join", {"code": code, "name": f"Table {i + 1}"})
                expect(status == 200, answer)
            rss_before = rss_mb(proc.pid)
            peak = [rss_before]
            computing = threading.Event()
            stop = threading.Event()
            page_ms: list[float] = []
            dash_during: list[float] = []

            def sample() -> None:
                while not stop.is_set():
                    peak.append(rss_mb(proc.pid))
                    if computing.is_set():
                        t = time.perf_counter()
                        host.call(f"/api/host/rooms/{code}")
                        page_ms.append((time.perf_counter() - t) * 1e3)
                    time.sleep(0.1)

            def dashboard() -> None:
                while not stop.is_set():
                    if computing.is_set():
                        r = step_breakdown(weeks=3, start_week=26)
                        if computing.is_set():
                            dash_during.append(r["week_ms"])
                    else:
                        time.sleep(0.05)

            threads = [threading.Thread(target=sample, daemon=True), threading.Thread(target=dashboard, daemon=True)]
            for th in threads:
                th.start()
            rows = []
            for q in range(1, args.quarters + 1):
                for i, t in enumerate(tables):
                    status, answer = t.call(
                        "/api/table", {"levers": policy(i, q), "prediction": "100000", "lock": True}
                    )
                    expect(status == 200, answer)
                computing.set()
                t = time.perf_counter()
                status, state = host.call(f"/api/host/rooms/{code}/advance", {"quarter": q})
                wall = time.perf_counter() - t
                computing.clear()
                expect(status == 200 and state["played"], state)
                expect(len(state["leaderboard"]) == args.tables, "a table is missing from the leaderboard")
                rows.append((q, wall, state["last_seconds"], state["last_work_seconds"]))
                if q == args.restart_after:
                    proc.send_signal(signal.SIGINT)
                    proc.wait(timeout=120)
                    proc, _ = start_server(Path(tmp) / "room.sqlite", port, extra)
                    print(f"server restarted after quarter {q}", file=sys.stderr)
                print(
                    f"quarter {q}: {wall:.2f} s from click to answer ({state['last_seconds']:.2f} s computing) for "
                    f"{args.tables} tables",
                    file=sys.stderr,
                )
            rss_during = (max(p[0] for p in peak), max(p[1] for p in peak))
            host.call(f"/api/host/rooms/{code}/close", {})
            time.sleep(1.0)
            rss_after = rss_mb(proc.pid)
            stop.set()
            for th in threads:
                th.join(timeout=60)
            accounts = state["accounts"]
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()

    print(
        f"room of {args.tables} tables, {accounts:,} accounts each, {args.quarters} quarters "
        f"(server started in {started:.1f} s)"
    )
    for q, wall, seconds, work in rows:
        verdict = "within" if wall <= BUDGET_S else "over"
        verdict += (
            " (the first quarter after a restart: every table replayed)" if q == args.restart_after + 1 > 1 else ""
        )
        print(
            f"  quarter {q}: {wall:5.2f} s click to answer, {seconds:5.2f} s computing ({work:5.2f} s of work "
            f"summed over tables); budget {BUDGET_S:.0f} s: {verdict}"
        )
    walls = [row[1] for row in rows]
    print(f"  worst quarter {max(walls):.2f} s, median {statistics.median(walls):.2f} s")
    for i, who in enumerate(("server process", "workers (fork server and pool)")):
        print(
            f"memory (RSS) of the {who}: before the room {rss_before[i]:.0f} MB, peak during "
            f"{rss_during[i]:.0f} MB, after the room ended {rss_after[i]:.0f} MB"
        )
    if page_ms:
        print(
            f"facilitator's page while a quarter computes: median {statistics.median(page_ms):.0f} ms, worst "
            f"{max(page_ms):.0f} ms ({len(page_ms)} requests)"
        )
    during = f"median {statistics.median(dash_during):.1f} ms ({len(dash_during)} weeks)" if dash_during else "n/a"
    print(
        f"one dashboard week beside the room: idle median {idle['week_ms']:.1f} ms (CPU "
        f"{idle['week_cpu_ms']:.1f} ms); while a quarter computes {during}"
    )
    if args.dashboard_tabs > 0:
        if not Path("/usr/bin/chromium").exists():
            print("dashboard sessions: skipped (no /usr/bin/chromium)")
            return 0
        print("dashboard sessions opened and closed in Chromium ...", file=sys.stderr)
        for r, opened, left, rss_open, rss_closed in dashboard_sessions(args.dashboard_tabs):
            print(
                f"dashboard round {r}: {opened} sessions with {args.dashboard_tabs} tabs open ({rss_open:.0f} MB), "
                f"{left} after they closed ({rss_closed:.0f} MB)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
