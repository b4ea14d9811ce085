"""Token buckets per key (requests) and per client IP (failed authentications), in process.

Each gateway process counts on its own; buckets idle long enough to be full
again are dropped, so memory stays bounded by the active clients.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

MAX_BUCKETS = 100_000


class RateLimiter:
    """`rate` tokens per second up to `burst`; `take` answers 0 or the seconds to wait."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.enabled = rate > 0  # 0: no limit, and no work per request
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def _level(self, key: str, now: float) -> float:
        tokens, at = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - at) * self.rate)

    def retry_after(self, key: str) -> int:
        """Seconds until one token is there (0: there is one now); takes nothing."""
        if not self.enabled or key not in self._buckets:  # no bucket yet: a full one
            return 0
        with self._lock:
            level = self._level(key, self.clock())
        return 0 if level >= 1 else math.ceil((1 - level) / self.rate)

    def take(self, key: str) -> int:
        """Take one token: 0 when allowed, else the seconds until the next one."""
        if not self.enabled:
            return 0
        with self._lock:
            now = self.clock()
            level = self._level(key, now)
            if level < 1:
                self._buckets[key] = (level, now)
                return math.ceil((1 - level) / self.rate)
            if len(self._buckets) >= MAX_BUCKETS:
                self._prune(now)
            self._buckets[key] = (level - 1, now)
            return 0

    def _prune(self, now: float) -> None:
        full = [k for k in self._buckets if self._level(k, now) >= self.burst]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= MAX_BUCKETS:
            self._buckets.clear()
