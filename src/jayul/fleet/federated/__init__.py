"""Models learned across sites without their rows leaving them: federated RUL with Flower.

`features` (the feature map, from sums the sites send), `network` (the numpy MLP Flower's
strategies average), `model` (central and local-only baselines), `flower` (FedAvg, FedProx,
differential privacy through Flower's server loop), `deploy` (registry, scorecard, site
back-test, deployment gate), `runs` (a site's CSV).
"""

from jayul.fleet.federated.deploy import (
    SiteBacktest,
    backtest_at_site,
    deploy_at_site,
    register_federated,
    score_at_site,
)
from jayul.fleet.federated.features import FederatedFeatures, Site
from jayul.fleet.federated.flower import flower_available, train_federated
from jayul.fleet.federated.model import (
    FederatedRul,
    FederatedSettings,
    train_central,
    train_local,
)

__all__ = [
    "FederatedFeatures",
    "FederatedRul",
    "FederatedSettings",
    "Site",
    "SiteBacktest",
    "backtest_at_site",
    "deploy_at_site",
    "flower_available",
    "register_federated",
    "score_at_site",
    "train_central",
    "train_federated",
    "train_local",
]
