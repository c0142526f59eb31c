"""One conformance suite run against every detector (River-style)."""

from __future__ import annotations

import pickle
from collections.abc import Callable

import numpy as np
import pytest

from jayul.bench.skab.detectors.cusum import CusumDetector
from jayul.bench.skab.detectors.ecdf import EcdfDetector
from jayul.bench.skab.detectors.ensemble import EnsembleDetector
from jayul.bench.skab.detectors.forecast import ForecastDetector
from jayul.bench.skab.detectors.iforest import IsolationForestDetector
from jayul.bench.skab.detectors.mahalanobis import MahalanobisDetector
from jayul.bench.skab.detectors.mset import KernelSimilarityDetector
from jayul.bench.skab.detectors.zscore import ZScoreDetector
from jayul.bench.skab.peers import HalfSpaceTreesPeer, IsolationForestPeer
from jayul.health.detector import Detector, StreamScorer
from jayul.health.mspc import MspcDetector
from jayul.health.pca import PcaDetector
from jayul.health.window_spread import WindowSpreadDetector

FACTORIES: dict[str, Callable[[], Detector]] = {
    "zscore": lambda: ZScoreDetector(window=5),
    "zscore_ignore_slow": lambda: ZScoreDetector(window=5, slow_mode="ignore"),
    "zscore_max": lambda: ZScoreDetector(window=5, aggregate="max"),
    "zscore_drift": lambda: ZScoreDetector(window=5, slow_mode="ignore", drift_horizon=300.0),
    "zscore_cal": lambda: ZScoreDetector(window=5, aggregate="calibrated-max"),
    "pca": lambda: PcaDetector(window=5),
    "mahalanobis": lambda: MahalanobisDetector(window=5),
    "mahalanobis_ignore_slow": lambda: MahalanobisDetector(window=5, slow_mode="ignore"),
    "cusum": lambda: CusumDetector(window=1, memory=20),
    "cusum_gated": lambda: CusumDetector(window=1, memory=20, gate=5),
    "cusum_mean_rate": lambda: CusumDetector(
        window=3, memory=7, slow_mode="rate", aggregate="mean"
    ),
    "kernel": lambda: KernelSimilarityDetector(window=5, memory=32),
    "forecast": lambda: ForecastDetector(window=5),
    "ecdf": lambda: EcdfDetector(window=5),
    "iforest": lambda: IsolationForestDetector(window=5, n_estimators=20),
    "ensemble": lambda: EnsembleDetector([ZScoreDetector(window=5), PcaDetector(window=5)]),
    "ensemble_max": lambda: EnsembleDetector(
        [ZScoreDetector(window=3), ZScoreDetector(window=12)], combine="max"
    ),
    "mspc": lambda: MspcDetector(),
    "dpca": lambda: MspcDetector(lags=2, n_components=3),
    "window_spread": lambda: WindowSpreadDetector(window=5),
    "peer_hst": lambda: HalfSpaceTreesPeer(n_trees=5, height=6, window_size=100),
    "peer_iforest": lambda: IsolationForestPeer(n_estimators=20),
}


def normal_rows(n: int, seed: int = 0) -> np.ndarray:
    """8 signals: correlated noise, one periodic, one slow drift (like a temperature)."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n, 8))
    base[:, 1] = 0.7 * base[:, 0] + 0.3 * base[:, 1]
    base[:, 2] += np.sin(np.arange(n) / 7.0)
    base[:, 4] = np.cumsum(rng.normal(scale=0.05, size=n)) + 50.0
    return base


@pytest.fixture(scope="module")
def train() -> np.ndarray:
    return normal_rows(400, seed=1)


@pytest.fixture(scope="module")
def stream() -> np.ndarray:
    rows = normal_rows(300, seed=2)
    rows[150:250, 0] += 4.0  # a sustained fault on signal 0
    return rows


@pytest.fixture(params=sorted(FACTORIES))
def make(request: pytest.FixtureRequest) -> Callable[[], Detector]:
    return FACTORIES[request.param]


def test_causal_appending_future_rows_never_changes_past_scores(
    make: Callable[[], Detector], train: np.ndarray, stream: np.ndarray
) -> None:
    d = make().fit(train)
    full = d.score(stream)
    for n in (1, 7, 120, 299):
        np.testing.assert_allclose(d.score(stream[:n]), full[:n], rtol=0, atol=1e-9)
    changed = stream.copy()
    changed[200:] += 10.0  # a different future
    np.testing.assert_allclose(d.score(changed)[:200], full[:200], rtol=0, atol=1e-9)


def test_stream_in_chunks_equals_one_batch(
    make: Callable[[], Detector], train: np.ndarray, stream: np.ndarray
) -> None:
    d = make().fit(train)
    scorer = StreamScorer(d)
    chunks = [scorer.score(stream[a:b]) for a, b in ((0, 3), (3, 40), (40, 41), (41, 300))]
    np.testing.assert_allclose(np.concatenate(chunks), d.score(stream), rtol=0, atol=1e-9)
    last = scorer.explain_last()
    np.testing.assert_allclose(last.shares, d.explain(stream).shares[41:], atol=1e-9)


def test_deterministic_for_a_seed(
    make: Callable[[], Detector], train: np.ndarray, stream: np.ndarray
) -> None:
    a = make().fit(train).score(stream)
    b = make().fit(train).score(stream)
    np.testing.assert_array_equal(a, b)


def test_pickle_round_trip(
    make: Callable[[], Detector], train: np.ndarray, stream: np.ndarray
) -> None:
    d = make().fit(train)
    restored = pickle.loads(pickle.dumps(d))
    np.testing.assert_array_equal(restored.score(stream), d.score(stream))


def test_clone_is_unfitted_with_same_params(
    make: Callable[[], Detector], train: np.ndarray, stream: np.ndarray
) -> None:
    d = make().fit(train)
    c = d.clone()
    assert c is not d
    assert type(c) is type(d)
    assert repr(c) == repr(d)
    assert not getattr(c, "fitted_", False)
    with pytest.raises(RuntimeError, match="not fitted"):
        c.score(stream)
    np.testing.assert_array_equal(c.fit(train).score(stream), d.score(stream))


def test_params_are_constructor_arguments(make: Callable[[], Detector]) -> None:
    d = make()
    params = d.get_params()
    assert params
    assert not any(k.endswith("_") for k in params)


def test_explanations_are_shares_and_signs(
    make: Callable[[], Detector], train: np.ndarray, stream: np.ndarray
) -> None:
    e = make().fit(train).explain(stream)
    assert e.shares.shape == stream.shape == e.directions.shape == e.z.shape
    assert (e.shares >= 0).all()
    np.testing.assert_allclose(e.shares.sum(axis=1), 1.0, atol=1e-9)
    assert set(np.unique(e.directions)) <= {-1, 0, 1}


@pytest.mark.parametrize("name", sorted(k for k in FACTORIES if not k.startswith("peer_")))
def test_a_sustained_fault_scores_higher(name: str, train: np.ndarray, stream: np.ndarray) -> None:
    # a quality check for jayul's detectors only: the peers are benchmarked, not vouched for
    s = FACTORIES[name]().fit(train).score(stream)
    assert np.median(s[170:250]) > np.quantile(s[20:150], 0.9)


def test_wrong_width_is_rejected(make: Callable[[], Detector], train: np.ndarray) -> None:
    d = make().fit(train)
    with pytest.raises(ValueError, match="signals"):
        d.score(np.zeros((5, 3)))
