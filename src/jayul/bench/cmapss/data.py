"""Reading the NASA C-MAPSS text files and normalising operating conditions.

The files are the original ones: `train_FDxxx.txt`, `test_FDxxx.txt` (space-separated rows of
unit, cycle, 3 operational settings, 21 sensors) and `RUL_FDxxx.txt` (one true RUL per test
unit). The model itself knows nothing of these columns: the bench hands it sensor histories.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

SETTINGS = [f"setting{i}" for i in range(1, 4)]
SENSORS = [f"s{i}" for i in range(1, 22)]
COLUMNS = ["unit", "cycle", *SETTINGS, *SENSORS]
SUBSETS = ("FD001", "FD002", "FD003", "FD004")


class CmapssDataError(ValueError):
    """A C-MAPSS file is missing or malformed; the message names the file and the problem."""


def check_subset(name: str) -> str:
    """Normalise a subset name ('fd001', '1', 'FD001') to 'FD001', or raise."""
    text = name.strip().upper()
    if text.isdigit():
        text = f"FD{int(text):03d}"
    if text not in SUBSETS:
        raise CmapssDataError(f"unknown C-MAPSS subset {name!r}; expected one of {SUBSETS}")
    return text


def read_runs(path: Path) -> pd.DataFrame:
    """Read a `train_`/`test_` file: one row per unit and cycle, 26 named columns."""
    if not path.is_file():
        raise CmapssDataError(f"{path}: file not found")
    try:
        frame = pd.read_csv(path, sep=r"\s+", header=None, dtype=np.float64)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise CmapssDataError(f"{path}: not a C-MAPSS run file ({error})") from error
    if frame.shape[1] != len(COLUMNS):
        raise CmapssDataError(
            f"{path}: expected {len(COLUMNS)} columns (unit, cycle, 3 settings, 21 sensors), "
            f"found {frame.shape[1]}"
        )
    frame.columns = COLUMNS
    if frame.isna().any().any():
        raise CmapssDataError(f"{path}: missing values")
    frame["unit"] = frame["unit"].astype(np.int64)
    frame["cycle"] = frame["cycle"].astype(np.int64)
    return frame.sort_values(["unit", "cycle"], kind="stable").reset_index(drop=True)


def read_ruls(path: Path, n_units: int) -> npt.NDArray[np.float64]:
    """Read a `RUL_` file: one true remaining life per test unit, in unit order."""
    if not path.is_file():
        raise CmapssDataError(f"{path}: file not found")
    try:
        values = pd.read_csv(path, sep=r"\s+", header=None, dtype=np.float64).iloc[:, 0]
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise CmapssDataError(f"{path}: not a C-MAPSS RUL file ({error})") from error
    if len(values) != n_units:
        raise CmapssDataError(f"{path}: {len(values)} RUL values for {n_units} test units")
    return values.to_numpy()


@dataclass(frozen=True)
class CmapssSplit:
    """A training run file and a test run file with the test units' true RULs."""

    train: pd.DataFrame
    test: pd.DataFrame
    test_rul: npt.NDArray[np.float64]


def load_cmapss(data_dir: Path, train: str = "FD001", test: str = "FD001") -> CmapssSplit:
    """Load `train_<train>.txt`, `test_<test>.txt` and `RUL_<test>.txt` from `data_dir`."""
    train_name, test_name = check_subset(train), check_subset(test)
    if not data_dir.is_dir():
        raise CmapssDataError(f"{data_dir}: data directory not found")
    train_runs = read_runs(data_dir / f"train_{train_name}.txt")
    test_runs = read_runs(data_dir / f"test_{test_name}.txt")
    ruls = read_ruls(data_dir / f"RUL_{test_name}.txt", test_runs["unit"].nunique())
    return CmapssSplit(train_runs, test_runs, ruls)


class ConditionNormaliser:
    """Z-scores each sensor within its operating condition (training statistics).

    Conditions are the rounded operational settings (FD002/FD004 fly six distinct regimes,
    FD001/FD003 one, up to sensor noise). A condition never seen in training falls back to
    the statistics over all training rows.
    """

    def fit(self, runs: pd.DataFrame) -> ConditionNormaliser:
        """Learn per-condition sensor means and spreads from training runs."""
        keys = self._conditions(runs)
        grouped = runs[SENSORS].groupby(keys)
        self.means_ = grouped.mean()
        self.stds_ = grouped.std(ddof=0)
        self.global_mean_ = runs[SENSORS].mean()
        self.global_std_ = runs[SENSORS].std(ddof=0)
        return self

    @staticmethod
    def _conditions(runs: pd.DataFrame) -> pd.Series:
        return (
            runs["setting1"].round(0).astype(str)
            + "|"
            + runs["setting2"].round(2).astype(str)
            + "|"
            + runs["setting3"].round(0).astype(str)
        )

    def transform(self, runs: pd.DataFrame) -> pd.DataFrame:
        """Unit, cycle and the normalised sensors (constant ones come out as 0)."""
        keys = self._conditions(runs)
        means = self.means_.reindex(keys.to_numpy())
        stds = self.stds_.reindex(keys.to_numpy())
        means = means.fillna(self.global_mean_)
        stds = stds.fillna(self.global_std_)
        values = runs[SENSORS].to_numpy() - means.to_numpy()
        spread = stds.to_numpy()
        normalised = np.where(spread > 1e-9, values / np.where(spread > 1e-9, spread, 1.0), 0.0)
        out = pd.DataFrame(normalised, columns=SENSORS, index=runs.index)
        out.insert(0, "cycle", runs["cycle"].to_numpy())
        out.insert(0, "unit", runs["unit"].to_numpy())
        return out
