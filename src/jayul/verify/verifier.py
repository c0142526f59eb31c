"""Virtual commissioning: try a plan on forked twins before it touches the plant.

`Verifier.verify` forks the twin at its current state once per sampled future (a new seed for
wear, orders and noise), runs the proposed plan and the current plan side by side in that same
future over the horizon, and compares them:

- expected KPIs of both (mean over the futures);
- constraint checks in every future: the plant accepted every action (the safe envelope and
  the machine's own maintenance catalogue) and no crew was over-allocated. Failures and late
  orders are priced in the expected cost rather than judged future by future: once two plans
  differ, their futures' random draws differ too, so one future's extra failure is noise;
- accept when the proposal is safe in every future and not worse in expectation (total cost
  plus the value of the health it leaves, see below); otherwise reject, with the reason.

A plan is a list of (hours from now, action); with no current plan given, the current plan is
to do nothing within the horizon. Wear still carried at the horizon's end is charged at what
restoring it will cost: each failure mode's health index times its cheapest planned restoration
(the action's cost and downtime). So a plan that leaves a machine worn is charged for it, and a
needless maintenance of a fresh machine costs its full price against a small saving, while the
risk of failing before the horizon's end is priced by the futures themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from jayul.plant.model import Plant, modelled
from jayul.records import Action
from jayul.twin import Twin
from jayul.twin.executor import TwinExecutor
from jayul.twin.kpis import Kpis
from jayul.verify.trust import TwinTrust

Plan = Sequence[tuple[float, Action]]


@dataclass(frozen=True)
class FutureResult:
    seed: int
    proposed_cost: float
    current_cost: float
    problems: tuple[str, ...]


@dataclass(frozen=True)
class Verdict:
    """The verifier's judgement: accept or reject, why, and the evidence behind it."""

    accept: bool
    reason: str
    expected_proposed: dict[str, float]
    expected_current: dict[str, float]
    futures: list[FutureResult] = field(default_factory=list)
    # the twin's calibration back-test: its confidence (None for a hand-written twin), and
    # whether the twin may be trusted at all (a failed back-test: treat as no verdict)
    twin_confidence: float | None = None
    twin_trusted: bool = True
    twin_version: str | None = None  # which twin judged it (a calibrated file's hash)

    @property
    def gate_verdict(self) -> bool | None:
        """What the gate should see: the verdict, or None when the twin is not trusted."""
        return self.accept if self.twin_trusted else None

    def summary(self) -> dict[str, Any]:
        return {
            "accept": self.accept,
            "twin_confidence": self.twin_confidence,
            "twin_trusted": self.twin_trusted,
            "twin_version": self.twin_version,
            "reason": self.reason,
            "expected_cost_proposed": self.expected_proposed["total_cost"],
            "expected_cost_current": self.expected_current["total_cost"],
            "futures": len(self.futures),
            "unsafe_futures": sum(1 for f in self.futures if f.problems),
        }


def _wear_value(twin: Twin) -> float:
    """What restoring the wear a twin still carries will cost: each failure mode's health index
    times its cheapest planned restoration (action cost plus its downtime)."""
    total = 0.0
    for m in twin.machines.values():
        mt = twin.plant.machine_types[m.type]
        for mode in mt.failure_modes:
            price = min(
                (
                    a.cost + mt.downtime_cost_per_h * a.duration_h
                    for a in mt.maintenance
                    if mode.id in a.restores
                ),
                default=mode.repair_cost
                + mt.downtime_cost_per_h * modelled(mode.repair_h, f"{mode.id}: repair_h"),
            )
            total += m.health[mode.id] * price
    return total


KPI_KEYS = (
    "total_cost",
    "maintenance_cost",
    "failure_cost",
    "tardiness_cost",
    "failures",
    "downtime_h",
    "oee",
    "on_time_rate",
)


