"""`jayul bench cmapss`: remaining-useful-life benchmark on NASA C-MAPSS."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from jayul.shell.report import write_report

_FIGURES = (
    ("rmse", "RMSE (median)", "{:.2f}"),
    ("phm08_score", "PHM08 score (median)", "{:.1f}"),
    ("coverage_80", "80 % interval coverage", "{:.3f}"),
    ("mean_interval_width_80", "80 % interval width", "{:.1f}"),
    ("train_seconds", "training time (s)", "{:.1f}"),
    ("predict_seconds", "prediction time (s)", "{:.3f}"),
)


def bench_cmapss(
    data: Path = typer.Option(..., "--data", help="Folder with train_/test_/RUL_FDxxx.txt."),
    train: str = typer.Option("FD001", "--train", help="Training subset (FD001..FD004)."),
    test: str = typer.Option("FD001", "--test", help="Test subset (FD001..FD004)."),
    out: Path = typer.Option(..., "--out", help="CSV: unit,rul_p10,rul_p50,rul_p90."),
    seeds: int = typer.Option(5, "--seeds", min=1, help="Independent fits (seeds 0..N-1)."),
    report: Path | None = typer.Option(None, "--report", help="Write the figures as JSON."),
    jobs: int = typer.Option(
        0,
        "--jobs",
        min=0,
        help="Folds fitted at once, each a Ray task when Ray is installed, else its own "
        "process (0: one per core). The model "
        "is the same for any value; only the wall time changes.",
    ),
    model: str = typer.Option(
        "blended-20fold-nobase-trend",  # jayul.bench.cmapss.harness.DEFAULT_MODEL (a test checks)
        "--model",
        help="blended-20fold-nobase-trend (default: LightGBM with two losses, extra trees and "
        "a LightGBM on features without the baseline change, all also reading the health "
        "index's trend extrapolated to failure, blend weights chosen by 20-fold "
        "cross-validation on the capped label, cap 125 as the protocol says), "
        "blended-20fold-nobase (the previous default, without the trend), "
        "blended-20fold-nobase-mlp (that one plus a small neural network), "
        "blended-10fold-nobase (the default before it, 10 folds; each of the following "
        "variants changes it in one way), "
        "blended-capped (the default before that: 5 folds, without the fourth member), "
        "blended-10fold, blended-nobase (one change each from blended-capped), "
        "blended-10fold-nobase-conv (plus a small 1-D CNN on the raw history; needs the "
        "torch extra), blended-10fold-nobase-linear / -isotonic (a corrected point "
        "prediction), blended-10fold-nobase-lintree / -lintree15 (plus a LightGBM with "
        "linear leaves), blended-10fold-nobase-stride1 (trained on every row), "
        "blended-testlike (the blend chosen and calibrated on training engines cut like the "
        "test engines, label cap 140) "
        "or boosted (LightGBM alone).",
    ),
) -> None:
    """Train on a C-MAPSS training file, predict each test engine's RUL at its last cycle.

    Prints RMSE and PHM08 score of the median, 80 % interval coverage and training time as
    mean ± standard deviation over the seeds; PRED.csv holds the seed-averaged quantiles.
    """
    from jayul.bench.cmapss.data import CmapssDataError
    from jayul.bench.cmapss.harness import MODELS, SeedRun, run_cmapss

    if model not in MODELS:
        Console().print(f"[red]error:[/red] unknown --model {model!r}; known: {', '.join(MODELS)}")
        raise typer.Exit(2)

    console = Console()
    fold_jobs = jobs or os.cpu_count() or 1
    with Progress(
        TextColumn("[bold]C-MAPSS {task.fields[pair]}"),
        BarColumn(),
        TextColumn("seed {task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("seeds", total=seeds, pair=f"{train} -> {test}")

        def done(run: SeedRun) -> None:
            progress.advance(task)
            f = run.figures
            progress.console.print(
                f"seed {run.seed}: RMSE {f['rmse']:.2f}  score {f['phm08_score']:.1f}  "
                f"coverage {f['coverage_80']:.2f}  train {f['train_seconds']:.1f} s"
            )

        try:
            table, figures = run_cmapss(
                data, train, test, seeds, on_seed_done=done, model_name=model, jobs=fold_jobs
            )
        except CmapssDataError as error:
            console.print(f"[red]error:[/red] {error}")
            raise typer.Exit(2) from error

    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False, float_format="%.3f")
    summary = figures["summary"]
    result = Table(title=f"C-MAPSS train {train} -> test {test}, {seeds} seed(s), {model}")
    result.add_column("figure")
    result.add_column("mean", justify="right")
    result.add_column("std", justify="right")
    for key, label, fmt in _FIGURES:
        result.add_row(label, fmt.format(summary[key]["mean"]), fmt.format(summary[key]["std"]))
    console.print(result)
    averaged = figures["seed_averaged_predictions"]
    console.print(
        f"written predictions (seed-averaged): RMSE {averaged['rmse']:.2f}, "
        f"score {averaged['phm08_score']:.1f}, coverage {averaged['coverage_80']:.2f} -> {out}"
    )
    write_report(report, figures)
