"""`jayul twin ...` and `jayul run` on the main command: the twin as an OPC UA server
(jayul.cli.twin_serve), its calibration, and the autopilot over connected equipment
(jayul.cli.run_cmd)."""

from __future__ import annotations

import typer


def register_connect(app: typer.Typer) -> None:
    """Add `jayul twin serve` and `jayul run` to the main command."""
    from jayul.cli.run_cmd import run
    from jayul.cli.twin_calibrate import twin_calibrate
    from jayul.cli.twin_recalibrate import twin_recalibrate
    from jayul.cli.twin_serve import twin_app

    twin_app.command("calibrate")(twin_calibrate)
    twin_app.command("recalibrate")(twin_recalibrate)
    app.add_typer(twin_app, name="twin")
    app.command("run")(run)
