"""`jayul demo --plant` for a continuous process (a plant file with a `process:` section)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from jayul.autopilot.process_run import run_process
from jayul.cli.run_process_plant import load_fault_namer
from jayul.gate import AutonomyLevel
from jayul.historian.open import open_historian
from jayul.plant.model import Plant
from jayul.shell.errors import fail
from jayul.shell.report import write_report

console = Console()
# the process monitor's commissioning in the demo: its units' monitors learn the process over
# these hours, and the soft sensor fits once they are over and 40 analyser readings are known
PROCESS_FIT_H = 8.0


def process_demo(
    plant: Plant, hours: float, seed: int, db: Path, level: AutonomyLevel | None,
    budget: int, report: Path | None, fault_model: tuple[str | None, Path] = (None, Path()),
    disturbance: str | None = None,
) -> None:  # fmt: skip
    """Search setpoints on forks of the process twin, walk to them through the verifier and
    the gate for `hours`, and print the operating cost against the base case."""
    if level is None:
        fail("--autonomy off: a process demo's setpoint changes always go through the gate")
    fault = parse_disturbance(disturbance, hours) if disturbance is not None else None
    ref, model_db = fault_model  # a model file, or a registered model in that database
    namer = load_fault_namer(ref, plant, model_db) if ref is not None else None
    try:
        with (
            open_historian(str(db)) as historian,
            Progress(
                TextColumn("{task.description}"), BarColumn(), console=console, transient=True
            ) as bar,
        ):
            task = bar.add_task("process", total=None)

            def progress(what: str, done: float, total: float) -> None:
                bar.update(task, description=what, completed=done, total=total)

            run = run_process(plant, hours, db, seed=seed, level=level, budget=budget,
                              historian=historian, progress=progress,
                              monitor_fit_h=min(PROCESS_FIT_H, hours / 4), namer=namer,
                              disturbance=fault)  # fmt: skip
    except RuntimeError as exc:  # tep-studio is not installed
        fail(str(exc))
    f = run.figures()
    table = Table(title=f"{plant.name}: {hours:g} h, autonomy {level.name}, seed {seed}")
    for col in ("", "autopilot", "base case"):
        table.add_column(col, justify="right")
    table.add_row("operating cost $/h", f"{f['cost_per_h']:.1f}", f"{f['base_cost_per_h']:.1f}")
    table.add_row("product m3/h", f"{f['product_m3_per_h']:.2f}",
                  f"{f['base_product_m3_per_h']:.2f}")  # fmt: skip
    table.add_row("off spec", f"{f['off_spec_share']:.1%}", f"{f['base_off_spec_share']:.1%}")
    table.add_row("compressor kWh/m3", f"{f['compressor_kwh_per_m3']:.2f}",
                  f"{f['base_compressor_kwh_per_m3']:.2f}")  # fmt: skip
    table.add_row("steam kg/m3", f"{f['steam_kg_per_m3']:.2f}", f"{f['base_steam_kg_per_m3']:.2f}")
    table.add_row("energy kWh/m3", f"{f['energy_kwh_per_m3']:.2f}",
                  f"{f['base_energy_kwh_per_m3']:.2f}")  # fmt: skip
    table.add_row("carbon kg CO2e/m3", f"{f['carbon_kg_per_m3']:.2f}",
                  f"{f['base_carbon_kg_per_m3']:.2f}")  # fmt: skip
    table.add_row("shutdown", str(f["shutdown"] or "none"), str(f["base_shutdown"] or "none"))
    console.print(table)
    console.print(
        f"operating cost {f['cost_change']:+.1%} against the base case; "
        f"{f['actions_executed']} setpoint change(s) executed, {f['actions_refused']} refused, "
        f"{f['approvals_pending']} waiting for a person (jayul approvals list --db {db})"
    )
    for line in run.notices:
        console.print(f"model: {line}", highlight=False)
    for at, line in list(zip(run.alert_hours, run.alerts, strict=True))[-10:]:
        console.print(f"alert at {at:.2f} h: {line}", highlight=False)
    write_report(report, {**f, "seed": seed, "autonomy": level.name, "db": str(db)})


def parse_disturbance(text: str, hours: float) -> tuple[int, float]:
    """`IDV@HOUR` -> (IDV, hour); a clear error naming --disturbance otherwise."""
    number, at, hour = text.partition("@")
    try:
        idv, when = int(number), float(hour) if at else 0.0
    except ValueError:
        fail(f"--disturbance {text!r}: give it as IDV@HOUR, e.g. 6@24")
    if not 1 <= idv <= 28 or not 0 <= when < hours:
        fail(f"--disturbance {text!r}: IDV 1-28 at an hour inside the {hours:g} h run")
    return idv, when
