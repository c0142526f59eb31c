"""How far the twin a verdict was reached on can be trusted: its calibration's back-test.

A hand-written twin carries no back-test (`TwinTrust` is None: verdicts as before). A
calibrated twin carries the verdict and confidence of its back-test (`jayul twin calibrate`);
a twin that failed it is treated like no twin at all: its verdicts are reported but not
trusted, so the gate sees no verdict and asks a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class TwinTrust:
    passed: bool
    confidence: float  # share of the back-test's checks that passed
    source: str = ""

    @classmethod
    def from_backtest(cls, backtest: dict[str, Any], source: str = "") -> TwinTrust:
        return cls(
            passed=backtest.get("verdict") == "passes",
            confidence=float(backtest.get("confidence", 0.0)),
            source=source,
        )


def twin_trust(plant_file: Path) -> TwinTrust | None:
    """The back-test a calibrated plant file carries, or None (hand-written, or not tested)."""
    data = yaml.safe_load(plant_file.read_text())
    cal = data.get("calibration") if isinstance(data, dict) else None
    backtest = cal.get("backtest") if isinstance(cal, dict) else None
    if not isinstance(backtest, dict):
        return None
    return TwinTrust.from_backtest(backtest, str(plant_file))
