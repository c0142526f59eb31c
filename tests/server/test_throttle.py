"""Failed-login throttling: the counter itself, and the API refusing a guessed-at name."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from jayul.server import LiveState
from jayul.server.throttle import LoginThrottle
from jayul.server.users import Role


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sliding_window_locks_then_releases() -> None:
    clock = Clock()
    throttle = LoginThrottle(max_failures=3, window_s=60.0, clock=clock)
    for _ in range(2):
        throttle.failed("olga")
        clock.now += 10
    assert throttle.retry_after_s("olga") == 0.0  # two failures: not yet
    throttle.failed("olga")  # third, at t=20 s after the first
    assert throttle.retry_after_s("olga") == pytest.approx(40.0)
    assert throttle.retry_after_s("erik") == 0.0  # other names are not affected
    clock.now += 40.0  # the first failure leaves the window
    assert throttle.retry_after_s("olga") == 0.0


def test_success_clears_the_failures() -> None:
    throttle = LoginThrottle(max_failures=2, window_s=60.0, clock=Clock())
    throttle.failed("olga")
    throttle.succeeded("olga")
    throttle.failed("olga")
    assert throttle.retry_after_s("olga") == 0.0


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="max_failures"):
        LoginThrottle(max_failures=0)


def test_api_refuses_even_the_right_password_while_throttled(
    client: TestClient, live: LiveState
) -> None:
    with live.lock:
        live.users.add("gus", Role.VIEWER, "viewer-pass-9", by="test")
    wrong = {"username": "gus", "password": "guess"}
    for _ in range(live.login_throttle.max_failures):
        assert client.post("/api/login", json=wrong).status_code == 401
    right = {"username": "gus", "password": "viewer-pass-9"}
    refused = client.post("/api/login", json=right)
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["Retry-After"]) > 0
    assert [r for r in live.audit.records(kind="login_throttled") if r.actor == "gus"]
    # Other users log in as before.
    ok = client.post("/api/login", json={"username": "vera", "password": "viewer-pass-1"})
    assert ok.status_code == 200
