"""The federated RUL model and its two baselines: trained centrally and trained at one site.

`FederatedRul` is the feature map (`features.FederatedFeatures`) and the network's weights
(`network`). The three ways to train it see the same settings and the same number of passes
over each row, so they differ only in where the data are:

- central: every site's rows pooled (what a centre that saw raw data would train);
- local: one site's rows alone (what a site can do without the fleet);
- federated (`flower.train_federated`): rounds of local training, aggregated by a Flower
  strategy (FedAvg, FedProx), optionally with differential privacy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from jayul.fleet.federated import network
from jayul.fleet.federated.features import FederatedFeatures, Site

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class FederatedSettings:
    """Network and training settings shared by central, local and federated training.

    `epochs`: passes over the rows for central and local-only training (in one go);
    federated training runs `rounds` rounds of `local_epochs` passes at each site. FedAvg
    moves about one site's update per round, so it needs more passes than central training
    to get as far (docs/benchmarks/federated.md).
    `row_stride`: train on every n-th row of each history (long hourly histories repeat
    themselves from one row to the next; the feature map still sees every row).
    `server_learning_rate`, `server_momentum`: FedAvgM's step on the averaged update;
    `server_adam_eta`, `server_adam_tau`: FedAdam's step and adaptivity;
    `proximal_mu`: FedProx's proximal weight; `dp_noise`/`dp_clip`: the noise multiplier and
    clipping norm of differential privacy on the sites' updates (noise 0: off).
    """

    hidden: tuple[int, ...] = (64, 32)
    epochs: int = 40
    rounds: int = 30
    local_epochs: int = 5
    batch_size: int = 256
    learning_rate: float = 2e-3
    l2: float = 1e-4
    cap: float = 125.0
    seed: int = 0
    windows: tuple[int, ...] = (5, 10, 20, 30)
    baseline_rows: int = 20
    row_stride: int = 1
    proximal_mu: float = 0.0
    server_learning_rate: float = 1.0
    server_momentum: float = 0.5
    server_adam_eta: float = 0.01
    server_adam_tau: float = 1e-3
    dp_noise: float = 0.0
    dp_clip: float = 1.0


class FederatedRul:
    """Predicts the remaining life at the last row of each history (rows, as trained)."""

    def __init__(
        self, features: FederatedFeatures, weights: network.Weights, settings: FederatedSettings
    ) -> None:
        self.features = features
        self.weights = weights
        self.settings = settings

    def predict(self, histories: Sequence[FloatArray]) -> FloatArray:
        """Remaining life at the end of each history, clipped to [0, cap]."""
        x = self.features.last_rows(histories)
        out = network.predict(self.weights, x) * self.settings.cap
        return np.clip(out, 0.0, self.settings.cap)

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """The settings, for the model registry."""
        return asdict(self.settings)


def new_features(sites: Sequence[Site], settings: FederatedSettings) -> FederatedFeatures:
    return FederatedFeatures(settings.windows, settings.baseline_rows).fit(sites)


def fit_rows(
    features: FederatedFeatures, sites: Sequence[Site], settings: FederatedSettings
) -> FederatedRul:
    """Train one network on the rows of `sites` pooled (central when all, local when one)."""
    parts = [features.rows(site, settings.row_stride) for site in sites]
    x = np.vstack([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts]) / settings.cap
    start = network.init_weights(x.shape[1], settings.hidden, settings.seed)
    weights = network.train(
        start,
        x,
        y,
        settings.epochs,
        settings.seed,
        settings.batch_size,
        settings.learning_rate,
        settings.l2,
    )
    return FederatedRul(features, weights, settings)


def train_central(sites: Sequence[Site], settings: FederatedSettings) -> FederatedRul:
    """Every site's rows in one place: the upper reference for federated training."""
    return fit_rows(new_features(sites, settings), sites, settings)


def train_local(site: Site, settings: FederatedSettings) -> FederatedRul:
    """One site on its own: its own feature map, its own rows."""
    return fit_rows(new_features([site], settings), [site], settings)
