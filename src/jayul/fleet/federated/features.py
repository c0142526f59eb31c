"""The feature map of the federated RUL model, fitted from sums the sites send, not their rows.

The model reads `jayul.health.rul.WindowFeatures` (windowed means, slopes, spreads, change
from the unit's baseline, a ridge health index) and standardises them. Everything those
need from the training data is a sum over rows, so each site sends its sums and the centre
adds them up; the result is exactly what fitting on the pooled rows would give:

1. per signal: rows, mean and sum of squared deviations from the site's mean (which signals
   vary, their centre and scale; combined as Chan et al.'s parallel variance, which stays
   exact where a plain sum of squares would cancel), and the same for the label;
2. the health index's ridge system: `Z'Z` and `Z'y` over the standardised signals;
3. per feature: rows, mean and sum of squared deviations (the network's input scale).

What leaves a site is these aggregates (second moments of its signals), never a row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from jayul.health.rul import WindowFeatures, piecewise_linear_rul

FloatArray = npt.NDArray[np.float64]
RIDGE = 1e-3  # as WindowFeatures.fit: keeps the index stable when signals are collinear
CONSTANT_TOL = 1e-8


@dataclass(frozen=True)
class Site:
    """One site's run-to-failure histories (rows = time steps, oldest first; the last row of
    each history is its failure). They never leave the site; only sums and weights do."""

    name: str
    histories: Sequence[FloatArray]
    cap: float = 125.0
    labels: list[FloatArray] = field(init=False)

    def __post_init__(self) -> None:
        if not self.histories:
            raise ValueError(f"site {self.name!r}: no run-to-failure histories")
        widths = {h.shape[1] for h in self.histories}
        if len(widths) != 1:
            raise ValueError(f"site {self.name!r}: histories of different widths {widths}")
        labels = [piecewise_linear_rul(len(h), self.cap) for h in self.histories]
        object.__setattr__(self, "labels", labels)

    @property
    def n_rows(self) -> int:
        return sum(len(h) for h in self.histories)


def moments(rows: FloatArray) -> dict[str, FloatArray]:
    """At a site: rows, column means and sums of squared deviations from them."""
    mean = rows.mean(axis=0)
    return {"n": np.array([float(len(rows))]), "mean": mean, "m2": ((rows - mean) ** 2).sum(axis=0)}


def combine_moments(parts: Sequence[dict[str, FloatArray]]) -> tuple[FloatArray, FloatArray]:
    """At the centre: the pooled mean and (population) standard deviation of the sites'."""
    n = np.array([float(p["n"][0]) for p in parts])
    means = np.array([p["mean"] for p in parts])
    mean = (n[:, None] * means).sum(axis=0) / n.sum()
    m2 = sum(p["m2"] + p["n"][0] * (p["mean"] - mean) ** 2 for p in parts)
    return mean, np.sqrt(np.asarray(m2) / n.sum())


def signal_sums(site: Site) -> dict[str, dict[str, FloatArray]]:
    """Round 1, at a site: the moments of every signal and of the label."""
    y = np.concatenate(site.labels)[:, None]
    return {"signals": moments(np.vstack(site.histories)), "label": moments(y)}


def index_sums(
    site: Site, features: WindowFeatures, y_mean: float, y_std: float
) -> dict[str, FloatArray]:
    """Round 2, at a site: the health index's ridge system over its standardised signals."""
    z = (np.vstack(site.histories)[:, features.keep_] - features.center_) / features.scale_
    y = (np.concatenate(site.labels) - y_mean) / y_std
    return {"n": np.array([float(len(z))]), "gram": z.T @ z, "zy": z.T @ y}


def feature_rows(features: WindowFeatures, site: Site) -> tuple[FloatArray, FloatArray]:
    """Every row's windowed features and its capped label, at a site."""
    x = np.vstack([features.transform_all(h) for h in site.histories])
    return x, np.concatenate(site.labels)


def _total(parts: Sequence[dict[str, FloatArray]]) -> dict[str, FloatArray]:
    """What the centre does with the sites' sums: adds them."""
    return {key: np.sum([p[key] for p in parts], axis=0) for key in parts[0]}


class FederatedFeatures:
    """Window features plus their standardisation, fitted from the sites' sums (module doc)."""

    def __init__(self, windows: Sequence[int] = (5, 10, 20, 30), baseline_rows: int = 20):
        self.windows = tuple(windows)
        self.baseline_rows = baseline_rows

    def fit(self, sites: Sequence[Site]) -> FederatedFeatures:
        """Three rounds of sums; each site computes its part from its own histories."""
        first = [signal_sums(s) for s in sites]
        mean, spread = combine_moments([f["signals"] for f in first])
        keep = np.flatnonzero(spread > CONSTANT_TOL)
        if keep.size == 0:
            raise ValueError("every signal is constant across the sites' histories")
        window = WindowFeatures(self.windows, self.baseline_rows, health_index=True)
        window.keep_, window.center_, window.scale_ = keep, mean[keep], spread[keep]
        window.failure_level_ = None
        y_means, y_spreads = combine_moments([f["label"] for f in first])
        y_mean, y_std = float(y_means[0]), max(float(y_spreads[0]), 1e-12)
        second = _total([index_sums(s, window, y_mean, y_std) for s in sites])
        gram = second["gram"] + RIDGE * float(second["n"][0]) * np.eye(len(keep))
        window.index_weights_ = np.asarray(np.linalg.solve(gram, second["zy"]), dtype=np.float64)
        self.window_ = window
        f_mean, f_spread = combine_moments([moments(feature_rows(window, s)[0]) for s in sites])
        self.center_ = f_mean
        self.scale_ = np.where(f_spread > 1e-12, f_spread, 1.0)
        return self

    def rows(self, site: Site, stride: int = 1) -> tuple[FloatArray, FloatArray]:
        """A site's standardised training rows and labels (every `stride`-th row)."""
        x, y = feature_rows(self.window_, site)
        return (x[::stride] - self.center_) / self.scale_, y[::stride]

    def last_rows(self, histories: Sequence[FloatArray]) -> FloatArray:
        """Standardised features at the last row of each history (what a prediction reads)."""
        x = np.vstack([self.window_.last_row(np.asarray(h, dtype=np.float64)) for h in histories])
        return np.asarray((x - self.center_) / self.scale_, dtype=np.float64)
