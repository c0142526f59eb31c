"""Rate limits on actions per machine: a sliding window of accepted proposals."""

from __future__ import annotations

from collections import deque

from jayul.records.timebase import NS_PER_H


class RateLimiter:
    """At most `max_actions` proposals per machine in any `window_ns` (they count once they
    pass the interlock and the origin check, whatever becomes of them afterwards)."""

    def __init__(self, max_actions: int = 6, window_ns: int = NS_PER_H) -> None:
        if max_actions < 1 or window_ns <= 0:
            raise ValueError("max_actions must be >= 1 and window_ns > 0")
        self.max_actions = max_actions
        self.window_ns = window_ns
        self._seen: dict[str, deque[int]] = {}

    def allow(self, machine: str, now: int) -> bool:
        """Count a proposal at `now` if the machine's window has room; False when full."""
        times = self._seen.setdefault(machine, deque())
        while times and times[0] <= now - self.window_ns:
            times.popleft()
        if len(times) >= self.max_actions:
            return False
        times.append(now)
        return True
