"""The explorer's downsampling against the raw data (every bucket's min and max kept, means and
counts exact) on every store, and events as markers and bands."""

from __future__ import annotations

import numpy as np
import pytest

from jayul.historian import Historian
from jayul.historian.explore import downsample, markers
from jayul.records import Event, EventKind, Samples

S = 1_000_000_000
T0 = 1_767_225_600 * S


def _raw(n: int = 20_000, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = T0 + np.sort(rng.choice(n * 60, n, replace=False)).astype(np.int64) * S
    v = np.cumsum(rng.normal(0, 1, n))
    v[rng.choice(n, 5, replace=False)] += rng.choice([-1, 1], 5) * 500.0  # lone spikes
    return t, v


@pytest.mark.parametrize("buckets", [1, 7, 300, 2500])
def test_every_bucket_keeps_min_max_mean_and_count(historian: Historian, buckets: int) -> None:
    t, v = _raw()
    historian.append_samples(Samples.build(t, "m1", "x", v))
    historian.append_samples(Samples.build(t, "m1", "other", -v))  # not asked for
    start, end = int(t[0]) - 7 * S, int(t[-1]) + 11 * S
    out = downsample(historian, "m1", ["x", "missing"], start, end, buckets)
    assert len(out.time) <= buckets and out.time[0] == start
    assert out.time[-1] + out.bucket_ns >= end
    k = (t - start) // out.bucket_ns
    got = out.signals["x"]
    for b in range(len(out.time)):
        inside = v[k == b]
        if len(inside) == 0:
            assert got["count"][b] == 0 and np.isnan(got["min"][b])
            continue
        assert got["count"][b] == len(inside)
        assert got["min"][b] == inside.min() and got["max"][b] == inside.max()
        assert got["mean"][b] == pytest.approx(inside.mean(), rel=1e-9, abs=1e-9)
    assert np.nanmax(got["max"]) == v.max() and np.nanmin(got["min"]) == v.min()  # spikes kept
    assert out.signals["missing"]["count"].sum() == 0
    assert got["count"].sum() == len(v)


def test_a_partial_range_counts_only_its_samples(historian: Historian) -> None:
    t, v = _raw(5000)
    historian.append_samples(Samples.build(t, "m1", "x", v))
    start, end = int(t[1000]), int(t[4000])
    out = downsample(historian, "m1", ["x"], start, end, 50)
    inside = v[(t >= start) & (t < end)]
    assert out.signals["x"]["count"].sum() == len(inside)
    assert np.nanmax(out.signals["x"]["max"]) == inside.max()
    with pytest.raises(ValueError, match="before start"):
        downsample(historian, "m1", ["x"], end, start, 10)


def test_events_become_markers_and_bands(historian: Historian) -> None:
    h = 3600 * S
    ev = [
        Event(
            time=T0 - 2 * h,
            machine="m1",
            kind=EventKind.MAINTENANCE_START,
            payload={"action": "bearing_service"},
        ),
        Event(time=T0 + 1 * h, machine="m1", kind=EventKind.MAINTENANCE_END, payload={}),
        Event(time=T0 + 2 * h, machine="m1", kind=EventKind.ALERT, payload={"reason": "vib +3σ"}),
        Event(time=T0 + 3 * h, machine="m1", kind=EventKind.FAILURE, payload={"mode": "seal"}),
        Event(time=T0 + 3 * h, machine="m1", kind=EventKind.REPAIR_START, payload={"mode": "seal"}),
        Event(time=T0 + 2 * h, machine="m2", kind=EventKind.ALERT, payload={"reason": "other"}),
    ]
    historian.append_events(ev)
    got = markers(historian, "m1", T0, T0 + 10 * h)
    assert [(m["kind"], m["text"]) for m in got["markers"]] == [
        ("alert", "vib +3σ"),
        ("failure", "seal"),
    ]
    maint, repair = got["bands"]
    assert (maint["kind"], maint["start"], maint["end"], maint["text"]) == (
        "maintenance",
        T0,
        T0 + h,
        "bearing_service",
    )  # began before the range: clipped
    assert repair["kind"] == "repair" and repair["end"] == T0 + 10 * h and repair["open"]
