"""What travels from a site to the centre. Subjects say who and what
(`<prefix>.site.<site>.<kind>`); headers carry the message id and when the site offered it;
bodies are JSON for events, KPIs and model updates and packed columns for samples
(sample_wire)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from jayul.fleet.sample_wire import SampleColumns, WireError, decode_samples, encode_samples
from jayul.records import Event, Samples

__all__ = [
    "MSG_ID",
    "OFFERED_NS",
    "Downsampler",
    "SampleColumns",
    "WireError",
    "chunks",
    "decode_events",
    "decode_json",
    "decode_samples",
    "encode_events",
    "encode_json",
    "encode_samples",
]

MSG_ID = "Nats-Msg-Id"  # JetStream's de-duplication header
OFFERED_NS = "Jayul-Offered-Ns"  # when the site queued the message, for latency at the centre


def encode_events(events: list[Event]) -> bytes:
    return json.dumps([e.model_dump(mode="json") for e in events]).encode()


def decode_events(body: bytes) -> list[Event]:
    try:
        raw = json.loads(body)
        if not isinstance(raw, list):
            raise TypeError("not a list of events")
        return [Event.model_validate(e) for e in raw]
    except (ValueError, TypeError) as exc:
        raise WireError(f"events body is not a JSON list of events: {exc}") from None


def encode_json(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def decode_json(body: bytes) -> dict[str, Any]:
    try:
        raw = json.loads(body)
    except ValueError as exc:
        raise WireError(f"body is not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise WireError("body is not a JSON object")
    return raw


def chunks(batch: Samples, rows: int) -> list[Samples]:
    """A batch cut into messages of at most `rows` samples (NATS limits a message's size)."""
    if len(batch) <= rows:
        return [batch]
    return [batch_slice(batch, i, i + rows) for i in range(0, len(batch), rows)]


def batch_slice(batch: Samples, start: int, end: int) -> Samples:
    return Samples(
        batch.time[start:end],
        batch.machine[start:end],
        batch.signal[start:end],
        batch.value[start:end],
        batch.quality[start:end],
    )


class Downsampler:
    """Means per (machine, signal) over buckets of `bucket_ns`, stamped at the bucket's start,
    with the worst quality seen in it. A bucket is emitted once a later bucket has begun (the
    site's samples come roughly in time order), so late rows of an emitted bucket are dropped."""

    def __init__(self, bucket_ns: int) -> None:
        self.bucket_ns = bucket_ns
        self._pending = Samples.empty()

    def add(self, batch: Samples) -> Samples:
        pending = Samples.concat([self._pending, batch]) if len(self._pending) else batch
        if not len(pending):
            return Samples.empty()
        bucket = pending.time // self.bucket_ns
        newest = int(bucket.max())
        closed = bucket < newest
        self._pending = _mask(pending, ~closed)
        if not closed.any():
            return Samples.empty()
        return _means(_mask(pending, closed), bucket[closed] * self.bucket_ns)


def _mask(batch: Samples, keep: np.ndarray) -> Samples:
    return Samples(
        batch.time[keep], batch.machine[keep], batch.signal[keep], batch.value[keep],
        batch.quality[keep],
    )  # fmt: skip


def _means(batch: Samples, starts: np.ndarray) -> Samples:
    import pandas as pd

    frame = pd.DataFrame(
        {
            "time": starts,
            "machine": batch.machine,
            "signal": batch.signal,
            "value": batch.value,
            "quality": batch.quality,
        }
    )
    out = frame.groupby(["time", "machine", "signal"], as_index=False, sort=True).agg(
        value=("value", "mean"), quality=("quality", "max")
    )
    return Samples.build(out["time"], out["machine"], out["signal"], out["value"], out["quality"])
