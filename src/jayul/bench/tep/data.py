"""Reading a folder laid out like the Braatz TEP data set (see ../shared/data/tep/README.md).

d00.dat is stored transposed (52 x 500); every other file is samples x 52 variables. Test
files hold 960 samples with the fault switched on after sample 160.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jayul.health.detector import FloatArray

N_VARIABLES = 52
ONSET = 160  # test files: samples 1..160 normal, the fault from sample 161 on
FAULTS = tuple(range(1, 22))
HARD = (3, 9, 15)  # near-undetectable; left out of the usual means
FAST_INPUTS = tuple(range(22)) + tuple(range(41, 52))  # XMEAS(1-22) and XMV(1-11)
PRODUCT_ANALYSER = tuple(range(36, 41))  # XMEAS(37-41): product composition D-H
ANALYSER_DELAY = 5  # rows: sampled every 0.25 h with 0.25 h dead time, 3-minute rows


class TepDataError(Exception):
    """A folder that is not laid out like the TEP data; the message says which file and why."""


@dataclass(frozen=True)
class TepData:
    train: dict[int, FloatArray]  # 0 = d00.dat (normal), j = dj.dat (fault j throughout)
    test: dict[int, FloatArray]  # 0 = d00_te.dat, j = dj_te.dat (fault j after ONSET)


def _load(path: Path) -> FloatArray:
    if not path.is_file():
        raise TepDataError(f"{path}: missing")
    try:
        x = np.loadtxt(path, dtype=np.float64)
    except ValueError as exc:
        raise TepDataError(f"{path}: not a whitespace-separated table of numbers ({exc})") from exc
    if x.ndim != 2:
        raise TepDataError(f"{path}: expected a 2-D table, got shape {x.shape}")
    if path.name == "d00.dat" and x.shape[0] == N_VARIABLES:
        x = x.T  # stored one row per variable
    if x.shape[1] != N_VARIABLES:
        raise TepDataError(f"{path}: expected {N_VARIABLES} columns, got {x.shape[1]}")
    if not np.all(np.isfinite(x)):
        raise TepDataError(f"{path}: contains NaN or infinite values")
    return x


def load_tep(folder: Path) -> TepData:
    """All 44 files of the folder, checked."""
    if not folder.is_dir():
        raise TepDataError(f"{folder}: not a folder")
    train = {j: _load(folder / f"d{j:02d}.dat") for j in (0, *FAULTS)}
    test = {j: _load(folder / f"d{j:02d}_te.dat") for j in (0, *FAULTS)}
    short = [j for j, x in test.items() if len(x) <= ONSET]
    if short:
        raise TepDataError(f"{folder}: test files {short} have no rows after sample {ONSET}")
    return TepData(train, test)
