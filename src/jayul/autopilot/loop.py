"""The autopilot: one loop over any `PlantPort` (the twin, or connected equipment).

`Autopilot.tick` runs the stages in order, in one function:
store -> health -> RUL -> decide -> verify -> gate -> act -> record. What a stage needs from an
earlier one travels in the records between them (samples, alerts, the `Observation`, the
verifier's `Verdict`), never in callbacks or attributes set from outside.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from jayul.autopilot.counters import Counters
from jayul.autopilot.monitor import HealthMonitor
from jayul.autopilot.plant_port import MachineReading, PlantPort, PlantUpdate
from jayul.autopilot.process_plant import ProcessPlant
from jayul.autopilot.twin_plant import TwinPlant
from jayul.decide.policy import LiveCondition, MachineView, Observation, PlanningPolicy, Policy
from jayul.gate import Gate, GateContext, GateOutcome, OutcomeStatus
from jayul.historian.base import Historian
from jayul.records import Action, ActionKind, Alert, Event, EventKind, MachineState, Samples
from jayul.records.state_changes import state_changes
from jayul.twin import Twin
from jayul.twin.kpis import Kpis
from jayul.verify.process import ProcessVerifier
from jayul.verify.verifier import Verdict

if TYPE_CHECKING:  # imported lazily: the RUL models pull in LightGBM
    from jayul.autopilot.rul_monitor import RulMonitor
    from jayul.verify import Verifier  # the verifier imports the autopilot's twin executor

log = logging.getLogger(__name__)

NO_TWIN = (
    "not verified: there is no calibrated twin of this plant to try it on "
    "(a person decides instead)"
)


Unlocked = Callable[[], AbstractContextManager[object]]
"""Lets go of the caller's lock for the length of a `with`, and takes it again at its end: a
server that guards the plant with a lock passes one, so the twin's futures (the slow part of
verifying) run while other requests go on. The default, `nullcontext`, lets go of nothing."""


@dataclass(frozen=True)
class Check:
    """The verify stage's finding on one action, for the gate."""

    verdict: bool | None  # None: not verified
    reason: str = ""
    event: Event | None = None  # the verdict as an event, for the historian


@dataclass(frozen=True)
class Trial:
    """A verification made ready: `run` tries the action on a fork of the plant as it stood
    at `at_ns`. The fork shares nothing with the plant, so `run` needs no lock."""

    at_ns: int
    run: Callable[[], Verdict]


