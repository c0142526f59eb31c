"""A fleet of sites: each site publishes what its sharing policy allows to NATS JetStream
through a durable outbox (`Edge`); the centre consumes into PostgreSQL (`Centre`) and shows the
fleet (docs/fleet.md)."""

from jayul.fleet.centre import Centre, CentreConfig
from jayul.fleet.config import FleetConfig, FleetConfigError, Kind, Share, SignalSharing
from jayul.fleet.edge import Edge
from jayul.fleet.outbox import Outbox

__all__ = [
    "Centre",
    "CentreConfig",
    "Edge",
    "FleetConfig",
    "FleetConfigError",
    "Kind",
    "Outbox",
    "Share",
    "SignalSharing",
]
