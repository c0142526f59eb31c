"""The historian contract: every store (see conftest.py) must pass every test here."""

from __future__ import annotations

import json
from typing import Protocol

import numpy as np
import pytest

from jayul.historian import DeadLetter, Historian
from jayul.records import Event, EventKind, Quality, Samples

S = 1_000_000_000
T0 = 1_700_000_000 * S


class Store(Protocol):
    """What conftest's `store` fixture gives (conftest cannot be imported in importlib mode)."""

    kind: str
    reopenable: bool

    def open(self) -> Historian: ...


def grid(machine: str, signals: list[str], n: int, step_s: int = 1, seed: int = 0) -> Samples:
    """n time steps of every signal of one machine, interleaved in time order."""
    rng = np.random.default_rng(seed)
    t = np.repeat(T0 + np.arange(n, dtype=np.int64) * step_s * S, len(signals))
    sig = np.tile(np.array(signals, dtype=object), n)
    q = rng.integers(0, 3, size=len(t)).astype(np.uint8)
    return Samples.build(t, machine, sig, rng.normal(size=len(t)), q)


def test_round_trip_keeps_every_column(historian: Historian) -> None:
    a = grid("m1", ["temp", "vib"], 50, seed=1)
    b = grid("m2", ["temp"], 50, seed=2)
    assert historian.append_samples(a) == len(a)
    assert historian.append_samples(b) == len(b)
    assert historian.count_samples() == len(a) + len(b)

    got = historian.query_samples("m1", T0, T0 + 1000 * S)
    assert list(got.columns) == ["time", "signal", "value", "quality"]
    assert got["time"].dtype == np.int64 and got["quality"].dtype == np.uint8
    order = np.lexsort((a.signal.astype(str), a.time))
    np.testing.assert_array_equal(got["time"].to_numpy(), a.time[order])
    np.testing.assert_array_equal(got["signal"].to_numpy(), a.signal[order])
    np.testing.assert_array_equal(got["value"].to_numpy(), a.value[order])
    np.testing.assert_array_equal(got["quality"].to_numpy(), a.quality[order])


def test_time_range_is_half_open_and_signals_filter(historian: Historian) -> None:
    historian.append_samples(grid("m1", ["temp", "vib", "amps"], 20))
    got = historian.query_samples("m1", T0 + 5 * S, T0 + 10 * S)
    assert got["time"].min() == T0 + 5 * S
    assert got["time"].max() == T0 + 9 * S
    assert len(got) == 5 * 3
    assert np.all(np.diff(got["time"].to_numpy()) >= 0)

    some = historian.query_samples("m1", T0, T0 + 100 * S, signals=["vib", "amps"])
    assert set(some["signal"]) == {"vib", "amps"} and len(some) == 40
    assert len(historian.query_samples("m1", T0, T0 + 100 * S, signals=["nope"])) == 0


def test_buckets_match_numpy(historian: Historian) -> None:
    batch = grid("m1", ["temp", "vib"], 600, seed=3)
    historian.append_samples(batch)
    start, end, width = T0 + 7 * S, T0 + 500 * S, 60 * S
    got = historian.query_buckets("m1", "vib", start, end, width)
    assert list(got.columns) == ["bucket", "min", "max", "mean", "count"]

    mask = (batch.signal == "vib") & (batch.time >= start) & (batch.time < end)
    t, v = batch.time[mask], batch.value[mask]
    index = (t - start) // width
    want = sorted(set(index.tolist()))
    np.testing.assert_array_equal(got["bucket"].to_numpy(), start + np.array(want) * width)
    for row, k in zip(got.to_dict("records"), want, strict=True):
        chunk = v[index == k]
        assert row["count"] == len(chunk)
        assert row["min"] == pytest.approx(chunk.min())
        assert row["max"] == pytest.approx(chunk.max())
        assert row["mean"] == pytest.approx(chunk.mean())


def test_events_round_trip_and_filters(historian: Historian) -> None:
    events = [
        Event(time=T0 + 3 * S, machine="m1", kind=EventKind.FAILURE, payload={"mode": "bearing"}),
        Event(
            time=T0 + 1 * S,
            machine="m2",
            kind=EventKind.ALERT,
            payload={"score": 4.5, "contributions": [{"signal": "vib", "z": 3.1}], "ok": True},
        ),
        Event(time=T0 + 2 * S, machine=None, kind=EventKind.DECISION, payload={}),
        Event(time=T0 + 9 * S, machine="m1", kind=EventKind.ALERT, payload={"n": np.int64(7)}),
    ]
    historian.append_events(events)
    historian.append_events(events[:1])  # a replayed id is ignored

    every = historian.query_events()
    assert [e.time for e in every] == sorted(e.time for e in events)
    by_id = {e.id: e for e in every}
    assert by_id[events[1].id] == events[1]
    assert by_id[events[2].id].machine is None
    assert by_id[events[3].id].payload == {"n": 7}

    alerts = historian.query_events(kinds=[EventKind.ALERT])
    assert [e.id for e in alerts] == [events[1].id, events[3].id]
    assert [e.id for e in historian.query_events(machine="m1")] == [events[0].id, events[3].id]
    window = historian.query_events(start_ns=T0 + 2 * S, end_ns=T0 + 3 * S)
    assert [e.id for e in window] == [events[2].id]
    assert len(historian.query_events(limit=2)) == 2
    assert historian.query_events(kinds=[]) == []


