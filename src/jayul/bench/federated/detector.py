"""The anomaly detector's normal model learned across sites from sums, not rows.

The classical monitor `jayul.health.mspc.MspcDetector` (PCA with T² and SPE limits, no lags)
needs from its training rows only their count, mean and scatter matrix: the scale is the
square root of the scatter's diagonal over n - 1, the principal components are the
eigenvectors of the standardised scatter (the correlation matrix), and both control limits
are functions of the eigenvalues and n. So each site sends `normal_sums` of its own normal
rows (n, mean, sum of outer products of deviations from its mean) and the centre adds them
as Chan et al.'s parallel scatter; the detector it builds is the one a fit on the pooled
rows gives (a test checks it), though no row left a site. Second moments of a site's
signals are what leave it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from jayul.health.mspc import MspcDetector, spe_limit, t2_limit

FloatArray = npt.NDArray[np.float64]


def normal_sums(rows: FloatArray) -> dict[str, FloatArray]:
    """At a site: the count, mean and scatter matrix of its normal rows (rows x signals)."""
    x = np.asarray(rows, dtype=np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"normal rows must be a 2-D array of at least 2 rows, got {x.shape}")
    mean = x.mean(axis=0)
    deviation = x - mean
    return {"n": np.array([float(len(x))]), "mean": mean, "scatter": deviation.T @ deviation}


def pooled_scatter(parts: Sequence[dict[str, FloatArray]]) -> tuple[float, FloatArray, FloatArray]:
    """At the centre: the pooled count, mean and scatter of the sites' rows."""
    if not parts:
        raise ValueError("no site sent its sums")
    n = np.array([float(p["n"][0]) for p in parts])
    mean = (n[:, None] * np.array([p["mean"] for p in parts])).sum(axis=0) / n.sum()
    scatter = np.zeros((len(mean), len(mean)))
    for part, count in zip(parts, n, strict=True):
        shift = part["mean"] - mean
        scatter += part["scatter"] + count * np.outer(shift, shift)
    return float(n.sum()), mean, scatter


def federated_mspc(
    parts: Sequence[dict[str, FloatArray]], variance: float = 0.9, alpha: float = 0.99
) -> MspcDetector:
    """An `MspcDetector(variance, alpha=alpha)` fitted from the sites' `normal_sums`."""
    n_rows, mean, scatter = pooled_scatter(parts)
    if n_rows < 3:
        raise ValueError(f"the sites' normal rows number {n_rows:g}; the detector needs 3")
    std = np.sqrt(np.maximum(np.diag(scatter), 0.0) / (n_rows - 1.0))
    scale = np.where(std > 0, std, 1.0)
    covariance = scatter / np.outer(scale, scale) / (n_rows - 1.0)
    eigen, vectors = np.linalg.eigh(covariance)
    order = np.argsort(eigen)[::-1]  # largest first, as the pooled fit's SVD orders them
    eigen, vectors = np.maximum(eigen[order], 0.0), vectors[:, order]
    detector = MspcDetector(variance=variance, alpha=alpha)
    ratio = np.cumsum(eigen) / max(float(eigen.sum()), 1e-12)
    k = int(np.searchsorted(ratio, variance) + 1)
    k = max(1, min(k, len(eigen) - 1, int(n_rows) - 2))
    detector.n_signals_ = len(mean)
    detector.mean_ = mean
    detector.scale_ = scale
    detector.center_ = np.zeros(len(mean))  # standardised with the pooled mean: centred
    detector.loadings_ = vectors[:, :k]
    detector.eigen_ = np.maximum(eigen[:k], 1e-12)
    detector.n_components_ = k
    detector.t2_limit_ = t2_limit(k, int(n_rows), alpha)
    detector.spe_limit_ = spe_limit(eigen[k:], alpha)
    detector.fitted_ = True
    return detector
