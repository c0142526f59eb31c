"""Virtual commissioning of a setpoint change on a continuous process.

`ProcessVerifier.verify` takes a fork of the process twin at this moment, copies it twice and
runs both copies over the horizon: one with the change, one without. The copies share the
measurement noise (the fork carries the generator's state), so the comparison is paired. It
accepts the change when, in the changed future:

1. the process did not trip (a shutdown anywhere is a rejection);
2. the product stayed inside the plant file's limits at least as long as without the change
   (plus a small allowance for one sample of noise);
3. the operating cost over the horizon is not above the unchanged future's by more than
   `tolerance` (a share).

Otherwise it rejects, with the reason; the evidence (cost per hour, product per hour, off-spec
share of both futures) travels in the verdict.
"""

from __future__ import annotations

from jayul.records import Action, ActionKind
from jayul.twin.process import ProcessTwin
from jayul.verify.verifier import Verdict

SPEC_ALLOWANCE = 0.02  # share of the horizon a noisy sample may spend past a limit


class ProcessVerifier:
    """Tries a setpoint change on two copies of the process twin (see the module doc)."""

    def __init__(self, horizon_h: float = 4.0, tolerance: float = 0.0) -> None:
        self.horizon_h = horizon_h
        self.tolerance = tolerance

    def verify(self, fork: ProcessTwin, action: Action) -> Verdict:
        if action.kind is not ActionKind.CHANGE_SETPOINT:
            raise ValueError(f"the process verifier tries setpoint changes, not {action.kind}")
        current, proposed = fork.fork(), fork.fork()
        led = fork.ledger
        base_cost, base_h, base_off = led.cost, led.hours, led.off_spec_h
        proposed.set_setpoint(
            action.machine, str(action.params["setpoint"]), float(action.params["value"])
        )
        current.step(self.horizon_h)
        proposed.step(self.horizon_h)
        cur = _window(current, base_cost, base_h, base_off)
        pro = _window(proposed, base_cost, base_h, base_off)
        what = f"{action.params['setpoint']}={float(action.params['value']):g}"
        if proposed.tripped:
            accept, reason = False, f"{what}: the process tripped ({proposed.ledger.shutdown})"
        elif pro["off_spec_share"] > cur["off_spec_share"] + SPEC_ALLOWANCE:
            accept, reason = (
                False,
                (
                    f"{what}: product off spec {pro['off_spec_share']:.0%} of the next "
                    f"{self.horizon_h:g} h against {cur['off_spec_share']:.0%} without it"
                ),
            )
        elif pro["total_cost"] > cur["total_cost"] * (1 + self.tolerance):
            accept, reason = (
                False,
                (
                    f"{what}: operating cost {pro['cost_per_h']:.1f} $/h against "
                    f"{cur['cost_per_h']:.1f} $/h without it"
                ),
            )
        else:
            accept, reason = (
                True,
                (
                    f"{what}: operating cost {pro['cost_per_h']:.1f} $/h against "
                    f"{cur['cost_per_h']:.1f} $/h without it over {self.horizon_h:g} h, "
                    f"no trip, product in spec"
                ),
            )
        return Verdict(accept, reason, pro, cur)


def _window(twin: ProcessTwin, cost0: float, h0: float, off0: float) -> dict[str, float]:
    """The future's figures over the horizon only (the ledger holds the whole run)."""
    led = twin.ledger
    hours = max(led.hours - h0, 1e-12)
    return {
        "total_cost": led.cost - cost0,
        "cost_per_h": (led.cost - cost0) / hours,
        "off_spec_share": (led.off_spec_h - off0) / hours,
        "tripped": float(twin.tripped),
    }
