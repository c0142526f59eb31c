"""What `jayul run` builds from a plant file: the action sinks, the autopilot over connected
equipment, the broker check, and the one-line report of what was stored."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from jayul.connect.bindings import Bindings, BindingsError, MqttSink, OpcUaSink
from jayul.health.detector import Detector
from jayul.shell.errors import fail

if TYPE_CHECKING:
    from jayul.autopilot import Autopilot
    from jayul.autopilot.executor import ActionExecutor
    from jayul.autopilot.monitor import HealthMonitor
    from jayul.calibrate.recalibration import RecalibrationPolicy
    from jayul.connect.equipment import ConnectedPlant
    from jayul.connect.ingest import Ingest
    from jayul.decide.policy import Policy
    from jayul.gate import AutonomyLevel, Gate
    from jayul.historian.base import Historian
    from jayul.plant.model import Plant
    from jayul.plant.monitoring import Monitoring

console = Console()


def action_sinks(bindings: Bindings) -> list[ActionExecutor]:
    """The action sinks the plant file's `connect.sinks` declare (none: advice only); a warning
    for MQTT commands that would go unsigned."""
    from jayul.connect.sinks import MqttCommandSink
    from jayul.connect.sinks import OpcUaSink as OpcUaActionSink

    sinks: list[ActionExecutor] = []
    for cfg in bindings.connect.sinks:
        if isinstance(cfg, OpcUaSink):
            methods = (
                {m.machine: (m.object_id, m.method_id) for m in cfg.maintenance}
                if cfg.maintenance is not None
                else None
            )
            setpoints = (
                {(n.machine, n.setpoint): n.node_id for n in cfg.setpoints}
                if cfg.setpoints is not None
                else None
            )
            sinks.append(
                OpcUaActionSink(
                    cfg.endpoint,
                    bindings.plant.name,
                    cfg.security,
                    bindings.path.parent,
                    methods=methods,
                    setpoints=setpoints,
                )
            )
        elif isinstance(cfg, MqttSink):
            try:
                sink = MqttCommandSink.from_config(
                    cfg, bindings.topic_root(cfg.topic_root), bindings.path.parent
                )
            except BindingsError as exc:
                fail(str(exc))
            if sink.signing_key is None:
                console.print(
                    f"[bold yellow]warning:[/] MQTT commands to {cfg.host}:{cfg.port} go "
                    f"unsigned: set {cfg.signing_key_env or 'signing_key_file'} "
                    "(docs/connect.md, signed commands)",
                    highlight=False,
                )
            sinks.append(sink)
    return sinks


def alert_timing(
    plant: Plant, smoothing_h: float | None, raise_h: float | None, clear_h: float | None
) -> Monitoring:
    """The health monitor's alert timing for this run: the plant file's `monitoring:`
    section (its defaults when the file has none), each hour given as an option replacing the
    file's."""
    given = {"smoothing_h": smoothing_h, "raise_h": raise_h, "clear_h": clear_h}
    return plant.monitoring.model_copy(update={k: v for k, v in given.items() if v is not None})


