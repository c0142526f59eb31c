"""A finite-memory two-sided CUSUM on standardised trailing features, one per signal.

A window mean needs a shift of about 3 of its own standard units to stand out of noise, so a
small persistent shift stays hidden until the window is long, and a long window is slow to
forget. Page's CUSUM instead accumulates every row's excess over a reference `drift` (in
standard units of the feature): a shift larger than `drift` keeps adding, noise does not. The
classic recursion S_t = max(0, S_{t-1} + z_t - drift) has an unbounded memory, which would break
chunk-exact streaming; here S_t is the largest sum of (z - drift) over the suffixes of the last
`memory` rows (the CUSUM restarted at most `memory` rows ago), computed exactly the same way
whatever came earlier. Both directions are tracked; a signal's part is the larger of the two,
and the score is their largest (`aggregate="max"`) or their mean.

Accumulated evidence outlives the shift that built it: after a fault ends the sum takes up to
`memory` rows to fall. With `gate` > 0 a side counts only while the mean of the signal's last
`gate` feature rows is still beyond `drift` on that side, so the CUSUM raises on accumulated
evidence but falls as soon as the shift itself is gone.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import minimum_filter1d

from jayul.health.detector import FloatArray, as_rows
from jayul.health.feature_detector import FeatureDetector
from jayul.health.features import trailing_mean


def suffix_max(u: FloatArray, memory: int) -> FloatArray:
    """max(0, largest sum of u over the suffixes of each row's last `memory` rows), per column.

    With prefix sums P (P_0 = 0), the suffixes ending at row t are P_{t+1} - P_s for
    t + 1 - memory <= s <= t, so the answer is P_{t+1} minus a trailing minimum of P.
    """
    n, d = u.shape
    if n == 0:
        return u.copy()
    prefix = np.vstack([np.zeros((1, d)), np.cumsum(u, axis=0)])
    padded = np.vstack([np.full((memory - 1, d), np.inf), prefix[:-1]])
    # a centred minimum filter of width `memory`, shifted to end at each row (O(n), van Herk)
    half = memory // 2
    lowest = minimum_filter1d(padded, memory, axis=0, mode="constant", cval=np.inf)[half : half + n]
    result: FloatArray = np.maximum(prefix[1:] - lowest, 0.0)
    return result


class CusumDetector(FeatureDetector):
    """Two-sided CUSUM with a `memory`-row horizon on each signal's trailing-mean feature."""

    def __init__(
        self,
        window: int = 1,
        drift: float = 0.5,
        memory: int = 60,
        slow_autocorr: float = 0.8,
        slow_mode: str = "ignore",
        aggregate: str = "max",
        gate: int = 0,
    ) -> None:
        self.window = window
        self.drift = drift
        self.memory = memory
        self.slow_autocorr = slow_autocorr
        self.slow_mode = slow_mode
        self.aggregate = aggregate
        self.gate = gate

    @property
    def context_rows(self) -> int:
        # the CUSUM spans `memory` feature rows, each resting on the 2 window rows before it
        return 2 * self.window + max(self.memory, self.gate) - 1

    def _fit_features(self, Z: FloatArray) -> None:
        if self.aggregate not in ("mean", "max"):
            raise ValueError(f"aggregate must be 'mean' or 'max', not {self.aggregate!r}")
        if self.memory < 1 or self.drift < 0 or self.gate < 0:
            raise ValueError("need memory >= 1, drift >= 0 and gate >= 0")
        self.n_features_ = Z.shape[1]

    def _sides(self, Z: FloatArray) -> tuple[FloatArray, FloatArray]:
        up = suffix_max(Z - self.drift, self.memory)
        down = suffix_max(-Z - self.drift, self.memory)
        if self.gate > 0:
            recent = trailing_mean(Z, self.gate)
            up = np.where(recent > self.drift, up, 0.0)
            down = np.where(recent < -self.drift, down, 0.0)
        return up, down

    def _parts(self, Z: FloatArray) -> FloatArray:
        up, down = self._sides(Z)
        result: FloatArray = np.maximum(up, down)
        if self.aggregate == "mean":
            result = result / self.n_features_
        return result

    def score(self, X: FloatArray) -> FloatArray:
        if self.aggregate == "mean":
            return super().score(X)
        self._check_fitted()
        Z = self.features_.transform(as_rows(X, self.n_signals_))
        result: FloatArray = self._parts(Z).max(axis=1)
        return result

    def _deviation(self, Z: FloatArray) -> FloatArray:
        """Signed accumulated excess: + when the upward sum dominates, - when the downward."""
        up, down = self._sides(Z)
        result: FloatArray = np.where(up >= down, up, -down)
        return result
