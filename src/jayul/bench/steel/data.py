"""Reading the steel plates faults file (27 features, 7 one-hot defect columns)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

LABELS = (
    "Pastry_Fault",
    "Z_Scratch_Fault",
    "K_Scatch_Fault",
    "Stains_Fault",
    "Dirtiness_Fault",
    "Bumps_Fault",
    "Other_Faults",
)


class SteelDataError(Exception):
    """A file that is not the steel plates table; the message says what is wrong."""


@dataclass(frozen=True)
class SteelData:
    X: NDArray[np.float64]
    y: NDArray[np.str_]
    features: list[str]


def load_steel(path: Path) -> SteelData:
    if path.is_dir():
        path = path / "SteelPlatesFaults_Clean.csv"
    if not path.is_file():
        raise SteelDataError(f"{path}: missing")
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise SteelDataError(f"{path}: not a CSV table ({exc})") from exc
    missing = [c for c in LABELS if c not in df.columns]
    if missing:
        raise SteelDataError(f"{path}: label columns missing: {', '.join(missing)}")
    onehot = df[list(LABELS)].to_numpy()
    bad = np.flatnonzero(onehot.sum(axis=1) != 1)
    if len(bad):
        raise SteelDataError(f"{path}: row {bad[0] + 2} does not have exactly one label set")
    features = [c for c in df.columns if c not in LABELS]
    X = df[features].to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(X)):
        raise SteelDataError(f"{path}: features contain missing or infinite values")
    y = np.asarray(LABELS, dtype=str)[onehot.argmax(axis=1)]
    return SteelData(X, y, features)
