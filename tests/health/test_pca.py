"""PCA's per-signal deviations read in the part of the model that raised the score."""

from __future__ import annotations

import numpy as np

from jayul.health.pca import PcaDetector


def _loaded_machine(rows: int, seed: int) -> np.ndarray:
    """Current and vibration follow a load that swings widely (hours standing, hours
    running); pressure and flow are noise around their levels."""
    rng = np.random.default_rng(seed)
    load = np.repeat(rng.uniform(0.0, 10.0, size=rows // 40 + 1), 40)[:rows]
    current = 2.0 * load + rng.normal(scale=0.3, size=rows)
    vibration = 1.5 * load + rng.normal(scale=0.3, size=rows)
    return np.column_stack([vibration, current, rng.normal(size=(rows, 2))])


def test_a_shift_off_the_load_relation_reads_in_residual_sigmas() -> None:
    train = _loaded_machine(1200, 0)
    before = _loaded_machine(300, 1)
    live = before.copy()
    live[150:, 0] += 1.5  # vibration up, small against the load swing, large against its noise
    d = PcaDetector(window=10, slow_autocorr=1.01).fit(train)
    e = d.explain(live)
    row = 250
    assert int(np.argmax(e.shares[row])) == 0
    assert e.directions[row, 0] == 1
    # the shift moved the raw feature by a fraction of its (load-driven) training spread ...
    moved = d.features_.transform(live)[row, 0] - d.features_.transform(before)[row, 0]
    assert 0.0 < moved < 1.0
    # ... but the signal sits many of its own residual spreads off what the others predict
    assert e.z[row, 0] > 3.0
    # and before the shift nothing reads as abnormal
    assert np.all(np.abs(e.z[100]) < 3.0)


def test_inside_the_normal_subspace_the_deviation_is_the_feature() -> None:
    train = _loaded_machine(1200, 0)
    live = _loaded_machine(300, 2)
    live[150:, :2] *= 3.0  # far beyond the load range, along the load axis
    d = PcaDetector(window=10, slow_autocorr=1.01).fit(train)
    e = d.explain(live)
    z_feature = d.features_.transform(live) - d.center_
    t2, q = d._split_parts(d.features_.transform(live))
    inside = t2.sum(axis=1) > q.sum(axis=1)
    assert inside[200:].any()
    np.testing.assert_allclose(e.z[inside], z_feature[inside])


def test_drift_horizon_widens_a_trending_signals_unit_and_leaves_a_steady_one() -> None:
    rng = np.random.default_rng(4)
    train = rng.normal(size=(400, 3))
    train[:, 0] += np.linspace(0.0, 4.0, 400)  # signal 0 drifts while commissioning
    plain = PcaDetector(window=10, slow_autocorr=1.01).fit(train)
    widened = PcaDetector(window=10, slow_autocorr=1.01, drift_horizon=400).fit(train)
    assert widened.features_.scale_[0] > 2 * plain.features_.scale_[0]
    assert np.allclose(widened.features_.scale_[1:], plain.features_.scale_[1:], rtol=0.2)