class Verifier:
    """Runs plans on forked twins. `futures` sampled futures over `horizon_h` hours."""

    def __init__(
        self,
        futures: int = 8,
        horizon_h: float = 7 * 24,
        tolerance: float = 0.0,
        trust: TwinTrust | None = None,
        plant_draws: Sequence[Plant] | None = None,
        twin_version: str | None = None,
    ):
        self.trust = trust
        self.twin_version = twin_version  # recorded with every verdict (the audit trail)
        # plants drawn from a calibration's parameter uncertainty (calibrate.uncertainty): the
        # k-th future runs on the k-th draw, so a thin history widens the outcomes
        self.plant_draws = list(
            plant_draws or []
        )  # the calibrated twin's back-test, None for a hand-written twin
        self.futures = futures
        self.horizon_h = horizon_h
        self.tolerance = tolerance  # accept a proposal costing up to this much more

    def verify(self, twin: Twin, proposed: Plan, current: Plan | None = None) -> Verdict:
        """Judge `proposed` against `current` (default: nothing done) on `twin`, carrying
        the twin's back-test confidence when it was calibrated."""
        verdict = replace(self._verify(twin, proposed, current), twin_version=self.twin_version)
        if self.trust is None:
            return verdict
        reason = verdict.reason
        if not self.trust.passed:
            reason = (
                f"the twin failed its back-test (confidence {self.trust.confidence:.2f}), "
                f"so its verdict is not trusted: {reason}"
            )
        return replace(
            verdict,
            reason=reason,
            twin_confidence=self.trust.confidence,
            twin_trusted=self.trust.passed,
        )

    def _verify(self, twin: Twin, proposed: Plan, current: Plan | None) -> Verdict:
        current = current or []
        results, kpis_p, kpis_c = [], [], []
        for k in range(self.futures):
            run_p, problems_p, value_p = self._run(twin, proposed, k)
            run_c, _, value_c = self._run(twin, current, k)
            problems = tuple(problems_p)
            kp, kc = run_p.kpis(), run_c.kpis()
            kpis_p.append(kp)
            kpis_c.append(kc)
            results.append(
                FutureResult(k, kp.total_cost + value_p, kc.total_cost + value_c, problems)
            )
        exp_p, exp_c = _expect(kpis_p), _expect(kpis_c)
        cost_p = float(np.mean([r.proposed_cost for r in results]))
        cost_c = float(np.mean([r.current_cost for r in results]))
        exp_p["total_cost_with_wear"], exp_c["total_cost_with_wear"] = cost_p, cost_c
        unsafe = [r for r in results if r.problems]
        if unsafe:
            reason = f"unsafe in {len(unsafe)} of {len(results)} futures: {unsafe[0].problems[0]}"
            return Verdict(False, reason, exp_p, exp_c, results)
        if cost_p > cost_c + self.tolerance:
            reason = f"worse in expectation: {cost_p:,.0f} against {cost_c:,.0f} (current plan)"
            return Verdict(False, reason, exp_p, exp_c, results)
        reason = (
            f"expected cost {cost_p:,.0f} against {cost_c:,.0f}; safe in {len(results)} futures"
        )
        return Verdict(True, reason, exp_p, exp_c, results)

    def _run(self, twin: Twin, plan: Plan, seed: int) -> tuple[Twin, list[str], float]:
        # a draw has the same structure with other parameters: only the numbers change
        draw = self.plant_draws[seed % len(self.plant_draws)] if self.plant_draws else None
        fork = twin.fork(seed=seed, plant=draw)
        fork.record_events = False
        executor = TwinExecutor(fork)
        start = fork.now_h
        problems: list[str] = []
        for offset, action in sorted(plan, key=lambda s: s[0]):
            if offset > self.horizon_h:
                break
            fork.run_until(start + offset)
            try:
                if not executor.execute(action):
                    problems.append(f"the plant declined {action.kind.value} on {action.machine}")
            except ValueError as exc:
                problems.append(str(exc))
            if any(v < 0 for v in fork.crews_free.values()):
                problems.append("a crew was over-allocated")
        fork.run_until(start + self.horizon_h)
        if any(v < 0 for v in fork.crews_free.values()):
            problems.append("a crew was over-allocated")
        return fork, problems, _wear_value(fork)


def _expect(kpis: list[Kpis]) -> dict[str, float]:
    return {key: float(np.mean([getattr(k, key) for k in kpis])) for key in KPI_KEYS}