def test_dead_letters_keep_reason_and_raw_bytes(historian: Historian) -> None:
    raw = b"\x00\xff\xfe not utf-8 \x80"
    historian.append_dead_letters([DeadLetter(T0, "mqtt:plant/m1", "bad json", raw)])
    letters = historian.dead_letters()
    assert letters == [DeadLetter(T0, "mqtt:plant/m1", "bad json", raw)]
    # a batch keeps every letter, in order, with its own reason and bytes
    batch = [
        DeadLetter(T0 + S, f"mqtt:plant/m{i}", f"reason {i}", bytes([i, 0])) for i in range(50)
    ]
    historian.append_dead_letters(batch)
    assert historian.dead_letters()[1:] == batch


def test_bad_sample_rows_go_to_dead_letters(historian: Historian) -> None:
    batch = Samples(
        time=np.array([T0, T0 + S, T0 + 2 * S, T0 + 3 * S], dtype=np.int64),
        machine=np.array(["m1", None, "m1", "m1"], dtype=object),
        signal=np.array(["temp", "temp", "", "temp"], dtype=object),
        value=np.array([1.0, 2.0, 3.0, 4.0]),
        quality=np.array([Quality.GOOD, Quality.GOOD, Quality.GOOD, 9], dtype=np.uint8),
    )
    assert historian.append_samples(batch) == 1
    assert historian.count_samples() == 1
    letters = historian.dead_letters()
    assert len(letters) == 3
    reasons = " | ".join(d.reason for d in letters)
    assert "machine None" in reasons and "signal ''" in reasons and "quality 9" in reasons
    rows = [json.loads(d.raw) for d in letters]
    assert sorted(r["value"] for r in rows) == [2.0, 3.0, 4.0]
    assert historian.dead_letters(limit=1) == letters[:1]


def test_dedupe_drops_stored_and_in_batch_repeats(historian: Historian) -> None:
    first = grid("m1", ["temp", "vib"], 10)
    assert historian.append_samples(first, dedupe=True) == 20
    assert historian.append_samples(first, dedupe=True) == 0
    overlap = grid("m1", ["temp", "vib"], 15)  # first 10 steps already stored
    doubled = Samples.concat([overlap, overlap])  # and every row twice in the batch
    assert historian.append_samples(doubled, dedupe=True) == 10
    assert historian.count_samples() == 30
    # the fast path keeps duplicates, as documented
    assert historian.append_samples(first) == 20
    assert historian.count_samples() == 50


def test_empty_inputs_and_results(historian: Historian) -> None:
    assert historian.append_samples(Samples.empty()) == 0
    assert historian.append_samples(Samples.empty(), dedupe=True) == 0
    historian.append_events([])
    historian.append_dead_letters([])
    assert historian.count_samples() == 0
    assert historian.query_events() == []
    assert historian.dead_letters() == []
    empty = historian.query_samples("nobody", T0, T0 + S)
    assert list(empty.columns) == ["time", "signal", "value", "quality"] and len(empty) == 0
    assert empty["time"].dtype == np.int64
    assert len(historian.query_buckets("nobody", "x", T0, T0 + S, S)) == 0
    historian.append_samples(grid("m1", ["temp"], 5))
    assert len(historian.query_samples("m1", T0 + 100 * S, T0 + 200 * S)) == 0
    assert len(historian.query_buckets("m1", "temp", T0 + 100 * S, T0 + 200 * S, S)) == 0


def test_bad_ranges_are_refused(historian: Historian) -> None:
    with pytest.raises(ValueError, match="before start_ns"):
        historian.query_samples("m1", T0 + S, T0)
    with pytest.raises(ValueError, match="bucket_ns"):
        historian.query_buckets("m1", "temp", T0, T0 + S, 0)


def test_reopened_store_finds_its_data(store: Store) -> None:
    if not store.reopenable:
        pytest.skip(f"{store.kind} keeps nothing after close")
    event = Event(time=T0, machine="m1", kind=EventKind.REPAIR_END, payload={"crew": 2})
    with store.open() as h:
        h.append_samples(grid("m1", ["temp", "vib"], 10))
        h.append_events([event])
        h.append_dead_letters([DeadLetter(T0, "file", "truncated", b"\x01\x02")])
    with store.open() as h:
        assert h.count_samples() == 20
        assert h.query_events() == [event]
        assert h.dead_letters()[0].raw == b"\x01\x02"
        h.append_samples(grid("m1", ["temp", "amps"], 10))  # a known and a new series
        assert len(h.query_samples("m1", T0, T0 + 100 * S, signals=["temp"])) == 20
        assert len(h.query_samples("m1", T0, T0 + 100 * S, signals=["amps"])) == 10
