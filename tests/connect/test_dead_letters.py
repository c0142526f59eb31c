"""Malformed input, case by case: each becomes a dead letter with its reason and raw bytes,
and the good samples beside it are kept."""

from __future__ import annotations

import json
import time

import pytest

from jayul.connect.bindings import Limits
from jayul.connect.payload import PayloadParser
from jayul.connect.validate import SignalTable
from jayul.historian.base import DeadLetter
from jayul.plant import Plant
from jayul.records import Samples

ROOT = "jayul/demo"
NOW = time.time_ns()


def ingest(
    plant: Plant, topic: str, payload: bytes, limits: Limits | None = None
) -> tuple[Samples, list[DeadLetter]]:
    limits = limits or Limits()
    c, dead = PayloadParser(ROOT, limits.max_message_bytes).parse(topic, payload)
    if c is None:
        return Samples.empty(), dead
    samples, bad = SignalTable(plant, limits).check(c, f"mqtt:{topic}")
    return samples, dead + bad


def good(signal: str = "flow", t: int = NOW, v: float = 40.0) -> dict[str, object]:
    return {"signal": signal, "t": t, "v": v}


def test_valid_single_and_batch(plant: Plant) -> None:
    s, d = ingest(plant, f"{ROOT}/pump1/flow", json.dumps({"t": NOW, "v": 41.5, "q": 1}).encode())
    assert (len(s), d) == (1, [])
    assert s.machine[0] == "pump1" and s.signal[0] == "flow" and s.quality[0] == 1
    iso = json.dumps({"t": "2026-11-24T10:00:00+00:00", "v": 1.0}).encode()
    s, d = ingest(plant, f"{ROOT}/pump1/flow", iso, Limits(max_age_s=None, max_future_s=None))
    assert len(s) == 1 and s.time[0] == 1795514400 * 10**9
    batch = {"samples": [good(), good("pressure", v=6.0), good(t=NOW + 1)]}
    s, d = ingest(plant, f"{ROOT}/pump1", json.dumps(batch).encode())
    assert (len(s), d) == (3, [])


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        (f"{ROOT}/pump1", b'{"samples": [', "not JSON"),
        (f"{ROOT}/pump1", b"\xff\xfe", "not JSON"),
        (f"{ROOT}/pump1", b"[1, 2]", "expected"),
        (f"{ROOT}/pump1", b'{"samples": 5}', "'samples' is not a list"),
        ("other/pump1/flow", b'{"t": 1, "v": 1}', "topic outside"),
        (f"{ROOT}/pump1/flow/extra", b'{"t": 1, "v": 1}', "topic is not"),
        (f"{ROOT}/nosuch/flow", json.dumps({"t": NOW, "v": 1.0}).encode(), "unknown machine"),
        (f"{ROOT}/pump1/nosuch", json.dumps({"t": NOW, "v": 1.0}).encode(), "has no signal"),
        (f"{ROOT}/pump1/flow", json.dumps({"t": NOW, "v": "high"}).encode(), "'v' is not a number"),
        (f"{ROOT}/pump1/flow", json.dumps({"t": NOW, "v": True}).encode(), "'v' is not a number"),
        (f"{ROOT}/pump1/flow", json.dumps({"t": 1.5, "v": 1.0}).encode(), "'t' is not"),
        (f"{ROOT}/pump1/flow", json.dumps({"t": "yesterday", "v": 1.0}).encode(), "'t' is not"),
        (
            f"{ROOT}/pump1/flow",
            json.dumps({"t": "2026-11-24T10:00:00", "v": 1.0}).encode(),
            "'t' is not",
        ),
        (f"{ROOT}/pump1/flow", json.dumps({"t": NOW, "v": 1.0, "q": "good"}).encode(), "'q'"),
        (f"{ROOT}/pump1/flow", json.dumps({"t": NOW, "v": 1.0, "q": 7}).encode(), "quality"),
        (
            f"{ROOT}/pump1/flow",
            json.dumps({"t": NOW, "v": 1e9}).encode(),
            "outside the signal's valid range",
        ),
        (
            f"{ROOT}/pump1/flow",
            json.dumps({"t": NOW, "v": -0.5}).encode(),
            "outside the signal's valid range",
        ),
        (f"{ROOT}/pump1/flow", b'{"t": %d, "v": NaN}' % NOW, "not finite"),
        (f"{ROOT}/pump1/flow", json.dumps({"t": NOW, "v": 10**400}).encode(), "too large"),
        (f"{ROOT}/pump1/flow", json.dumps({"t": 10**30, "v": 1.0}).encode(), "'t' is not"),
        (f"{ROOT}/pump1/flow", json.dumps({"t": NOW + 3600 * 10**9, "v": 1.0}).encode(), "future"),
        (
            f"{ROOT}/pump1/flow",
            json.dumps({"t": NOW - 30 * 86400 * 10**9, "v": 1.0}).encode(),
            "too old",
        ),
        (
            f"{ROOT}/pump1",
            json.dumps({"samples": [{"t": NOW, "v": 1.0}]}).encode(),
            "no string 'signal'",
        ),
        (f"{ROOT}/pump1", json.dumps({"samples": ["x"]}).encode(), "not a JSON object"),
    ],
)
def test_each_malformed_case_is_a_dead_letter(
    plant: Plant, topic: str, payload: bytes, reason: str
) -> None:
    samples, dead = ingest(plant, topic, payload)
    assert len(samples) == 0
    assert len(dead) == 1
    assert reason in dead[0].reason
    assert dead[0].source == f"mqtt:{topic}"
    assert dead[0].raw  # the bytes, or the offending sample as JSON


def test_oversize_message(plant: Plant) -> None:
    payload = json.dumps({"samples": [good(t=NOW + i) for i in range(200)]}).encode()
    samples, dead = ingest(plant, f"{ROOT}/pump1", payload, Limits(max_message_bytes=1000))
    assert len(samples) == 0 and len(dead) == 1
    assert "exceeds 1000" in dead[0].reason and dead[0].raw == payload


def test_bad_samples_do_not_spoil_their_batch(plant: Plant) -> None:
    batch = {
        "samples": [
            good(),
            {"signal": "flow", "t": NOW + 1, "v": "x"},
            good("nosuch"),
            good("pressure", v=99.0),
            good("current", t=NOW + 5),
        ]
    }
    samples, dead = ingest(plant, f"{ROOT}/pump1", json.dumps(batch).encode())
    assert sorted(samples.signal) == ["current", "flow"]
    assert sorted(d.reason for d in dead) == sorted(
        [
            "'v' is not a number",
            "machine 'pump1' has no signal 'nosuch'",
            "value outside the signal's valid range: pressure = 99 not in [0, 12]",
        ]
    )
    assert json.loads(dead[0].raw)  # each offending sample kept as JSON
