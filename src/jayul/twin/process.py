"""The process twin: a continuous process (the Tennessee Eastman process) in closed loop.

It runs tep-studio's compiled TEP equations under Ricker's decentralised control: the plant
file's setpoints are the controller's targets (reactor pressure, level and temperature, the
separator and stripper levels, product rate and %G, the feed compositions), its signals are
the 41 published measurements, grouped by unit. A ledger integrates the operating cost
(tep-studio's production-cost objective), the product made, the compressor work and the
stripper steam (with their carbon at the plant file's emission factors), and the time the
product spent outside the plant file's limits.

`fork()` copies the process at its current state (the kernel's snapshot and the controller's
integrator states), so the verifier tries a setpoint change on a fork and the plant never
sees a change that tripped the fork. tep-studio is an optional extra, imported here only.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from jayul.plant.model import EmissionFactors, Plant
from jayul.records import Samples
from jayul.records.timebase import NS_PER_H, to_ns

if TYPE_CHECKING:
    from tep_studio import RickerMultiLoopController, TennesseeEastmanProcess

CONTROL_STEP_H = 0.0005  # the controller's and integrator's step (the model's design step)
SETPOINTS = (
    "reactor_level",
    "reactor_pressure",
    "reactor_temperature",
    "separator_level",
    "stripper_level",
    "pct_g",
    "production_rate",
    "ya",
    "yac",
)
PRODUCT_FLOW, COMPRESSOR_WORK, STEAM_FLOW = 16, 19, 18  # measurement indices
N_DISTURBANCES = 28  # tep-studio's IDV vector
# the original TEP code's noise-generator seed: jayul's seed counts from it (0 would freeze the
# generator's sequence, a degenerate noise)
TEP_SEED = 1431655765
INSTALL = "the process twin needs tep-studio: pip install 'jayul[process]'"


def _tep() -> Any:
    try:
        import tep_studio
    except ImportError as exc:
        raise RuntimeError(INSTALL) from exc
    return tep_studio


def measurement_names() -> list[str]:
    return [name for name, _, _ in _tep().list_measurements()]


@dataclass
class ProcessLedger:
    """What the process did since the twin started: integrals over the control steps."""

    hours: float = 0.0
    cost: float = 0.0  # operating cost, $ (tep-studio's internal production-cost objective)
    product_m3: float = 0.0
    compressor_kwh: float = 0.0
    steam_kg: float = 0.0
    off_spec_h: float = 0.0  # hours with the product outside a plant-file limit
    shutdown: str | None = None  # the plant's trip message, when it tripped
    emissions: EmissionFactors = field(default_factory=EmissionFactors)

    def per_hour(self) -> dict[str, float]:
        h = max(self.hours, 1e-12)
        return {
            "cost_per_h": self.cost / h,
            "product_m3_per_h": self.product_m3 / h,
            "cost_per_m3": self.cost / max(self.product_m3, 1e-12),
            "off_spec_share": self.off_spec_h / h,
            **self.energy_per_m3(),
        }

    def energy_per_m3(self) -> dict[str, float]:
        """Energy and its carbon per m3 of product: the compressor's electricity and the
        stripper's steam (as the heat that raised it), each at the plant file's factor."""
        m3 = max(self.product_m3, 1e-12)
        f = self.emissions
        steam_kwh = self.steam_kg * f.steam_mj_per_kg / 3.6
        carbon = self.compressor_kwh * f.electricity_kg_co2e_per_kwh
        carbon += self.steam_kg * f.steam_kg_co2e_per_kg
        return {
            "compressor_kwh_per_m3": self.compressor_kwh / m3,
            "steam_kg_per_m3": self.steam_kg / m3,
            "energy_kwh_per_m3": (self.compressor_kwh + steam_kwh) / m3,
            "carbon_kg_per_m3": carbon / m3,
        }


@dataclass
class _Sampler:
    every: int  # control steps between samples
    names: list[tuple[str, str, int]]  # (machine, signal, measurement index)
    rows: list[tuple[int, np.ndarray]] = field(default_factory=list)


class ProcessTwin:
    """The plant file's continuous process, simulated in closed loop (see the module doc)."""

    def __init__(self, plant: Plant, seed: int = 0, *, record: bool = True) -> None:
        if plant.process is None:
            raise ValueError(f"plant {plant.name!r} has no process: section (not a process)")
        tep = _tep()
        self.plant = plant
        self.seed = seed
        names = measurement_names()
        index = {n: i for i, n in enumerate(names)}
        signals: list[tuple[str, str, int]] = []
        self._setpoint_owner: dict[tuple[str, str], str] = {}
        for m in plant.machines:
            mtype = plant.machine_type(m.id)
            for sig in mtype.signals:
                if sig.id not in index:
                    raise ValueError(
                        f"machine {m.id!r}: signal {sig.id!r} is not a measurement of the "
                        f"process (one of: {', '.join(names)})"
                    )
                signals.append((m.id, sig.id, index[sig.id]))
            for sp in mtype.setpoints:
                if sp.id not in SETPOINTS:
                    raise ValueError(
                        f"machine {m.id!r}: setpoint {sp.id!r} is not one the process control "
                        f"takes (one of: {', '.join(SETPOINTS)})"
                    )
                self._setpoint_owner[(m.id, sp.id)] = sp.id
        period_s = min(plant.machine_type(m).signals[0].period_s for m in plant.machine_ids)
        every = max(1, round(period_s / (CONTROL_STEP_H * 3600)))
        self._sampler = _Sampler(every, signals) if record else None
        self._epoch_ns = to_ns(plant.start)
        self.sim: TennesseeEastmanProcess = tep.TennesseeEastmanProcess()
        self.controller: RickerMultiLoopController = tep.RickerMultiLoopController(
            enable_overrides=True
        )
        self.meas, _ = self.sim.reset(seed=float(TEP_SEED + seed))
        self.controller.reset(self.meas, time=0.0)
        defaults = {
            sp.id: sp.default for m in plant.machine_ids for sp in plant.machine_type(m).setpoints
        }
        self.controller.setpoints = dataclasses.replace(self.controller.setpoints, **defaults)
        self.ledger = ProcessLedger(emissions=plant.process.emissions)
        self.idv = np.zeros(N_DISTURBANCES)  # the disturbances switched on (IDV 1-28)
        self._steps = 0
        self._limits = [(index[lim.signal], lim.low, lim.high) for lim in plant.process.limits]

    # -- clock ---------------------------------------------------------------------------

    @property
    def now_h(self) -> float:
        return float(self.sim.time)

    def time_ns(self) -> int:
        return self._epoch_ns + round(self.now_h * NS_PER_H)

    # -- setpoints -------------------------------------------------------------------------

    def setpoints(self, machine: str) -> dict[str, float]:
        """The setpoints in force on `machine` (those the plant file gives it)."""
        values = dataclasses.asdict(self.controller.setpoints)
        return {sp: float(values[sp]) for (m, sp) in self._setpoint_owner if m == machine}

    def all_setpoints(self) -> dict[tuple[str, str], float]:
        values = dataclasses.asdict(self.controller.setpoints)
        return {(m, sp): float(values[sp]) for (m, sp) in self._setpoint_owner}

    def set_setpoint(self, machine: str, setpoint: str, value: float) -> None:
        if (machine, setpoint) not in self._setpoint_owner:
            raise ValueError(f"{machine!r} has no setpoint {setpoint!r} in the plant file")
        self.controller.setpoints = dataclasses.replace(
            self.controller.setpoints, **{setpoint: float(value)}
        )

    # -- disturbances ------------------------------------------------------------------------

    def set_disturbance(self, number: int, active: bool = True) -> None:
        """Switch one of the process's disturbances on or off: IDV(1)-IDV(28), the causes of
        the Tennessee Eastman fault runs (`tep_studio.list_disturbances()` names them)."""
        if not 1 <= number <= N_DISTURBANCES:
            raise ValueError(f"the process has disturbances 1-{N_DISTURBANCES}, not {number}")
        idv = self.idv.copy()  # a new array: a fork keeps the disturbances it was made with
        idv[number - 1] = 1.0 if active else 0.0
        self.idv = idv

    # -- running -------------------------------------------------------------------------

    @property
    def tripped(self) -> bool:
        return self.ledger.shutdown is not None

    def step(self, hours: float) -> None:
        """Run the closed loop for `hours` (nothing more happens once the plant tripped)."""
        n = round(hours / CONTROL_STEP_H)
        for _ in range(n):
            if self.tripped:
                return
            self._control_step()

    def _control_step(self) -> None:
        action, _ = self.controller.compute_action(self.meas, time=self.sim.time)
        result = self.sim.advance(action, control_interval=CONTROL_STEP_H, disturbances=self.idv)
        self.meas = result.measurements
        dt = CONTROL_STEP_H
        led = self.ledger
        led.hours += dt
        led.cost += float(result.objective_terms["operating_cost_internal_per_hour"]) * dt
        led.product_m3 += float(self.meas[PRODUCT_FLOW]) * dt
        led.compressor_kwh += float(self.meas[COMPRESSOR_WORK]) * dt
        led.steam_kg += float(self.meas[STEAM_FLOW]) * dt
        if any(not lo <= self.meas[i] <= hi for i, lo, hi in self._limits):
            led.off_spec_h += dt
        if result.shutdown_status["terminated"]:
            led.shutdown = str(result.shutdown_status["message"])
        self._steps += 1
        if self._sampler is not None and self._steps % self._sampler.every == 0:
            self._sampler.rows.append((self.time_ns(), self.meas.copy()))

    def drain_samples(self) -> Samples:
        """The samples taken since the last call, in time order."""
        if self._sampler is None or not self._sampler.rows:
            return Samples.empty()
        rows, self._sampler.rows = self._sampler.rows, []
        names = self._sampler.names
        times = np.repeat(np.array([t for t, _ in rows], dtype=np.int64), len(names))
        machines = np.tile(np.array([m for m, _, _ in names], dtype=object), len(rows))
        signals = np.tile(np.array([s for _, s, _ in names], dtype=object), len(rows))
        idx = np.array([i for _, _, i in names])
        values = np.concatenate([meas[idx] for _, meas in rows])
        return Samples.build(times, machines, signals, values)

    def fork(self) -> ProcessTwin:
        """A copy at this moment that records no samples and shares nothing with this twin."""
        other = copy.copy(self)
        other.sim = _tep().TennesseeEastmanProcess()
        other.sim.restore(self.sim.snapshot())
        other.controller = copy.deepcopy(self.controller)
        other.meas = self.meas.copy()
        other.ledger = dataclasses.replace(self.ledger)
        other._sampler = None
        return other
