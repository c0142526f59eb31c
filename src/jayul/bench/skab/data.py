"""Reading a SKAB-shaped folder: sub-folders of `;`-separated CSV files, `anomaly-free` skipped.

Every file is split by the leaderboard protocol: its first `train_rows` rows are the training
part (assumed normal, labels never read by a detector), the rest is the test part.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

TRAIN_ROWS = 400
SKIPPED_FOLDERS = frozenset({"anomaly-free"})
LABEL_COLUMNS = ("anomaly", "changepoint")


class SkabDataError(ValueError):
    """A SKAB file or folder is missing or malformed; the message names it and the problem."""


@dataclass(frozen=True)
class SkabFile:
    """One SKAB file, split into its training part and its test part."""

    folder: str  # sub-folder name, e.g. "valve1"
    name: str  # file name, e.g. "0.csv"
    signals: tuple[str, ...]
    times: NDArray[np.datetime64]  # all rows, datetime64[ns]
    values: NDArray[np.float64]  # all rows x signals
    anomaly: NDArray[np.int8]  # all rows; read only by the scoring code, never by detectors
    changepoint: NDArray[np.int8]
    train_rows: int

    @property
    def key(self) -> str:
        return f"{self.folder}/{self.name}"

    @property
    def train(self) -> NDArray[np.float64]:
        return self.values[: self.train_rows]

    @property
    def test(self) -> NDArray[np.float64]:
        return self.values[self.train_rows :]

    @property
    def test_times(self) -> NDArray[np.datetime64]:
        return self.times[self.train_rows :]

    @property
    def test_anomaly(self) -> NDArray[np.int8]:
        return self.anomaly[self.train_rows :]

    @property
    def test_changepoint(self) -> NDArray[np.int8]:
        return self.changepoint[self.train_rows :]


def read_skab_csv(path: Path, folder: str, train_rows: int = TRAIN_ROWS) -> SkabFile:
    """Read one SKAB CSV file; raise `SkabDataError` naming the file on any problem."""
    try:
        frame = pd.read_csv(path, sep=";")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise SkabDataError(f"{path}: cannot read as a ';'-separated CSV file ({e})") from e
    if "datetime" not in frame.columns:
        raise SkabDataError(f"{path}: no 'datetime' column (columns: {list(frame.columns)})")
    missing = [c for c in LABEL_COLUMNS[:1] if c not in frame.columns]
    if missing:
        raise SkabDataError(f"{path}: missing label column(s) {missing}")
    signals = tuple(c for c in frame.columns if c != "datetime" and c not in LABEL_COLUMNS)
    if not signals:
        raise SkabDataError(f"{path}: no signal columns besides datetime and labels")
    if len(frame) <= train_rows:
        raise SkabDataError(
            f"{path}: {len(frame)} rows, need more than {train_rows} (training part + test part)"
        )
    try:
        times = pd.to_datetime(frame["datetime"]).to_numpy(dtype="datetime64[ns]")
        values = frame.loc[:, list(signals)].to_numpy(dtype=np.float64)
        anomaly = frame["anomaly"].to_numpy(dtype=np.float64)
        changepoint = (
            frame["changepoint"].to_numpy(dtype=np.float64)
            if "changepoint" in frame.columns
            else np.zeros(len(frame))
        )
    except (ValueError, TypeError) as e:
        raise SkabDataError(f"{path}: non-numeric value or bad datetime ({e})") from e
    if not np.all(np.isfinite(values)):
        raise SkabDataError(f"{path}: missing or non-finite signal values")
    if not (np.isin(anomaly, (0.0, 1.0)).all() and np.isin(changepoint, (0.0, 1.0)).all()):
        raise SkabDataError(f"{path}: labels must be 0 or 1")
    return SkabFile(
        folder=folder,
        name=path.name,
        signals=signals,
        times=times,
        values=values,
        anomaly=anomaly.astype(np.int8),
        changepoint=changepoint.astype(np.int8),
        train_rows=train_rows,
    )


def skab_paths(data_dir: Path) -> list[tuple[str, Path]]:
    """(sub-folder, file) for every CSV file under `data_dir`, sorted, `anomaly-free` skipped."""
    if not data_dir.is_dir():
        raise SkabDataError(f"{data_dir}: not a directory")
    found: list[tuple[str, Path]] = []
    for sub in sorted(p for p in data_dir.iterdir() if p.is_dir()):
        if sub.name in SKIPPED_FOLDERS:
            continue
        found.extend((sub.name, f) for f in sorted(sub.glob("*.csv"), key=_natural_key))
    if not found:
        raise SkabDataError(f"{data_dir}: no CSV files in its sub-folders")
    return found


def read_anomaly_free(data_dir: Path) -> NDArray[np.float64] | None:
    """The `anomaly-free/anomaly-free.csv` signals, if present (used only for validation)."""
    path = data_dir / "anomaly-free" / "anomaly-free.csv"
    if not path.is_file():
        return None
    try:
        frame = pd.read_csv(path, sep=";")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise SkabDataError(f"{path}: cannot read as a ';'-separated CSV file ({e})") from e
    signals = [c for c in frame.columns if c != "datetime" and c not in LABEL_COLUMNS]
    return frame.loc[:, signals].to_numpy(dtype=np.float64)


def _natural_key(path: Path) -> tuple[int, str]:
    stem = path.stem
    return (int(stem), "") if stem.isdigit() else (1 << 30, stem)
