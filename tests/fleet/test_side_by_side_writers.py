"""The centre's two writers: a message id that one writer has written but not yet committed
when the other's batch holds it too (a redelivery meanwhile) is stored once."""

from __future__ import annotations

import threading
import time

import numpy as np

from jayul.fleet.store import BatchResult, FleetStore, Incoming
from jayul.fleet.wire import encode_samples
from jayul.records import Samples

from .conftest import PG_URL, Fleet

T0 = 1_700_000_040 * 10**9


def _samples(n: int, start: int) -> bytes:
    t = start + np.arange(n, dtype=np.int64) * 10**9
    return encode_samples(Samples.build(t, "press-1", "temperature", np.arange(n, dtype=float)))


def test_a_message_the_other_writer_has_not_committed_yet_is_stored_once(fleet: Fleet) -> None:
    subject = f"{fleet.prefix}.site.x.samples"
    first = FleetStore(PG_URL, fleet.schema)
    second = FleetStore(PG_URL, fleet.schema, first.prepare_lock)
    results: list[BatchResult] = []
    try:
        first.write([Incoming(subject, "m-0", None, _samples(2, T0))], fleet.prefix)  # the site
        with first.conn.transaction():  # the first writer's batch, not committed until the end
            first.write([Incoming(subject, "m-1", None, _samples(5, T0 + 10**10))], fleet.prefix)
            again = Incoming(subject, "m-1", None, _samples(5, T0 + 10**10))
            new = Incoming(subject, "m-2", None, _samples(3, T0 + 10**11))
            writer = threading.Thread(
                target=lambda: results.append(second.write([again, new], fleet.prefix))
            )
            writer.start()
            time.sleep(0.5)
            assert writer.is_alive()  # waiting for the first writer's m-1
        writer.join(20)
    finally:
        first.close()
        second.close()
    assert [(r.stored, r.repeats, r.samples) for r in results] == [(1, 1, 3)]
    rows = fleet.rows("SELECT count(*), count(DISTINCT time) FROM {s}.samples")
    assert rows == [(10, 10)]
    assert fleet.rows("SELECT samples FROM {s}.sites") == [(10,)]
