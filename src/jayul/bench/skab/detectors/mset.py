"""A kernel similarity model in the MSET / auto-associative kernel regression family."""

from __future__ import annotations

import numpy as np

from jayul.health.detector import FloatArray
from jayul.health.feature_detector import FeatureDetector


class KernelSimilarityDetector(FeatureDetector):
    """Estimate each row as a similarity-weighted blend of remembered normal states.

    The memory holds `memory` training feature vectors: the extremes of every signal (as MSET
    does, so the normal envelope is covered) and evenly spaced rows. A row's estimate is the
    Gaussian-kernel weighted mean of the memory (bandwidth in z units); the residual
    (observed - estimate) is what the model could not explain as normal. Parts: squared
    residual of each signal over its training residual variance, averaged over signals.
    """

    def __init__(
        self,
        window: int = 10,
        slow_autocorr: float = 0.8,
        slow_mode: str = "rate",
        memory: int = 64,
        bandwidth: float = 1.0,
    ) -> None:
        self.window = window
        self.slow_autocorr = slow_autocorr
        self.slow_mode = slow_mode
        self.memory = memory
        self.bandwidth = bandwidth

    def _fit_features(self, Z: FloatArray) -> None:
        chosen = set(np.argmin(Z, axis=0).tolist()) | set(np.argmax(Z, axis=0).tolist())
        spare = max(self.memory - len(chosen), 0)
        chosen |= set(np.linspace(0, len(Z) - 1, num=min(spare, len(Z))).astype(int).tolist())
        self.memory_ = Z[sorted(chosen)]
        residual = Z - self._estimate(Z)
        self.residual_var_ = np.maximum((residual**2).mean(axis=0), 1e-6)

    def _estimate(self, Z: FloatArray) -> FloatArray:
        # squared distances via |a|² + |b|² - 2ab: one matrix product instead of a 3-D array
        d2 = (
            (Z * Z).sum(axis=1)[:, None]
            + (self.memory_ * self.memory_).sum(axis=1)[None, :]
            - 2.0 * Z @ self.memory_.T
        )
        logits = -np.maximum(d2, 0.0) / (2.0 * self.bandwidth**2)
        logits -= logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        weights /= weights.sum(axis=1, keepdims=True)
        result: FloatArray = weights @ self.memory_
        return result

    def _deviation(self, Z: FloatArray) -> FloatArray:
        result: FloatArray = (Z - self._estimate(Z)) / np.sqrt(self.residual_var_)
        return result

    def _parts(self, Z: FloatArray) -> FloatArray:
        result: FloatArray = self._deviation(Z) ** 2 / Z.shape[1]
        return result
