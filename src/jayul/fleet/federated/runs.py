"""A site's run-to-failure table from a CSV file: one row per unit and time step.

Columns: `unit`, `cycle` (the step, any increasing number) and one column per signal; each
unit's last row is its failure. Every column other than `unit` and `cycle` is a signal, in
file order; every site of a fleet must give the same signals in the same order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from jayul.health.rul import histories_from_frame

FloatArray = npt.NDArray[np.float64]


class RunsFileError(ValueError):
    """A runs file is missing or malformed; the message names the file and the problem."""


def read_runs_csv(path: Path) -> tuple[list[FloatArray], list[str]]:
    """The histories (one per unit, ordered by cycle) and the signal names of a runs file."""
    if not path.is_file():
        raise RunsFileError(f"{path}: file not found")
    try:
        frame = pd.read_csv(path)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise RunsFileError(f"{path}: not a CSV table ({error})") from error
    missing = [c for c in ("unit", "cycle") if c not in frame.columns]
    if missing:
        raise RunsFileError(f"{path}: no column {', '.join(missing)} (need unit, cycle, signals)")
    signals = [str(c) for c in frame.columns if c not in ("unit", "cycle")]
    if not signals:
        raise RunsFileError(f"{path}: no signal columns besides unit and cycle")
    values = frame[signals].apply(pd.to_numeric, errors="coerce")
    bad = ~np.isfinite(values.to_numpy(dtype=np.float64))
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raise RunsFileError(
            f"{path}: row {int(row) + 2}, column {signals[column]!r}: not a finite number"
        )
    frame[signals] = values
    histories, _ = histories_from_frame(frame, features=signals)
    return histories, signals
