"""Where a benchmark's independent runs go with `--jobs N`: Ray tasks when Ray is installed,
else the process pool the benchmark used before.

`run_tasks(fn, items, jobs)` returns `[fn(item) for item in items]`, in order, whichever way
it ran them:

- `jobs <= 1` (or one item): here, one after the other;
- Ray (`pip install 'jayul[ray]'`): each item a Ray task, at most `jobs` at once. With
  `RAY_ADDRESS` set (`ray start --head` on a cluster, or `auto`) the same code joins that
  cluster; otherwise it starts a local Ray runtime with `jobs` CPUs and stops it afterwards.
  `fn` and the items travel with Ray's cloudpickle, so closures are fine. `JAYUL_RAY=0`
  turns Ray off;
- without Ray: `pool="fork"` forks `jobs` worker processes that inherit `fn` (closures
  included; fine for pure-Python and numpy work), `pool="joblib"` uses joblib's process pool
  (safe after OpenMP libraries such as LightGBM ran in this process, where a fork is not).

Each run must be a function of its item alone, so the figures do not depend on the way.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Literal, TypeVar

T = TypeVar("T")
R = TypeVar("R")
Pool = Literal["fork", "joblib"]
Done = Callable[[int, Any], None]


def ray_available() -> bool:
    """Whether Ray is installed and not turned off (`JAYUL_RAY=0`)."""
    if os.environ.get("JAYUL_RAY", "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    try:
        importlib.import_module("ray")
    except ImportError:
        return False
    return True


def backend(jobs: int, n_items: int) -> str:
    """Which way `run_tasks` would run `n_items` items with `jobs`: serial, ray or processes."""
    if jobs <= 1 or n_items <= 1:
        return "serial"
    return "ray" if ray_available() else "processes"


def run_tasks(
    fn: Callable[[T], R],
    items: Sequence[T],
    jobs: int = 1,
    on_done: Done | None = None,
    pool: Pool = "fork",
) -> list[R]:
    """`[fn(item) for item in items]`, run as the module docstring says; `on_done(index,
    result)` is called as each finishes (in the order they finish)."""
    way = backend(jobs, len(items))
    if way == "serial":
        results = []
        for index, item in enumerate(items):
            results.append(fn(item))
            if on_done is not None:
                on_done(index, results[-1])
        return results
    if way == "ray":
        return _on_ray(fn, items, jobs, on_done)
    if pool == "joblib":
        return _on_joblib(fn, items, jobs, on_done)
    return _on_forks(fn, items, jobs, on_done)


def _on_ray(fn: Callable[[T], R], items: Sequence[T], jobs: int, on_done: Done | None) -> list[R]:
    ray: Any = importlib.import_module("ray")
    started_here = not ray.is_initialized()
    if started_here:
        if os.environ.get("RAY_ADDRESS"):
            ray.init(log_to_driver=False)  # a cluster: its own CPUs
        else:
            # Ray nices its workers to 15; on a shared machine that made `--jobs 2` slower
            # than the one process it replaces, so a local runtime keeps the caller's
            os.environ.setdefault("RAY_worker_niceness", "0")
            ray.init(num_cpus=jobs, include_dashboard=False, log_to_driver=False)
    try:
        task = ray.remote(num_cpus=1)(_call)
        shared = ray.put(fn)  # shipped once, not with every item
        results: dict[int, R] = {}
        waiting: dict[Any, int] = {}
        next_item = 0
        while next_item < len(items) or waiting:
            while next_item < len(items) and len(waiting) < jobs:
                waiting[task.remote(shared, items[next_item])] = next_item
                next_item += 1
            ready, _ = ray.wait(list(waiting), num_returns=1)
            index = waiting.pop(ready[0])
            results[index] = ray.get(ready[0])
            if on_done is not None:
                on_done(index, results[index])
        return [results[i] for i in range(len(items))]
    finally:
        if started_here:
            ray.shutdown()


def _call(fn: Callable[[T], R], item: T) -> R:
    return fn(item)


# The function of the run under way, for forked workers (they inherit it, closures included).
_FORKED: list[Callable[[Any], Any]] = []


def _forked_call(item: Any) -> Any:
    return _FORKED[-1](item)


def _on_forks(fn: Callable[[T], R], items: Sequence[T], jobs: int, on_done: Done | None) -> list[R]:
    results: dict[int, R] = {}
    _FORKED.append(fn)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as executor:
            futures = {executor.submit(_forked_call, item): i for i, item in enumerate(items)}
            for future in as_completed(futures):
                index = futures[future]
                results[index] = future.result()
                if on_done is not None:
                    on_done(index, results[index])
    finally:
        _FORKED.pop()
    return [results[i] for i in range(len(items))]


def _on_joblib(
    fn: Callable[[T], R], items: Sequence[T], jobs: int, on_done: Done | None
) -> list[R]:
    from joblib import Parallel, delayed

    results: list[R] = list(Parallel(n_jobs=jobs)(delayed(fn)(item) for item in items))
    if on_done is not None:
        for index, result in enumerate(results):
            on_done(index, result)
    return results
