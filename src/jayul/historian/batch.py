"""Turning a `Samples` batch into columns a store can append, without a Python loop per row.

Machine and signal strings are factorised once per batch (the distinct pairs are few), so a
store maps each distinct (machine, signal) to a small integer series id and appends integer
columns. Rows that cannot be stored (missing or non-string machine or signal, unknown
quality code) are split off as dead letters with the reason and the raw row as JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from jayul.historian.base import DeadLetter
from jayul.records import Quality, Samples, utc_now_ns

MAX_QUALITY = max(int(q) for q in Quality)


@dataclass(frozen=True)
class PreparedBatch:
    """The valid rows of a batch as arrays, plus the invalid rows as dead letters.

    `pair_codes[i]` indexes `pairs` for valid row i.
    """

    pairs: list[tuple[str, str]]
    pair_codes: npt.NDArray[np.int64]
    time: npt.NDArray[np.int64]
    value: npt.NDArray[np.float64]
    quality: npt.NDArray[np.uint8]
    dead: list[DeadLetter]

    def __len__(self) -> int:
        return len(self.time)

    def series_ids(self, ids_of_pairs: list[int]) -> npt.NDArray[np.int32]:
        """Each valid row's series id, given the id of every pair (in `pairs` order)."""
        lookup = np.asarray(ids_of_pairs, dtype=np.int32)
        return lookup[self.pair_codes] if len(lookup) else np.empty(0, dtype=np.int32)


def _good_id(x: object) -> bool:
    return isinstance(x, str) and x != ""


def _factorize(column: npt.NDArray[np.object_]) -> tuple[npt.NDArray[np.int64], list[Any]]:
    """Codes and distinct values; bad values (None, NaN, non-str, empty) get code -1."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    codes = codes.astype(np.int64, copy=False)
    values = list(uniques)
    bad = [i for i, v in enumerate(values) if not _good_id(v)]
    if bad:
        codes = np.where(np.isin(codes, bad), -1, codes)
    return codes, values


def _raw_row(batch: Samples, i: int) -> bytes:
    row = {
        "time": int(batch.time[i]),
        "machine": batch.machine[i],
        "signal": batch.signal[i],
        "value": float(batch.value[i]),
        "quality": int(batch.quality[i]),
    }
    # repr keeps whatever odd object arrived readable; NaN is written as JSON's NaN token.
    return json.dumps(row, default=repr).encode()


def _reason(batch: Samples, i: int) -> str:
    problems = []
    for name in ("machine", "signal"):
        v = getattr(batch, name)[i]
        if not _good_id(v):
            problems.append(f"{name} {v!r} is not a non-empty string")
    if int(batch.quality[i]) > MAX_QUALITY:
        problems.append(f"quality {int(batch.quality[i])} is not a Quality code (0, 1, 2)")
    return "; ".join(problems)


def prepare_batch(batch: Samples, source: str = "historian.append_samples") -> PreparedBatch:
    """Split a batch into storable columns and dead letters (see the module docstring)."""
    m_codes, m_values = _factorize(batch.machine)
    s_codes, s_values = _factorize(batch.signal)
    quality = np.asarray(batch.quality, dtype=np.uint8)
    valid = (m_codes >= 0) & (s_codes >= 0) & (quality <= MAX_QUALITY)
    dead: list[DeadLetter] = []
    if not valid.all():
        now = utc_now_ns()
        dead = [
            DeadLetter(now, source, _reason(batch, int(i)), _raw_row(batch, int(i)))
            for i in np.flatnonzero(~valid)
        ]
        m_codes, s_codes = m_codes[valid], s_codes[valid]
    n_signals = max(len(s_values), 1)
    pair_codes_raw, pair_uniques = pd.factorize(m_codes * n_signals + s_codes)
    pairs = [(str(m_values[u // n_signals]), str(s_values[u % n_signals])) for u in pair_uniques]
    every = bool(valid.all())
    return PreparedBatch(
        pairs=pairs,
        pair_codes=pair_codes_raw.astype(np.int64, copy=False),
        time=np.asarray(batch.time if every else batch.time[valid], dtype=np.int64),
        value=np.asarray(batch.value if every else batch.value[valid], dtype=np.float64),
        quality=quality if every else quality[valid],
        dead=dead,
    )
