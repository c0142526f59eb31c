"""`jayul quality train|score`: the fault classifier, soft sensor and defect classifier on a
user's own CSV tables (see `jayul.health.process.tabular`)."""

from __future__ import annotations

from pathlib import Path

import joblib
import pandas as pd
import typer

from jayul.autopilot.fault_model import DEFAULT_NAME, MIN_ACCURACY, register_fault_model
from jayul.cli.gate_cmds import DbOption, console, plant_db
from jayul.govern.registry import Registry
from jayul.health.process.tabular import KINDS, QualityModel, train_quality
from jayul.records.timebase import utc_now_ns
from jayul.shell.errors import fail

quality_app = typer.Typer(
    help="Process and quality models on your data: fault diagnosis, soft sensor, defects.",
    no_args_is_help=True,
)


def _read(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        fail(f"{path}: cannot read the CSV: {exc}")
    if table.empty:
        fail(f"{path}: no rows")
    return table


@quality_app.command("train")
def quality_train(
    kind: str = typer.Argument(..., help=f"What to learn: {', '.join(KINDS)}."),
    data: Path = typer.Option(..., help="CSV: input columns and the target column(s)."),
    target: list[str] = typer.Option(
        ..., help="The label column (defects, faults) or each analyser column (soft-sensor)."
    ),
    out: Path = typer.Option(..., help="Where to write the model file."),
    delay: int = typer.Option(0, min=0, help="soft-sensor: the analyser's dead time in rows."),
    db: Path = DbOption,
    by: str = typer.Option("jayul quality train", help="Who registers the model."),
    name: str | None = typer.Option(
        None, help="The name to register it under (default quality-<kind>)."
    ),
    min_accuracy: float = typer.Option(
        MIN_ACCURACY,
        min=0.0,
        max=1.0,
        help="faults: the held-out accuracy its card declares; the deployment gate deploys it "
        "only if it reaches it.",
    ),
) -> None:
    """Fit a model on a table, report its held-out figures, save it and register it (with
    the model itself; a fault classifier with its card and scorecard, ready for `jayul models
    promote`)."""
    if kind not in KINDS:
        fail(f"kind {kind!r}: use one of {', '.join(KINDS)}")
    table = _read(data)
    try:
        # `kind` is one of KINDS here; mypy 2 narrows it, mypy 1 does not
        model = train_quality(kind, table, target, delay, where=str(data))  # type: ignore[arg-type, unused-ignore]
    except ValueError as exc:
        fail(str(exc))
    joblib.dump(model, out)
    X = table[model.inputs].to_numpy(dtype=float)
    with plant_db(db, must_exist=False) as (con, audit):
        registry = Registry(con, audit)
        if kind == "faults":
            labels = table[target[0]].to_numpy().astype(int)
            rec = register_fault_model(registry, model, X, labels, where=str(data), by=by,
                                       now=utc_now_ns(), name=name or DEFAULT_NAME,
                                       min_accuracy=min_accuracy)  # fmt: skip
        else:
            rec = registry.register(name or f"quality-{kind}", model.model, X, model.metrics,
                                    by, utc_now_ns(), artifact=out.read_bytes())  # fmt: skip
    figures = ", ".join(f"{k} {v:.4g}" for k, v in model.metrics.items())
    console.print(f"{kind}: {len(table)} rows, {len(model.inputs)} inputs; {figures}")
    console.print(f"saved {out}; registered {rec.name} version {rec.version} in {db}")
    if rec.scorecard is not None:
        console.print(
            f"risk {rec.scorecard.overall.value}; deploy it through the gate: jayul models "
            f"promote {rec.name} {rec.version} --by NAME --db {db}"
        )


@quality_app.command("score")
def quality_score(
    model: Path = typer.Option(..., help="A model file from `jayul quality train`."),
    data: Path = typer.Option(..., help="CSV with the model's input columns."),
    out: Path = typer.Option(..., help="Where to write one scored row per input row (CSV)."),
) -> None:
    """Score a table: the defect and why, the fault, or the analyser's values with intervals."""
    try:
        loaded = joblib.load(model)  # a file this command wrote: trusted like any model file
    except (OSError, EOFError, ValueError) as exc:
        fail(f"{model}: cannot read the model file: {exc}")
    if not isinstance(loaded, QualityModel):
        fail(f"{model}: not a model file from jayul quality train")
    try:
        scored = loaded.score(_read(data), str(data))
    except ValueError as exc:
        fail(str(exc))
    scored.to_csv(out, index=False)
    console.print(f"{len(scored)} rows scored by the {loaded.kind} model into {out}")
