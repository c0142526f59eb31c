"""Samples: (time, machine, signal, value, quality) in columnar batches.

A batch holds parallel NumPy arrays, never one Python object per sample, so that the twin,
the connectors and the historian move millions of samples a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt


class Quality(IntEnum):
    """Sample quality, as OPC UA states it."""

    GOOD = 0
    UNCERTAIN = 1
    BAD = 2


@dataclass(frozen=True)
class Samples:
    """A columnar batch of samples.

    time: int64 nanoseconds since the epoch (UTC); machine, signal: plant-file ids (object
    arrays of str); value: float64; quality: uint8 codes of `Quality`.
    """

    time: npt.NDArray[np.int64]
    machine: npt.NDArray[np.object_]
    signal: npt.NDArray[np.object_]
    value: npt.NDArray[np.float64]
    quality: npt.NDArray[np.uint8]

    def __post_init__(self) -> None:
        n = len(self.time)
        for name in ("machine", "signal", "value", "quality"):
            if len(getattr(self, name)) != n:
                raise ValueError(
                    f"Samples: column {name!r} has {len(getattr(self, name))} rows, time has {n}"
                )

    def __len__(self) -> int:
        return len(self.time)

    @classmethod
    def empty(cls) -> Samples:
        return cls.build([], [], [], [])

    @classmethod
    def build(
        cls,
        time: npt.ArrayLike,
        machine: npt.ArrayLike | str,
        signal: npt.ArrayLike | str,
        value: npt.ArrayLike,
        quality: npt.ArrayLike | Quality = Quality.GOOD,
    ) -> Samples:
        """Make a batch from array-likes; a scalar machine, signal or quality is broadcast."""
        t = np.asarray(time, dtype=np.int64).reshape(-1)
        n = len(t)

        def column(x: npt.ArrayLike | str) -> npt.NDArray[np.object_]:
            if isinstance(x, str):
                return np.full(n, x, dtype=object)
            return np.asarray(x, dtype=object).reshape(-1)

        q = np.asarray(quality, dtype=np.uint8).reshape(-1)
        if q.size == 1 and n != 1:
            q = np.full(n, int(q[0]) if q.size else 0, dtype=np.uint8)
        return cls(
            time=t,
            machine=column(machine),
            signal=column(signal),
            value=np.asarray(value, dtype=np.float64).reshape(-1),
            quality=q,
        )

    @classmethod
    def concat(cls, batches: list[Samples]) -> Samples:
        """One batch from many (order kept)."""
        if not batches:
            return cls.empty()
        return cls(
            time=np.concatenate([b.time for b in batches]),
            machine=np.concatenate([b.machine for b in batches]),
            signal=np.concatenate([b.signal for b in batches]),
            value=np.concatenate([b.value for b in batches]),
            quality=np.concatenate([b.quality for b in batches]),
        )

    def select(self, mask: npt.NDArray[np.bool_]) -> Samples:
        """The rows where `mask` is true."""
        return Samples(
            self.time[mask],
            self.machine[mask],
            self.signal[mask],
            self.value[mask],
            self.quality[mask],
        )
