"""A warm start: the plant begins part-worn, so a newcomer sees the whole loop (an explained
alert, a proposal tried on the twin, the gate's decision, a request for approval) within
minutes instead of after weeks of simulated wear.

`wear_in(twin, fraction)` puts one failure mode of a few machines (the first machine of each
type on each line, its first mode) at `fraction` of the way from the mode's onset to failure,
with the run hours that wear would take at full load. The detectors still commission on the
first hours: they learn the worn machine as it is then, and alert as its wear goes on, as
they would on a real plant commissioned late in a component's life.
"""

from __future__ import annotations

from jayul.twin import Twin

WARM_FRACTION = 0.5  # of the way from the mode's onset (invisible wear) to failure


def wear_in(twin: Twin, fraction: float = WARM_FRACTION) -> dict[str, tuple[str, float]]:
    """Wear the first mode of the first machine of each type on each line; returns
    machine -> (mode, health index)."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"warm-start fraction must be in [0, 1), got {fraction}")
    plant = twin.plant
    if twin.now_h > 0:
        raise ValueError("wear_in is for a twin that has not started yet")
    done: dict[str, tuple[str, float]] = {}
    seen: set[tuple[str, str]] = set()
    for spec in plant.machines:
        if (spec.line, spec.type) in seen:
            continue
        seen.add((spec.line, spec.type))
        modes = plant.machine_types[spec.type].failure_modes
        if not modes:
            continue
        mode = modes[0]
        if mode.wear_per_h is None:  # wear not modelled: nothing to start worn
            continue
        h = mode.onset + fraction * (1.0 - mode.onset)
        m = twin.machines[spec.id]
        m.health[mode.id] = h
        m.run_hours_since[mode.id] = h / mode.wear_per_h
        health = [m.health[f.id] for f in modes]
        m.segments[-1].h0 = list(health)
        m.segments[-1].h1 = list(health)
        done[spec.id] = (mode.id, h)
    return done
