"""`jayul run --twin CALIBRATED.yaml`: the calibrated twin of the plant as the verifier's.

The twin file is registered in the model registry as `twin:<plant>` (a new version only when
its bytes changed: the registry's fingerprint is the file's SHA-256), with its back-test as
metrics and the recalibration policy as parameters; then the policy is checked against the
historian's recent history, and a due recalibration is said on the console and in the audit
trail (`recalibration_due`, with the command that does it). Every verdict then names the twin
version it was reached on (`twin_version` in the verdict's audit record).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rich.console import Console

from jayul.calibrate.plant_twin import PlantTwin
from jayul.calibrate.recalibration import RecalibrationPolicy, prediction_check
from jayul.gate import Gate
from jayul.govern.card import ModelCard
from jayul.govern.registry import ModelRecord, Registry
from jayul.historian.base import Historian
from jayul.plant.model import Plant
from jayul.records.timebase import to_ns
from jayul.shell.errors import fail
from jayul.verify import Verifier

console = Console()
FUTURES = 8  # sampled futures per verdict, each on its own draw of the calibrated parameters


def calibrated_verifier(
    path: Path,
    plant: Plant,
    gate: Gate,
    store: Historian,
    now_ns: int,
    policy: RecalibrationPolicy,
) -> tuple[Verifier, PlantTwin]:
    """Load the twin, register it, check the recalibration policy; the verifier on it."""
    try:
        twin = PlantTwin.load(path, structure=plant)
    except ValueError as exc:
        fail(str(exc))
    name = twin_name(plant)
    record = register_twin(Registry(gate.con, gate.audit), plant, twin, policy, "jayul run", now_ns)
    backtest = (twin.calibration or {}).get("backtest") or {}
    trust = twin.trust
    said = (
        f"back-test {backtest.get('verdict')}, confidence {trust.confidence:.2f}"
        if trust is not None
        else "no back-test in the file: its verdicts carry no confidence"
    )
    console.print(
        f"verifying on the calibrated twin {path.name} ({twin.version}, registry "
        f"{name}@{record.version}; {said})",
        highlight=False,
    )
    _check_recalibration(twin, plant, gate, store, now_ns, policy, record.registered_at)
    verifier = Verifier(
        futures=FUTURES,
        trust=trust,
        plant_draws=twin.draws(FUTURES),
        twin_version=f"{name}@{record.version} {twin.version}",
    )
    return verifier, twin


def twin_name(plant: Plant) -> str:
    """The calibrated twin's name in the model registry."""
    return f"twin:{plant.name}"


def register_twin(
    registry: Registry,
    plant: Plant,
    twin: PlantTwin,
    policy: RecalibrationPolicy,
    by: str,
    now_ns: int,
) -> ModelRecord:
    """The twin's version in the registry: the one registered with the same file bytes, or
    a new version with its back-test as metrics (each version's parameters name the file's
    SHA-256)."""
    name = twin_name(plant)
    known = [m for m in registry.models() if m.name == name and m.params["sha256"] == twin.sha256]
    if known:
        return known[-1]
    backtest = (twin.calibration or {}).get("backtest") or {}
    metrics = {"backtest_confidence": float(backtest.get("confidence", 0.0))}
    return registry.register(
        name,
        twin,
        np.frombuffer(twin.path.read_bytes(), dtype=np.uint8),
        metrics,
        by=by,
        now=now_ns,
        card=ModelCard(
            intended_use="verify decisions for the real plant before they act",
            data=f"calibrated from the plant's history ({twin.path.name})",
            metrics=metrics,
            limits=[
                "health at the start of a verification is read from the live RUL on "
                "the calibrated process (with the predictive policy), else estimated "
                "from run hours (half a mean life where none are shown)",
                f"recalibrate every {policy.every_days:g} days or when the failure "
                f"prediction error exceeds {policy.max_error:g}",
            ],
        ),
    )


def _check_recalibration(
    twin: PlantTwin,
    plant: Plant,
    gate: Gate,
    store: Historian,
    now_ns: int,
    policy: RecalibrationPolicy,
    registered_at: int,
) -> None:
    window = (twin.calibration or {}).get("window_ns")
    calibrated_ns = int(window[1]) if isinstance(window, list) and len(window) == 2 else 0
    calibrated_ns = calibrated_ns or registered_at
    since = now_ns - int(policy.window_days * 24 * 3600 * 1e9)
    check = prediction_check(twin.plant, store, max(since, to_ns(plant.start)), now_ns)
    due = policy.due(now_ns, calibrated_ns, check)
    if not due.due:
        return
    command = (
        f"jayul twin recalibrate --plant PLANT_FILE --db HISTORIAN --twin {twin.path.name} "
        "--gate-db PLANT_DB"
    )
    console.print(
        f"[bold yellow]recalibration due:[/] {due.reason}; stop this run, run `{command}` "
        "and start it again (DuckDB lets one process open the files)",
        highlight=False,
    )
    gate.audit.append(
        now_ns,
        "recalibration-policy",
        "recalibration_due",
        f"twin:{plant.name}",
        due.reason,
        {"twin_version": twin.version, **(check.as_dict() if check else {})},
    )
