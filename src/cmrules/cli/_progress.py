"""A progress bar on stderr for long runs: shown only on a terminal, and only after a delay."""

from __future__ import annotations

import time
from typing import IO


class ProgressBar:
    """A one-line progress bar that appears only once a run has lasted ``delay`` seconds.

    Called as a :data:`cmrules.run.Progress`; each stage (evaluating, writing) fills the
    bar anew. Pass ``enabled=stream.isatty()``: a file or pipe never receives it.
    """

    def __init__(self, stream: IO[str], *, enabled: bool, delay: float = 1.0, width: int = 30):
        self.stream, self.enabled, self.delay, self.width = stream, enabled, delay, width
        self.start = time.monotonic()
        self.last = 0.0
        self.stage = ""
        self.shown = False

    def __call__(self, done: int, total: int, stage: str = "evaluating") -> None:
        """Show ``done`` of ``total`` for ``stage`` (at most every 0.1 s, and always at the end)."""
        if not self.enabled:
            return
        now = time.monotonic()
        same_stage = stage == self.stage
        if now - self.start < self.delay or (now - self.last < 0.1 and done < total and same_stage):
            return
        self.last, self.stage = now, stage
        filled = self.width * done // total if total else self.width
        bar = "#" * filled + "." * (self.width - filled)
        percent = 100 * done // total if total else 100
        self.stream.write(f"\r{stage:<10} [{bar}] {done:,}/{total:,} {percent:3d}% {now - self.start:.1f}s")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        """Erase the bar so later messages start on a clean line."""
        if self.shown:
            self.stream.write("\r" + " " * (self.width + 52) + "\r")
            self.stream.flush()
            self.shown = False
