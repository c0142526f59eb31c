"""The verification timing harness, small."""

from __future__ import annotations

from jayul.bench.verify.harness import time_verification
from jayul.plant import load_demo_plant


def test_time_verification_small() -> None:
    figures = time_verification(load_demo_plant(), futures=2, horizon_h=24, repeats=1)
    assert figures["verdict"]["futures"] == 2
    assert figures["wall_s"]["median"] > 0
