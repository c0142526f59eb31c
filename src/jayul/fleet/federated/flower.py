"""Federated training of `FederatedRul` with Flower (`flwr`, the optional `federated` extra).

Flower's own server loop (`flwr.server.Server.fit`) runs the rounds and its strategies
aggregate: `FedAvg`, `FedProx` (which sends `proximal_mu` to the sites), the server-side
optimisers `FedAvgM` (momentum on the averaged update) and `FedAdam`, and optionally
`DifferentialPrivacyServerSideFixedClipping` around either (each site's update is clipped to
`dp_clip` and Gaussian noise of `dp_noise * dp_clip / sites` is added to the average). The
sites are Flower `NumPyClient`s; here they run in this process behind a small `ClientProxy`
(Flower's simulation engine needs Ray, which is heavier than this machine's need). A site
only ever returns its weights and row count.

Flower is imported inside the functions: jayul installs without it.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from jayul.fleet.federated import network
from jayul.fleet.federated.features import Site
from jayul.fleet.federated.model import FederatedRul, FederatedSettings, new_features

STRATEGIES = ("fedavg", "fedprox", "fedavgm", "fedadam")


def flower_available() -> bool:
    """Whether the optional `flwr` package is installed."""
    try:
        importlib.import_module("flwr.server")
    except ImportError:
        return False
    return True


def _flwr(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise ImportError(
            "federated training needs Flower, an optional extra: pip install 'jayul[federated]'"
        ) from error


def _client_and_proxy(site: Site, x: Any, y: Any, settings: FederatedSettings, index: int) -> Any:
    """A Flower client for one site's rows, behind an in-process proxy."""
    client_mod = _flwr("flwr.client")
    common = _flwr("flwr.common")
    proxy_mod = _flwr("flwr.server.client_proxy")

    class SiteClient(client_mod.NumPyClient):  # type: ignore[misc,name-defined]
        """Trains on the site's rows from the round's global weights; returns new weights."""

        def fit(
            self, parameters: list[Any], config: dict[str, Any]
        ) -> tuple[list[Any], int, dict[str, Any]]:
            round_number = int(config.get("round", 0))
            weights = network.train(
                [np.asarray(p, dtype=np.float64) for p in parameters],
                x,
                y,
                settings.local_epochs,
                settings.seed + 1000 * index + round_number,
                settings.batch_size,
                settings.learning_rate,
                settings.l2,
                float(config.get("proximal_mu", 0.0)),
            )
            return weights, len(y), {}

    client = SiteClient()

    class InProcessProxy(proxy_mod.ClientProxy):  # type: ignore[misc,name-defined]
        """What Flower's server talks to: calls the site's client directly."""

        def fit(self, ins: Any, timeout: float | None, group_id: int | None) -> Any:
            arrays = common.parameters_to_ndarrays(ins.parameters)
            weights, n_rows, metrics = client.fit(arrays, dict(ins.config))
            return common.FitRes(
                status=common.Status(code=common.Code.OK, message=""),
                parameters=common.ndarrays_to_parameters(weights),
                num_examples=n_rows,
                metrics=metrics,
            )

        def get_properties(self, ins: Any, timeout: float | None, group_id: int | None) -> Any:
            raise NotImplementedError

        def get_parameters(self, ins: Any, timeout: float | None, group_id: int | None) -> Any:
            raise NotImplementedError

        def evaluate(self, ins: Any, timeout: float | None, group_id: int | None) -> Any:
            raise NotImplementedError

        def reconnect(self, ins: Any, timeout: float | None, group_id: int | None) -> Any:
            raise NotImplementedError

    return InProcessProxy(site.name)


