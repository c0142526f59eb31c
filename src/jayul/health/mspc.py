"""Multivariate statistical process control: PCA and dynamic PCA with T² and SPE (Q) limits.

The classical monitor of continuous processes (MacGregor & Kourti; Chiang, Russell & Braatz).
Rows are standardised with the training mean and spread; with `lags` L > 0 each row is joined
with its L predecessors (dynamic PCA, Ku et al. 1995), so autocorrelation and short dynamics
become part of the normal model. The principal components kept explain `variance` of the
training rows (or `n_components` of them).

Control limits come from the training rows alone, at confidence `alpha`:
- T² (inside the normal subspace): k (n² - 1) / (n (n - k)) F_alpha(k, n - k);
- SPE (off it): Jackson & Mudholkar's approximation from the discarded eigenvalues.

The score is max(T² / T²_limit, SPE / SPE_limit), so 1 is the control limit whichever
statistic crosses it. Each signal's part (its contribution plot) is its complete-decomposition
share of T² plus its squared residual in SPE, each over its limit, summed over the signal's lags.
"""

from __future__ import annotations

from typing import Self

import numpy as np
from scipy import stats

from jayul.health.detector import Detector, Explanation, FloatArray, as_rows, shares_from_parts


def lagged(X: FloatArray, lags: int) -> FloatArray:
    """Each row joined with its `lags` predecessors (the first row repeated before the batch).

    Column block j holds the rows j steps back, so block 0 is the current row.
    """
    if lags == 0:
        return X
    padded = np.vstack([np.repeat(X[:1], lags, axis=0), X])
    n = len(X)
    return np.hstack([padded[lags - j : lags - j + n] for j in range(lags + 1)])


def t2_limit(k: int, n: int, alpha: float) -> float:
    """Hotelling's T² control limit for k components fitted on n rows."""
    return float(k * (n * n - 1) / (n * (n - k)) * stats.f.ppf(alpha, k, n - k))


def spe_limit(discarded: FloatArray, alpha: float) -> float:
    """Jackson-Mudholkar limit of the squared prediction error from the discarded eigenvalues."""
    theta = [float(np.sum(discarded**i)) for i in (1, 2, 3)]
    if theta[0] <= 0:
        return 1e-9
    h0 = 1.0 - 2.0 * theta[0] * theta[2] / (3.0 * theta[1] ** 2)
    c = float(stats.norm.ppf(alpha))
    inner = (
        c * np.sqrt(2.0 * theta[1] * h0**2) / theta[0]
        + 1.0
        + theta[1] * h0 * (h0 - 1.0) / theta[0] ** 2
    )
    return float(theta[0] * max(inner, 1e-12) ** (1.0 / h0))


class MspcDetector(Detector):
    """PCA (lags=0) or dynamic PCA (lags>0) with T² and SPE control limits (see module doc)."""

    def __init__(
        self,
        variance: float = 0.9,
        n_components: int | None = None,
        lags: int = 0,
        alpha: float = 0.99,
    ) -> None:
        self.variance = variance
        self.n_components = n_components
        self.lags = lags
        self.alpha = alpha

    @property
    def context_rows(self) -> int:
        return self.lags + 1

    def fit(self, X: FloatArray) -> Self:
        X = as_rows(X)
        if self.lags < 0:
            raise ValueError(f"lags must be >= 0, got {self.lags}")
        if len(X) < self.lags + 3:
            raise ValueError(f"fit needs at least {self.lags + 3} rows, got {len(X)}")
        self.n_signals_ = X.shape[1]
        self.mean_ = X.mean(axis=0)
        self.scale_ = np.where(X.std(axis=0, ddof=1) > 0, X.std(axis=0, ddof=1), 1.0)
        Z = lagged((X - self.mean_) / self.scale_, self.lags)[self.lags :]
        n = len(Z)
        _, singular, vt = np.linalg.svd(Z - Z.mean(axis=0), full_matrices=False)
        eigen = singular**2 / (n - 1)
        if self.n_components is not None:
            k = self.n_components
        else:
            ratio = np.cumsum(eigen) / max(float(eigen.sum()), 1e-12)
            k = int(np.searchsorted(ratio, self.variance) + 1)
        k = max(1, min(k, len(eigen) - 1, n - 2))
        self.center_ = Z.mean(axis=0)
        self.loadings_ = vt[:k].T
        self.eigen_ = np.maximum(eigen[:k], 1e-12)
        self.n_components_ = k
        self.t2_limit_ = t2_limit(k, n, self.alpha)
        self.spe_limit_ = spe_limit(eigen[k:], self.alpha)
        self.fitted_ = True
        return self

    def _features(self, X: FloatArray) -> FloatArray:
        self._check_fitted()
        X = as_rows(X, self.n_signals_)
        result: FloatArray = lagged((X - self.mean_) / self.scale_, self.lags) - self.center_
        return result

    def statistics(self, X: FloatArray) -> tuple[FloatArray, FloatArray]:
        """T² and SPE of every row, in their own units (compare with `t2_limit_`, `spe_limit_`)."""
        Z = self._features(X)
        scores = Z @ self.loadings_
        t2 = np.sum(scores**2 / self.eigen_, axis=1)
        residual = Z - scores @ self.loadings_.T
        return t2, np.sum(residual**2, axis=1)

    def score(self, X: FloatArray) -> FloatArray:
        t2, spe = self.statistics(X)
        result: FloatArray = np.maximum(t2 / self.t2_limit_, spe / self.spe_limit_)
        return result

    def contributions(self, X: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Each signal's T² and SPE contribution (rows, signals), each over its limit.

        T²: the complete decomposition z_j (P Λ⁻¹ Pᵀ z)_j, negatives clipped; SPE: the squared
        residual. Both summed over a signal's lags.
        """
        Z = self._features(X)
        precision = (self.loadings_ / self.eigen_) @ self.loadings_.T
        t2_parts = np.maximum(Z * (Z @ precision), 0.0) / self.t2_limit_
        residual = Z - (Z @ self.loadings_) @ self.loadings_.T
        spe_parts = residual**2 / self.spe_limit_
        fold = (len(Z), self.lags + 1, self.n_signals_)
        return t2_parts.reshape(fold).sum(axis=1), spe_parts.reshape(fold).sum(axis=1)

    def explain(self, X: FloatArray) -> Explanation:
        t2_parts, spe_parts = self.contributions(X)
        current = self._features(X)[:, : self.n_signals_]
        return Explanation(
            shares=shares_from_parts(t2_parts + spe_parts),
            directions=np.sign(current).astype(np.int8),
            z=current,
        )
