"""Choosing the changepoint settings by NAB on the synthetic-fault episodes (no test labels).

The episodes are those of `jayul.bench.skab.validation.Validation` (normal training rows with an
injected step fault); the fault's start and end are the true changepoints, one row a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from jayul.bench.skab.changepoint import MeanShiftChangepoints
from jayul.bench.skab.metrics import NAB_PROFILES, NabScore, label_switches, nab_file_score
from jayul.bench.skab.validation import AlarmConfig, Validation
from jayul.health.detector import FloatArray


@dataclass(frozen=True)
class ChangepointConfig:
    """Mean-shift changepoints added to the alarm's own switches."""

    window: int = 10
    quantile: float = 1.0
    margin: float = 1.5
    refractory: int = 30

    @property
    def name(self) -> str:
        return (
            f"mean-shift w={self.window} q={self.quantile} x{self.margin} "
            f"refractory={self.refractory}"
        )

    def shifts(self, train: FloatArray, rows: FloatArray) -> NDArray[np.int8]:
        """0/1 mean-shift changepoints of every row of `rows` (fitted on `train`)."""
        detector = MeanShiftChangepoints(self.window, self.quantile, self.margin, self.refractory)
        return detector.fit(train).detect(rows)

    def combine(self, alarm: NDArray[np.int8], shifts: NDArray[np.int8]) -> NDArray[np.int8]:
        """The reported changepoints: the alarm's switches or a mean shift."""
        combined: NDArray[np.int8] = np.maximum(label_switches(alarm), shifts)
        return combined


def changepoint_candidates() -> list[ChangepointConfig]:
    return [
        ChangepointConfig(window, quantile, margin, refractory)
        for window in (5, 10, 20, 30)
        for quantile, margin in ((1.0, 1.0), (1.0, 1.5), (0.99, 1.5))
        for refractory in (30, 60)
    ]


def nab_on_episodes(
    validation: Validation, alarm: AlarmConfig, changepoints: ChangepointConfig | None
) -> float:
    """NAB (standard) over the synthetic episodes; `None` means the alarm's switches only."""
    profile = NAB_PROFILES[0]
    total: NabScore | None = None
    n = validation.train_rows
    for rows, truth in validation.episodes:
        times = np.datetime64("2020-01-01", "ns") + np.arange(
            validation.test_rows
        ) * np.timedelta64(1, "s")
        labels = alarm.alarm(rows[:n], rows)[n:]
        if changepoints is None:
            predicted = label_switches(labels)
        else:
            predicted = changepoints.combine(labels, changepoints.shifts(rows[:n], rows)[n:])
        s = nab_file_score(times, label_switches(truth), predicted, profile)
        total = s if total is None else total + s
    return total.nab if total is not None else 0.0


def select_changepoints(
    validation: Validation, alarm: AlarmConfig, candidates: list[ChangepointConfig] | None = None
) -> tuple[ChangepointConfig | None, list[dict[str, float | str]]]:
    """The best changepoint settings by synthetic NAB; `None` if switches alone do best."""
    table: list[dict[str, float | str]] = [
        {"name": "alarm switches only", "nab": nab_on_episodes(validation, alarm, None)}
    ]
    best: ChangepointConfig | None = None
    best_nab = float(table[0]["nab"])
    for c in candidates if candidates is not None else changepoint_candidates():
        score = nab_on_episodes(validation, alarm, c)
        table.append({"name": c.name, "nab": score})
        if score > best_nab:
            best, best_nab = c, score
    return best, table
