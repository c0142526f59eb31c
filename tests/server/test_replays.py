"""Idempotent proposals: the same key twice is one proposal; the second answer says it is a
replay; keys belong to their account; a key cannot stand for two different proposals."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from jayul.server.live import LiveState
from jayul.server.replays import KeyInFlightError, KeyReusedError, ProposalReplays

Login = Callable[[TestClient, str], dict[str, str]]


def _proposal(value: float, key: str | None) -> dict[str, object]:
    body: dict[str, object] = {
        "machine": "pump1",
        "kind": "change_setpoint",
        "params": {"setpoint": "speed_rpm", "value": value, "unit": "rpm"},
    }
    if key is not None:
        body["idempotency_key"] = key
    return body


def _approvals(client: TestClient, headers: dict[str, str]) -> set[str]:
    return {a["id"] for a in client.get("/api/approvals", headers=headers).json()}


def test_the_same_key_twice_is_one_proposal(
    client: TestClient, login: Login, live: LiveState
) -> None:
    erik, olga = login(client, "erik"), login(client, "olga")
    before = _approvals(client, erik)
    first = client.post("/api/actions", json=_proposal(1455, "retry-7"), headers=erik).json()
    assert first["status"] == "pending" and first["replay"] is False, first
    again = client.post("/api/actions", json=_proposal(1455, "retry-7"), headers=erik).json()
    assert again == {**first, "replay": True}
    assert _approvals(client, erik) - before == {first["approval_id"]}  # one request, not two
    replayed = client.get("/api/audit?kind=proposal_replayed", headers=erik).json()["records"]
    assert any(r["actor"] == "user:erik" and "retry-7" in r["reason"] for r in replayed)
    # another proposal under the same key is refused, not answered with the first's outcome
    other = client.post("/api/actions", json=_proposal(1465, "retry-7"), headers=erik)
    assert other.status_code == 409 and "another proposal" in other.json()["detail"]
    # the key is erik's: olga's same key is her own, new proposal, which reaches the gate (and
    # is refused there: the same setpoint change already waits for a person)
    hers = client.post("/api/actions", json=_proposal(1455, "retry-7"), headers=olga).json()
    assert hers["replay"] is False and hers["check"] == "duplicate", hers
    assert first["approval_id"] in hers["reason"]
    # without a key every call is a proposal of its own, answered as before
    plain = client.post("/api/actions", json=_proposal(1455, None), headers=erik).json()
    assert "replay" not in plain and plain["check"] == "duplicate", plain
    # the plant is shared by the other tests: leave no request standing on pump1's speed
    done = client.post(
        f"/api/approvals/{first['approval_id']}/reject", json={"reason": "test"}, headers=erik
    )
    assert done.status_code == 200, done.text


def test_only_the_newest_answers_are_kept() -> None:
    replays = ProposalReplays(capacity=2)
    for key in ("a", "b", "c"):
        replays.remember("erik", key, key * 64, {"status": "pending", "key": key})
    assert replays.answered("erik", "a", "a" * 64) is None  # forgotten: the oldest
    assert replays.answered("erik", "c", "c" * 64) == {"status": "pending", "key": "c"}
    assert replays.answered("olga", "c", "c" * 64) is None


def test_a_key_in_flight_is_neither_answered_nor_proposed_again() -> None:
    replays = ProposalReplays()
    replays.begin("erik", "k", "a" * 64)
    with pytest.raises(KeyInFlightError, match="still being verified"):
        replays.answered("erik", "k", "a" * 64)
    with pytest.raises(KeyReusedError):  # another proposal under the key in flight
        replays.answered("erik", "k", "b" * 64)
    assert replays.answered("olga", "k", "a" * 64) is None  # another account's own key
    replays.remember("erik", "k", "a" * 64, {"status": "pending"})
    replays.settle("erik", "k")
    assert replays.answered("erik", "k", "a" * 64) == {"status": "pending"}
    replays.begin("erik", "failed", "c" * 64)
    replays.settle("erik", "failed")  # the proposal failed: the key is free again
    assert replays.answered("erik", "failed", "c" * 64) is None
