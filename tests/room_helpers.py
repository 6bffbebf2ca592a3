"""Helpers for the room tests: a small unit, a real server (in a thread or a subprocess), a cookie-keeping client.

A subprocess server stops as the dashboard's does (``dashboard_helpers.stop_server``).

The room tests use a small unit (300 accounts, 4 reps, 2 managers) so a quarter for 20 tables takes
a second, not ten; the capacity at the default size is measured by benchmarks/room_capacity.py.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SMALL = {"n_accounts": 300, "n_reps": 4, "n_managers": 2}
SMALL_ARGS = ["--accounts", "300", "--reps", "4", "--managers", "2"]
LEVERS = ["banner_target", "enforcement", "coaching_style", "one_on_one"]


class Client:
    """An HTTP client that keeps its cookies, like one browser: ``call`` returns (status, JSON)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: Any = None, headers: dict | None = None):
        where = urlsplit(self.base)
        conn = http.client.HTTPConnection(where.hostname, where.port, timeout=180)
        head = {"Content-Type": "application/json", **(headers or {})}
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn.request(method, path, body=None if data is None else json.dumps(data), headers=head)
            r = conn.getresponse()
            for value in r.headers.get_all("set-cookie") or []:
                jar = SimpleCookie()
                jar.load(value)
                self.cookies.update({k: m.value for k, m in jar.items()})
            return r.status, r.read().decode("utf-8")
        finally:
            conn.close()

    def call(self, path: str, data: Any = None) -> tuple[int, Any]:
        status, text = self.request("GET" if data is None else "POST", path, data)
        return status, json.loads(text)


def host_client(base: str, key: str) -> Client:
    """A client that opened the facilitator link (and so holds the facilitator's cookie)."""
    c = Client(base)
    status, _ = c.request("GET", f"/host?key={key}")
    assert status == 303, status
    return c


@contextlib.contextmanager
def thread_server(db: Path, port: int, workers: int = 1, **service_args: Any) -> Iterator[tuple[str, Any]]:
    """``salesim room``'s app on a loopback port in this process (a real uvicorn, a real pool); yields
    (base URL, service)."""
    import uvicorn

    from sim.room.app import build_app
    from sim.room.pool import QuarterPool
    from sim.room.service import RoomService
    from sim.room.store import Store

    service = RoomService(Store(db), QuarterPool(workers), SMALL, **service_args)
    server = uvicorn.Server(
        uvicorn.Config(build_app(service), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the room server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", service
    finally:
        server.should_exit = True
        thread.join(timeout=60)


def spawn_room(db: Path, port: int, args: list[str] | None = None) -> tuple[subprocess.Popen, str, str]:
    """``python -m sim.room.cli`` on a loopback port; waits until it answers; returns (process, base URL, key)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [
        sys.executable,
        "-m",
        "sim.room.cli",
        "--db",
        str(db),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *SMALL_ARGS,
        *(args or []),
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    key = ""
    assert proc.stdout is not None
    deadline = time.monotonic() + 180
    while not key:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            raise RuntimeError(f"salesim room exited with status {proc.returncode}")
        found = re.search(r"/host\?key=(\S+)", line)
        key = found.group(1) if found else ""
        assert time.monotonic() < deadline, "salesim room printed no facilitator link"
    base = f"http://127.0.0.1:{port}"
    threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep the pipe drained
    while True:
        with contextlib.suppress(OSError):
            if Client(base).request("GET", "/readyz")[0] == 200:
                return proc, base, key
        assert proc.poll() is None, f"salesim room exited with status {proc.returncode}"
        assert time.monotonic() < deadline, "salesim room did not answer"
        time.sleep(0.2)
