"""`jayul bench skab`: the SKAB anomaly benchmark, with River and PyOD peers side by side."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from jayul.bench.skab.data import SkabDataError
from jayul.bench.skab.harness import product_default_config, run_skab, skab_default_config
from jayul.bench.skab.holdout import run_holdout
from jayul.bench.skab.holdout_table import print_holdout
from jayul.bench.skab.product_report import print_product_rule, run_product_rule
from jayul.bench.skab.validation import AlarmConfig, candidate_configs
from jayul.shell.report import write_report


def bench_skab(
    data: Annotated[
        Path | None, typer.Option(help="A SKAB-shaped folder (sub-folders of CSV files).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Where to write <sub-folder>/<file>.csv predictions.")
    ] = None,
    report: Annotated[Path | None, typer.Option(help="Write the figures as JSON here.")] = None,
    detector: Annotated[
        str | None,
        typer.Option(help="A candidate's name (see --list); default: chosen by validation."),
    ] = None,
    peers: Annotated[bool, typer.Option(help="Also score River and PyOD peers.")] = True,
    list_candidates: Annotated[
        bool, typer.Option("--list", help="List the candidate recipes and exit.")
    ] = False,
    jobs: Annotated[
        int,
        typer.Option(
            min=0,
            help="Processes for the validation rule (0: one per core). The choice is the "
            "same for any value; only the wall time changes.",
        ),
    ] = 0,
    holdout: Annotated[
        bool,
        typer.Option(
            "--holdout",
            help="Instead of the benchmark: the hold-out report (the product default and the "
            "SKAB default on every folder, the rule leaving one folder out; FAR spread).",
        ),
    ] = False,
    tep: Annotated[
        Path | None,
        typer.Option(help="With --holdout: a Tennessee Eastman folder (d00.dat, dNN_te.dat)."),
    ] = None,
    holdout_rule: Annotated[
        bool,
        typer.Option(help="With --holdout: also run the rule once per folder left out (slow)."),
    ] = True,
    product_rule: Annotated[
        bool,
        typer.Option(
            "--product-rule",
            help="With --holdout: instead, the health monitor's candidate detectors on every "
            "group and on the demo twin, and the rule that chooses its default, each group "
            "left out in turn.",
        ),
    ] = False,
    twin_days: Annotated[
        float, typer.Option(min=1.0, help="With --product-rule: days of each twin run.")
    ] = 90.0,
    twin_seeds: Annotated[
        int, typer.Option(min=1, help="With --product-rule: twin runs (seeds 1000 and up).")
    ] = 2,
) -> None:
    """Fit on each file's first 400 rows, label every later row causally, score F1/FAR/MAR/NAB."""
    # a report is often piped to a file or a CI log: keep the table readable there too
    console = Console() if Console().is_terminal else Console(width=120)
    candidates = {c.name: c for c in candidate_configs()}
    if list_candidates:
        for name in candidates:
            console.print(name)
        return
    # Optional only so that --list needs neither; every run needs both.
    if data is None:
        raise typer.BadParameter("a SKAB-shaped folder is required", param_hint="--data")
    if holdout and product_rule:
        _run_and_report(
            console,
            "product rule",
            lambda progress: run_product_rule(data, tep, twin_days, twin_seeds, progress=progress),
            print_product_rule,
            report,
        )
        return
    if holdout:
        fixed = {"product default": product_default_config(), "SKAB default": skab_default_config()}
        _run_and_report(
            console,
            "hold-out",
            lambda progress: run_holdout(
                data,
                fixed,
                tep,
                with_rule=holdout_rule,
                jobs=jobs or os.cpu_count() or 1,
                progress=progress,
            ),
            print_holdout,
            report,
        )
        return
    if out is None:
        raise typer.BadParameter("a folder for the predictions is required", param_hint="--out")
    config: AlarmConfig | None = None
    if detector is not None:
        if detector not in candidates:
            raise typer.BadParameter(f"unknown candidate {detector!r}; see --list")
        config = candidates[detector]
    _run_and_report(
        console,
        "SKAB",
        lambda progress: run_skab(
            data, out, config, with_peers=peers, progress=progress, jobs=jobs or os.cpu_count() or 1
        ),
        _print,
        report,
    )


def _run_and_report(
    console: Console,
    label: str,
    run: Callable[[Callable[[str], None]], dict[str, Any]],
    show: Callable[[Console, dict[str, Any]], None],
    report: Path | None,
) -> None:
    """`run(progress)` under a spinner that shows `label` and what `run` reports, then its
    figures shown and written to `report`; a data error ends the command with its message
    (exit code 2)."""
    try:
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task(label, total=None)
            figures = run(lambda msg: bar.update(task, description=f"{label}: {msg}"))
    except SkabDataError as e:
        console.print(f"[red]error:[/red] {e}", soft_wrap=True)
        raise typer.Exit(2) from e
    show(console, figures)
    write_report(report, figures)


def _print(console: Console, figures: dict[str, Any]) -> None:
    console.print(f"{figures['files']} files, {figures['test_rows']} test rows")
    console.print(f"default: {figures['default']}")
    console.print(f"changepoints: {figures['changepoints']}")
    table = Table(title="SKAB (point-wise outliers, NAB on changepoints)")
    for column in (
        "detector",
        "F1",
        "FAR %",
        "MAR %",
        "NAB std",
        "NAB lowFP",
        "NAB lowFN",
        "rows/s",
    ):
        table.add_column(column, justify="right")
    for name, r in figures["results"].items():
        rate = r["rows_per_second"]
        table.add_row(
            name,
            f"{r['f1']:.3f}",
            f"{r['far_percent']:.1f}",
            f"{r['mar_percent']:.1f}",
            f"{r['nab']['standard']:.1f}",
            f"{r['nab']['low_fp']:.1f}",
            f"{r['nab']['low_fn']:.1f}",
            f"{rate:,.0f}" if rate else "-",
        )
    console.print(table)
    only = figures["jayul_nab_alarm_switches_only"]
    console.print(
        "jayul NAB from its alarm's switches alone (standard / low-FP / low-FN): "
        f"{only['standard']:.1f} / {only['low_fp']:.1f} / {only['low_fn']:.1f}"
    )
    console.print(
        "default detector throughput (8 signals, one batch, shared machine): "
        f"{figures['throughput_rows_per_second_8_signals']:,.0f} rows/s"
    )
