"""Progress of long work (embedding a corpus): a bar on a terminal, a line now and then otherwise."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

logger = logging.getLogger(__name__)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60:02d} s"


class Progress:
    """A `progress(done, total)` callback for items processed out of a total.

    On a terminal it draws a tqdm bar (done/total, rate, ETA); otherwise it emits one line every
    `interval` seconds through `log` (default: this module's logger at INFO), and a last line when
    it has emitted any. The rate and ETA count only the items done after the first call, because
    the first call reports what the cache already held, all at once.
    """

    def __init__(
        self,
        desc: str = "embedding",
        unit: str = "text",
        *,
        log: Callable[[str], None] | None = None,
        interval: float = 10.0,
        stream: TextIO | None = None,
        terminal: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.desc, self.unit, self.interval = desc, unit, interval
        self._stream = stream or sys.stderr
        self._terminal = self._stream.isatty() if terminal is None else terminal
        self._log = log or logger.info
        self._clock = clock
        self._bar: Any = None
        self._start: tuple[float, int] | None = None
        self._last_line = 0.0
        self._lines = 0
        self._done = self._total = 0

    def __call__(self, done: int, total: int) -> None:
        now = self._clock()
        self._done, self._total = done, total
        if self._start is None:
            self._start = (now, done)
            self._last_line = now
            if self._terminal:
                from tqdm import tqdm

                # smoothing=0: the rate is the mean since `initial`, so the cache hits do not count.
                self._bar = tqdm(
                    total=total, initial=done, unit=self.unit, desc=self.desc, file=self._stream, smoothing=0
                )
            return
        if self._bar is not None:
            self._bar.total = total
            self._bar.update(done - self._bar.n)
        elif now - self._last_line >= self.interval:
            self._last_line = now
            self._lines += 1
            self._log(self.line(now))

    def line(self, now: float | None = None) -> str:
        """`embedding: 1200/6896 texts (17%), 3.9 texts/s, about 24 min 20 s left`."""
        now = self._clock() if now is None else now
        t0, d0 = self._start or (now, self._done)
        pct = 100 * self._done / self._total if self._total else 100.0
        out = f"{self.desc}: {self._done}/{self._total} {self.unit}s ({pct:.0f}%)"
        rate = (self._done - d0) / (now - t0) if now > t0 else 0.0
        if rate > 0:
            out += f", {rate:.1f} {self.unit}s/s"
            if self._done < self._total:
                out += f", about {_duration((self._total - self._done) / rate)} left"
        return out

    def start(self, desc: str) -> None:
        """Finish what was shown so far and count a new stage from zero (its own rate and ETA).

        Passages and sentences are embedded at rates 10 times apart, so one ETA across both
        would be far off for most of the run.
        """
        self.close()
        self.desc = desc
        self._start = None

    def close(self) -> None:
        """Finish the bar, or log the last line if lines were logged."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self._lines:
            t0 = self._start[0] if self._start else self._clock()
            self._log(f"{self.desc}: {self._done}/{self._total} {self.unit}s in {_duration(self._clock() - t0)}")
            self._lines = 0
