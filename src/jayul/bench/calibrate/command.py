"""`jayul bench calibrate`: calibrate a twin from a simulated year of a truth plant."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress

from jayul.plant import PlantFileError, demo_plant_path, load_plant
from jayul.shell.errors import fail
from jayul.shell.report import write_report

console = Console()


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f} %"


def bench_calibrate(
    truth: Path | None = typer.Option(None, "--truth", help="Truth plant file (default: demo)."),
    days: float = typer.Option(365.0, min=1.0, help="Days of history to simulate."),
    seed: int = typer.Option(0, help="Seed of the truth's history."),
    kpi_seeds: int = typer.Option(
        12,
        min=1,
        help="Fresh seeds of the KPI back-test (each a year of truth and calibrated twin; "
        "fewer leave a noise of the order of the 10 % target on a plant with tens of failures).",
    ),
    report: Path | None = typer.Option(None, help="Write the figures as JSON to this file."),
    decision_days: float = typer.Option(
        0.0,
        min=0.0,
        help="Also run the decision test over this many days: the predictive policy at L3 "
        "verified on the calibrated twin against verified on the truth twin (0: skip).",
    ),
    jobs: int = typer.Option(
        1, "--jobs", min=1, help="Decision test: 2 runs its two arms at once, one process each."
    ),
) -> None:
    """Simulate the truth plant, calibrate from its signals and events alone, compare."""
    from jayul.bench.calibrate.harness import bench_calibrate as run

    try:
        plant = load_plant(truth or demo_plant_path())
    except PlantFileError as exc:
        fail(str(exc))
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("simulating the truth", total=3 + 3 * (decision_days > 0))
        figures = run(
            plant,
            days,
            seed,
            kpi_seeds,
            progress=lambda m: bar.update(task, advance=1, description=m),
            decision_days=decision_days,
            jobs=jobs,
        )
    rec = figures["recovery"]
    console.print(
        f"{plant.name}: {figures['samples']:,} samples, {figures['truth_failures']} failures; "
        f"calibration {figures['calibrate_cpu_s']:.1f} s CPU",
        highlight=False,
    )
    console.print(
        f"median relative error: MTTF {_pct(rec['mttf']['median_rel_error'])}, repair "
        f"{_pct(rec['repair_h']['median_rel_error'])}, processing "
        f"{_pct(rec['processing_h']['median_rel_error'])}",
        highlight=False,
    )
    for key, v in figures["kpis"].items():
        console.print(
            f"{key}: truth {v['truth']:.4g}, calibrated {v['calibrated']:.4g} "
            f"({_pct(v['rel_error'])}, standard error {_pct(v['rel_error_se'])})",
            highlight=False,
        )
    if figures["decision"] is not None:
        d = figures["decision"]
        for arm in ("verified_on_truth", "verified_on_calibrated"):
            a = d[arm]
            console.print(
                f"{arm}: total cost {a['total_cost']:,.0f}, {a['failures']} failures, "
                f"{_pct(a['failures_prevented'])} prevented, {a['actions_executed']} actions",
                highlight=False,
            )
        console.print(
            f"decision test ({d['days']:g} days): cost {_pct(d['cost_rel_diff'])} off the truth "
            f"twin's, failures prevented {d['prevented_diff_points']:+.1f} points",
            highlight=False,
        )
    write_report(report, figures)


def bench_calibrate_cmapss(
    data: Path = typer.Option(Path("../shared/data/cmapss"), help="C-MAPSS directory."),
    seed: int = typer.Option(0, help="Seed of the simulated lives."),
    report: Path | None = typer.Option(None, help="Write the figures as JSON to this file."),
) -> None:
    """FD001 split by engine id: the degradation process fitted on one half against the
    other half's lives and health index, with a Weibull lifetime fit as the peer."""
    from jayul.bench.calibrate.cmapss import bench_calibrate_cmapss as run
    from jayul.bench.cmapss.data import CmapssDataError

    try:
        figures = run(data, seed)
    except (CmapssDataError, ValueError) as exc:
        fail(str(exc))
    for name in ("process", "weibull_peer"):
        f = figures[name]
        console.print(
            f"{name}: KS p {f['ks_p']:.3f}, median life {f['median_life']:.0f} "
            f"(held out {figures['held_out_median_life']:.0f}, {_pct(f['median_rel_error'])})",
            highlight=False,
        )
    for design, models in figures["trajectories"].items():
        for name, t in models.items():
            per = ", ".join(
                f"{c} p {v['ks_p']:.3f} cov {v['coverage_5_95']:.2f}"
                for c, v in t["checkpoints"].items()
            )
            verdict = "pass" if t["passes"] else "fail"
            console.print(f"{design}, {name} health index: {verdict}: {per}", highlight=False)
    write_report(report, figures)
