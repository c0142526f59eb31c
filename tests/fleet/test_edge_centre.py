"""A site's records reach the centre's PostgreSQL through the real NATS JetStream, under the
site's sharing policy, and nothing is lost or stored twice across outages and redeliveries."""

from __future__ import annotations

import asyncio

import numpy as np

from jayul.fleet import Share, SignalSharing
from jayul.fleet.store import FleetStore, Incoming
from jayul.records import Event, EventKind, Samples

from .conftest import NATS_URL, NOWHERE, PG_URL, Fleet, wait_for

T0 = 1_700_000_040 * 10**9  # on a minute boundary


def _events(n: int, kind: EventKind = EventKind.ALERT) -> list[Event]:
    return [
        Event(time=T0 + i, machine="press-1", kind=kind, payload={"score": i}) for i in range(n)
    ]


def _samples(n: int, start: int = T0, step: int = 10**9) -> Samples:
    t = start + np.arange(n, dtype=np.int64) * step
    return Samples.build(t, "press-1", "temperature", np.arange(n, dtype=float))


def _count(fleet: Fleet, table: str, where: str = "true") -> int:
    (n,) = fleet.rows(f"SELECT count(*) FROM {{s}}.{table} WHERE {where}")[0]
    assert isinstance(n, int)
    return n


def test_edge_to_centre_raw_signals_events_kpis(fleet: Fleet) -> None:
    site = fleet.site("plant-a", Share(signals=SignalSharing.RAW)).start()
    centre = fleet.centre().start()
    try:
        site.offer_events(_events(3))
        site.offer_events(_events(2, EventKind.ACTION))
        site.offer_samples(_samples(25_000))  # more than one message's worth (20,000 rows)
        site.offer_kpis({"availability": 0.97})
        wait_for(lambda: _count(fleet, "messages") == 5, what="5 messages at the centre")
    finally:
        site.close()
        centre.stop()
    assert _count(fleet, "events", "kind = 'alert'") == 3
    assert _count(fleet, "events", "kind = 'action'") == 2
    assert fleet.rows("SELECT count(*), sum(value) FROM {s}.samples WHERE site = 'plant-a'") == [
        (25_000, float(sum(range(25_000))))
    ]
    assert fleet.rows("SELECT site, kpis->>'availability' FROM {s}.sites") == [("plant-a", "0.97")]
    offered, stored = fleet.rows("SELECT min(offered_ns), min(stored_ns) FROM {s}.messages")[0]
    assert isinstance(offered, int) and isinstance(stored, int) and stored >= offered


def test_sharing_policy_is_enforced_at_the_centre(fleet: Fleet) -> None:
    """The default policy shares events and KPIs, no signals, no model updates, no orders; a
    site sharing downsampled signals sends bucket means, never its raw rows."""
    default = fleet.site("quiet")
    downsampled = fleet.site("coarse", Share(signals=SignalSharing.DOWNSAMPLED, downsample_s=60))
    for site in (default, downsampled):
        site.offer_events([*_events(2), *_events(1, EventKind.ORDER_RELEASED)])
        site.offer_samples(_samples(600))  # 10 minutes at 1 s
        site.offer_model_update("detector", "1", {"weights": [1, 2]})
        site.offer_kpis({"oee": 0.8})
        site.start()
    centre = fleet.centre().start()
    try:
        # quiet: alerts + KPIs; coarse: alerts + KPIs + 9 closed 1-minute buckets
        wait_for(lambda: _count(fleet, "messages") == 5, what="5 messages at the centre")
    finally:
        for site in (default, downsampled):
            site.close()
        centre.stop()
    assert _count(fleet, "samples", "site = 'quiet'") == 0
    assert _count(fleet, "events", "kind = 'order_released'") == 0
    assert _count(fleet, "models") == 0
    assert _count(fleet, "events", "kind = 'alert'") == 4
    means = fleet.rows("SELECT time, value FROM {s}.samples WHERE site = 'coarse' ORDER BY time")
    assert len(means) == 9  # the tenth minute is still open at the site
    assert means[0] == (T0, 29.5)  # the mean of the first minute's 0..59
    assert means[-1] == (T0 + 8 * 60 * 10**9, 509.5)


def test_catch_up_after_site_offline_and_centre_down(fleet: Fleet) -> None:
    """Offline, the site keeps queuing on disk; the centre, down meanwhile, finds it all in the
    stream when it starts: every message once."""
    offline = fleet.site("remote", url=NOWHERE).start()
    for i in range(20):
        offline.offer_events([Event(time=T0 + i, kind=EventKind.ALERT)])
    wait_for(lambda: offline.status()["last_error"] != "", what="the site noticing it is offline")
    assert offline.outbox.backlog() == 20
    offline.close()
    back = fleet.site("remote")  # the link is back: same outbox, reachable NATS
    back.start()
    wait_for(lambda: back.outbox.backlog() == 0, what="the outbox drained into the stream")
    back.close()
    centre = fleet.centre().start()  # the centre was down all along
    try:
        wait_for(lambda: _count(fleet, "events") == 20, what="20 alerts at the centre")
    finally:
        centre.stop()
    assert _count(fleet, "messages") == 20


