"""`jayul.bench.runner`: the same results, in order, serially, in processes and on Ray."""

from __future__ import annotations

import importlib.util

import pytest

from jayul.bench import runner


def _sweep(jobs: int, pool: runner.Pool = "fork") -> tuple[list[int], list[int]]:
    offset = 10  # a closure: forked workers inherit it, Ray pickles it

    def square_plus(x: int) -> int:
        return x * x + offset

    done: list[int] = []
    results = runner.run_tasks(
        square_plus, [3, 1, 4, 1, 5], jobs, lambda i, _: done.append(i), pool
    )
    return results, done


def test_serial_and_process_pools_give_the_same_results(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAYUL_RAY", "0")
    assert runner.backend(2, 5) == "processes"
    assert runner.backend(1, 5) == "serial"
    expected = [19, 11, 26, 11, 35]
    for jobs, pool in ((1, "fork"), (2, "fork"), (2, "joblib")):
        results, done = _sweep(jobs, pool)  # type: ignore[arg-type]
        assert results == expected
        assert sorted(done) == [0, 1, 2, 3, 4]


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="ray not installed")
def test_a_sweep_runs_as_ray_tasks_on_a_local_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    import ray

    monkeypatch.delenv("JAYUL_RAY", raising=False)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert runner.backend(2, 5) == "ray"
    results, done = _sweep(2)
    assert results == [19, 11, 26, 11, 35]
    assert sorted(done) == [0, 1, 2, 3, 4]
    assert not ray.is_initialized()  # the runtime it started is stopped again