def _in_site_order(strategy: Any) -> Any:
    """`strategy` with each round's results sorted by site before it aggregates them.

    Flower's server collects the sites' results from a set of futures, in no fixed order; a
    weighted average summed in a different order differs in the last bits, and thirty rounds
    of training amplify that into a different model. Sorting makes a run reproducible."""
    base = _flwr("flwr.server.strategy").Strategy

    class InSiteOrder(base):  # type: ignore[misc,valid-type]
        def initialize_parameters(self, client_manager: Any) -> Any:
            return strategy.initialize_parameters(client_manager)

        def configure_fit(self, server_round: int, parameters: Any, client_manager: Any) -> Any:
            return strategy.configure_fit(server_round, parameters, client_manager)

        def aggregate_fit(self, server_round: int, results: Any, failures: Any) -> Any:
            ordered = sorted(results, key=lambda pair: str(pair[0].cid))
            return strategy.aggregate_fit(server_round, ordered, failures)

        def configure_evaluate(
            self, server_round: int, parameters: Any, client_manager: Any
        ) -> Any:
            return strategy.configure_evaluate(server_round, parameters, client_manager)

        def aggregate_evaluate(self, server_round: int, results: Any, failures: Any) -> Any:
            return strategy.aggregate_evaluate(server_round, results, failures)

        def evaluate(self, server_round: int, parameters: Any) -> Any:
            return strategy.evaluate(server_round, parameters)

    return InSiteOrder()


def train_federated(
    sites: Sequence[Site], settings: FederatedSettings, strategy: str = "fedavg"
) -> FederatedRul:
    """`settings.rounds` Flower rounds over every site; the final global model."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; known: {', '.join(STRATEGIES)}")
    common = _flwr("flwr.common")
    server_mod = _flwr("flwr.server")
    strategies = _flwr("flwr.server.strategy")
    features = new_features(sites, settings)
    rows = [features.rows(site, settings.row_stride) for site in sites]
    start = network.init_weights(rows[0][0].shape[1], settings.hidden, settings.seed)
    n_sites = len(sites)
    common_args: dict[str, Any] = {
        "fraction_fit": 1.0,
        "fraction_evaluate": 0.0,
        "min_fit_clients": n_sites,
        "min_available_clients": n_sites,
        "initial_parameters": common.ndarrays_to_parameters(start),
        "on_fit_config_fn": lambda round_number: {"round": round_number},
    }
    if strategy == "fedprox":
        chosen = strategies.FedProx(proximal_mu=settings.proximal_mu, **common_args)
    elif strategy == "fedavgm":
        chosen = strategies.FedAvgM(
            server_learning_rate=settings.server_learning_rate,
            server_momentum=settings.server_momentum,
            **common_args,
        )
    elif strategy == "fedadam":
        chosen = strategies.FedAdam(
            eta=settings.server_adam_eta, tau=settings.server_adam_tau, **common_args
        )
    else:
        chosen = strategies.FedAvg(**common_args)
    if settings.dp_noise > 0.0:
        chosen = strategies.DifferentialPrivacyServerSideFixedClipping(
            chosen,
            noise_multiplier=settings.dp_noise,
            clipping_norm=settings.dp_clip,
            num_sampled_clients=n_sites,
        )
    manager = server_mod.SimpleClientManager()
    for index, (site, (x, y)) in enumerate(zip(sites, rows, strict=True)):
        manager.register(_client_and_proxy(site, x, y / settings.cap, settings, index))
    server = server_mod.Server(client_manager=manager, strategy=_in_site_order(chosen))
    server.set_max_workers(1)  # one site at a time: a fixed order of work on a shared machine
    # Flower's DP wrapper draws its noise from numpy's global generator: seed it so a run
    # with the same settings gives the same model.
    np.random.seed(settings.seed)
    # a line per round, and a warning that no metrics aggregation is set (none is needed)
    logging.getLogger("flwr").setLevel(logging.ERROR)
    server.fit(num_rounds=settings.rounds, timeout=None)
    weights = [
        np.asarray(a, dtype=np.float64) for a in common.parameters_to_ndarrays(server.parameters)
    ]
    return FederatedRul(features, weights, settings)
