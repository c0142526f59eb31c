"""`jayul bench tep`: detection, diagnosis and soft sensor on a TEP-shaped folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from jayul.bench.tep.data import HARD, TepDataError
from jayul.bench.tep.run import run_tep
from jayul.shell.report import write_report


def bench_tep(
    data: Annotated[Path, typer.Option(help="A folder laid out like the Braatz TEP data.")],
    out: Annotated[Path, typer.Option(help="Where to write dNN_te.csv (alarm, fault).")],
    report: Annotated[Path | None, typer.Option(help="Write the figures as JSON here.")] = None,
) -> None:
    """Fit on d00.dat and the training files only; label every test sample (alarm, fault)."""
    console = Console() if Console().is_terminal else Console(width=120)
    try:
        with console.status("reading the TEP files") as status:
            figures = run_tep(data, out, step=lambda s: status.update(s))
    except TepDataError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    _print(console, figures)
    if report is not None:
        write_report(report, figures)


def _print(console: Console, f: dict[str, Any]) -> None:
    ours, peer = f["detector"], f["peer_pca"]
    table = Table(title="TEP detection: fault detection rate after onset (%)")
    table.add_column("fault", justify="right")
    table.add_column(ours["chosen"], justify="right")
    table.add_column("delay (min)", justify="right")
    table.add_column(peer["chosen"], justify="right")
    for j in ours["fdr"]:
        delay = ours["delay_minutes"][j]
        table.add_row(
            str(j),
            f"{100 * ours['fdr'][j]:.1f}",
            "-" if delay is None else str(delay),
            f"{100 * peer['fdr'][j]:.1f}",
        )
    usual = len([j for j in ours["fdr"] if j not in HARD])  # 18 on the Braatz set
    scored = len(ours["fdr"])
    means = ((f"mean, {usual} faults", "mean_fdr_18"), (f"mean, {scored} faults", "mean_fdr_21"))
    for label, key in means:
        table.add_row(label, f"{100 * ours[key]:.1f}", "", f"{100 * peer[key]:.1f}")
    for label, key in (("FAR d00_te", "far_d00_te"), ("FAR first 160", "far_first_160")):
        table.add_row(label, f"{100 * ours[key]:.1f}", "", f"{100 * peer[key]:.1f}")
    console.print(table)
    d, s = f["diagnosis"], f["soft_sensor"]
    console.print(
        f"diagnosis accuracy {100 * d['accuracy']:.1f} % "
        f"(random forest on the raw variables {100 * d['peer_random_forest_raw']:.1f} %)"
    )
    rmse = ", ".join(f"{a:.4f}/{b:.4f}" for a, b in zip(s["rmse"], s["peer_pls_rmse"], strict=True))
    console.print(
        f"soft sensor RMSE (ours/PLS) per product quantity: {rmse}; "
        f"90 % interval coverage {100 * s['coverage_90']:.1f} % over {s['test_readings']} readings"
    )
