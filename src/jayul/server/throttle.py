"""Failed-login throttling: password guessing against one user name is slowed to a crawl.

Per user name (not per address: the console is usually reached through one plant proxy, and
locking the proxy would lock out every operator at once), at most `max_failures` failed
logins count within a sliding `window_s`; once there, further attempts for that name are
refused without checking the password until the oldest failure leaves the window. A success
clears the name's failures. State is in memory, like the sessions.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class LoginThrottle:
    """Counts failed logins per user name in a sliding window (see module doc)."""

    def __init__(
        self,
        max_failures: int = 5,
        window_s: float = 15 * 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_failures < 1 or window_s <= 0:
            raise ValueError("max_failures must be at least 1 and window_s positive")
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, name: str, now: float) -> deque[float]:
        times = self._failures.get(name, deque())
        while times and now - times[0] >= self.window_s:
            times.popleft()
        return times

    def retry_after_s(self, name: str) -> float:
        """Seconds until `name` may try again (0 when it may try now)."""
        now = self._clock()
        with self._lock:
            times = self._recent(name, now)
            if len(times) < self.max_failures:
                return 0.0
            return self.window_s - (now - times[0])

    def failed(self, name: str) -> None:
        now = self._clock()
        with self._lock:
            times = self._recent(name, now)
            times.append(now)
            self._failures[name] = times
            # Forget names with nothing recent, so guessing many names cannot grow this map
            # without bound.
            if len(self._failures) > 10_000:
                self._failures = {
                    n: t for n, t in self._failures.items() if self._recent(n, now) or n == name
                }

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name, None)
