"""Federated training through Flower's server loop and strategies, on a small FD001 split."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
import pytest

from jayul.bench.cmapss.metrics import rmse
from jayul.fleet.federated import network
from jayul.fleet.federated.features import Site
from jayul.fleet.federated.model import FederatedRul, FederatedSettings, new_features

pytest.importorskip("flwr.server", reason="the federated extra (flwr) is not installed")

from jayul.fleet.federated.flower import train_federated

FloatArray = npt.NDArray[np.float64]
Data = tuple[list[FloatArray], list[FloatArray], FloatArray]


def _untrained(sites: list[Site], small: FederatedSettings) -> FederatedRul:
    features = new_features(sites, small)
    width = features.rows(sites[0])[0].shape[1]
    return FederatedRul(features, network.init_weights(width, small.hidden, small.seed), small)


def test_fedavg_and_fedprox_learn_across_sites(
    small_sites: list[Site], fd001: Data, small: FederatedSettings
) -> None:
    _, test, true = fd001
    before = rmse(_untrained(small_sites, small).predict(test), true)
    fedavg = train_federated(small_sites, small, "fedavg")
    prox = train_federated(small_sites, dataclasses.replace(small, proximal_mu=1.0), "fedprox")
    after, after_prox = rmse(fedavg.predict(test), true), rmse(prox.predict(test), true)
    assert after < 0.75 * before
    assert after_prox < 0.75 * before
    # the proximal term changes what the sites send back
    assert not np.allclose(fedavg.weights[0], prox.weights[0])
    # same settings, same model: the rounds are reproducible
    again = train_federated(small_sites, small, "fedavg")
    np.testing.assert_array_equal(again.weights[0], fedavg.weights[0])


def test_differential_privacy_noise_changes_the_model(
    small_sites: list[Site], small: FederatedSettings
) -> None:
    plain = train_federated(small_sites, dataclasses.replace(small, rounds=1, local_epochs=1))
    private = train_federated(
        small_sites, dataclasses.replace(small, rounds=1, local_epochs=1, dp_noise=1.0)
    )
    assert np.all(np.isfinite(private.weights[0]))
    assert not np.allclose(plain.weights[0], private.weights[0])


def test_unknown_strategy_is_refused(small_sites: list[Site], small: FederatedSettings) -> None:
    with pytest.raises(ValueError, match="unknown strategy 'krum'"):
        train_federated(small_sites, small, "krum")
