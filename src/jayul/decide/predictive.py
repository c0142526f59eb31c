"""jayul's predictive policy: maintenance and production planned together on CP-SAT from live
RUL distributions, re-planned on events, followed by the plant's dispatcher.

Each re-plan builds a `PlanningProblem` from what the plant shows: the open operations and
when each machine is free (`ProductionView`), and for each machine the chance it fails before
any time in the horizon, combined over its failure modes from their RUL distributions
(P = 1 - prod(1 - P_mode)). Each maintenance action is offered with the share of that risk it
removes (the risk of the modes it restores). The planner weighs expected failure cost against
maintenance cost, downtime and late orders, and places maintenance where it is cheapest: in an
idle gap when one comes soon enough. Where that would end an order late, or less than
`on_time_slack_h` (2 h) before its due date, and another placement of the same maintenance
keeps every order on time, that placement is taken (`PlannerConfig.on_time_slack_h`).
Tasks due to start now become actions, each with the planner's one-line reason; the rest
wait for the next re-plan.

Re-plans happen on events (an alert, a machine failing or coming back, a maintenance ending)
and at least every `replan_every_h` hours, warm-started from the previous plan. A machine
with no RUL distribution yet (its model still commissioning) is judged by the condition rule,
so no machine is left unwatched.

The alarm safety net (`safety_threshold`): the live RUL is optimistic near the end of a life
(its p10 still 70-500 h a few hours before some failures on the demo plant), while the health
monitor's indicator is then far above its alarm level. So a watched machine whose indicator
reaches `safety_threshold` is maintained now whatever its RUL says. The mode restored is the
one the alarm points at, unless that mode was restored less than `fresh_h` operating hours
ago: a mode that young cannot be what the signals show (the demo plant's modes show only
past their onset, hundreds of hours into a life), so the alarm is put on the machine's other
mode that the RUL finds riskiest. On the demo plant the indicator reaches 3 about half-way
through a mode's life, so a net there maintains early and often.

The alarm in the planner's risk (`alarm_threshold`, `alarm_rul_scale`): instead of acting at
once, an indicator at or above `alarm_threshold` shortens the RUL of the mode the alarm names
(`alarmed_mode`) by `alarm_rul_scale` before the risk goes to the planner. An alarmed mode
whose RUL is still long is left alone; one whose RUL is getting short is maintained sooner
than the plain RUL would have it, at the moment and with the action the planner finds
cheapest. Both mechanisms are tuned on the benchmark's tuning seeds
(`jayul.bench.policies.tune_predictive`) and ship in `decide/tuned/<plant>.json`.
"""

from __future__ import annotations

from collections.abc import Mapping

from jayul.decide.baselines import ConditionBased
from jayul.decide.plan import Plan
from jayul.decide.planner import Planner, PlannerConfig
from jayul.decide.policy import MachineView, Observation, RulView, cheapest_action_for
from jayul.decide.problem import (
    FailureRisk,
    MachineState,
    MaintenanceOption,
    OpenOperation,
    PlanningProblem,
)
from jayul.decide.production import ProductionView
from jayul.plant.model import Plant, modelled
from jayul.records import Action, ActionKind, RiskClass
from jayul.records import MachineState as MachineStatus


