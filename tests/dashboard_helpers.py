"""Helpers for driving the dashboard in a real browser: start the server, launch Chromium, wait.

Used by ``tests/test_dashboard.py`` and ``tests/test_dashboard_security.py``; ``python
tests/dashboard_helpers.py`` also retakes the screenshots in ``docs/img/dashboard-*.png`` with
the same browser.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("SALESIM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "test-artifacts" / "dashboard"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 90.0) -> None:
    """Poll ``url`` until it answers 200; fail early if the server process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise RuntimeError(f"the dashboard server exited with status {proc.returncode}:\n{out}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=5) as r:
            if r.status == 200:
                return
        time.sleep(0.3)
    raise TimeoutError(f"the dashboard did not answer at {url} within {timeout:.0f} s")


def spawn_server(exports: Path, port: int | None = None, args: Sequence[str] = ()) -> tuple[subprocess.Popen, str]:
    """Start ``salesim dashboard`` (as ``python -m sim.dashboard.cli``) on a loopback port; do not wait.

    ``args`` are further command-line arguments (e.g. ``--max-sessions 2``). Returns the process
    (its stdout and stderr merged, as text) and the page's URL.
    """
    port = port or free_port()
    env = {**os.environ, "MPLBACKEND": "agg", "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "sim.dashboard.cli", "--host", "127.0.0.1", "--port", str(port),
           "--exports", str(exports), *args]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, f"http://127.0.0.1:{port}/"


def stop_server(proc: subprocess.Popen) -> None:
    """Stop a server from :func:`spawn_server` as Ctrl+C would; kill it if it does not stop."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@contextlib.contextmanager
def dashboard_server(exports: Path, port: int | None = None, args: Sequence[str] = (),
                     ready_path: str = "") -> Iterator[str]:
    """Run ``salesim dashboard`` on a free loopback port until the block ends; yield the page's URL.

    The server is up once ``URL + ready_path`` answers 200 (``readyz`` when a join code guards ``/``).
    """
    proc, url = spawn_server(exports, port, args)
    try:
        wait_until_up(url + ready_path, proc)
        yield url
    finally:
        stop_server(proc)


def launch(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def open_dashboard(context, url: str, timeout_ms: int = 60_000):
    """A new tab on the dashboard, once the page has drawn its week counter."""
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    page.wait_for_selector(".week-counter", timeout=timeout_ms)
    page.wait_for_selector("img.img-book", timeout=timeout_ms)
    return page


def week(page) -> int:
    return int(page.locator(".week-counter").first.get_attribute("data-week"))


def step(page, times: int = 1) -> None:
    """Click Step ``times`` times, waiting for the week counter after each click."""
    for _ in range(times):
        now = week(page)
        page.locator("button.step").first.click()
        page.wait_for_selector(f'.week-counter[data-week="{now + 1}"]')


def jump(page, to: int) -> None:
    """Type a week into "Jump to week" and wait until the page shows it."""
    box = page.locator(".lever-jump input").first
    box.fill(str(to))
    box.press("Enter")
    page.wait_for_selector(f'.week-counter[data-week="{to}"]')


def digests(page) -> list[str]:
    """The page's fingerprint of each week it has run (every weekly series), oldest first."""
    text = page.locator(".series-digest").first.get_attribute("data-digest") or ""
    return text.split(",") if text else []


def choose(page, picker: str, option: str) -> None:
    """Open a select (by CSS class) and click the option whose text contains ``option``."""
    page.locator(picker).first.click()
    page.get_by_role("option", name=option).first.click()


def type_into(page, lever: str, text: str) -> None:
    box = page.locator(f".lever-{lever} input").first
    box.fill(text)
    box.press("Enter")


def open_section(page, title: str, lever: str) -> None:
    """Expand a lever section (they start collapsed, except the mandate and pay)."""
    if not page.locator(f".lever-{lever}").first.is_visible():
        page.get_by_text(title, exact=True).first.click()
        page.locator(f".lever-{lever}").first.wait_for(state="visible")


def take_docs_screenshots(out: Path = ROOT / "docs" / "img") -> list[Path]:
    """Retake the documentation's screenshots (1600 x 900, PNG) with the real browser."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    shots: list[Path] = []
    with dashboard_server(ROOT / "runs" / "dashboard-exports") as url, sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport={"width": 1600, "height": 900})
        page = open_dashboard(context, url)
        page.locator(".speed button").nth(4).click()  # 16 weeks a second
        page.get_by_role("button", name="Play").click()
        page.wait_for_function("Number(document.querySelector('.week-counter').dataset.week) >= 104",
                               timeout=120_000)
        time.sleep(1.0)
        shots.append(_shot(page, out / "dashboard-run.png"))
        page.locator(".img-close_rate").first.scroll_into_view_if_needed()
        shots.append(_shot(page, out / "dashboard-charts.png"))
        page.get_by_role("button", name="Hide levers").click()
        page.locator(".img-book").first.scroll_into_view_if_needed()
        time.sleep(0.5)
        shots.append(_shot(page, out / "dashboard-book.png"))
        page.get_by_role("button", name="Show levers").click()
        page.wait_for_selector(".preset-picker")
        time.sleep(1.0)  # let the levers finish drawing before clicking what they push aside
        page.get_by_role("button", name="Side by side").click()
        page.wait_for_selector(".pair-col-1 img.img-pair-1-book")
        page.locator(".speed button").nth(4).click()
        page.get_by_role("button", name="Play").click()
        page.wait_for_function("Number(document.querySelector('.week-counter').dataset.week) >= 104",
                               timeout=120_000)
        time.sleep(1.0)
        page.locator(".img-pair-0-close_rate").first.scroll_into_view_if_needed()
        shots.append(_shot(page, out / "dashboard-side-by-side.png"))
        browser.close()
    return shots


def _shot(page, path: Path) -> Path:
    """A viewport screenshot, written as a palette PNG so it stays small."""
    from io import BytesIO

    from PIL import Image

    img = Image.open(BytesIO(page.screenshot())).convert("RGB")
    img.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path


if __name__ == "__main__":
    for shot in take_docs_screenshots():
        print(f"{shot} ({shot.stat().st_size / 1024:.0f} KB)")


def browser_or_skip():
    """Playwright's ``sync_playwright``, or skip (fail, with SALESIM_REQUIRE_BROWSER=1) without a browser."""
    import pytest

    required = os.environ.get("SALESIM_REQUIRE_BROWSER", "") not in ("", "0")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            pytest.fail("SALESIM_REQUIRE_BROWSER=1 but the playwright package is not installed")
        pytest.skip("the playwright package is not installed")
    if not CHROMIUM.exists():
        if required:
            pytest.fail(f"SALESIM_REQUIRE_BROWSER=1 but {CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); set SALESIM_REQUIRE_BROWSER=1 to fail")
    return sync_playwright