class Autopilot:
    """Runs a plant under a policy: monitoring, RUL, decisions through the verifier and the gate,
    and a record of it all (see the module docstring for the stages)."""

    def __init__(
        self,
        plant: PlantPort | Twin,
        policy: Policy,
        *,
        historian: Historian | None = None,
        monitor: HealthMonitor | None = None,
        rul_monitor: RulMonitor | None = None,
        verifier: Verifier | ProcessVerifier | None = None,
        gate: Gate | None = None,
        proposer: str = "autopilot",
        tick_h: float = 1.0,
        flush_every: int = 24,
        repropose_after_h: float = 24.0,
    ) -> None:
        self.plant: PlantPort = TwinPlant(plant) if isinstance(plant, Twin) else plant
        self.policy = policy
        self.historian = historian
        self.monitor = monitor
        self.rul_monitor = rul_monitor  # live RUL per machine and failure mode, when given
        # With a gate, every action is verified (when a verifier and a twin exist) and goes
        # through the gate, which carries it out on the plant; without one, straight to it.
        self.verifier = verifier
        self.gate = gate
        self.proposer = proposer
        self.tick_h = tick_h
        self.flush_every = flush_every  # ticks between historian writes: big batches are cheap
        # A proposal that was not carried out (refused, waiting for a person, declined) is not
        # proposed again for this long: the gate and the verifier are not asked every tick.
        self.repropose_after_h = repropose_after_h
        self.planning = isinstance(policy, PlanningPolicy)
        self.counters = Counters()
        self.notices: list[str] = []  # things said once (no state bound, no twin to verify on)
        self._said: set[str] = set()
        self._quiet_until: dict[tuple[str, str, str], float] = {}
        self._pending_samples: list[Samples] = []
        self._pending_events: list[Event] = []
        self._ticks = 0

    @property
    def twin(self) -> Twin:
        """The simulated plant under this autopilot (a `TypeError` for real equipment)."""
        if not isinstance(self.plant, TwinPlant):
            raise TypeError("this autopilot runs connected equipment, not a twin")
        return self.plant.twin

    # -- the loop ---------------------------------------------------------------------------

    def tick(self, unlocked: Unlocked = nullcontext) -> None:
        """One step of the loop, its stages in order; `unlocked` lets go of the caller's lock
        while an action is tried on the twin (see `_verify`)."""
        self.plant.advance(self.tick_h)
        if self.gate is not None:  # expire or escalate old requests; run those a person approved
            self.gate.tick(self.plant.time_ns())
        update = self.plant.collect()
        self._store(update)  # store
        alerts = self._health(update)  # health
        if self.rul_monitor is not None:  # RUL
            self.rul_monitor.update(update.samples, update.events, self.plant.time_ns())
        obs = self.observe(alerts)
        actions = self.policy.decide(self.plant.model, obs)  # decide
        if self.planning:
            # the schedule goes to the plant at once; maintenance in it comes as actions, which
            # are verified and gated below
            assert isinstance(self.policy, PlanningPolicy)
            self.plant.follow(self.policy.plan_)
        records: list[Event] = [*update.events, *(a.to_event() for a in alerts)]
        verdicts: list[Event] = []
        for action in actions:
            key = (action.machine, action.kind.value, str(sorted(action.params.items())))
            if self._quiet_until.get(key, -1.0) > self.plant.now_h:
                continue
            records.append(action.to_event())
            check = self._verify(action, unlocked)  # verify
            if check.event is not None:
                verdicts.append(check.event)
            executed = self._gate_and_act(action, check)  # gate -> act
            if not self.counters.note_action(executed):
                self._quiet_until[key] = self.plant.now_h + self.repropose_after_h
        self._record([*records, *verdicts])  # record

    def run(self, hours: float, progress: Callable[[float], None] | None = None) -> Kpis:
        """Run a simulated plant for `hours` of plant time as fast as it goes and return its
        KPIs; `progress` gets the hours done after each tick. (Real equipment is ticked at the
        wall clock's pace instead, by `jayul run`.)"""
        twin = self.twin
        end = self.plant.now_h + hours
        while self.plant.now_h < end - 1e-9:
            self.tick()
            if progress is not None:
                progress(self.tick_h)
        self.flush()
        return twin.kpis()

    def propose(self, action: Action) -> bool:
        """One action, outside the policy's rhythm, through the same verify -> gate -> act
        stages as the loop's (True when it was carried out)."""
        check = self._verify(action)
        if check.event is not None:
            self._pending_events.append(check.event)
        return self.counters.note_action(self._gate_and_act(action, check))

    def propose_from(
        self, action: Action, proposer: str, unlocked: Unlocked = nullcontext
    ) -> GateOutcome:
        """One action from outside the loop (a person or an agent through the API): verified
        on a twin like the loop's own (`unlocked` as for `tick`), then the gate, with the
        caller as the proposer."""
        if self.gate is None:
            raise RuntimeError("this plant runs without the gate")
        check = self._verify(action, unlocked)
        if check.event is not None:
            self._pending_events.append(check.event)
        ctx = GateContext(proposer=proposer, verdict=check.verdict, verdict_reason=check.reason)
        out = self.gate.propose(action, ctx, self.plant.time_ns())
        self.counters.note_action(out.status is OutcomeStatus.EXECUTED)
        return out

    # -- the stages -------------------------------------------------------------------------

    def _store(self, update: PlantUpdate) -> None:
        if update.samples is not None and len(update.samples):
            self.counters.samples += len(update.samples)
            if not update.samples_stored:
                self._pending_samples.append(update.samples)

    def _health(self, update: PlantUpdate) -> list[Alert]:
        alerts: list[Alert] = []
        if self.monitor is None:
            return alerts
        if update.samples is not None and len(update.samples):
            # the monitor judges a machine only while it runs: its state now, and the timed
            # changes during the tick that say row by row which samples ran
            states = {mid: r.state for mid, r in self.plant.machines().items()}
            changes = state_changes(update.events) if update.state_events else None
            alerts = self.monitor.update(update.samples, states=states, changes=changes)
        for e in update.events:
            if e.kind in (EventKind.MAINTENANCE_END, EventKind.REPAIR_END) and e.machine:
                self.monitor.reset_machine(e.machine)
        self.counters.note_alerts(alerts)
        if self.gate is not None:  # alerts in the audit trail beside the decisions they lead to
            for alert in alerts:
                self.gate.audit.append_event(alert.to_event(), "health-monitor")
        return alerts

    def observe(self, alerts: list[Alert]) -> Observation:
        """What the policy sees: each machine, the alerts, and for planning policies the
        plant's open work and the plan in force."""
        indicators = self.monitor.indicators() if self.monitor else {}
        views = {}
        for mid, reading in self.plant.machines().items():
            suspect = self.monitor.machines[mid].suspect_mode if self.monitor else None
            views[mid] = MachineView(
                id=mid,
                type=self.plant.model.spec(mid).type,
                status=self._state(reading),
                run_hours_since=reading.run_hours_since,
                pending_maintenance=reading.pending_work,
                indicator=indicators.get(mid),
                suspect_mode=suspect,
                rul=self.rul_monitor.view(mid) if self.rul_monitor else None,
                setpoints=reading.setpoints,
            )
        production = self.plant.production() if self.planning else None
        plan = self.plant.plan() if self.planning else None
        return Observation(
            self.plant.time_ns(), self.plant.now_h, views, tuple(alerts), production, plan
        )

    def _state(self, reading: MachineReading) -> MachineState:
        if reading.state is not MachineState.UNKNOWN:
            return reading.state
        self.say_once(
            f"state:{reading.id}",
            f"{reading.id}: machine state not known (none bound in connect.machines[].state, "
            "or its tag not read yet); taken as running until it is",
        )
        return MachineState.RUNNING

    def _verify(self, action: Action, unlocked: Unlocked = nullcontext) -> Check:
        """Try the action on a twin (see `_trial`). The fork is taken under the caller's lock
        and the futures run outside it (`unlocked`); the verdict is recorded and the gate
        decides under the lock again.

        What may change while the lock is let go (another request, never another tick: a
        server runs one tick at a time): a person pulls the kill switch or changes autonomy,
        approves or proposes an action (on the same machine too), or the plant moves on a
        tick when the proposal came from outside the loop. The verdict then speaks of the
        plant at the fork's instant, as it would a moment later anyway. It stays safe because
        the gate checks its own conditions when it decides, after the lock is taken again:
        the kill switch and the autonomy level in force then, the interlock on the current
        setpoints, the rate limit counting every proposal gated meanwhile; and the plant
        itself declines an action it can no longer take (a machine already in maintenance),
        which the gate records."""
        trial = self._trial(action)
        if isinstance(trial, Check):
            return trial
        with unlocked():
            verdict = trial.run()
        return self._verdict(action, verdict, trial.at_ns)

    def _trial(self, action: Action) -> Check | Trial:
        """What verifying a maintenance action (or, on a continuous process, a setpoint
        change) needs from the plant: a fork of it now, when there is a gate to judge it; or
        the finding at once when there is nothing to try. While the kill is on nothing can
        run: trying the action would only spend the machine's time at the moment a person
        stopped everything."""
        if self.gate is None or self.verifier is None or self.gate.autonomy.killed:
            return Check(None)
        now = self.plant.time_ns()
        if action.kind is ActionKind.CHANGE_SETPOINT and isinstance(self.plant, ProcessPlant):
            # a setpoint change tried on two copies of the process twin, with and without it
            assert isinstance(self.verifier, ProcessVerifier)
            return Trial(now, partial(self.verifier.verify, self.plant.fork(), action))
        # a real continuous process (a control system, not the process twin) has no twin that
        # stands where it stands: its setpoint changes are not verified, as maintenance is not
        process_change = (
            action.kind is ActionKind.CHANGE_SETPOINT and self.plant.model.process is not None
        )
        if action.kind is not ActionKind.START_MAINTENANCE and not process_change:
            return Check(None)
        twin = None if process_change else self.plant.fork(self._condition())
        if twin is None:
            self.say_once("no-twin", f"{NO_TWIN}; every action waits for a person at L3")
            self.gate.audit.append(
                now, "verifier", "not_verified", action.machine, NO_TWIN,
                {"action_id": action.id},
            )  # fmt: skip
            return Check(None, NO_TWIN)
        assert isinstance(twin, Twin) and not isinstance(self.verifier, ProcessVerifier)
        return Trial(now, partial(self.verifier.verify, twin, [(0.0, action)]))

    def _condition(self) -> LiveCondition | None:
        """The live RUL of every machine and failure mode that has one, for a calibrated twin
        to start from (it cannot see the plant's health otherwise)."""
        if self.rul_monitor is None:
            return None
        views = {mid: self.rul_monitor.view(mid) for mid in self.plant.machines()}
        return {mid: v for mid, v in views.items() if v}

    def _verdict(self, action: Action, v: Verdict, at_ns: int) -> Check:
        """The verdict on the plant as it stood at `at_ns` (the fork's instant), recorded."""
        assert self.gate is not None
        event = Event(
            time=at_ns,
            machine=action.machine,
            kind=EventKind.VERDICT,
            payload={"action_id": action.id, **v.summary()},
        )
        self.gate.audit.append_event(event, "verifier")
        return Check(v.accept, v.reason, event)

    def _gate_and_act(self, action: Action, check: Check) -> bool:
        """The gate decides and, when it executes, acts through the plant's `execute`;
        without a gate the action goes to the plant directly."""
        if self.gate is None:
            return self.plant.execute(action)
        ctx = GateContext(
            proposer=self.proposer, verdict=check.verdict, verdict_reason=check.reason
        )
        out = self.gate.propose(action, ctx, self.plant.time_ns())
        return out.status is OutcomeStatus.EXECUTED

    def _record(self, records: list[Event]) -> None:
        self.counters.events += len(records)
        self._pending_events.extend(records)
        self._ticks += 1
        if self._ticks % self.flush_every == 0:
            self.flush()

    # -- helpers ----------------------------------------------------------------------------

    def say_once(self, key: str, message: str) -> None:
        """Log `message` the first time `key` comes up, and keep it in `notices`."""
        if key in self._said:
            return
        self._said.add(key)
        self.notices.append(message)
        log.warning("%s", message)

    def flush(self) -> None:
        """Write what the loop has buffered to the historian."""
        if self.historian is not None:
            if self._pending_samples:
                self.historian.append_samples(Samples.concat(self._pending_samples))
            if self._pending_events:
                self.historian.append_events(self._pending_events)
        self._pending_samples, self._pending_events = [], []
