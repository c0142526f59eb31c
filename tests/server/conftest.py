"""A live plant behind the API, warmed up until the autopilot asks for an approval."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from jayul.autopilot.setup import assemble
from jayul.cli.demo_ui import prepare
from jayul.gate import AutonomyLevel
from jayul.historian.open import open_historian
from jayul.plant import demo_plant_path, load_plant
from jayul.server import LiveState, create_app
from jayul.server.users import Role
from jayul.twin import Twin

PASSWORDS = {
    "ada": ("admin", "admin-pass-1"),
    "olga": ("operator", "operator-pass-1"),
    "erik": ("engineer", "engineer-pass-1"),
    "vera": ("viewer", "viewer-pass-1"),
}


def build_state(db: Path, warmup_h: float = 800.0, speed: float = 3600.0) -> LiveState:
    plant = load_plant(demo_plant_path())
    twin = Twin(plant, seed=0)
    historian = open_historian(str(db))
    # no verifier: every proposal queues for a person
    assembly = assemble(
        plant, twin, "condition", historian, str(db), AutonomyLevel.L2, verify=False
    )
    state = prepare(
        plant, assembly.pilot, historian, speed, db, gate=assembly.gate, warmup_h=warmup_h
    )
    for name, (role, password) in PASSWORDS.items():
        state.users.add(name, Role(role), password, by="test")
    return state


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveState]:
    state = build_state(tmp_path_factory.mktemp("live") / "plant.duckdb")
    yield state
    state.stop()


Login = Callable[[TestClient, str], dict[str, str]]


def _login(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/api/login", json={"username": name, "password": PASSWORDS[name][1]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture(scope="session")
def login() -> Login:
    """Log a test user in; returns the Authorization header."""
    return _login


@pytest.fixture(scope="session")
def client(live: LiveState) -> Iterator[TestClient]:
    with TestClient(create_app(live)) as c:
        yield c


@pytest.fixture(scope="module")
def fuzz_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveState]:
    """A separate plant, barely warmed up, for tests whose writes change everything."""
    state = build_state(tmp_path_factory.mktemp("fuzz") / "plant.duckdb", warmup_h=3.0)
    yield state
    state.stop()
