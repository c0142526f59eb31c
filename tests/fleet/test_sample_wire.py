"""Sample batches on the wire (packed columns) and the centre's binary COPY rows."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from jayul.fleet.sample_wire import WireError, decode_samples, encode_samples
from jayul.fleet.store_samples import block_row
from jayul.records import Samples


def _batch() -> Samples:
    machines = np.array(["pump1", "pump2", "pump1", "press-1", "pump2"], dtype=object)
    signals = np.array(["flow", "flow", "vib_rms", "flow", "flow"], dtype=object)
    return Samples.build(
        np.arange(5, dtype=np.int64) * 10**9, machines, signals, [1.5, -2.0, np.nan, 4.0, 5.25],
        [0, 1, 2, 0, 1],
    )  # fmt: skip


def test_round_trip_keeps_every_row_and_names_each_key_once() -> None:
    batch = _batch()
    body = encode_samples(batch)
    cols = decode_samples(body)
    assert sorted(cols.keys) == [
        ("press-1", "flow"), ("pump1", "flow"), ("pump1", "vib_rms"), ("pump2", "flow")
    ]  # fmt: skip
    names = [cols.keys[k] for k in cols.key]
    assert names == list(zip(batch.machine, batch.signal, strict=True))
    np.testing.assert_array_equal(cols.time, batch.time)
    np.testing.assert_array_equal(cols.value, batch.value)  # NaN kept
    np.testing.assert_array_equal(cols.quality, batch.quality)
    assert len(body) < 19 * len(batch) + 120


def test_a_damaged_body_is_refused_with_the_reason() -> None:
    body = encode_samples(_batch())
    with pytest.raises(WireError, match="not the"):
        decode_samples(body[:-3])
    with pytest.raises(WireError, match="key code"):
        decode_samples(body[:-10] + b"\xff\xff" + body[-8:])  # a key past the header's keys
    assert decode_samples(encode_samples(Samples.empty())).keys == []


def test_a_block_row_is_postgresql_binary_copy() -> None:
    row = block_row(
        3, np.array([7, 5], np.int64), np.array([2.5, 1.0]), np.array([42, 43], np.int32),
        np.array([1, 0], np.uint8),
    )  # fmt: skip
    head = struct.unpack_from(">hihiqiqii", row)
    assert head == (8, 2, 3, 8, 5, 8, 7, 4, 2)  # 8 fields: site id, first and last time, n
    times = row[struct.calcsize(">hihiqiqii") :]
    size, ndim, has_null, oid, n, lbound = struct.unpack_from(">iiiiii", times)
    assert (size, ndim, has_null, oid, n, lbound) == (20 + 2 * 12, 1, 0, 20, 2, 1)
    assert struct.unpack_from(">iqiq", times, 24) == (8, 7, 8, 5)
