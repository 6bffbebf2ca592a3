"""Progress of a batch of runs: a bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Counts finished runs; shows runs done, rate and time left."""

    def __init__(self, total: int, already: int = 0, desc: str = "runs", stream: TextIO | None = None,
                 enabled: bool = True) -> None:
        self.total, self.done, self.desc = total, already, desc
        self.stream = stream or sys.stderr
        self.enabled = enabled and total > already
        self.start = time.perf_counter()
        self.started_at = already
        self.bar = None
        self.last_log = 0.0
        if self.enabled and self.stream.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=already, desc=desc, unit="run", file=self.stream)
        elif self.enabled and already:
            self._log(f"resuming: {already} of {total} {desc} already done")

    def update(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(n)
            return
        now = time.perf_counter()
        if now - self.last_log >= 5.0 or self.done == self.total:
            self.last_log = now
            rate = (self.done - self.started_at) / max(now - self.start, 1e-9)
            left = (self.total - self.done) / rate if rate > 0 else float("nan")
            self._log(f"{self.done}/{self.total} {self.desc} ({100 * self.done / self.total:.0f} %), "
                      f"{rate:.1f} runs/s, about {left:.0f} s left")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def _log(self, text: str) -> None:
        print(f"salesim: {text}", file=self.stream, flush=True)
