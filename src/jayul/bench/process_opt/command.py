"""`jayul bench process-opt`: operating cost of the process twin against the base case."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from jayul.bench.process_opt.run import run_process_opt
from jayul.plant import PlantFileError, load_plant
from jayul.shell.errors import fail
from jayul.shell.report import write_report


def bench_process_opt(
    plant_file: Annotated[Path, typer.Option("--plant", help="A process plant file.")] = Path(
        "examples/plants/tep.yaml"
    ),
    hours: Annotated[
        float, typer.Option(min=1.0, help="Simulated hours from the base case.")
    ] = 48.0,
    seed: Annotated[int, typer.Option(help="The process's noise seed.")] = 0,
    budget: Annotated[
        int, typer.Option(min=2, help="Candidate runs on forks, each optimiser.")
    ] = 24,
    report: Annotated[Path | None, typer.Option(help="Write the figures as JSON here.")] = None,
) -> None:
    """Setpoints searched on forks and walked there through the verifier and the gate, against
    scipy's Nelder-Mead with the same budget, both against the base case's operating cost;
    energy and carbon per m3 of product at the plant file's emission factors."""
    try:
        plant = load_plant(plant_file)
    except PlantFileError as exc:
        fail(str(exc))
    if plant.process is None:
        fail(f"{plant_file}: not a process plant (no process: section)")
    try:
        f = run_process_opt(plant, hours, seed, budget)
    except RuntimeError as exc:
        fail(str(exc))
    ours, peer = f["ours"], f["peer_nelder_mead"]
    assert isinstance(ours, dict) and isinstance(peer, dict)
    table = Table(title=f"{plant.name}: {hours:g} h from the base case, seed {seed}")
    for col in ("", "cost $/h", "vs base", "product m3/h", "off spec", "shutdown",
                "energy kWh/m3", "carbon kg CO2e/m3"):  # fmt: skip
        table.add_column(col, justify="right")
    base = {k.removeprefix("base_"): v for k, v in ours.items() if k.startswith("base_")}
    for name, row, change in (
        ("base case", base, None),
        ("jayul (gated walk)", ours, f["cost_change_ours"]),
        ("peer Nelder-Mead", peer, f["cost_change_peer"]),
    ):
        table.add_row(
            name, f"{row['cost_per_h']:.1f}", "" if change is None else f"{change:+.1%}",
            f"{row['product_m3_per_h']:.2f}", f"{row['off_spec_share']:.1%}",
            str(row["shutdown"] or "none"), f"{row['energy_kwh_per_m3']:.2f}",
            f"{row['carbon_kg_per_m3']:.2f}",
        )  # fmt: skip
    Console().print(table)
    write_report(report, f)
