"""POST /api/actions answers a proposal for work a machine already waits for with the gate's
refusal, naming the request that stands."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from jayul.server import LiveState, create_app

Login = Callable[[TestClient, str], dict[str, str]]


@pytest.fixture(scope="module")
def fresh(fuzz_state: LiveState) -> Iterator[TestClient]:
    """A plant of its own, barely warmed up: no request stands on it yet."""
    with TestClient(create_app(fuzz_state)) as c:
        yield c


def _limit(machine: str, value: float) -> dict[str, Any]:
    return {
        "machine": machine,
        "kind": "change_setpoint",
        "params": {"setpoint": "pressure_limit", "value": value, "unit": "bar"},
    }


def test_second_proposal_for_the_same_work_is_refused(fresh: TestClient, login: Login) -> None:
    olga, erik = login(fresh, "olga"), login(fresh, "erik")
    first = fresh.post("/api/actions", json=_limit("press1", 220), headers=olga).json()
    assert first["status"] == "pending", first
    second = fresh.post("/api/actions", json=_limit("press1", 210), headers=erik)
    assert second.status_code == 200, second.text
    out = second.json()
    assert (out["status"], out["check"]) == ("refused", "duplicate")
    assert first["approval_id"] in out["reason"] and out["approval_id"] is None

    # another machine, or other work on the same machine, is no duplicate
    other = fresh.post("/api/actions", json=_limit("press2", 200), headers=erik).json()
    assert other["status"] == "pending", other
    service = {
        "machine": "press1",
        "kind": "start_maintenance",
        "params": {"action": "seal_service"},
    }
    maint = fresh.post("/api/actions", json=service, headers=olga).json()
    assert maint["check"] != "duplicate", maint

    # once the first is decided, the same work may be proposed again
    no = fresh.post(
        f"/api/approvals/{first['approval_id']}/reject", json={"reason": "too far"}, headers=erik
    )
    assert no.status_code == 200, no.text
    again = fresh.post("/api/actions", json=_limit("press1", 210), headers=olga).json()
    assert again["status"] == "pending", again
