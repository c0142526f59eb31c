"""Exports round-trip: what CSV and Parquet carry reads back equal to the store's data."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from jayul.historian import Historian
from jayul.historian import export as ex
from jayul.records import Alert, Event, EventKind, Samples, SignalContribution

S = 1_000_000_000
H = 3600 * S
T0 = 1_767_225_600 * S


def _fill(h: Historian) -> tuple[np.ndarray, np.ndarray]:
    t = T0 + np.arange(0, 20 * 3600, 60, dtype=np.int64) * S  # 20 h at 1/min: 4 windows
    v = np.sin(np.arange(len(t)) / 7.0)
    for m in ("m1", "m2"):
        h.append_samples(Samples.build(t, m, "a", v))
        h.append_samples(Samples.build(t, m, "b", 2 * v))
    c = [SignalContribution(signal="a", share=0.7, direction=1, z=2.5)]
    events = [Alert(time=T0 + k * H, machine="m1", detector="z", score=2.0, threshold=1.0,
                    contributions=c).to_event() for k in range(5)]  # fmt: skip
    events += [Event(time=T0 + 2 * H, machine="m2", kind=EventKind.FAILURE, payload={"mode": "x"})]
    h.append_events(events)
    return t, v


def _read(fmt: str, chunks: list[bytes]) -> pd.DataFrame:
    data = b"".join(chunks)
    if fmt == "csv":
        return pd.read_csv(io.BytesIO(data), float_precision="round_trip")  # exact decimals
    return pq.read_table(io.BytesIO(data)).to_pandas()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_samples_round_trip(historian: Historian, fmt: str) -> None:
    t, _ = _fill(historian)
    start, end = T0, T0 + 20 * H
    chunks = list(ex.encode("samples", fmt, ex.sample_frames(historian, ["m1", "m2"], start, end)))
    assert len(chunks) > 2  # streamed in pieces, not one blob
    got = _read(fmt, chunks)
    assert len(got) == 4 * len(t)
    for m in ("m1", "m2"):
        want = historian.query_samples(m, start, end)
        mine = got[got["machine"] == m].sort_values(["time", "signal"]).reset_index(drop=True)
        assert mine["time"].tolist() == want["time"].tolist()
        assert mine["signal"].tolist() == want["signal"].tolist()
        np.testing.assert_allclose(mine["value"].to_numpy(), want["value"].to_numpy(), rtol=1e-15)
    assert got["time_utc"].iloc[0].startswith("2026-01-01T00:00:00")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_events_and_alerts_round_trip(historian: Historian, fmt: str) -> None:
    _fill(historian)
    events = _read(fmt, list(ex.encode("events", fmt, ex.event_frames(historian, T0, T0 + 9 * H))))
    assert sorted(events["kind"].tolist()) == ["alert"] * 5 + ["failure"]
    alerts = _read(fmt, list(ex.encode("alerts", fmt, ex.alert_frames(historian, T0, T0 + 9 * H))))
    assert len(alerts) == 5 and set(alerts["reason"]) == {"a +2.5σ"}
    assert alerts["score"].tolist() == [2.0] * 5
    empty = _read(fmt, list(ex.encode("alerts", fmt, ex.alert_frames(historian, 0, 10))))
    assert len(empty) == 0 and list(empty.columns) == ex.ALERT_COLUMNS


def test_event_chunks_do_not_drop_or_repeat(
    historian: Historian, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ex, "EVENT_CHUNK", 4)
    same_time = [
        Event(time=T0 + (k // 3) * S, machine="m", kind=EventKind.FAILURE) for k in range(11)
    ]
    historian.append_events(same_time)
    ids = [i for f in ex.event_frames(historian, T0, T0 + H) for i in f["id"]]
    assert sorted(ids) == sorted(e.id for e in same_time)


def test_audit_export_keeps_the_chain() -> None:
    from jayul.govern.audit import AuditLog

    log = AuditLog(":memory:", flush_every=1)
    for k in range(30):
        log.append(T0 + k * S, "jayul", "x", f"s{k}", "why")
    log.flush()

    def fetch(start: int, end: int, after: int, limit: int) -> list[tuple[object, ...]]:
        return log.con.execute(
            "SELECT seq, time, actor, kind, subject, reason, payload, prev, hash FROM audit_log "
            "WHERE time >= ? AND time < ? AND seq > ? ORDER BY seq LIMIT ?",
            [start, end, after, limit],
        ).fetchall()

    got = _read(
        "parquet", list(ex.encode("audit", "parquet", ex.audit_frames(fetch, T0, T0 + 20 * S)))
    )
    assert got["seq"].tolist() == list(range(20))
    assert (got["prev"].iloc[1:].to_numpy() == got["hash"].iloc[:-1].to_numpy()).all()
