"""Fresh TEP data sets from the process twin, in the Braatz layout (`jayul bench tep-generate`).

Each set is 44 closed-loop runs of tep-studio's TEP kernel under Ricker's decentralised
control, sampled every 3 minutes (100 control steps of 0.0005 h), 52 columns: the 41
published measurements then XMV(1-11) as the valves really stood (agitator speed left out):
- `d00.dat`: 500 normal samples (25 h), stored transposed (52 x 500) as in the Braatz set;
- `dNN.dat`: fault NN switched on after 1 h of normal operation, the next 480 samples (24 h);
- `d00_te.dat`, `dNN_te.dat`: 960 samples (48 h), the fault switched on after sample 160.
Faults 1-20 are tep-studio's IDV(1)-IDV(20). Fault 21 of the Braatz set (the valve of
stream 4 fixed at its steady-state position) is not an IDV of the kernel (its IDV(21) is a
random A feed temperature): it is made by holding XMV(4) at the base case's 61.302 % while the
controller keeps running. Every run has its own noise seed, counted from the set's seed, so a
set is reproducible and two seeds share no run. `layout.json` records how the set was made.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from jayul.bench.tep.data import FAULTS, N_VARIABLES, ONSET
from jayul.health.detector import FloatArray
from jayul.twin.process import CONTROL_STEP_H, INSTALL, N_DISTURBANCES, TEP_SEED

SAMPLE_H = 0.05  # 3 minutes between samples, as the Braatz files
STEPS_PER_SAMPLE = round(SAMPLE_H / CONTROL_STEP_H)
STREAM4_VALVE = 3  # XMV(4), A and C feed (stream 4), 0-based in the action vector
HELD_VALVE_FAULT = 21
RUNS_PER_SEED = 100  # noise seeds: TEP_SEED + seed * RUNS_PER_SEED + run number


class PlantTrippedError(Exception):
    """The simulated plant shut down during a run; the message says which run and when."""


@dataclass(frozen=True)
class Layout:
    """Lengths of the runs (the Braatz set's by default; tests use tiny ones)."""

    normal_train_rows: int = 500
    fault_train_rows: int = 480
    fault_train_lead_h: float = 1.0  # normal operation before the fault, not recorded
    test_rows: int = 960
    onset: int = ONSET  # test runs: the fault is switched on after this many samples
    faults: tuple[int, ...] = FAULTS


@dataclass(frozen=True)
class RunSpec:
    file: str
    fault: int  # 0: normal
    noise_seed: int
    lead_steps: int  # control steps run before the first recorded sample's period
    fault_step: int  # control steps run before the fault is switched on
    rows: int
    transposed: bool = False

    @property
    def hours(self) -> float:
        return (self.lead_steps + self.rows * STEPS_PER_SAMPLE) * CONTROL_STEP_H


def runs(seed: int, layout: Layout) -> list[RunSpec]:
    """The runs of one set, longest first (so two workers finish together)."""
    base = TEP_SEED + seed * RUNS_PER_SEED
    lead = round(layout.fault_train_lead_h / CONTROL_STEP_H)
    specs = [RunSpec("d00.dat", 0, base, 0, 0, layout.normal_train_rows, transposed=True)]
    specs += [
        RunSpec(f"d{j:02d}.dat", j, base + j, lead, lead, layout.fault_train_rows)
        for j in layout.faults
    ]
    onset = layout.onset * STEPS_PER_SAMPLE
    specs += [
        RunSpec(f"d{j:02d}_te.dat", j, base + 50 + j, 0, onset, layout.test_rows)
        for j in (0, *layout.faults)
    ]
    return sorted(specs, key=lambda s: -s.hours)


def simulate(spec: RunSpec) -> FloatArray:
    """One run, rows x 52 (XMEAS 1-41, XMV 1-11), sampled every 3 minutes."""
    try:
        import tep_studio
    except ImportError as exc:
        raise RuntimeError(INSTALL) from exc
    sim = tep_studio.TennesseeEastmanProcess()
    control = tep_studio.RickerMultiLoopController(enable_overrides=True)
    meas, _ = sim.reset(seed=float(spec.noise_seed))
    control.reset(meas, time=0.0)
    steady_valve = float(sim.state[38 + STREAM4_VALVE])  # the base case's XMV(4), 61.302 %
    idv = np.zeros(N_DISTURBANCES)
    held: float | None = None
    out = np.empty((spec.rows, N_VARIABLES))
    for step in range(spec.lead_steps + spec.rows * STEPS_PER_SAMPLE):
        if step == spec.fault_step and spec.fault:
            if spec.fault == HELD_VALVE_FAULT:
                held = steady_valve
            else:
                idv[spec.fault - 1] = 1.0
        action, _ = control.compute_action(meas, time=sim.time)
        if held is not None:
            action = np.array(action, dtype=np.float64)
            action[STREAM4_VALVE] = held
        result = sim.advance(action, control_interval=CONTROL_STEP_H, disturbances=idv)
        if result.shutdown_status["terminated"]:
            raise PlantTrippedError(
                f"{spec.file}: the plant shut down at {sim.time:.2f} h "
                f"({result.shutdown_status['message']})"
            )
        meas = result.measurements
        recorded = step + 1 - spec.lead_steps
        if recorded > 0 and recorded % STEPS_PER_SAMPLE == 0:
            row = recorded // STEPS_PER_SAMPLE - 1
            out[row, :41] = meas
            out[row, 41:] = result.implemented_action[:11]
    return out


def _write(folder: Path, spec: RunSpec, x: FloatArray) -> None:
    np.savetxt(folder / spec.file, x.T if spec.transposed else x, fmt="%.10g")


def _simulate_and_write(folder: Path, spec: RunSpec) -> RunSpec:
    _write(folder, spec, simulate(spec))
    return spec


def generate(
    out: Path,
    seed: int,
    layout: Layout | None = None,
    workers: int = 2,
    done: Callable[[RunSpec], None] = lambda _: None,
) -> dict[str, Any]:
    """Simulate every run of the set into `out`; `done` is called as each run is written."""
    layout = layout or Layout()
    bad = [j for j in layout.faults if j not in FAULTS]
    if bad:
        raise ValueError(f"faults {bad} are not TEP faults (1-21)")
    if not 0 < layout.onset < layout.test_rows:
        raise ValueError(f"onset {layout.onset} must fall inside the {layout.test_rows} test rows")
    out.mkdir(parents=True, exist_ok=True)
    specs = runs(seed, layout)
    for spec in _run_all(out, specs, workers):
        done(spec)
    manifest = {
        "made_by": "jayul bench tep-generate (tep-studio process twin, Ricker's control)",
        "tep_studio": version("tep-studio"),
        "seed": seed,
        "sample_minutes": SAMPLE_H * 60,
        "layout": asdict(layout),
        "fault_21": "XMV(4), stream 4 valve, held at the base case's steady-state position",
        "noise_seeds": {s.file: s.noise_seed for s in sorted(specs, key=lambda s: s.file)},
        "simulated_hours": round(sum(s.hours for s in specs), 2),
    }
    (out / "layout.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _run_all(out: Path, specs: list[RunSpec], workers: int) -> Iterator[RunSpec]:
    if workers <= 1:
        for spec in specs:
            yield _simulate_and_write(out, spec)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_simulate_and_write, out, spec) for spec in specs]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:  # a trip or an interrupt: the runs not started are not started
            for future in futures:
                future.cancel()
