"""Durations and rates: repairs, maintenance, processing times, order arrivals and due dates.

Durations are fitted with scipy.stats (gamma, log-normal, Weibull; the family by AIC); the
twin runs each duration as its mean, so the mean and its interval are what the plant file
gets. Durations that never vary (a fixed procedure) are reported as `constant`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

from jayul.calibrate.fitted import MIN_EVENTS, Fitted, prior

_FAMILIES: dict[str, Any] = {
    "gamma": stats.gamma,
    "lognormal": stats.lognorm,
    "weibull": stats.weibull_min,
}


def fit_duration(values: Sequence[float], fallback: float, what: str) -> Fitted:
    """A duration's mean with its 95 % interval and the family that fits it best."""
    x = np.asarray([v for v in values if v > 0], dtype=float)
    n = len(x)
    if n < MIN_EVENTS:
        return prior(fallback, f"{what}: {n} observed, fewer than {MIN_EVENTS}", n)
    mean = float(x.mean())
    sd = float(x.std(ddof=1))
    if sd <= 1e-9 * mean:
        return Fitted(mean, mean, mean, n, "constant")
    half = float(stats.t.ppf(0.975, n - 1)) * sd / np.sqrt(n)
    aic: dict[str, float] = {}
    for name, dist in _FAMILIES.items():
        try:
            params = dist.fit(x, floc=0)
            aic[name] = float(2 * (len(params) - 1) - 2 * np.sum(dist.logpdf(x, *params)))
        except (ValueError, RuntimeError, FloatingPointError):
            continue
    family = min(aic, key=lambda k: aic[k]) if aic else "empirical"
    return Fitted(
        mean,
        max(mean - half, float(x.min())),
        min(mean + half, float(x.max())),
        n,
        family,
        extra={"cv": round(sd / mean, 4)},
    )


def fit_rate(count: int, hours: float, fallback: float, what: str) -> Fitted:
    """A Poisson rate per hour with its exact (Garwood) 95 % interval."""
    if count < MIN_EVENTS or hours <= 0:
        return prior(fallback, f"{what}: {count} observed, fewer than {MIN_EVENTS}", count)
    low = stats.chi2.ppf(0.025, 2 * count) / 2 / hours
    high = stats.chi2.ppf(0.975, 2 * count + 2) / 2 / hours
    return Fitted(count / hours, float(low), float(high), count, "poisson")


def interarrival_family(times: Sequence[float]) -> dict[str, Any]:
    """Whether the gaps between orders look exponential (Poisson arrivals) or not, by AIC."""
    gaps = np.diff(np.sort(np.asarray(times, dtype=float)))
    gaps = gaps[gaps > 0]
    if len(gaps) < MIN_EVENTS:
        return {"family": "unknown", "gaps": len(gaps)}
    scale = float(gaps.mean())
    aic_exp = 2 - 2 * float(np.sum(stats.expon.logpdf(gaps, scale=scale)))
    a, _, sc = stats.gamma.fit(gaps, floc=0)
    aic_gamma = 4 - 2 * float(np.sum(stats.gamma.logpdf(gaps, a, scale=sc)))
    return {
        "family": "exponential" if aic_exp <= aic_gamma else "gamma",
        "aic": {"exponential": round(aic_exp, 2), "gamma": round(aic_gamma, 2)},
        "gamma_shape": round(float(a), 4),
        "gaps": len(gaps),
    }


def fit_uniform_window(
    values: Sequence[float], fallback: tuple[float, float]
) -> tuple[Fitted, Fitted]:
    """The window [lo, hi] of a uniform draw (due-date slack): minimum-variance unbiased
    estimates min - range/(n-1) and max + range/(n-1), with exact 95 % intervals."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n < MIN_EVENTS:
        note = f"due-date slack: {n} orders, fewer than {MIN_EVENTS}"
        return prior(fallback[0], note, n), prior(fallback[1], note, n)
    lo, hi = float(x.min()), float(x.max())
    span = hi - lo
    # the range of n uniforms falls short of the window by a Beta(2, n-1) fraction
    short_hi = float(stats.beta.ppf(0.975, 2, n - 1))
    width_hi = span / max(1 - short_hi, 1e-9)
    slack = width_hi - span
    lo_fit = Fitted(lo - span / (n - 1), lo - slack, lo, n, "uniform")
    hi_fit = Fitted(hi + span / (n - 1), hi, hi + slack, n, "uniform")
    return lo_fit, hi_fit