def test_redelivery_is_stored_once(fleet: Fleet) -> None:
    """A centre that stored a batch and died before acknowledging it gets the batch again;
    the message ids are already stored, so nothing is written twice."""
    import nats
    from nats.js.api import ConsumerConfig

    from jayul.fleet.wire import MSG_ID, OFFERED_NS

    site = fleet.site("plant-b", Share(signals=SignalSharing.RAW)).start()
    site.offer_samples(_samples(100))
    site.offer_events(_events(5))
    wait_for(lambda: site.outbox.backlog() == 0, what="the site's messages in the stream")
    site.close()

    async def store_without_ack() -> int:
        nc = await nats.connect(NATS_URL)
        js = nc.jetstream()
        sub = await js.pull_subscribe(
            f"{fleet.prefix}.site.>", durable="centre", config=ConsumerConfig(ack_wait=1.0)
        )
        msgs = await sub.fetch(10, timeout=5)
        store = FleetStore(PG_URL, fleet.schema)
        batch = [
            Incoming(m.subject, m.headers[MSG_ID], int(m.headers[OFFERED_NS]), m.data)
            for m in msgs
            if m.headers
        ]
        stored = store.write(batch, fleet.prefix).stored
        store.close()
        await nc.close()  # no ack: as a centre killed after its commit
        return stored

    assert asyncio.run(store_without_ack()) == 2
    centre = fleet.centre()  # the same durable: the two messages come again after ack_wait
    centre.start()
    try:
        wait_for(lambda: centre.stats.repeats == 2, what="the redelivered messages")
    finally:
        centre.stop()
    assert centre.stats.stored == 0
    assert _count(fleet, "samples") == 100
    assert _count(fleet, "events") == 5


def _arrow_samples(values: list[float | None]) -> bytes:
    """A samples body in the first wire version (Arrow IPC), as an old outbox may still hold."""
    import pyarrow as pa

    n = len(values)
    table = pa.table(
        {
            "time": pa.array([T0 + i for i in range(n)], pa.int64()),
            "machine": pa.array(["press-1"] * n, pa.string()),
            "signal": pa.array(["temperature"] * n, pa.string()),
            "value": pa.array(values, pa.float64()),
            "quality": pa.array([0] * n, pa.uint8()),
        }
    )
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def test_unreadable_message_goes_to_dead_letters(fleet: Fleet) -> None:
    from jayul.fleet.wire import encode_samples

    good = encode_samples(_samples(3))
    subject = f"{fleet.prefix}.site.x.samples"
    store = FleetStore(PG_URL, fleet.schema)
    try:
        result = store.write(
            [
                Incoming(subject, "bad-1", None, b"not arrow"),
                Incoming(f"{fleet.prefix}.site.x.weather", "bad-2", None, b"{}"),
                Incoming(f"{fleet.prefix}.site.x.alerts", "ok-1", None, b"[]"),
                Incoming(subject, "bad-3", None, _arrow_samples([1.0, None, 2.0])),
                Incoming(subject, "bad-4", None, good[:-1]),  # cut short in transit
                Incoming(subject, "ok-2", None, good),
                Incoming(f"{fleet.prefix}.site.y.samples", "ok-3", None, _arrow_samples([4.0])),
            ],
            fleet.prefix,
        )
    finally:
        store.close()
    assert (result.stored, result.dead, result.samples) == (3, 4, 4)
    reasons = [r for (r,) in fleet.rows("SELECT reason FROM {s}.dead_letters ORDER BY msg_id")]
    assert "Arrow" in reasons[0] and "unknown kind 'weather'" in reasons[1]
    assert "missing values in value" in reasons[2]
    assert "not the" in reasons[3] and "3 rows" in reasons[3]
    assert fleet.rows("SELECT site, machine, signal, value FROM {s}.samples WHERE site = 'y'") == [
        ("y", "press-1", "temperature", 4.0)
    ]


def test_a_batch_the_database_refuses_leaves_only_the_culprit_dead(fleet: Fleet) -> None:
    """PostgreSQL refuses a NUL in text: the batch's shared COPY fails, and the batch is
    written again message by message, so the good messages are stored and one is dead."""
    from jayul.fleet.wire import encode_samples

    subject = f"{fleet.prefix}.site.x.samples"
    bad = Samples.build([T0], "press\x00-1", "temperature", [1.0])
    store = FleetStore(PG_URL, fleet.schema)
    try:
        result = store.write(
            [
                Incoming(subject, "ok-1", None, encode_samples(_samples(5))),
                Incoming(subject, "bad-1", None, encode_samples(bad)),
                Incoming(subject, "ok-2", None, encode_samples(_samples(3, start=T0 + 1))),
            ],
            fleet.prefix,
        )
    finally:
        store.close()
    assert (result.stored, result.dead, result.samples) == (2, 1, 8)
    assert _count(fleet, "samples") == 8
    assert [m for (m,) in fleet.rows("SELECT msg_id FROM {s}.dead_letters")] == ["bad-1"]
