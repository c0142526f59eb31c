"""The durable buffer and the historian writer: nothing synced is lost, nothing stored twice."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from jayul.connect.buffer import DurableBuffer
from jayul.connect.codec import decode_entry, encode_entry
from jayul.connect.writer import HistorianWriter
from jayul.historian import DeadLetter, open_historian
from jayul.records import Samples


def batch(start: int, n: int, machine: str = "pump1", signal: str = "flow") -> Samples:
    return Samples.build(np.arange(start, start + n), machine, signal, np.full(n, 40.0))


def test_codec_round_trip() -> None:
    s = Samples.concat([batch(0, 3), batch(10, 2, "cnc1", "vib_rms")])
    dead = [DeadLetter(5, "mqtt:x", "why", b"\x00\xffraw")]
    back, back_dead = decode_entry(encode_entry(s, dead))
    assert list(back.time) == list(s.time) and list(back.signal) == list(s.signal)
    assert list(back.machine) == list(s.machine) and back_dead == dead
    empty, none = decode_entry(encode_entry(Samples.empty(), []))
    assert len(empty) == 0 and none == []


def test_only_synced_entries_are_read_and_uncommitted_ones_replay(tmp_path: Path) -> None:
    buf = DurableBuffer(tmp_path)
    buf.append(b"one")
    assert buf.read(timeout=0.01)[0] == []  # not synced yet
    buf.sync()
    buf.append(b"two")
    buf.sync()
    entries, pos = buf.read(timeout=0.01)
    assert entries == [b"one", b"two"]
    buf.close()
    again = DurableBuffer(tmp_path)  # nothing committed: both come back
    entries, pos = again.read(timeout=0.01)
    assert entries == [b"one", b"two"]
    again.commit(pos)
    again.append(b"three")
    again.close()
    third = DurableBuffer(tmp_path)
    assert third.read(timeout=0.01)[0] == [b"three"]
    third.close()


def test_torn_tail_is_cut_off(tmp_path: Path) -> None:
    buf = DurableBuffer(tmp_path)
    buf.append(b"whole")
    buf.close()
    seg = next(tmp_path.glob("*.log"))
    with seg.open("ab") as f:  # a crash in the middle of a write
        f.write(b"\x4c\x55\x59\x4a\xff\x00\x00\x00partial")
    again = DurableBuffer(tmp_path)
    assert again.read(timeout=0.01)[0] == [b"whole"]
    again.append(b"after")
    again.sync()
    assert again.read(timeout=0.01)[0] == [b"after"]
    again.close()


def test_segments_rotate_and_are_dropped_once_committed(tmp_path: Path) -> None:
    buf = DurableBuffer(tmp_path, segment_bytes=100)
    for i in range(20):
        buf.append(b"x" * 40 + bytes([i]))
    buf.sync()
    assert len(list(tmp_path.glob("*.log"))) > 5
    got: list[bytes] = []
    while len(got) < 20:
        entries, pos = buf.read(timeout=0.01)
        got += entries
        buf.commit(pos)
    assert [e[-1] for e in got] == list(range(20))
    assert len(list(tmp_path.glob("*.log"))) <= 2
    buf.close()


def test_writer_waits_for_the_store_and_loses_nothing(tmp_path: Path) -> None:
    buf = DurableBuffer(tmp_path / "buf")
    for k in range(5):
        buf.append(encode_entry(batch(k * 100, 100), [DeadLetter(k, "t", "r", b"raw")]))
    buf.sync()
    url = f"duckdb:///{tmp_path / 'h.duckdb'}?threads=1"
    # first the store is unreachable (a PostgreSQL port nobody listens on)
    writer = HistorianWriter(buf, "postgresql://nobody@127.0.0.1:9/none", backoff_s=(0.05, 0.1))
    writer.start()
    deadline = time.monotonic() + 10
    while writer.stats.store_failures < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert writer.stats.store_failures >= 2 and writer.stats.samples_stored == 0
    writer.url = url  # the store comes back
    deadline = time.monotonic() + 10
    while buf.backlog_bytes() > 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    writer.stop()
    buf.close()
    with open_historian(url) as h:
        assert h.count_samples() == 500
        assert len(h.dead_letters()) == 5


def test_replay_after_crash_stores_nothing_twice(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'h.duckdb'}?threads=1"
    buf = DurableBuffer(tmp_path / "buf")
    buf.append(encode_entry(batch(0, 100), []))
    buf.sync()
    entries, _ = buf.read(timeout=0.01)
    with open_historian(url) as h:  # stored, but the crash came before the cursor commit
        h.append_samples(decode_entry(entries[0])[0], dedupe=True)
    buf.close()
    again = DurableBuffer(tmp_path / "buf")
    writer = HistorianWriter(again, url)
    assert writer.step(timeout=0.01) == 1
    writer.stop(0)
    with open_historian(url) as h:
        assert h.count_samples() == 100
