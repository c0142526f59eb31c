"""The feature map from the sites' sums, and the numpy network."""

from __future__ import annotations

import numpy as np
import pytest

from jayul.fleet.federated import network
from jayul.fleet.federated.features import FederatedFeatures, Site
from jayul.health.rul import WindowFeatures


def test_feature_map_from_sums_equals_the_pooled_fit(small_sites: list[Site]) -> None:
    """The centre never sees rows, yet gets exactly the map a fit on the pooled rows gives."""
    federated = FederatedFeatures(windows=(5, 15), baseline_rows=10).fit(small_sites)
    histories = [h for s in small_sites for h in s.histories]
    labels = [y for s in small_sites for y in s.labels]
    pooled = WindowFeatures(windows=(5, 15), baseline_rows=10).fit(histories, labels)
    assert np.array_equal(federated.window_.keep_, pooled.keep_)
    np.testing.assert_allclose(federated.window_.center_, pooled.center_, rtol=1e-9)
    np.testing.assert_allclose(federated.window_.scale_, pooled.scale_, rtol=1e-9)
    assert pooled.index_weights_ is not None and federated.window_.index_weights_ is not None
    np.testing.assert_allclose(
        federated.window_.index_weights_, pooled.index_weights_, rtol=1e-6, atol=1e-9
    )
    x = np.vstack([federated.rows(s)[0] for s in small_sites])
    np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=1e-8)


def test_site_without_histories_is_refused() -> None:
    with pytest.raises(ValueError, match="site 'empty': no run-to-failure histories"):
        Site("empty", [])


def test_network_gradients_match_finite_differences() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 4)), rng.normal(size=20)
    weights = network.init_weights(4, (5, 3), seed=0)
    # biases off zero: with zero biases a row whose units are all off sits exactly on the
    # ReLU kink, where a one-sided difference is not the gradient
    for i in (1, 3, 5):
        weights[i] = rng.uniform(0.1, 0.3, size=weights[i].shape)
    grads = network.gradients(weights, x, y)

    def loss(w: list[np.ndarray]) -> float:
        return float(np.mean((network.predict(w, x) - y) ** 2))

    for layer, index in ((0, (1, 2)), (2, (4, 1)), (4, (0, 0)), (3, (2,))):
        bumped = [w.copy() for w in weights]
        bumped[layer][index] += 1e-6
        numeric = (loss(bumped) - loss(weights)) / 1e-6
        assert numeric == pytest.approx(grads[layer][index], rel=1e-3, abs=1e-6)
