"""Reading a folder laid out like the Braatz TEP data set (see ../shared/data/tep/README.md).

d00.dat is stored transposed (52 x 500); every other file is samples x 52 variables. Test
files hold 960 samples with the fault switched on after sample 160. A folder made by
`jayul bench tep-generate` also holds `layout.json`, which may declare another onset or a
subset of the faults (a tiny set in the tests); without it the Braatz layout is assumed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
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
LAYOUT_FILE = "layout.json"


class TepDataError(Exception):
    """A folder that is not laid out like the TEP data; the message says which file and why."""


@dataclass(frozen=True)
class TepData:
    train: dict[int, FloatArray]  # 0 = d00.dat (normal), j = dj.dat (fault j throughout)
    test: dict[int, FloatArray]  # 0 = d00_te.dat, j = dj_te.dat (fault j after `onset`)
    onset: int = field(default=ONSET)  # test files: samples 1..onset normal


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


def declared_layout(folder: Path) -> tuple[int, tuple[int, ...]]:
    """The onset and the faults of the folder: its layout.json's, else the Braatz set's."""
    path = folder / LAYOUT_FILE
    if not path.is_file():
        return ONSET, FAULTS
    try:
        layout = json.loads(path.read_text())["layout"]
        onset, faults = int(layout["onset"]), tuple(int(j) for j in layout["faults"])
    except (ValueError, KeyError, TypeError) as exc:
        raise TepDataError(f"{path}: no layout.onset and layout.faults ({exc!r})") from exc
    if onset < 1 or not faults or not set(faults) <= set(FAULTS):
        raise TepDataError(f"{path}: onset {onset} or faults {list(faults)} out of range")
    return onset, faults


def load_tep(folder: Path) -> TepData:
    """All the files of the folder (44 in the Braatz layout), checked."""
    if not folder.is_dir():
        raise TepDataError(f"{folder}: not a folder")
    onset, faults = declared_layout(folder)
    train = {j: _load(folder / f"d{j:02d}.dat") for j in (0, *faults)}
    test = {j: _load(folder / f"d{j:02d}_te.dat") for j in (0, *faults)}
    short = [j for j, x in test.items() if len(x) <= onset]
    if short:
        raise TepDataError(f"{folder}: test files {short} have no rows after sample {onset}")
    return TepData(train, test, onset)