def plant_pilot(
    bindings: Bindings,
    equipment: ConnectedPlant,
    policy: str,
    store: Historian,
    gate_db: Path,
    level: AutonomyLevel,
    fit_h: float,
    tick_s: float,
    detector_factory: Callable[[], Detector],
    twin: tuple[Path | None, RecalibrationPolicy],
    setpoint_targets: Path | None = None,
    fault_model: str | None = None,
    warm_days: float = 0.0,
    timing: Monitoring | None = None,
) -> Autopilot:
    """The same autopilot `jayul demo` builds, over connected equipment: RUL models from the
    plant's own history when it has enough, the verifier (on the calibrated twin when one is
    given; without, it finds no twin, so the gate asks a person) and the gate."""
    from jayul.autopilot.monitor import HealthMonitor
    from jayul.autopilot.plant_history import train_from_history
    from jayul.autopilot.setup import gate_for, pilot_for
    from jayul.cli.run_warm import warm_from_history
    from jayul.verify import Verifier

    plant = bindings.plant
    rul_models = None
    if policy == "predictive":
        found = train_from_history(plant, store, equipment.time_ns())
        console.print(found.message, highlight=False)
        rul_models = found.models
    proposer: str | Policy = policy
    current = None
    if plant.process is not None:  # a continuous process: setpoint changes, not maintenance
        from jayul.cli.run_process_plant import process_policy

        proposer, current = process_policy(plant, setpoint_targets), equipment.setpoint_in_force
    elif setpoint_targets is not None or fault_model is not None:
        what = "--setpoint-targets" if setpoint_targets is not None else "--fault-model"
        fail(f"{what}: plant {plant.name!r} is not a process (no process: section)")
    try:
        gate = gate_for(plant, equipment, str(gate_db), level, by="run", current=current)
    except OSError as exc:
        fail(str(exc))
    verifier = Verifier()
    if twin[0] is not None:
        from jayul.cli.run_twin import calibrated_verifier

        verifier, equipment.twin = calibrated_verifier(
            twin[0], plant, gate, store, equipment.time_ns(), twin[1]
        )
    timing = timing or plant.monitoring
    units = HealthMonitor(
        plant, fit_h, detector_factory,
        smoothing_h=timing.smoothing_h, raise_h=timing.raise_h, clear_h=timing.clear_h,
    )  # fmt: skip
    for line in warm_from_history(units, store, plant, equipment.time_ns(), warm_days):
        console.print(line, highlight=False, soft_wrap=True)
    pilot = pilot_for(
        plant,
        equipment,
        proposer,
        store,
        rul_models,
        gate=gate,
        verifier=verifier,
        monitor=_monitor(plant, gate, units, fault_model, store),
    )
    pilot.tick_h = tick_s / 3600.0
    pilot.flush_every = 1  # events reach the historian (and the console) at once
    unbound = [m.id for m in plant.machines if m.id not in equipment.binding]
    if unbound:
        console.print(
            f"no machine state bound for {', '.join(unbound)} (connect.machines): "
            "taken as running, with no run hours",
            highlight=False,
        )
    return pilot


def _monitor(
    plant: Plant, gate: Gate, units: HealthMonitor, fault_model: str | None, store: Historian
) -> HealthMonitor:
    """The units' monitor; on a process, inside the process monitor (the soft sensor's drift,
    refitted from the historian through the registry and the deployment gate, and the known
    fault named)."""
    if plant.process is None:
        return units
    from jayul.autopilot.process_monitor import ProcessMonitor
    from jayul.autopilot.soft_sensor_refit import SoftSensorRefit
    from jayul.cli.run_process_plant import load_fault_namer
    from jayul.govern.registry import Registry

    registry = Registry(gate.con, gate.audit)
    namer = load_fault_namer(fault_model, plant, registry) if fault_model is not None else None
    refit = SoftSensorRefit(plant, registry, historian=store)
    return ProcessMonitor(units, namer, refit, first_fit=refit.first_fit, audit=gate.audit)


def report(ingest: Ingest, pilot: Autopilot | None, prefix: str) -> None:
    w = ingest.writer.stats
    # every alert stored: the health monitor's, and the inputs' (no data, connection lost)
    alerts = w.alerts_stored + (pilot.counters.alerts if pilot is not None else 0)
    done = f", {alerts} alerts ({w.alerts_stored} on the inputs)"
    if pilot is not None:
        c = pilot.counters
        done += f", {c.actions_proposed} actions proposed, {c.actions_executed} executed"
    console.print(
        f"{prefix}{w.samples_stored} samples and {w.dead_letters} dead letters stored{done}"
        + (f" (store: {w.last_error})" if w.last_error else ""),
        highlight=False,
    )


def check_brokers(bindings: Bindings) -> None:
    """Warn (in the background, ingestion goes on) about MQTT brokers that drop what they
    queue for jayul (jayul.connect.broker_check)."""
    import threading

    from jayul.connect.bindings import MqttSource
    from jayul.connect.broker_check import broker_warnings

    def check() -> None:
        for cfg in bindings.connect.sources:
            if isinstance(cfg, MqttSource):
                for warning in broker_warnings(cfg, bindings.path.parent):
                    console.print(f"[bold yellow]warning:[/] {warning}", highlight=False)

    threading.Thread(target=check, name="jayul-broker-check", daemon=True).start()
