"""The skewed split, the feature map from the sites' sums, and the numpy network."""

from __future__ import annotations

import numpy as np
import pytest

from jayul.fleet.federated import network
from jayul.fleet.federated.features import FederatedFeatures, Site
from jayul.health.rul import WindowFeatures


def test_split_deals_every_unit_once_skewed_and_fixed_by_seed() -> None:
    lives = list(np.random.default_rng(1).integers(120, 360, size=100))
    parts = skewed_split_of(lives, seed=0)
    flat = np.concatenate(parts)
    assert sorted(flat.tolist()) == list(range(100))
    assert min(len(p) for p in parts) >= 5
    mean_lives = [np.mean([lives[i] for i in p]) for p in parts]
    # non-IID: the sites' mean lives spread well beyond what a random deal gives (~10 rows)
    assert max(mean_lives) - min(mean_lives) > 25
    assert all(np.array_equal(a, b) for a, b in zip(parts, skewed_split_of(lives, 0), strict=True))
    assert not all(
        np.array_equal(a, b) for a, b in zip(parts, skewed_split_of(lives, 1), strict=True)
    )


def skewed_split_of(lives: list[int], seed: int) -> list[np.ndarray]:
    from jayul.fleet.federated.sites import skewed_split

    return skewed_split(lives, 5, seed=seed)


def test_split_refuses_too_few_units() -> None:
    with pytest.raises(ValueError, match="cannot give 5 sites"):
        skewed_split_of([100] * 12, seed=0)


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
