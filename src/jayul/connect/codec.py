"""The byte form of one buffer entry: a batch of checked samples plus its dead letters.

Layout (little-endian): a u32 length and a JSON header {"m": machines, "s": signals, "n":
rows, "d": dead letters}, then the columns time i8[n], machine code i4[n], signal code i4[n],
value f8[n], quality u1[n], then per dead letter q time, u32 lengths of source, reason and
raw, and those bytes. Strings are factorised, so a batch costs about 25 bytes per sample.
"""

from __future__ import annotations

import json
import struct

import numpy as np
import pandas as pd

from jayul.historian.base import DeadLetter
from jayul.records import Samples

_U32 = struct.Struct("<I")
_DEAD = struct.Struct("<qIII")


def encode_entry(samples: Samples, dead: list[DeadLetter]) -> bytes:
    """Bytes of a batch and its dead letters."""
    n = len(samples)
    if n:
        m_codes, m_names = pd.factorize(samples.machine)
        s_codes, s_names = pd.factorize(samples.signal)
    else:  # dead letters only (every bad message): skip pandas' fixed cost
        m_codes = s_codes = np.empty(0, dtype=np.int64)
        m_names = s_names = np.empty(0, dtype=object)
    header = json.dumps(
        {
            "m": [str(x) for x in list(m_names)],
            "s": [str(x) for x in list(s_names)],
            "n": n,
            "d": len(dead),
        }
    ).encode()
    parts = [
        _U32.pack(len(header)),
        header,
        np.ascontiguousarray(samples.time, dtype="<i8").tobytes(),
        np.asarray(m_codes, dtype="<i4").tobytes(),
        np.asarray(s_codes, dtype="<i4").tobytes(),
        np.ascontiguousarray(samples.value, dtype="<f8").tobytes(),
        np.ascontiguousarray(samples.quality, dtype=np.uint8).tobytes(),
    ]
    for d in dead:
        # backslashreplace: a lone surrogate from a decoded payload must not fail the entry
        source = d.source.encode("utf-8", "backslashreplace")
        reason = d.reason.encode("utf-8", "backslashreplace")
        parts.append(_DEAD.pack(d.time_ns, len(source), len(reason), len(d.raw)))
        parts.extend((source, reason, bytes(d.raw)))
    return b"".join(parts)


def decode_entry(data: bytes) -> tuple[Samples, list[DeadLetter]]:
    """The batch and dead letters that `encode_entry` wrote."""
    (hlen,) = _U32.unpack_from(data, 0)
    pos = 4 + hlen
    header = json.loads(data[4:pos])
    n = int(header["n"])

    def column(dtype: str, width: int) -> np.ndarray:
        nonlocal pos
        out = np.frombuffer(data, dtype=dtype, count=n, offset=pos)
        pos += n * width
        return out

    time = column("<i8", 8).astype(np.int64)
    m_codes = column("<i4", 4)
    s_codes = column("<i4", 4)
    value = column("<f8", 8).astype(np.float64)
    quality = column("u1", 1).copy()
    machines = np.asarray(header["m"] + [""], dtype=object)
    signals = np.asarray(header["s"] + [""], dtype=object)
    samples = Samples(time, machines[m_codes], signals[s_codes], value, quality)
    dead = []
    for _ in range(int(header["d"])):
        t, ls, lr, lraw = _DEAD.unpack_from(data, pos)
        pos += _DEAD.size
        source = data[pos : pos + ls].decode()
        reason = data[pos + ls : pos + ls + lr].decode()
        raw = data[pos + ls + lr : pos + ls + lr + lraw]
        pos += ls + lr + lraw
        dead.append(DeadLetter(t, source, reason, bytes(raw)))
    return samples, dead
