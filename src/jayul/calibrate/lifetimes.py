"""Time to failure and the degradation process per failure mode, from censored runs.

Two views of the same runs (wear hours from reset to failure, or to a censoring maintenance):

- `fit_lifetime`: a lifetime distribution with lifelines (Weibull, exponential, log-normal,
  chosen by AIC), the plain reliability-engineering answer, reported beside the process.
- `fit_process`: the twin's degradation process, by the exact likelihood of its first
  passage of the failure threshold h = 1, chosen by AIC among
  - gamma process (mean wear μ per hour, shape k per hour): P(T > e) = P(X(e) < 1), the
    regularised lower incomplete gamma function at (k e, k / μ);
  - Wiener process with the same mean and variance per hour (μ, μ²/k): T is inverse
    Gaussian with mean 1/μ and shape k/μ²;
  - exponential: a memoryless life of mean 1/μ (no wear-out); the twin runs it as a gamma
    process whose life has a coefficient of variation of 1 (k = μ).
  A failure is seen at the first tick after the passage, so a failure at e contributes
  P(e - 1 < T <= e) and a censored run P(T > e).

What lifetimes identify: μ and k (the mean and the spread of lives) per mode. What they do not:
the health index's scale (the threshold is 1 by definition) and anything about the path
between resets; the signal fit (`signals.py`) reads the path's visible part.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import optimize, special, stats

from jayul.calibrate.exposure import Run
from jayul.calibrate.fitted import MIN_EVENTS, Fitted, log_param_intervals

Survival = Callable[[npt.NDArray[np.float64], npt.NDArray[np.float64]], npt.NDArray[np.float64]]
TICK_WEAR_H = 1.0  # at most one wear hour between the passage and the tick that sees it


def _gamma_sf(theta: npt.NDArray[np.float64], e: npt.NDArray[np.float64]) -> Any:
    mu, k = np.exp(theta)
    return special.gammainc(np.maximum(k * e, 1e-300), k / mu)


def _wiener_sf(theta: npt.NDArray[np.float64], e: npt.NDArray[np.float64]) -> Any:
    mu, k = np.exp(theta)
    lam = k / mu**2
    mean = 1.0 / mu
    return stats.invgauss.sf(np.maximum(e, 1e-12), mean / lam, scale=lam)


def _exp_sf(theta: npt.NDArray[np.float64], e: npt.NDArray[np.float64]) -> Any:
    mu = np.exp(theta[0])
    return np.exp(-mu * np.maximum(e, 0.0))


FAMILIES: dict[str, tuple[Survival, int]] = {
    "gamma": (_gamma_sf, 2),
    "wiener": (_wiener_sf, 2),
    "exponential": (_exp_sf, 1),
}


@dataclass(frozen=True)
class ProcessFit:
    """A mode's fitted degradation process: family, μ (wear per hour), k (shape per hour)."""

    family: str
    wear_per_h: Fitted
    shape_per_h: Fitted
    mttf_wear_h: Fitted
    aic: dict[str, float]
    failures: int
    censored: int


def _nll(sf: Survival, exposure: npt.NDArray[np.float64], failed: npt.NDArray[np.bool_]) -> Any:
    def f(theta: npt.NDArray[np.float64]) -> float:
        s_end = sf(theta, exposure)
        s_before = sf(theta, np.maximum(exposure - TICK_WEAR_H, 0.0))
        like = np.where(failed, s_before - s_end, s_end)
        return float(-np.sum(np.log(np.clip(like, 1e-300, None))))

    return f


def mean_life(family: str, mu: float, k: float) -> float:
    """Mean wear hours to failure of a fitted process."""
    if family != "gamma":
        return 1.0 / mu
    # E[T] = integral of P(X(e) < 1) de, on a grid far past the bulk of the lives
    grid = np.linspace(0.0, 6.0 / mu + 50.0 / k, 4000)
    return float(np.trapezoid(special.gammainc(np.maximum(k * grid, 1e-300), k / mu), grid))


