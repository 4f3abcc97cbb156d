"""Rate limits of the web server: requests per address and per link in a fixed time window.

Counted in the server process (a web server is one process with threads; waitress), which is
where the requests are: nothing to store, nothing to clean up but expired windows. A request over
a limit gets 429 and changes nothing. Limits of 0 switch a limit off (the benchmark does).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WebLimits:
    address_requests: int = 120  # requests from one address per window
    link_requests: int = 1200  # requests through one link per window (all its respondents)
    window_seconds: float = 60.0
    starts_per_address: int = 3  # new interviews from one address on one open link per day


class RateLimiter:
    """Fixed-window counters by key; thread-safe."""

    def __init__(self, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window_seconds
        self.clock = clock
        self._counts: dict[str, int] = {}
        self._window_start = clock()
        self._lock = threading.Lock()

    def allow(self, key: str, limit: int) -> bool:
        """Count one request for ``key``; False when it is over ``limit`` in this window."""
        if limit <= 0:
            return True
        with self._lock:
            now = self.clock()
            if now - self._window_start >= self.window:
                self._counts.clear()
                self._window_start = now
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
            return count <= limit
