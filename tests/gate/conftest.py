"""A gate on the demo plant with an in-memory database and an executor that records."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from gate_helpers import T0, Recorder

from jayul.gate import AutonomyLevel, Gate, Origins, RateLimiter
from jayul.plant import load_demo_plant
from jayul.plant.model import Plant


@pytest.fixture(scope="session")
def plant() -> Plant:
    return load_demo_plant()


@pytest.fixture
def executed() -> Recorder:
    return Recorder()


@pytest.fixture
def gate(plant: Plant, executed: Recorder) -> Gate:
    origins = Origins()
    origins.register("policy:cbm", proposers=frozenset({"autopilot"}))
    origins.register("model:capped", max_level=AutonomyLevel.L2)
    g = Gate(plant, ":memory:", executed, origins, rate_limiter=RateLimiter(100))
    g.autonomy.set_level(AutonomyLevel.L4, "test", T0, "tests start at L4")
    return g