def fit_process(runs: Sequence[Run]) -> ProcessFit | None:
    """The degradation process by censored maximum likelihood; None when fewer than
    `MIN_EVENTS` failures (the caller uses a prior)."""
    exposure = np.array([r.exposure for r in runs], dtype=float)
    failed = np.array([r.failed for r in runs], dtype=bool)
    n_fail = int(failed.sum())
    if n_fail < MIN_EVENTS:
        return None
    lives = exposure[failed]
    cv = max(float(np.std(lives) / np.mean(lives)) if n_fail > 1 else 0.5, 0.05)
    fits: dict[str, tuple[npt.NDArray[np.float64], float]] = {}
    for name, (sf, n_par) in FAMILIES.items():
        nll = _nll(sf, exposure, failed)
        # Two starts, kept by likelihood. The failures per exposure hour is the rate's MLE
        # for a memoryless life, but under heavy censoring of a regular life (runs stopped
        # before most parts wear out) it puts the mean life far past every observed failure;
        # with the spread of those failures the start is then so improbable that the
        # likelihood underflows and the search never leaves it. The mean of the observed
        # lives starts near them.
        results = []
        for mu0 in (n_fail / float(exposure.sum()), 1.0 / float(np.mean(lives))):
            x0 = np.log([mu0, mu0 / cv**2][:n_par])
            results.append(
                optimize.minimize(nll, x0, method="Nelder-Mead", options={"xatol": 1e-6})
            )
        res = min(results, key=lambda r: float(r.fun))
        fits[name] = (np.asarray(res.x, dtype=float), float(res.fun))
    aic = {name: 2 * FAMILIES[name][1] + 2 * nll_ for name, (_, nll_) in fits.items()}
    best = min(aic, key=lambda n: aic[n])
    theta, _ = fits[best]
    low, high = log_param_intervals(_nll(FAMILIES[best][0], exposure, failed), theta)
    mu = float(np.exp(theta[0]))
    k = float(np.exp(theta[1])) if len(theta) > 1 else mu
    k_lo, k_hi = (float(low[1]), float(high[1])) if len(theta) > 1 else (k, k)
    n_cens = len(runs) - n_fail
    wear = Fitted(mu, float(low[0]), float(high[0]), n_fail, best)
    shape = Fitted(k, k_lo, k_hi, n_fail, best, note="" if len(theta) > 1 else "k = μ (CV 1)")
    mttf = _mttf_interval(best, theta, _nll(FAMILIES[best][0], exposure, failed), n_fail)
    return ProcessFit(best, wear, shape, mttf, aic, n_fail, n_cens)


def _mttf_interval(family: str, theta: npt.NDArray[np.float64], nll: Any, n: int) -> Fitted:
    """The mean life and its 95 % interval, from draws of the parameters' asymptotic normal."""
    from jayul.calibrate.fitted import numeric_hessian

    mu = float(np.exp(theta[0]))
    k = float(np.exp(theta[1])) if len(theta) > 1 else mu
    point = mean_life(family, mu, k)
    try:
        cov = np.linalg.inv(numeric_hessian(nll, theta))
        draws = np.random.default_rng(0).multivariate_normal(theta, cov, size=200)
    except (np.linalg.LinAlgError, ValueError):
        return Fitted(point, 0.0, float("inf"), n, family)
    lives = [
        mean_life(family, float(np.exp(d[0])), float(np.exp(d[1])) if len(d) > 1 else 1.0)
        for d in draws
    ]
    lo, hi = np.percentile(lives, [2.5, 97.5])
    return Fitted(point, float(min(lo, point)), float(max(hi, point)), n, family)


def fit_lifetime(runs: Sequence[Run]) -> dict[str, Any] | None:
    """Weibull, exponential and log-normal lifetimes (lifelines, right-censored), by AIC."""
    from lifelines import ExponentialFitter, LogNormalFitter, WeibullFitter

    exposure = np.array([max(r.exposure, 1e-6) for r in runs], dtype=float)
    failed = np.array([r.failed for r in runs], dtype=bool)
    if int(failed.sum()) < MIN_EVENTS:
        return None
    out: dict[str, Any] = {}
    best_aic = np.inf
    for fitter in (WeibullFitter(), ExponentialFitter(), LogNormalFitter()):
        try:
            fitter.fit(exposure, event_observed=failed)
        except Exception:
            continue
        name = type(fitter).__name__.removesuffix("Fitter").lower()
        aic = float(fitter.AIC_)
        out.setdefault("aic", {})[name] = round(aic, 2)
        if aic < best_aic:
            best_aic = aic
            out["family"] = name
            out["params"] = {k: float(v) for k, v in fitter.params_.items()}
            out["mttf_wear_h"] = _lifelines_mean(name, out["params"])
    return out


def _lifelines_mean(name: str, p: dict[str, float]) -> float:
    if name == "weibull":
        return float(p["lambda_"] * special.gamma(1 + 1 / p["rho_"]))
    if name == "exponential":
        return float(p["lambda_"])
    return float(np.exp(p["mu_"] + p["sigma_"] ** 2 / 2))
