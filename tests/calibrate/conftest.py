"""The small plant (`small_plant.yaml`: two saws) and its history as a real plant keeps it, for
the tests here and the command and autopilot tests that calibrate a twin of it."""

from __future__ import annotations

from pathlib import Path

from jayul.historian import open_historian
from jayul.plant import parse_plant
from jayul.twin import Twin

SMALL = (Path(__file__).parent / "small_plant.yaml").read_text()


def small_history(url: str, *, days: int, seed: int) -> None:
    """`days` of the small plant into the historian at `url`: signals and events, no health,
    with a preventive blade change every ninth day (censored runs)."""
    twin = Twin(parse_plant(SMALL), seed=seed)
    store = open_historian(url)
    for day in range(1, days + 1):
        twin.run_until(day * 24.0)
        if day % 9 == 0:
            twin.request_maintenance("saw1", "blade_change")
        store.append_samples(twin.drain_samples())
        store.append_events(twin.drain_events())
    store.close()