class Predictive:
    """Plans maintenance and production together; see the module docstring."""

    name = "predictive"

    def __init__(
        self,
        horizon_h: float = 72.0,
        replan_every_h: float = 12.0,
        time_limit_s: float = 0.5,
        fallback_threshold: float = 1.0,
        risk_points: int = 13,
        safety_threshold: float | None = None,
        fresh_h: float = 150.0,
        alarm_threshold: float | None = None,
        alarm_rul_scale: float = 1.0,
        planning_work: float | None = None,
        on_time_slack_h: float | None = 2.0,
    ) -> None:
        self.horizon_h = horizon_h
        self.replan_every_h = replan_every_h
        # planning_work (None: the wall-clock limit alone) makes each re-plan a fixed amount of
        # deterministic solver work, so a run does not depend on the machine's load; the wall
        # clock then only guards against a runaway solve, far above the budget's usual time
        if planning_work is not None:
            time_limit_s = max(time_limit_s, 60.0 * planning_work)
        # maintenance yields to due dates where a slot keeps every order on time, with a
        # margin of about one operation made again (`PlannerConfig.on_time_slack_h`); None:
        # by expected cost alone
        self.planner = Planner(
            PlannerConfig(
                time_limit_s=time_limit_s,
                presolve=False,
                work_limit=planning_work,
                on_time_slack_h=on_time_slack_h,
            )
        )
        self.fallback = ConditionBased(fallback_threshold)
        self.risk_points = risk_points
        self.plan_: Plan | None = None
        self.planned_at_h = -1e9
        self.replans_ = 0
        self._statuses: dict[str, MachineStatus] = {}
        # The alarm safety net (None: off): an indicator this high maintains a machine whatever
        # its RUL says, a second, independent check against an optimistic RUL.
        self.safety_threshold = safety_threshold
        self.fresh_h = fresh_h
        self.net_actions_ = 0
        # The alarm in the planner's risk (None: off): a watched machine whose indicator reaches
        # `alarm_threshold` has the RUL of the mode the alarm names scaled by `alarm_rul_scale`
        # (an end-of-life correction of an RUL that is optimistic there); the planner then
        # decides whether and when to maintain, as for any other risk.
        self.alarm_threshold = alarm_threshold
        self.alarm_rul_scale = alarm_rul_scale
        self._corrected: dict[str, str] = {}  # machine -> why its risk was corrected, last plan
        # when the net last proposed each machine: a proposal the gate or the verifier refused
        # is not repeated every tick, only once per re-plan period while the alarm lasts (a
        # proposal carried out clears this as soon as the machine shows the maintenance)
        self._net_proposed_h: dict[str, float] = {}

    def decide(self, plant: Plant, obs: Observation) -> list[Action]:
        # machines that stopped or came back (failure, repair, maintenance): a plan event;
        # machines merely switching between busy and idle are not
        statuses = {
            mid: m.status for mid, m in obs.machines.items() if m.status in ("down", "maintenance")
        }
        changed = statuses != self._statuses
        self._statuses = statuses
        due = obs.now_h - self.planned_at_h >= self.replan_every_h
        # the plant's open work (its MES, or the twin) is what a plan orders; without it the
        # policy watches machines by the condition rule alone
        if obs.production is not None and (due or changed or obs.alerts):
            problem = self.problem(plant, obs, obs.production)
            self.plan_ = self.planner.plan(problem, obs.plan)
            self.planned_at_h = obs.now_h
            self.replans_ += 1
        actions = self._start_due(plant, obs)
        watched = {mid for mid, m in obs.machines.items() if m.rul}
        for action in self.fallback.decide(plant, obs):
            if action.machine not in watched and action.machine not in {a.machine for a in actions}:
                actions.append(action)
        if self.safety_threshold is not None:
            for view in obs.machines.values():
                if view.pending_maintenance or view.status == "down":
                    self._net_proposed_h.pop(view.id, None)  # taken up: the next alarm is new
                if view.id in watched and view.id not in {a.machine for a in actions}:
                    last = self._net_proposed_h.get(view.id, -1e9)
                    if obs.now_h - last < self.replan_every_h:
                        continue
                    net = self._safety_net(plant, obs, view, self.safety_threshold)
                    if net is not None:
                        actions.append(net)
                        self.net_actions_ += 1
                        self._net_proposed_h[view.id] = obs.now_h
        return actions

    # ------------------------------------------------------------------ the alarm safety net
    def _safety_net(
        self, plant: Plant, obs: Observation, view: MachineView, threshold: float
    ) -> Action | None:
        if view.status == "down" or view.pending_maintenance or view.indicator is None:
            return None
        if view.indicator < threshold:
            return None
        mode = self.alarmed_mode(plant, view)
        if mode is None:
            return None
        action = cheapest_action_for(plant, view.id, mode)
        rul = (view.rul or {}).get(mode)
        said = f"RUL p10 {rul.p10:.0f} h" if rul is not None else "no RUL"
        return Action(
            time=obs.now_ns,
            machine=view.id,
            kind=ActionKind.START_MAINTENANCE,
            params={"action": action.id},
            origin=self.name,
            expected_effect=f"alarm: health indicator {view.indicator:.2f} >= {threshold:.2f} "
            f"on {mode} ({said}); maintained before the failure the alarm announces",
            risk=RiskClass.MEDIUM,
        )

    def alarmed_mode(self, plant: Plant, view: MachineView) -> str | None:
        """The failure mode an alarm on `view` is put on: the monitor's suspect, unless that
        mode is younger than `fresh_h` operating hours; then the oldest-looking other mode
        (lowest RUL median, else most operating hours)."""
        modes = [f.id for f in plant.machine_types[view.type].failure_modes]
        suspect = view.suspect_mode
        if suspect is not None and view.run_hours_since.get(suspect, self.fresh_h) >= self.fresh_h:
            return suspect
        others = [
            m
            for m in modes
            if m != suspect and view.run_hours_since.get(m, self.fresh_h) >= self.fresh_h
        ]
        if not others:
            return None  # every mode was just restored: nothing to maintain
        rul = view.rul or {}

        def age(mode: str) -> tuple[float, float]:
            r = rul.get(mode)
            return (-r.p50 if r is not None else float("-inf"), view.run_hours_since.get(mode, 0))

        return max(others, key=age)

    # ------------------------------------------------------------------ the alarm in the risk
    def corrected_rul(self, plant: Plant, view: MachineView) -> Mapping[str, RulView]:
        """The machine's RUL views, with the alarmed mode's (`alarmed_mode`) hours scaled by
        `alarm_rul_scale` while the indicator is at or above `alarm_threshold`. The alarm says
        the mode is past its onset, late in its life, where the live RUL is optimistic."""
        rul = view.rul or {}
        self._corrected.pop(view.id, None)
        if self.alarm_threshold is None or view.indicator is None:
            return rul
        if view.indicator < self.alarm_threshold:
            return rul
        mode = self.alarmed_mode(plant, view)
        if mode is None or mode not in rul:
            return rul
        r = rul[mode]
        scaled = RulView(
            r.levels, tuple(h * self.alarm_rul_scale for h in r.hours), r.age_h, r.cap_h
        )
        self._corrected[view.id] = (
            f"alarm: indicator {view.indicator:.2f} >= {self.alarm_threshold:.2f} on {mode}, "
            f"its RUL p10 {r.p10:.0f} h taken as {scaled.p10:.0f} h"
        )
        return {**rul, mode: scaled}

    def _corrected_note(self, machine: str) -> str:
        why = self._corrected.get(machine)
        return f" ({why})" if why else ""

    # ------------------------------------------------------------------ the problem
    def problem(self, plant: Plant, obs: Observation, prod: ProductionView) -> PlanningProblem:
        now = obs.now_h
        self._corrected = {}
        ops = tuple(
            OpenOperation(
                order_id=op.order_id,
                index=op.index,
                eligible=dict(op.eligible),
                release_h=now,
                due_h=op.due_h,
                tardiness_cost_per_h=prod.tardiness_cost_per_h,
            )
            for op in prod.ops
        )
        machines = tuple(
            self._machine(plant, view, prod.free_at_h.get(mid, now), now)
            for mid, view in obs.machines.items()
        )
        crews = {c: max(n, 0) for c, n in plant.crew_capacity().items()}
        return PlanningProblem(now, self.horizon_h, ops, machines, crews)

    def _machine(self, plant: Plant, view: MachineView, free_at: float, now: float) -> MachineState:
        mt = plant.machine_type(view.id)
        base = MachineState(
            id=view.id,
            available_from_h=max(free_at, now),
            downtime_cost_per_h=mt.downtime_cost_per_h,
        )
        if not view.rul or view.status == "down" or view.pending_maintenance:
            return base  # no known risk, or already being restored
        risk, shares = self._risk(self.corrected_rul(plant, view), now)
        if risk is None:
            return base
        total = sum(shares.get(m.id, 0.0) for m in mt.failure_modes) or 1.0
        repair_h = (
            sum(
                shares.get(m.id, 0.0) * modelled(m.repair_h, f"{m.id}: repair_h")
                for m in mt.failure_modes
            )
            / total
        )
        repair_cost = sum(shares.get(m.id, 0.0) * m.repair_cost for m in mt.failure_modes) / total
        options = tuple(
            MaintenanceOption(
                action_id=a.id,
                duration_h=a.duration_h,
                crew=a.crew,
                cost=a.cost,
                restores=min(1.0, sum(shares.get(r, 0.0) for r in a.restores) / total),
            )
            for a in mt.maintenance
        )
        return MachineState(
            id=view.id,
            available_from_h=base.available_from_h,
            downtime_cost_per_h=mt.downtime_cost_per_h,
            maintenance=options,
            failure=risk,
            corrective_repair_h=repair_h,
            corrective_cost=repair_cost,
        )

    def _risk(
        self, rul: Mapping[str, RulView], now: float
    ) -> tuple[FailureRisk | None, dict[str, float]]:
        """The machine's combined failure CDF over the horizon and each mode's share of the
        risk at the horizon's end."""
        times = [self.horizon_h * k / (self.risk_points - 1) for k in range(self.risk_points)]
        survive = [1.0] * len(times)
        shares: dict[str, float] = {}
        for mode, view in rul.items():
            probs = [min(max(view.prob_fail_before(t), 0.0), 1.0) for t in times]
            shares[mode] = probs[-1]
            survive = [s * (1.0 - p) for s, p in zip(survive, probs, strict=True)]
        if not shares:
            return None, shares
        grid, best = [], 0.0
        for t, s in zip(times, survive, strict=True):
            best = max(best, min(1.0 - s, 1.0))  # a CDF never decreases
            grid.append((now + t, best))
        return FailureRisk(tuple(grid)), shares

    # ------------------------------------------------------------------ acting on the plan
    def _start_due(self, plant: Plant, obs: Observation) -> list[Action]:
        if self.plan_ is None:
            return []
        actions = []
        for task in self.plan_.maintenance:
            view = obs.machines.get(task.machine)
            if view is None or view.status == "down" or view.pending_maintenance:
                continue
            if task.start_h <= obs.now_h + 1e-6 or (
                task.start_h <= obs.now_h + 1.0 and view.status == "idle"
            ):
                actions.append(
                    Action(
                        time=obs.now_ns,
                        machine=task.machine,
                        kind=ActionKind.START_MAINTENANCE,
                        params={"action": task.action_id},
                        origin=self.name,
                        expected_effect=task.reason + self._corrected_note(task.machine),
                        risk=RiskClass.MEDIUM,
                    )
                )
        return actions
