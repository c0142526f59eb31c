"""`jayul run` as a site of a fleet: when the plant file has a `fleet:` section, what the loop
stores is offered to the fleet edge, which shares what the policy allows (docs/fleet.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jayul.shell.errors import fail

if TYPE_CHECKING:
    from jayul.autopilot import Autopilot
    from jayul.connect.bindings import Bindings
    from jayul.connect.ingest import Ingest
    from jayul.fleet import Edge
    from jayul.records import Samples


def site_edge(plant_file: Path, bindings: Bindings) -> Edge | None:
    """The site's fleet edge from the plant file's `fleet:` section (None without one)."""
    from jayul.fleet import Edge, FleetConfigError
    from jayul.fleet.config import load_fleet_config

    try:
        config = load_fleet_config(plant_file, bindings.plant.name)
    except FleetConfigError as exc:
        fail(str(exc))
    if config is None:
        return None
    try:
        return Edge.open(config, bindings.path.parent)
    except FleetConfigError as exc:  # a TLS or NKey file it names is missing
        fail(f"{plant_file}: {exc}")
    except OSError as exc:
        fail(f"cannot open the fleet outbox {config.outbox_path(bindings.path.parent)}: {exc}")


def stored_hook(
    on_stored: Callable[[Samples], None] | None, edge: Edge | None
) -> Callable[[Samples], None] | None:
    """The ingest pipeline's `on_stored`, also offering each stored batch to the edge."""
    if edge is None:
        return on_stored

    def both(batch: Samples) -> None:
        if on_stored is not None:
            on_stored(batch)
        edge.offer_from_loop(lambda: edge.offer_samples(batch))

    return both


def site_kpis(ingest: Ingest, pilot: Autopilot | None) -> Callable[[], dict[str, Any]]:
    """What the site reports as KPIs every `kpi_every_s`: the loop's counters."""

    def kpis() -> dict[str, Any]:
        out: dict[str, Any] = {
            "samples_stored": ingest.writer.stats.samples_stored,
            "dead_letters": ingest.writer.stats.dead_letters,
        }
        if pilot is not None:
            c = pilot.counters
            out |= {
                "alerts": c.alerts,
                "actions_proposed": c.actions_proposed,
                "actions_executed": c.actions_executed,
                "actions_declined": c.actions_declined,
            }
        return out

    return kpis
