"""Rate limits of the web server: requests per address and per link in a fixed time window.

Counted in the server process (a web server is one process with threads; waitress), which is
where the requests are: nothing to store, nothing to clean up but expired windows. A request over
a limit gets 429 and changes nothing. Limits of 0 switch a limit off (the benchmark does).

Memory is bounded whatever arrives: at most ``max_keys`` counters are kept (the least recently
counted one goes first, so a busy abuser stays counted while a flood of new keys evicts only
each other), and a key is short whatever the request holds: an IPv6 address counts as its /64
network (one household's or phone's prefix, which it may rotate through freely) and a link as
the first LINK_KEY_CHARS characters of its token (real tokens are shorter; the rest of a
made-up one counts for nothing).
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_KEYS = 50_000  # about 5 MB of counters
LINK_KEY_CHARS = 80


@dataclass(frozen=True, slots=True)
class WebLimits:
    address_requests: int = 120  # requests from one address per window
    link_requests: int = 1200  # requests through one link per window (all its respondents)
    window_seconds: float = 60.0
    starts_per_address: int = 3  # new interviews from one address on one open link per day
    max_keys: int = MAX_KEYS  # counters kept at most (addresses and links together)


class RateLimiter:
    """Fixed-window counters by key, at most ``max_keys`` of them; thread-safe."""

    def __init__(self, window_seconds: float, clock: Callable[[], float] = time.monotonic, *,
                 max_keys: int = MAX_KEYS) -> None:
        self.window = window_seconds
        self.clock = clock
        self.max_keys = max(1, max_keys)
        self._counts: OrderedDict[str, int] = OrderedDict()
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
            count = self._counts.pop(key, 0) + 1
            self._counts[key] = count  # now the most recently counted
            while len(self._counts) > self.max_keys:
                self._counts.popitem(last=False)
            return count <= limit

    def keys(self) -> list[str]:
        with self._lock:
            return list(self._counts)


def address_key(address: str) -> str:
    """The key an address is counted under: an IPv4 address itself, an IPv6 one's /64."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return "a:" + address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return f"a:{parsed.ipv4_mapped}"
        return f"a:{ipaddress.IPv6Network((parsed, 64), strict=False)}"
    return f"a:{parsed}"


def link_key(token: str) -> str:
    return "l:" + token[:LINK_KEY_CHARS]
