"""The calibrated twin of a real plant, as `jayul run` verifies decisions on it.

A calibrated plant file (`jayul twin calibrate --out`) is loaded once; its version is the
SHA-256 of the file's bytes (the first 12 hex digits name it in the audit trail and the model
registry). `at(run_hours, condition)` builds a twin that stands where the real plant stands now:

- where the live condition gives a failure mode's remaining-life estimate (the autopilot's RUL
  monitor), its health index is the one from which the calibrated process has that median
  remaining life (`calibrate.live_state`): a machine worn faster than the mean is seen worn;
- otherwise the health index is the calibrated process's mean wear after the run hours the
  plant's counter shows since the mode was last restored (wear per hour times hours, below 1:
  a machine that runs is not failed);
- where the plant shows neither (no counter bound, or no restoration seen yet), the mode is
  taken as half a mean life worn, the average age of a mode under renewal, and the twin says
  so in `assumed`;
- the rest (orders, crews, setpoints) starts from the calibrated plant file.

The verifier then forks this twin per sampled future, each future on a plant drawn from the
calibration's parameter uncertainty (`calibrate.uncertainty`), and its verdict carries the
back-test's confidence (`verify.trust`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jayul.calibrate.live_state import MAX_HEALTH, LiveCondition, health_from_rul
from jayul.calibrate.plantfile import read_calibration
from jayul.calibrate.uncertainty import sample_plants
from jayul.plant import PlantFileError, load_plant
from jayul.plant.model import Plant
from jayul.twin import Twin
from jayul.twin.degradation import mean_life_h
from jayul.verify.trust import TwinTrust, twin_trust

log = logging.getLogger(__name__)
UNKNOWN_AGE = 0.5  # share of a mean life taken as worn where the plant shows no run hours


@dataclass
class PlantTwin:
    """A calibrated plant file, ready to stand in for the real plant (module docstring)."""

    path: Path
    plant: Plant
    sha256: str
    calibration: dict[str, Any] | None
    trust: TwinTrust | None
    assumed: set[str] = field(default_factory=set)  # "machine/mode" taken at half a life

    @property
    def version(self) -> str:
        """The twin's version in the audit trail: `sha256:` and 12 hex digits of the file."""
        return f"sha256:{self.sha256[:12]}"

    @classmethod
    def load(cls, path: Path, structure: Plant | None = None) -> PlantTwin:
        """Read a calibrated plant file; with `structure` (the plant `jayul run` binds),
        refuse a twin of another plant. Errors (`ValueError`) name the file and the problem."""
        try:
            raw = path.read_bytes()
            plant = load_plant(path)
        except (OSError, PlantFileError) as exc:
            raise ValueError(f"{path}: cannot load the twin: {exc}") from None
        gaps = plant.simulation_gaps()
        if gaps:
            raise ValueError(
                f"{path}: the twin cannot simulate this plant file: {gaps[0]} (a calibrated file "
                "from `jayul twin calibrate` has every simulation parameter)"
            )
        if structure is not None:
            mine = {m.id: m.type for m in structure.machines}
            theirs = {m.id: m.type for m in plant.machines}
            if mine != theirs:
                raise ValueError(
                    f"{path}: its machines {sorted(theirs)} are not the plant's {sorted(mine)}"
                    " (with the same types): a twin of another plant"
                )
        return cls(
            path, plant, hashlib.sha256(raw).hexdigest(), read_calibration(path), twin_trust(path)
        )

    def draws(self, n: int, seed: int = 0) -> list[Plant]:
        """`n` plants from the calibration's parameter uncertainty ([] for a hand-written
        file, whose numbers carry no interval)."""
        params = (self.calibration or {}).get("parameters")
        if not isinstance(params, dict) or n <= 0:
            return []
        return sample_plants(self.plant, params, n, seed)

    def at(
        self,
        run_hours: Mapping[str, Mapping[str, float]],
        condition: LiveCondition | None = None,
        seed: int = 0,
    ) -> Twin:
        """A twin standing where the real plant stands: `run_hours[machine][mode]` running
        hours since each mode was restored, `condition[machine][mode]` its live RUL where
        one is known (module docstring)."""
        twin = Twin(self.plant, seed, signals=False, record_events=False)
        for mid, m in twin.machines.items():
            modes = self.plant.machine_type(mid).failure_modes
            for mode in modes:
                life = mean_life_h(mode)
                shown = run_hours.get(mid, {}).get(mode.id)
                rul = (condition or {}).get(mid, {}).get(mode.id)
                hours = shown
                if hours is None and rul is not None:
                    hours = rul.age_h  # the RUL monitor's own count of the life's hours
                if hours is None:
                    if f"{mid}/{mode.id}" not in self.assumed:
                        log.warning(
                            "%s/%s: no run hours shown; the twin takes it as half a mean life "
                            "worn (%.0f h)", mid, mode.id, UNKNOWN_AGE * life,
                        )  # fmt: skip
                    self.assumed.add(f"{mid}/{mode.id}")
                    hours = UNKNOWN_AGE * life
                health = min(hours / life, MAX_HEALTH)
                if rul is not None:
                    health = health_from_rul(mode, rul, shown, health)
                m.health[mode.id] = health
                m.run_hours_since[mode.id] = hours
        return twin

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """What the model registry records of this twin (scikit-learn's convention)."""
        backtest = (self.calibration or {}).get("backtest")
        return {
            "file": str(self.path),
            "sha256": self.sha256,
            "window_ns": (self.calibration or {}).get("window_ns"),
            "backtest_verdict": backtest.get("verdict") if isinstance(backtest, dict) else None,
        }
