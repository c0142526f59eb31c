"""Sample batches on the wire: one message carries thousands of samples as packed columns.

Layout (little-endian), 19 bytes a sample plus each distinct (machine, signal) once a message:

    b"JYS2" | rows: uint32 | keys_len: uint32 | keys: JSON [[machine, signal], ...], padded
    to 8 bytes | time: int64[rows] | value: float64[rows] | key: uint16[rows] | quality:
    uint8[rows]

Why not Arrow IPC, as the first version sent: machine and signal went as strings per row,
and both ends spent most of their time turning Python strings into Arrow and back. Here the
site factorises the names once per message and the centre maps each distinct key to its id
once per message; every per-row step is a numpy copy. Messages in the earlier Arrow format
(a site's outbox queued before an upgrade) are still read.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from jayul.records import Samples

MAGIC = b"JYS2"
MAX_ROWS = 65_535  # key codes are uint16, and a message has no more distinct keys than rows
_HEAD = struct.Struct("<4sII")
_BYTES_PER_ROW = 8 + 8 + 2 + 1


class WireError(ValueError):
    """A message the centre cannot read (it goes to the dead letters with this reason)."""


@dataclass(frozen=True)
class SampleColumns:
    """A decoded samples message: `key[i]` indexes `keys` (machine, signal) for row i."""

    keys: list[tuple[str, str]]
    time: npt.NDArray[np.int64]
    value: npt.NDArray[np.float64]
    key: npt.NDArray[np.uint16]
    quality: npt.NDArray[np.uint8]

    def __len__(self) -> int:
        return len(self.time)


def encode_samples(batch: Samples) -> bytes:
    import pandas as pd

    n = len(batch)
    if n > MAX_ROWS:
        raise ValueError(f"{n} samples in one message; at most {MAX_ROWS}")
    m_codes, machines = pd.factorize(np.asarray(batch.machine, dtype=object))
    s_codes, signals = pd.factorize(np.asarray(batch.signal, dtype=object))
    pair_codes, pairs = pd.factorize(m_codes.astype(np.int64) * len(signals) + s_codes)
    width = max(len(signals), 1)
    keys = [[str(machines[p // width]), str(signals[p % width])] for p in pairs.tolist()]
    head = json.dumps(keys, separators=(",", ":")).encode()
    head += b" " * (-(_HEAD.size + len(head)) % 8)  # the columns start 8-byte aligned
    return b"".join(
        [
            _HEAD.pack(MAGIC, n, len(head)),
            head,
            np.ascontiguousarray(batch.time, dtype="<i8").tobytes(),
            np.ascontiguousarray(batch.value, dtype="<f8").tobytes(),
            pair_codes.astype("<u2").tobytes(),
            np.ascontiguousarray(batch.quality, dtype=np.uint8).tobytes(),
        ]
    )


def decode_samples(body: bytes) -> SampleColumns:
    if body[:4] != MAGIC:
        return _from_arrow(body)
    if len(body) < _HEAD.size:
        raise WireError("samples body is shorter than its header")
    _, n, keys_len = _HEAD.unpack_from(body)
    start = _HEAD.size + keys_len
    if len(body) != start + n * _BYTES_PER_ROW:
        raise WireError(
            f"samples body has {len(body)} bytes, not the {start + n * _BYTES_PER_ROW} "
            f"its header announces for {n} rows"
        )
    try:
        raw = json.loads(body[_HEAD.size : start])
        keys = [(str(m), str(s)) for m, s in raw if isinstance(m, str) and isinstance(s, str)]
        if len(keys) != len(raw):
            raise ValueError("a key is not [machine, signal]")
    except (ValueError, TypeError) as exc:
        raise WireError(f"samples body's keys are not a JSON list of pairs: {exc}") from None
    time = np.frombuffer(body, "<i8", n, start)
    value = np.frombuffer(body, "<f8", n, start + 8 * n)
    key = np.frombuffer(body, "<u2", n, start + 16 * n)
    quality = np.frombuffer(body, np.uint8, n, start + 18 * n)
    if n and int(key.max()) >= len(keys):
        raise WireError(f"samples body has a key code past its {len(keys)} keys")
    return SampleColumns(keys, time, value, key, quality)


def _from_arrow(body: bytes) -> SampleColumns:
    """A message of the first wire version (Arrow IPC, names per row)."""
    import pandas as pd
    import pyarrow as pa

    try:
        table = pa.ipc.open_stream(pa.py_buffer(body)).read_all()
    except (pa.ArrowInvalid, OSError) as exc:
        raise WireError(f"samples body is neither jayul's columns nor Arrow IPC: {exc}") from None
    names = ["time", "machine", "signal", "value", "quality"]
    if table.column_names != names:
        raise WireError(f"samples body has columns {table.column_names}, not {names}")
    missing = [c for c in table.column_names if table[c].null_count]
    if missing:
        raise WireError(f"samples body has missing values in {', '.join(missing)}")
    frame = table.to_pandas()
    codes, pairs = pd.factorize(pd.MultiIndex.from_frame(frame[["machine", "signal"]]))
    if len(pairs) > MAX_ROWS:
        raise WireError(f"samples body has more than {MAX_ROWS} keys")
    return SampleColumns(
        [(str(m), str(s)) for m, s in pairs],
        frame["time"].to_numpy(np.int64),
        frame["value"].to_numpy(np.float64),
        codes.astype(np.uint16),
        frame["quality"].to_numpy(np.uint8),
    )
