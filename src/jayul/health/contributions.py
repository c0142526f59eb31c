"""Turning a detector's explanation of one row into `SignalContribution`s for an `Alert`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from jayul.health.detector import Detector, FloatArray
from jayul.records.events import SignalContribution


def signal_contributions(
    detector: Detector,
    X: FloatArray,
    row: int,
    signals: Sequence[str],
    top: int | None = None,
) -> list[SignalContribution]:
    """The signals behind row `row` of batch `X`, largest share first.

    `X` must hold the row and the rows before it that its score depends on (at least
    `detector.context_rows` of them when available), exactly as it was scored.
    """
    if len(signals) != np.asarray(X).shape[1]:
        raise ValueError(f"{len(signals)} signal names for {np.asarray(X).shape[1]} columns")
    start = max(0, row - detector.context_rows + 1)
    # only the rows the score depends on: the result is the same, the work is smaller
    e = detector.explain(np.asarray(X, dtype=np.float64)[start : row + 1])
    shares, directions, z = e.shares[-1], e.directions[-1], e.z[-1]
    order = np.argsort(-shares, kind="stable")
    if top is not None:
        order = order[:top]
    return [
        SignalContribution(
            signal=signals[j],
            share=float(shares[j]),
            direction=int(directions[j]),
            z=float(z[j]),
        )
        for j in order
    ]
