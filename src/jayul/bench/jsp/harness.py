"""JSPLIB benchmark: jayul's job-shop modelling against a plain CP-SAT model, per instance;
and the planner's re-plan benchmark (`replan_benchmark`) on random problems.

Data layout (`--data DIR`): `DIR/instances.json` (a list of {name, jobs, machines, optimum,
path}) and the instance files at `DIR/<path>`. The peer is the textbook CP-SAT job-shop model
(horizon = sum of all durations, default parameters), given the same time limit and workers.
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ortools.sat.python import cp_model

from jayul.bench.jsp.check import check_plan
from jayul.bench.jsp.instance import JobShopInstance, check_jobshop, read_jsplib
from jayul.bench.jsp.jobshop import JobShopSchedule, solve_jobshop
from jayul.bench.jsp.rolling import advance
from jayul.bench.jsp.synthetic import random_problem
from jayul.decide.planner import Planner, PlannerConfig, dispatch_plan


@dataclass(frozen=True)
class InstanceEntry:
    """One row of instances.json: name, file path, and proven optimum (None when open)."""

    name: str
    path: Path
    optimum: int | None


def read_index(data_dir: Path) -> list[InstanceEntry]:
    """Read `data_dir/instances.json`; ValueError naming the file when missing or malformed."""
    index = data_dir / "instances.json"
    try:
        rows = json.loads(index.read_text())
        entries = []
        for row in rows:
            optimum = row.get("optimum")
            if optimum is None and isinstance(row.get("bounds"), dict):
                bounds = row["bounds"]
                optimum = bounds["upper"] if bounds.get("upper") == bounds.get("lower") else None
            entries.append(
                InstanceEntry(
                    row["name"], data_dir / row["path"], None if optimum is None else int(optimum)
                )
            )
    except FileNotFoundError as exc:
        raise ValueError(f"{index}: not found (expected JSPLIB's instances.json)") from exc
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{index}: malformed ({exc!r})") from exc
    return entries


def solve_plain(instance: JobShopInstance, time_limit_s: float, workers: int) -> JobShopSchedule:
    """The peer: the plain CP-SAT job-shop model as in the OR-Tools examples."""
    t0 = time.perf_counter()
    model = cp_model.CpModel()
    horizon = sum(d for job in instance.jobs for _, d in job)
    starts, ends = [], []
    per_machine: dict[int, list[cp_model.IntervalVar]] = {}
    for j, job in enumerate(instance.jobs):
        js: list[cp_model.IntVar] = []
        je: list[cp_model.IntVar] = []
        for k, (m, d) in enumerate(job):
            s = model.new_int_var(0, horizon, f"s{j}_{k}")
            e = model.new_int_var(0, horizon, f"e{j}_{k}")
            per_machine.setdefault(m, []).append(model.new_interval_var(s, d, e, f"i{j}_{k}"))
            if je:
                model.add(s >= je[-1])
            js.append(s)
            je.append(e)
        starts.append(js)
        ends.append(je)
    for intervals in per_machine.values():
        model.add_no_overlap(intervals)
    makespan = model.new_int_var(0, horizon, "makespan")
    model.add_max_equality(makespan, [je[-1] for je in ends])
    model.minimize(makespan)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = workers
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return JobShopSchedule((), -1, solver.status_name(status), 0, time.perf_counter() - t0)
    return JobShopSchedule(
        tuple(tuple(solver.value(s) for s in js) for js in starts),
        int(solver.objective_value),
        solver.status_name(status),
        int(solver.best_objective_bound),
        time.perf_counter() - t0,
    )


def write_schedule_csv(
    path: Path, instance: JobShopInstance, starts: tuple[tuple[int, ...], ...]
) -> None:
    """Write `job,op,machine,start,end` rows, ordered by job then operation."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["job", "op", "machine", "start", "end"])
        for j, (job, js) in enumerate(zip(instance.jobs, starts, strict=True)):
            for k, ((m, d), s) in enumerate(zip(job, js, strict=True)):
                writer.writerow([j, k, m, s, s + d])


def _gap(makespan: int, optimum: int | None) -> float | None:
    if optimum is None or makespan < 0:
        return None
    return 100.0 * (makespan - optimum) / optimum


