"""What the autopilot needs from a plant: one small interface, two implementations.

The simulated factory (`jayul.autopilot.twin_plant.TwinPlant`) and connected equipment
(`jayul.connect.equipment.ConnectedPlant`: the sources, action sinks, state tags and event feeds
of a plant file's `connect:` section) both implement `PlantPort`, and one `Autopilot` runs
either. The same contract tests run against both (tests/autopilot/test_plant_port.py).

Conventions every implementation keeps:
- `collect()` returns what arrived since the last call, once: samples, each machine's in time
  order (or None when the plant has no signals), and events (maintenance and repair starts
  and ends, failures).
- `machines()` shows every machine of the plant file, in its order. `state` is
  `MachineState.UNKNOWN` where the plant cannot tell (no state bound): the autopilot says so
  and treats the machine as running. `run_hours_since` is empty where no run-hour counter
  says it: a plant never invents run hours.
- `execute(action)` returns False when the plant declined the action or could not be reached;
  it raises `ValueError` for an action the plant cannot carry out at all.
- `advance(hours)` moves a simulated plant's clock; real equipment's clock moves on its own.
- `fork(condition)` returns a twin at the plant's current state for the verifier, or None when
  the plant has no twin to try decisions on (connected equipment run without `jayul run
  --twin`). `condition` is the live RUL per machine and failure mode (the autopilot's RUL
  monitor): a calibrated twin, which cannot see the plant's health, starts from it; the
  simulated factory forks its own state and needs none. A continuous process
  (`jayul.autopilot.process_plant.ProcessPlant`) forks its process twin.
- A plant that also takes events from outside (connected equipment: a CMMS, a person through
  `POST /api/events`) is an `EventFeed`: what is posted comes out of the next `collect()`, so the
  loop sees it at its next tick and records it like any other event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from jayul.plant.model import Plant
from jayul.records import Action, Event, MachineState, Samples

if TYPE_CHECKING:
    from jayul.decide.plan import Plan
    from jayul.decide.policy import LiveCondition
    from jayul.decide.production import ProductionView
    from jayul.twin import Twin
    from jayul.twin.kpis import Kpis
    from jayul.twin.process import ProcessTwin


@dataclass(frozen=True)
class MachineReading:
    """One machine as the plant shows it now."""

    id: str
    state: MachineState
    run_hours_since: Mapping[str, float] = field(default_factory=dict)  # per failure mode
    pending_work: tuple[str, ...] = ()  # maintenance actions requested and not yet finished
    setpoints: Mapping[str, float] = field(default_factory=dict)
    failed_mode: str | None = None


@dataclass(frozen=True)
class PlantUpdate:
    """What a plant produced since the last `collect()`."""

    samples: Samples | None
    events: tuple[Event, ...] = ()
    # True when the samples are in the historian already (connected equipment's ingest
    # pipeline stores them before the loop sees them): the loop then does not store them again
    samples_stored: bool = False
    # True when `events` hold every change of a machine's state with its time (operation start
    # and end, failure, repair, maintenance), so the monitor can tell which rows ran; a twin
    # run without events, or equipment whose states are not bound, gives False or no changes
    state_events: bool = True


class PlantPort(Protocol):
    """A plant the autopilot can run: see the module docstring for the conventions."""

    @property
    def model(self) -> Plant:
        """The plant file: machines, signals, failure modes, maintenance actions."""
        ...

    @property
    def now_h(self) -> float:
        """Hours since the plant's epoch (the twin's start, or the Unix epoch)."""
        ...

    def time_ns(self) -> int:
        """Now, as UTC nanoseconds."""
        ...

    def advance(self, hours: float) -> None:
        """Let `hours` of plant time pass (a twin simulates them; equipment does nothing)."""
        ...

    def collect(self) -> PlantUpdate:
        """Samples and events since the last call."""
        ...

    def machines(self) -> Mapping[str, MachineReading]:
        """Every machine's state, run hours, pending work and setpoints, by id."""
        ...

    def execute(self, action: Action) -> bool:
        """Carry the action out; False when the plant declined it or was unreachable."""
        ...

    def production(self) -> ProductionView | None:
        """Open work and when each machine is free, or None when the plant does not say."""
        ...

    def follow(self, plan: Plan | None) -> None:
        """Dispatch work by `plan` from now on (None: the plant's own dispatching rule)."""
        ...

    def plan(self) -> Plan | None:
        """The plan the plant follows now, if any."""
        ...

    def fork(self, condition: LiveCondition | None = None) -> Twin | ProcessTwin | None:
        """A twin at the plant's current state to verify decisions on, or None; a calibrated
        twin starts each failure mode from `condition`'s live RUL where it has one."""
        ...

    def kpis(self) -> Kpis | None:
        """The plant's KPIs when it keeps a ledger of them (the twin), else None."""
        ...


@runtime_checkable
class EventFeed(Protocol):
    """A plant that takes events reported from outside into its next `collect()`."""

    def post_event(self, event: Event) -> None:
        """Hand `event` to the loop's next tick (which records it in the historian)."""
        ...
