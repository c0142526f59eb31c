"""Plants drawn from a calibration's parameter uncertainty, for the verifier's futures.

Each fitted wear rate and shape is drawn from a log-normal matching its 95 % interval; a
prior (too few events to fit) is drawn with a wide spread (a factor of about 2.7 either way at
95 %), so a thin maintenance history yields wide outcomes, and more escalations to a person.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from jayul.plant.model import Plant

PRIOR_LOG_SD = 0.5


def _log_sd(entry: dict[str, Any]) -> float:
    if entry.get("prior"):
        return PRIOR_LOG_SD
    low, high = entry.get("ci95", [None, None])
    if not low or not high or low <= 0 or high <= 0 or not np.isfinite(high):
        return PRIOR_LOG_SD
    return float(np.log(high / low) / (2 * 1.96))


def sample_plants(
    plant: Plant, parameters: dict[str, dict[str, Any]], n: int, seed: int = 0
) -> list[Plant]:
    """`n` plants whose wear rates and shapes are drawn from `parameters` (the
    `calibration.parameters` section of a calibrated plant file)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        data = plant.model_dump(mode="json")
        for type_name, mt in data["machine_types"].items():
            for fm in mt["failure_modes"]:
                for attr in ("wear_per_h", "shape_per_h"):
                    entry = parameters.get(f"{type_name}/{fm['id']}.{attr}")
                    sd = _log_sd(entry) if entry else PRIOR_LOG_SD
                    fm[attr] = float(fm[attr] * np.exp(sd * rng.standard_normal()))
        out.append(Plant.model_validate(data))
    return out