def run_instance(
    entry: InstanceEntry, time_limit_s: float, workers: int, out_dir: Path, with_peer: bool = True
) -> dict[str, Any]:
    """Solve one instance with jayul's model (and the peer), write its CSV, return its figures."""
    instance = read_jsplib(entry.path, entry.name)
    # The machine is shared: the 1-minute load average before the instance says how contended
    # both models were (they run one after the other on the same instance).
    load = os.getloadavg()[0]
    ours = solve_jobshop(instance, time_limit_s, workers)
    violations = check_jobshop(instance, ours.starts)
    write_schedule_csv(out_dir / f"{entry.name}.csv", instance, ours.starts)
    row: dict[str, Any] = {
        "instance": entry.name,
        "jobs": len(instance.jobs),
        "machines": instance.n_machines,
        "optimum": entry.optimum,
        "makespan": ours.makespan,
        "gap_pct": _gap(ours.makespan, entry.optimum),
        "lower_bound": ours.lower_bound,
        "status": ours.status,
        "time_s": round(ours.solve_time_s, 2),
        "feasible": not violations,
        "load_1min": round(load, 2),
        "phases": [
            {"phase": name, "makespan": value, "at_s": round(at, 2)}
            for name, value, at in ours.phases
        ],
    }
    if with_peer:
        peer = solve_plain(instance, time_limit_s, workers)
        row |= {
            "peer_makespan": peer.makespan,
            "peer_gap_pct": _gap(peer.makespan, entry.optimum),
            "peer_status": peer.status,
            "peer_time_s": round(peer.solve_time_s, 2),
            "matches_or_beats_peer": peer.makespan < 0 or ours.makespan <= peer.makespan,
        }
    return row


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Aggregate figures: optima reached, mean gap on la21-la40, wins against the peer."""

    def names(prefix_range: Callable[[str], bool]) -> list[dict[str, Any]]:
        return [r for r in rows if prefix_range(r["instance"])]

    def la(lo: int, hi: int) -> Callable[[str], bool]:
        return lambda n: n.startswith("la") and n[2:].isdigit() and lo <= int(n[2:]) <= hi

    easy = names(lambda n: n in ("ft06", "ft10") or la(1, 20)(n))
    hard = names(la(21, 40))
    with_opt = [r for r in rows if r["gap_pct"] is not None]
    summary: dict[str, Any] = {
        "instances": len(rows),
        "all_feasible": all(r["feasible"] for r in rows),
        "optimum_reached": sum(1 for r in with_opt if r["gap_pct"] <= 0),
        "with_optimum": len(with_opt),
        "ft06_ft10_la01_la20_optimum_reached": sum(1 for r in easy if r["gap_pct"] == 0),
        "ft06_ft10_la01_la20_count": len(easy),
        "la21_la40_mean_gap_pct": _mean([r["gap_pct"] for r in hard if r["gap_pct"] is not None]),
        "la21_la40_count": len(hard),
        "mean_gap_pct": _mean([r["gap_pct"] for r in with_opt]),
    }
    if rows and "peer_makespan" in rows[0]:
        summary |= {
            "matches_or_beats_peer": sum(1 for r in rows if r["matches_or_beats_peer"]),
            "strictly_beats_peer": sum(
                1 for r in rows if r["peer_makespan"] >= 0 and r["makespan"] < r["peer_makespan"]
            ),
            "peer_la21_la40_mean_gap_pct": _mean(
                [r["peer_gap_pct"] for r in hard if r.get("peer_gap_pct") is not None]
            ),
            "peer_optimum_reached": sum(
                1 for r in with_opt if r["peer_gap_pct"] is not None and r["peer_gap_pct"] <= 0
            ),
        }
    return summary


def replan_benchmark(
    n_machines: int = 20,
    n_operations: int = 200,
    time_limit_s: float = 2.0,
    workers: int = 2,
    seeds: int = 3,
    failure_at_h: float = 2.0,
    repair_h: float = 8.0,
) -> dict[str, Any]:
    """Re-planning speed and quality on random problems of the given size.

    Per seed: a first plan; then a machine busy at `failure_at_h` fails and needs `repair_h`
    hours; the re-plan (warm-started from the first plan) is timed on the wall clock, checked by
    the independent checker, and its expected cost compared with the dispatch plan's.
    """
    planner = Planner(PlannerConfig(time_limit_s=time_limit_s, workers=workers))
    rows: list[dict[str, Any]] = []
    for seed in range(seeds):
        problem = random_problem(n_machines, n_operations, seed=seed)
        t0 = time.perf_counter()
        first = planner.plan(problem)
        first_s = time.perf_counter() - t0
        running = [o for o in first.operations if o.start_h < failure_at_h < o.end_h]
        failed = {running[0].machine: repair_h} if running else {}
        after = advance(problem, first, failure_at_h, failed=failed)
        t0 = time.perf_counter()
        replanned = planner.plan(after, previous=first)
        replan_s = time.perf_counter() - t0
        greedy = dispatch_plan(after)
        rows.append(
            {
                "seed": seed,
                "first_plan_s": round(first_s, 3),
                "first_status": first.status,
                "first_feasible": not check_plan(problem, first),
                "failed_machine": next(iter(failed), None),
                "replan_s": round(replan_s, 3),
                "replan_status": replanned.status,
                "replan_feasible": not check_plan(after, replanned),
                "replan_cost": round(replanned.objective, 2),
                "dispatch_cost": round(greedy.objective, 2),
                "open_operations": len(after.operations),
                "maintenance_tasks": len(replanned.maintenance),
            }
        )
    return {
        "summary": {
            "machines": n_machines,
            "operations": n_operations,
            "time_limit_s": time_limit_s,
            "workers": workers,
            "max_replan_s": max(r["replan_s"] for r in rows),
            "max_first_plan_s": max(r["first_plan_s"] for r in rows),
            "all_feasible": all(r["first_feasible"] and r["replan_feasible"] for r in rows),
            "mean_cost_vs_dispatch_pct": _mean(
                [
                    100.0 * (r["replan_cost"] / r["dispatch_cost"] - 1.0)
                    for r in rows
                    if r["dispatch_cost"]
                ]
            ),
        },
        "runs": rows,
    }
