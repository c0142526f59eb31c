"""Recent signal rows of one machine in a fixed-size ring, for live charts and the hot API path.

The historian holds everything, but the console asks many times a second for the last few
minutes of a machine: answering from memory keeps those requests off the database. Each row
is (time, the machine's signals in plant order, the anomaly score).
"""

from __future__ import annotations

import json
import threading

import numpy as np
import numpy.typing as npt


class SignalRing:
    """The last `capacity` rows of one machine's signals plus its anomaly score."""

    def __init__(self, signals: list[str], capacity: int = 7200) -> None:
        self.signals = signals
        self.capacity = capacity
        self._time = np.zeros(capacity, dtype=np.int64)
        self._rows = np.full((capacity, len(signals) + 1), np.nan)
        self._count = 0  # rows ever appended; the newest sits at (count - 1) % capacity
        self._lock = threading.Lock()
        self._cache: dict[tuple[int, int], bytes] = {}

    @property
    def version(self) -> int:
        """Grows with every appended row: a reader can tell whether anything is new."""
        return self._count

    def append(
        self, times: npt.NDArray[np.int64], rows: npt.NDArray[np.float64], score: float
    ) -> None:
        """Add rows (one per time, signals in plant order) with the score after them."""
        n = len(times)
        if n == 0:
            return
        if n > self.capacity:
            times, rows, n = times[-self.capacity :], rows[-self.capacity :], self.capacity
        with self._lock:
            idx = (self._count + np.arange(n)) % self.capacity
            self._time[idx] = times
            self._rows[idx, :-1] = rows
            self._rows[idx, -1] = score
            self._count += n
            self._cache.clear()

    def last(
        self, n: int, since_ns: int | None = None
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """The newest `n` rows (oldest first), only those after `since_ns` if given."""
        with self._lock:
            k = min(n, self._count, self.capacity)
            idx = (self._count - k + np.arange(k)) % self.capacity
            t, rows = self._time[idx].copy(), self._rows[idx].copy()
        if since_ns is not None:
            keep = t > since_ns
            t, rows = t[keep], rows[keep]
        return t, rows

    def as_json(self, n: int, since_ns: int | None = None) -> bytes:
        """`last(n, since_ns)` as the API's JSON body, cached until the next append."""
        key = (n, -1 if since_ns is None else since_ns)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        version = self._count
        t, rows = self.last(n, since_ns)
        body = {
            "time": t.tolist(),
            "signals": {s: _clean(rows[:, j]) for j, s in enumerate(self.signals)},
            "score": _clean(rows[:, -1]),
            "version": version,
        }
        data = json.dumps(body, separators=(",", ":")).encode()
        with self._lock:
            if self._count == version and len(self._cache) < 64:
                self._cache[key] = data
        return data


def _clean(column: npt.NDArray[np.float64]) -> list[float | None]:
    """JSON has no NaN: a missing value (e.g. no score while the detector trains) is null."""
    rounded = np.round(column, 4)
    return [None if not np.isfinite(v) else float(v) for v in rounded]
