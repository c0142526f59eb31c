"""`jayul run` on a continuous process (a plant file with a `process:` section).

A process has no maintenance to plan: what the autopilot proposes are setpoint changes. With
`--setpoint-targets FILE` (the `targets` of a `jayul demo --plant ... --report` or `jayul bench
process-opt --report`, found on the process twin, or a person's own), it walks the process
toward them one envelope's largest step per setpoint at a time (`SetpointWalk`); each step goes
through the gate, which measures it from the setpoint the control system reports. Without a
twin standing where the real process stands, no change can be verified, so at any level a
person approves each (docs/connect.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jayul.autopilot.fault_naming import FaultNamer
from jayul.decide.process_setpoints import SetpointWalk
from jayul.govern.registry import Registry
from jayul.plant.model import Plant
from jayul.shell.errors import fail


def read_targets(path: Path, plant: Plant) -> dict[tuple[str, str], float]:
    """`machine.setpoint -> value` from a JSON file: a report's `targets` (or its `ours`
    section's), or the mapping itself. Every target must be a setpoint of the plant file
    and inside its envelope."""
    try:
        data: Any = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        fail(f"cannot read setpoint targets from {path}: {exc}")
    if isinstance(data, dict) and isinstance(data.get("ours"), dict):
        data = data["ours"]
    if isinstance(data, dict) and isinstance(data.get("targets"), dict):
        data = data["targets"]
    if not isinstance(data, dict) or not data:
        fail(f"{path}: expected a JSON object of machine.setpoint -> value (or a report's targets)")
    targets: dict[tuple[str, str], float] = {}
    for key, value in data.items():
        machine, _, setpoint = str(key).partition(".")
        try:
            envelope = plant.setpoint(machine, setpoint).envelope
        except (KeyError, ValueError):
            fail(f"{path}: {key!r} is not a setpoint of the plant file (machine.setpoint)")
        if not isinstance(value, int | float) or not envelope.low <= value <= envelope.high:
            fail(
                f"{path}: {key} = {value!r} is outside its envelope "
                f"[{envelope.low:g}, {envelope.high:g}]"
            )
        targets[(machine, setpoint)] = float(value)
    return targets


def process_policy(plant: Plant, targets_file: Path | None) -> SetpointWalk:
    """The policy `jayul run` runs on a process plant: a walk to the targets, or none."""
    return SetpointWalk(read_targets(targets_file, plant) if targets_file is not None else {})


def load_fault_namer(ref: str, plant: Plant, registry: Registry | Path) -> FaultNamer:
    """The fault classifier `--fault-model` names: a registered model (NAME or NAME@VERSION,
    the deployed version, from `registry` or the plant database at that path), or, for
    compatibility, a `jayul quality train faults` model file at that path; a clear error
    naming what is wrong otherwise."""
    if Path(ref).is_file():
        return _namer_from_file(Path(ref), plant)
    from jayul.autopilot.fault_model import namer_from_registry
    from jayul.cli.gate_cmds import plant_db

    try:
        if isinstance(registry, Registry):
            return namer_from_registry(registry, plant, ref)
        if not registry.exists():
            fail(f"--fault-model {ref}: no such file, and no model registry at {registry}")
        with plant_db(registry) as (con, audit):
            return namer_from_registry(Registry(con, audit), plant, ref)
    except (OSError, ValueError) as exc:
        fail(f"--fault-model {ref}: {exc}")


def _namer_from_file(path: Path, plant: Plant) -> FaultNamer:
    import joblib

    from jayul.autopilot.fault_naming import namer_from
    from jayul.health.process.tabular import QualityModel

    try:
        loaded = joblib.load(path)  # a file `jayul quality train` wrote: trusted like any model
    except (OSError, EOFError, ValueError) as exc:
        fail(f"--fault-model {path}: cannot read the model file: {exc}")
    if not isinstance(loaded, QualityModel):
        fail(f"--fault-model {path}: not a model file from jayul quality train")
    try:
        namer = namer_from(loaded, plant, f"--fault-model {path}")
    except ValueError as exc:
        fail(str(exc))
    namer.source = str(path)
    return namer
