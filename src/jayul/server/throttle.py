"""Failed-login throttling per client and account, without locking anyone out.

A key is what is throttled: the login route uses two, "<client>|<name>" (at most 5 failures
in 15 min: guessing one account from one place) and "<client>|*" (at most 30: spraying many
names from one place). A client is the peer address, or the address a trusted proxy names in
X-Forwarded-For (`JAYUL_TRUSTED_PROXIES`). The right password from another client is never
refused, so an attacker cannot lock an operator out by failing on purpose.

Attempts are reserved before the password is checked (`begin`) and settled after (`end`),
under one lock, so concurrent guesses count as they start: N parallel requests cannot all
slip through while the first ones are still being checked. A success clears the key's
failures. Failures are counted (`failures_total`), not each written to the audit trail; the
login route records one `login_throttled` when a key reaches its limit. State is in memory,
like the sessions.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class LoginThrottle:
    """Counts failed logins per key in a sliding window (see module doc)."""

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
        self._inflight: dict[str, int] = {}
        self._lock = threading.Lock()
        self.failures_total = 0

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and now - times[0] >= self.window_s:
            times.popleft()
        return times

    def _wait(self, key: str, now: float) -> float:
        times = self._recent(key, now)
        if len(times) >= self.max_failures:
            return self.window_s - (now - times[-self.max_failures])
        if len(times) + self._inflight.get(key, 0) >= self.max_failures:
            return 1.0  # the limit is taken by attempts still being checked
        return 0.0

    def retry_after_s(self, key: str) -> float:
        """Seconds until `key` may try again (0 when it may try now)."""
        with self._lock:
            return self._wait(key, self._clock())

    def begin(self, key: str) -> float:
        """Reserve one attempt for `key`: 0 when reserved (call `end` later), else the
        seconds to wait."""
        with self._lock:
            wait = self._wait(key, self._clock())
            if wait <= 0:
                self._inflight[key] = self._inflight.get(key, 0) + 1
            return wait

    def cancel(self, key: str) -> None:
        """Give back a reserved attempt that was never tried."""
        with self._lock:
            left = self._inflight.get(key, 1) - 1
            if left > 0:
                self._inflight[key] = left
            else:
                self._inflight.pop(key, None)

    def end(self, key: str, ok: bool) -> bool:
        """Settle a reserved attempt; True when this failure made `key` reach its limit."""
        self.cancel(key)
        if ok:
            self.succeeded(key)
            return False
        return self.failed(key)

    def failed(self, key: str) -> bool:
        """Count a failure; True when it made `key` reach its limit."""
        now = self._clock()
        with self._lock:
            self.failures_total += 1
            times = self._recent(key, now)
            times.append(now)
            self._failures[key] = times
            # Forget keys with nothing recent, so guessing many names cannot grow this map
            # without bound.
            if len(self._failures) > 10_000:
                self._failures = {
                    n: t for n, t in self._failures.items() if self._recent(n, now) or n == key
                }
            return len(times) == self.max_failures

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
