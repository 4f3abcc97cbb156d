"""What the claim needs to know about a project — its status, calling hours, quota cells and
named interviewers' assignments —
kept per process for up to a second, so a claim is not three extra round trips.

Changes made in this process (quotas, settings, status, a complete) forget the entry at once;
a change made by another process is seen within TTL_SECONDS. A quota cell filled meanwhile by
another workstation costs at most one call, which ends with 4.80 when the township is asked.
"""

from __future__ import annotations

import threading
import time
from typing import Any

TTL_SECONDS = 1.0
_entries: dict[tuple[str, int, str], tuple[float, Any]] = {}
_lock = threading.Lock()


def get(url: str, project_id: int, kind: str = "facts") -> Any | None:
    """``kind``: which facts (the claim's ``facts``; ``assignments``, cati.services.assignments)."""
    with _lock:
        found = _entries.get((url, project_id, kind))
    if found is None or time.monotonic() - found[0] >= TTL_SECONDS:
        return None
    return found[1]


def put(url: str, project_id: int, value: Any, kind: str = "facts") -> None:
    with _lock:
        if len(_entries) > 64:
            _entries.clear()
        _entries[(url, project_id, kind)] = (time.monotonic(), value)


def forget(url: str | None = None) -> None:
    """Drop what is known (about one database, or all)."""
    with _lock:
        for key in [key for key in _entries if url is None or key[0] == url]:
            del _entries[key]
