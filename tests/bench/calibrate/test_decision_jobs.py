"""The decision test's two arms go to `run_tasks` together, so `--jobs 2` runs them at once;
the report composes the two arms against the reactive baseline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from jayul.bench.calibrate import decision
from jayul.bench.calibrate.decision import Arm, decision_test
from jayul.calibrate.plant_twin import PlantTwin
from jayul.plant import parse_plant

SMALL = (Path(__file__).parents[2] / "calibrate" / "small_plant.yaml").read_text()


def test_arms_run_as_tasks_with_the_jobs_given(monkeypatch: pytest.MonkeyPatch) -> None:
    plant = parse_plant(SMALL)
    calls: list[tuple[list[Any], int, str]] = []

    def serial(
        fn: Callable[[Any], Any],
        items: Sequence[Any],
        jobs: int = 1,
        on_done: Callable[[int, Any], None] | None = None,
        pool: str = "fork",
    ) -> list[Any]:
        calls.append((list(items), jobs, pool))
        return [fn(item) for item in items]

    def arm(truth: Any, seed: int, days: float, calibrated: PlantTwin | None) -> Arm:
        # the truth arm: 2 failures, cost 100; the calibrated arm: 1 failure, cost 110
        return Arm(100.0, 2, 5, 7, 1.0) if calibrated is None else Arm(110.0, 1, 6, 8, 1.0)

    monkeypatch.setattr(decision, "run_tasks", serial)
    monkeypatch.setattr(decision, "_arm", arm)
    monkeypatch.setattr(decision, "load_or_train", lambda plant: (None, None, True))
    out = decision_test(plant, plant, {}, days=10.0, seed=3, jobs=2)
    [(items, jobs, pool)] = calls
    assert jobs == 2 and pool == "joblib"
    assert items[0] is None and isinstance(items[1], PlantTwin)
    reactive = out["reactive_failures"]
    assert reactive > 0
    assert out["verified_on_truth"]["failures_prevented"] == pytest.approx(
        1 - 2 / reactive, abs=1e-4
    )
    assert out["cost_rel_diff"] == pytest.approx(0.1)
    assert out["prevented_diff_points"] == pytest.approx(100 / reactive, abs=0.01)
