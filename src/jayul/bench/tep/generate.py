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
set is reproducible and two seeds share no run. A fault whose run shuts the plant down (fault 6,
the A feed lost, trips it on low stripper level under this control) is left out of the set,
not shortened. `layout.json` records how the set was made and what was left out.
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

from jayul.bench.tep.data import FAULTS, LAYOUT_FILE, N_VARIABLES, ONSET
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


def _simulate_and_write(folder: Path, spec: RunSpec) -> tuple[RunSpec, str | None]:
    """The run written, or the trip that stopped it (nothing written then)."""
    try:
        _write(folder, spec, simulate(spec))
    except PlantTrippedError as exc:
        return spec, str(exc)
    return spec, None


def _already_made(folder: Path, spec: RunSpec) -> bool:
    """A file of an earlier, interrupted call at the same seed, complete (the same shape)."""
    path = folder / spec.file
    if not path.is_file():
        return False
    try:
        shape = np.loadtxt(path).shape
    except ValueError:
        return False
    return shape == ((N_VARIABLES, spec.rows) if spec.transposed else (spec.rows, N_VARIABLES))


def _earlier_trips(folder: Path, seed: int) -> dict[int, str]:
    """Faults an earlier call at the same seed left out because the plant shut down."""
    path = folder / LAYOUT_FILE
    if not path.is_file():
        return {}
    try:
        manifest = json.loads(path.read_text())
        if manifest.get("seed") != seed:
            return {}
        return {int(j): str(why) for j, why in manifest.get("left_out", {}).items()}
    except (ValueError, TypeError, AttributeError):
        return {}


def pending(out: Path, seed: int, layout: Layout) -> tuple[list[RunSpec], dict[int, str]]:
    """The runs still to simulate, and the faults an earlier call left out (with why)."""
    left_out = {j: why for j, why in _earlier_trips(out, seed).items() if j in layout.faults}
    todo = [s for s in runs(seed, layout) if s.fault not in left_out and not _already_made(out, s)]
    return todo, left_out


def generate(
    out: Path,
    seed: int,
    layout: Layout | None = None,
    workers: int = 2,
    done: Callable[[RunSpec, str | None], None] = lambda _s, _t: None,
) -> dict[str, Any]:
    """Simulate every run of the set into `out`; `done(run, trip)` is called as each run ends.

    A fault whose run shuts the plant down is left out of the set (both of its files), and
    said so in layout.json; files a previous call at the same seed completed are kept, so an
    interrupted set resumes. Runs already made or left out are not simulated again."""
    layout = layout or Layout()
    bad = [j for j in layout.faults if j not in FAULTS]
    if bad:
        raise ValueError(f"faults {bad} are not TEP faults (1-21)")
    if not 0 < layout.onset < layout.test_rows:
        raise ValueError(f"onset {layout.onset} must fall inside the {layout.test_rows} test rows")
    out.mkdir(parents=True, exist_ok=True)
    specs = runs(seed, layout)
    todo, left_out = pending(out, seed, layout)
    for spec, trip in _run_all(out, todo, workers, left_out):
        if trip is not None:
            left_out[spec.fault] = trip
        done(spec, trip)
    for spec in specs:
        if spec.fault in left_out:
            (out / spec.file).unlink(missing_ok=True)
    made = tuple(j for j in layout.faults if j not in left_out)
    manifest = {
        "made_by": "jayul bench tep-generate (tep-studio process twin, Ricker's control)",
        "tep_studio": version("tep-studio"),
        "seed": seed,
        "sample_minutes": SAMPLE_H * 60,
        "layout": {**asdict(layout), "faults": list(made)},
        "left_out": {str(j): why for j, why in sorted(left_out.items())},
        "fault_21": "XMV(4), stream 4 valve, held at the base case's steady-state position",
        "noise_seeds": {s.file: s.noise_seed for s in sorted(specs, key=lambda s: s.file)},
        "hours_simulated_by_this_call": round(sum(s.hours for s in todo), 2),
    }
    (out / LAYOUT_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


Outcome = tuple[RunSpec, str | None]


def _run_all(
    out: Path, specs: list[RunSpec], workers: int, left_out: dict[int, str]
) -> Iterator[Outcome]:
    if workers <= 1:
        for spec in specs:
            if spec.fault not in left_out:
                yield _simulate_and_write(out, spec)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(_simulate_and_write, out, spec): spec for spec in specs}
        try:
            for future in as_completed(futures):
                if future.cancelled():
                    continue
                spec, trip = future.result()
                if trip is not None:  # the fault's other run is not worth starting
                    for other, o in futures.items():
                        if o.fault == spec.fault:
                            other.cancel()
                yield spec, trip
        finally:  # an interrupt: the runs not started are not started
            for future in futures:
                future.cancel()
