"""Writing a calibrated plant file: the plant the twin runs as it is, and how it was fitted.

The file has the plant under `plant:` (what `jayul.plant.load_plant` reads) and the
calibration under `calibration:`: every fitted parameter's value, 95 % interval, the number of
events it rests on and its family, the priors (marked), and the back-test when there is one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from jayul.calibrate.fit import Calibration
from jayul.plant.load import PlantFileError, parse_plant


def calibrated_yaml(calibration: Calibration, backtest: dict[str, Any] | None = None) -> str:
    data = calibration.plant.model_dump(mode="json", exclude_defaults=False)
    report = calibration.report()
    if backtest is not None:
        report["backtest"] = backtest
    header = (
        "# Calibrated by `jayul twin calibrate` from the plant's own history.\n"
        "# plant: what the twin runs; calibration: how each number was obtained.\n"
    )
    return header + yaml.safe_dump(
        {"plant": data, "calibration": report}, sort_keys=False, width=100
    )


def write_calibrated(
    path: Path, calibration: Calibration, backtest: dict[str, Any] | None = None
) -> None:
    """Write the calibrated plant file, checking first that it reads back as a plant."""
    text = calibrated_yaml(calibration, backtest)
    try:
        parse_plant(text, str(path))
    except PlantFileError as exc:  # a fit produced something the plant model refuses
        raise ValueError(f"the calibrated plant does not validate: {exc}") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def read_calibration(path: Path) -> dict[str, Any] | None:
    """The `calibration:` section of a plant file, or None for a hand-written one."""
    data = yaml.safe_load(path.read_text())
    if isinstance(data, dict) and isinstance(data.get("calibration"), dict):
        return dict(data["calibration"])
    return None
