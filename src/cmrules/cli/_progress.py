"""Progress on stderr for long runs: a bar on a terminal, a line every few seconds elsewhere.

:func:`progress_for` picks one for a stream. On a terminal, :class:`ProgressBar` redraws one
line in place once a run has lasted a second. When stderr is a file or a pipe (a scheduled
payroll job, CI), :class:`ProgressLines` writes a plain line every few seconds (count, rate,
time left), so a log shows that a long run is alive and when it will end; runs shorter than
the interval write nothing. ``CMRULES_PROGRESS_EVERY`` sets that interval in seconds
(default 5; ``0`` or ``off`` writes none).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import IO

__all__ = ["DEFAULT_EVERY", "ProgressBar", "ProgressLines", "progress_for"]

#: Seconds between two progress lines when stderr is not a terminal.
DEFAULT_EVERY = 5.0


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


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def _rate(per_second: float) -> str:
    return f"{per_second:,.1f}/s" if per_second < 10 else f"{per_second:,.0f}/s"


class ProgressLines:
    """Progress as plain lines, one every ``every`` seconds: for a log file or a pipe.

    ``evaluating 12,000/50,000 (24%) 2,400/s, about 16s left``; once a stage that was
    reported finishes, one last line says so. A stage shorter than ``every`` prints nothing.
    """

    def __init__(
        self, stream: IO[str], *, every: float = DEFAULT_EVERY, clock: Callable[[], float] = time.monotonic
    ):
        self.stream, self.every, self.clock = stream, every, clock
        self.stage = ""
        self.stage_start = self.last = self.previous = clock()
        self.reported = False

    def __call__(self, done: int, total: int, stage: str = "evaluating") -> None:
        """Note ``done`` of ``total`` for ``stage``; write a line when one is due."""
        if self.every <= 0:
            return
        now, previous = self.clock(), self.previous
        self.previous = now
        if stage != self.stage:  # a stage starts when the one before it (or the run) ended
            self.stage, self.stage_start, self.last, self.reported = stage, previous, previous, False
        elapsed = now - self.stage_start
        if done >= total:
            if self.reported:
                speed = f", {_rate(done / elapsed)}" if elapsed > 0 else ""
                self._write(f"{stage} {done:,}/{total:,} done in {_duration(elapsed)}{speed}")
                self.reported = False
            return
        if now - self.last < self.every:
            return
        self.last, self.reported = now, True
        percent = 100 * done // total if total else 100
        line = f"{stage} {done:,}/{total:,} ({percent}%)"
        if done and elapsed > 0:
            rate = done / elapsed
            line += f" {_rate(rate)}, about {_duration((total - done) / rate)} left"
        self._write(line)

    def _write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Nothing to erase: every line is complete."""


def _every() -> float:
    """Seconds between progress lines when stderr is not a terminal (``CMRULES_PROGRESS_EVERY``)."""
    text = os.environ.get("CMRULES_PROGRESS_EVERY", "").strip().lower()
    if not text:
        return DEFAULT_EVERY
    if text == "off":
        return 0.0
    try:
        return float(text)  # seconds between progress lines, never money
    except ValueError:
        return DEFAULT_EVERY


def progress_for(stream: IO[str]) -> ProgressBar | ProgressLines:
    """A bar when ``stream`` is a terminal, else a line every few seconds (see the module)."""
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return ProgressBar(stream, enabled=True)
    return ProgressLines(stream, every=_every())
