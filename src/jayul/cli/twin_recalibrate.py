"""`jayul twin recalibrate`: recalibrate the twin of a plant when its policy says so.

The current calibrated file is judged against the historian by the recalibration policy
(`jayul.calibrate.recalibration`): due on its schedule (days since the end of the window it
was calibrated on), or when its failure prediction on the last `--window-days` of history
drifts past `--max-error`. When due (or with `--force`), `jayul twin calibrate` runs again over
the whole history up to its last event, with its back-test, and the new file replaces the old
one; both versions are in the plant database's model registry as `twin:<plant>` (the old one
registered first if it was not yet), and the audit trail says why the twin was recalibrated
and which version follows which. When not due nothing is written. `jayul run --twin` picks the
new file up at its next start (it registers by the file's SHA-256, so nothing twice).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from jayul.cli.db_lock import held_message, lock_holder
from jayul.cli.run_twin import register_twin, twin_name
from jayul.cli.twin_calibrate import calibrate_and_write, open_history
from jayul.shell.errors import fail

console = Console()
NS_PER_DAY = 24 * 3600 * 10**9
BY = "jayul twin recalibrate"
# `jayul run` holds its historian and plant database while it runs (DuckDB: one process a file)
AFTER_RUN = (
    "recalibrate, then start `jayul run` again: it picks up the new twin file at its start "
    "(`jayul run` itself says when a recalibration is due)."
)


def twin_recalibrate(
    plant_file: Path = typer.Option(..., "--plant", help="The plant file (its structure)."),
    db: str = typer.Option(..., "--db", help="Historian: a DuckDB file or postgresql:// URL."),
    twin: Path = typer.Option(..., "--twin", help="The calibrated twin file to recalibrate."),
    gate_db: Path = typer.Option(
        ..., "--gate-db", help="The plant database whose model registry keeps every version."
    ),
    every_days: float = typer.Option(30.0, min=0.01, help="Due this many days after the last."),
    max_error: float = typer.Option(
        0.5, min=0.0, help="Due when the failure prediction on recent history is off by more."
    ),
    window_days: float = typer.Option(90.0, min=1.0, help="Recent history the check reads."),
    force: bool = typer.Option(False, "--force", help="Recalibrate whatever the policy says."),
    holdout: float = typer.Option(
        0.25, min=0.0, max=0.9, help="Latest share of the history held out for the back-test."
    ),
    runs: int = typer.Option(10, min=2, help="Simulated futures of the held-out part."),
) -> None:
    """Recalibrate the twin when it is due (schedule or drift), register the new version."""
    from jayul.calibrate.plant_twin import PlantTwin
    from jayul.calibrate.recalibration import RecalibrationPolicy, prediction_check
    from jayul.cli.gate_cmds import plant_db
    from jayul.govern.registry import Registry
    from jayul.plant import PlantFileError, load_plant
    from jayul.records.timebase import to_ns

    try:
        plant = load_plant(plant_file)
        current = PlantTwin.load(twin, structure=plant)
    except PlantFileError as exc:
        fail(str(exc))
    except ValueError as exc:
        fail(str(exc))
    policy = RecalibrationPolicy(every_days, max_error, window_days)
    historian = open_history(db, AFTER_RUN)
    try:
        events = historian.query_events(to_ns(plant.start), None)
        if not events:
            fail(f"{db}: no events in the historian: nothing to judge the twin on")
        now_ns = events[-1].time + 1  # the history's own clock, not the wall's
        window = (current.calibration or {}).get("window_ns")
        calibrated_ns = int(window[1]) if isinstance(window, list) and len(window) == 2 else 0
        since = max(now_ns - int(window_days * NS_PER_DAY), to_ns(plant.start))
        check = prediction_check(current.plant, historian, since, now_ns)
        due = policy.due(now_ns, calibrated_ns, check)
        console.print(f"{twin.name} ({current.version}): {due.reason}", highlight=False)
        if not (due.due or force):
            return
        _check_not_held(gate_db)
        with plant_db(gate_db, must_exist=False) as (con, audit):
            registry = Registry(con, audit)
            before = register_twin(registry, plant, current, policy, BY, now_ns)
            calibrate_and_write(plant, historian, db, None, now_ns, holdout, runs, twin)
            try:
                fresh = PlantTwin.load(twin, structure=plant)
            except ValueError as exc:
                fail(str(exc))
            after = register_twin(registry, plant, fresh, policy, BY, now_ns)
            reason = due.reason if due.due else f"forced ({due.reason})"
            audit.append(
                now_ns,
                "recalibration-policy",
                "twin_recalibrated",
                twin_name(plant),
                reason,
                {
                    "from": f"{twin_name(plant)}@{before.version} {current.version}",
                    "to": f"{twin_name(plant)}@{after.version} {fresh.version}",
                    **(check.as_dict() if check else {}),
                },
            )
    finally:
        historian.close()
    console.print(
        f"recalibrated: {twin_name(plant)}@{before.version} -> @{after.version} "
        f"({fresh.version}), written to {twin}",
        highlight=False,
    )


def _check_not_held(gate_db: Path) -> None:
    """Fail before any work when another process (a running `jayul run`) holds the plant
    database that the new version is registered in."""
    import duckdb

    if not gate_db.exists():
        return
    try:
        duckdb.connect(str(gate_db), read_only=True).close()
    except duckdb.Error as exc:
        pid = lock_holder(str(exc))
        if pid is not None:
            fail(held_message(f"{gate_db}: the plant database", pid, AFTER_RUN))
