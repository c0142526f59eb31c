"""A failure mode with `process: wiener` wears with the gamma process's mean and variance."""

from __future__ import annotations

import numpy as np

from jayul.plant import load_demo_plant
from jayul.twin.degradation import gamma_increment


def test_wiener_increments_match_the_gamma_moments() -> None:
    gamma_mode = load_demo_plant().machine_types["pump"].failure_modes[0]
    wiener_mode = gamma_mode.model_copy(update={"process": "wiener"})
    rng = np.random.default_rng(0)
    g = np.array([gamma_increment(gamma_mode, 50.0, rng) for _ in range(20000)])
    w = np.array([gamma_increment(wiener_mode, 50.0, rng) for _ in range(20000)])
    mean = gamma_mode.wear_per_h * 50.0
    var = gamma_mode.wear_per_h**2 * 50.0 / gamma_mode.shape_per_h
    assert abs(g.mean() / mean - 1) < 0.05 and abs(w.mean() / mean - 1) < 0.05
    assert abs(g.var() / var - 1) < 0.1 and abs(w.var() / var - 1) < 0.1
    assert (w < 0).any() and not (g < 0).any()  # a Wiener path may dip, a gamma one never
