"""The detector's normal model from the sites' sums equals the fit on their pooled rows."""

from __future__ import annotations

import numpy as np
import pytest

from jayul.bench.federated.detector import federated_mspc, normal_sums
from jayul.health.mspc import MspcDetector


def _site_rows(seed: int, n: int, shift: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 2))
    mixing = np.array([[1.0, 0.5, 0.0, 2.0, 0.1], [0.0, 1.0, 1.5, -1.0, 0.2]])
    return latent @ mixing + 0.1 * rng.normal(size=(n, 5)) + shift


def test_federated_mspc_scores_as_the_pooled_fit() -> None:
    sites = [_site_rows(1, 300, 0.0), _site_rows(2, 80, 0.7), _site_rows(3, 150, -0.4)]
    pooled = MspcDetector().fit(np.vstack(sites))
    federated = federated_mspc([normal_sums(rows) for rows in sites])
    assert federated.n_components_ == pooled.n_components_
    assert federated.t2_limit_ == pytest.approx(pooled.t2_limit_)
    assert federated.spe_limit_ == pytest.approx(pooled.spe_limit_)
    probe = np.vstack([_site_rows(9, 200, 0.2), _site_rows(10, 20, 3.0)])
    np.testing.assert_allclose(federated.score(probe), pooled.score(probe), rtol=1e-8)
    # a fault off the normal subspace scores above the limit, as with the pooled fit
    fault = probe[:5] + np.array([0.0, 0.0, 0.0, 0.0, 3.0])
    assert (federated.score(fault) > 1.0).all()


def test_federated_mspc_refuses_no_or_too_few_rows() -> None:
    with pytest.raises(ValueError, match="no site"):
        federated_mspc([])
    with pytest.raises(ValueError, match="at least 2 rows"):
        normal_sums(np.ones((1, 3)))
