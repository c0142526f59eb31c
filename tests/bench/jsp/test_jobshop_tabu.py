"""Tabu search for the job shop: feasible, never worse than its start, optimal on small cases."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from jayul.bench.jsp.instance import (
    JobShopInstance,
    check_jobshop,
    dispatch_schedule,
    lower_bound,
    makespan_of,
    random_jobshop,
    read_jsplib,
)
from jayul.bench.jsp.jobshop import multi_start_search, solve_jobshop
from jayul.bench.jsp.tabu import n5_moves, tabu_search

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "jsplib" / "instances"


def _instance(name: str) -> JobShopInstance:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"JSPLIB data not found at {path}")
    return read_jsplib(path)


# Both implementations of the one search: compiled (Numba) and pure Python.
BOTH = pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "python"])


@BOTH
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_result_is_feasible_and_no_worse_than_its_start(seed: int, compiled: bool) -> None:
    inst = random_jobshop(8, 5, seed)
    start = dispatch_schedule(inst, "random", random.Random(seed))
    result = tabu_search(
        inst.jobs, inst.n_machines, start, time_limit_s=0.3, seed=seed, compiled=compiled
    )
    assert check_jobshop(inst, result.starts) == []
    assert result.makespan == makespan_of(inst, [list(r) for r in result.starts])
    assert lower_bound(inst) <= result.makespan <= makespan_of(inst, start)


@BOTH
def test_improves_a_poor_start_on_ft10(compiled: bool) -> None:
    inst = _instance("ft10")
    start = dispatch_schedule(inst, "random", random.Random(0))
    result = tabu_search(inst.jobs, inst.n_machines, start, time_limit_s=1.0, compiled=compiled)
    assert check_jobshop(inst, result.starts) == []
    assert result.makespan < makespan_of(inst, start)
    assert result.iterations > 100


@BOTH
def test_reaches_the_optimum_of_ft06(compiled: bool) -> None:
    inst = _instance("ft06")
    start = dispatch_schedule(inst, "mwkr")
    result = tabu_search(
        inst.jobs, inst.n_machines, start, time_limit_s=2.0, lower_bound=55, compiled=compiled
    )
    assert result.makespan == 55
    assert check_jobshop(inst, result.starts) == []


def test_n5_moves_skip_the_outer_pairs_of_the_path() -> None:
    # First block: only its last pair; last block: only its first pair; inner: both.
    assert n5_moves([[0, 1, 2], [3], [4, 5], [6, 7, 8]]) == [(1, 2), (4, 5), (6, 7)]
    assert n5_moves([[0, 1, 2]]) == [(0, 1), (1, 2)]
    assert n5_moves([[0], [1]]) == []


@pytest.mark.parametrize(("name", "optimum"), [("ft06", 55), ("la01", 666), ("la05", 593)])
def test_solve_with_the_search_phase_reaches_known_optima(name: str, optimum: int) -> None:
    inst = _instance(name)
    # A CP-SAT phase of 0.05 s cannot prove these, so the tabu search must reach the optimum
    # (stopping at the lower bound CP-SAT proved or at a single-job critical path).
    result = solve_jobshop(inst, time_limit_s=3.0, workers=1, search_share=0.98)
    assert result.makespan == optimum
    assert [p[0] for p in result.phases][:2] == ["dispatch", "cp-sat"]
    assert check_jobshop(inst, result.starts) == []


def test_incremental_update_matches_a_full_recomputation() -> None:
    from jayul.bench.jsp.tabu import DisjunctiveGraph

    inst = random_jobshop(10, 6, 7)
    start = dispatch_schedule(inst, "random", random.Random(7))
    machine_of = [m for job in inst.jobs for m, _ in job]
    flat = [s for row in start for s in row]
    seqs: list[list[int]] = [[] for _ in range(inst.n_machines)]
    for o in sorted(range(len(flat)), key=lambda o: (flat[o], o)):
        seqs[machine_of[o]].append(o)
    g = DisjunctiveGraph(inst.jobs, seqs)
    pos = [0] * g.n
    for s in g.seq:
        for i, o in enumerate(s):
            pos[o] = i
    g.evaluate()
    rng = random.Random(0)
    for _ in range(300):
        moves = n5_moves(g.critical_blocks(rng))
        if not moves:
            break
        u, v = rng.choice(moves)
        r_from, q_from = g.r[u], g.q[v]
        g.swap(u, v, machine_of, pos)
        g.update_after_swap(u, v, r_from, q_from)
        heads, tails, cmax = list(g.r), list(g.q), g.cmax
        assert g.evaluate()
        assert (heads, tails, cmax) == (g.r, g.q, g.cmax)


def test_compiled_evaluation_matches_the_python_graph() -> None:
    import numpy as np

    from jayul.bench.jsp import tabu_jit
    from jayul.bench.jsp.tabu import DisjunctiveGraph, machine_orders

    inst = random_jobshop(10, 6, 11)
    start = dispatch_schedule(inst, "random", random.Random(11))
    g = DisjunctiveGraph(inst.jobs, machine_orders(inst.jobs, inst.n_machines, start))
    assert g.evaluate()
    p, jpred, jsucc, mpred, msucc = (
        np.array(x, dtype=np.int64) for x in (g.p, g.jpred, g.jsucc, g.mpred, g.msucc)
    )
    r, q = np.zeros(g.n, np.int64), np.zeros(g.n, np.int64)
    assert tabu_jit.evaluate(p, jpred, jsucc, mpred, msucc, r, q) == g.cmax
    assert list(r) == g.r and list(q) == g.q
    # A machine arc against a job's order makes a cycle: it must be reported, not evaluated.
    mpred[:] = -1
    msucc[:] = -1
    first, second = g.job_ops[0][0], g.job_ops[0][1]
    msucc[second], mpred[first] = first, second  # `second` before `first` on one machine
    assert tabu_jit.evaluate(p, jpred, jsucc, mpred, msucc, r, q) == -1


@BOTH
def test_tabu_search_stops_when_it_stalls(compiled: bool) -> None:
    inst = random_jobshop(8, 5, 3)
    start = dispatch_schedule(inst, "random", random.Random(3))
    # No lower bound to stop at: only the stall stop can end it well before the 20 s limit.
    result = tabu_search(
        inst.jobs, inst.n_machines, start, time_limit_s=20.0, stall_time_s=0.2, compiled=compiled
    )
    assert result.time_s < 10.0
    assert check_jobshop(inst, result.starts) == []


def test_cp_sat_phase_stops_when_it_stalls() -> None:
    inst = _instance("ft10")
    # ft10 is not proven within a few seconds: the 0.3 s stall window must end CP-SAT well
    # before the 90 % it may take, then the tabu search and the hinted CP-SAT pass alternate
    # until the time is used; each phase starts from the best schedule so far.
    result = solve_jobshop(inst, time_limit_s=6.0, workers=1, stall_s=0.3)
    names = [p[0] for p in result.phases]
    assert names[:2] == ["dispatch", "cp-sat"]
    assert result.phases[1][2] < 4.5
    if result.status != "OPTIMAL":
        assert "tabu search" in names and "cp-sat hinted" in names
    # The plain tabu search runs once, from CP-SAT's schedule; later rounds start afresh.
    assert names.count("tabu search") <= 1
    assert set(names) <= {"dispatch", "cp-sat", "tabu search", "cp-sat hinted", "multi-start tabu"}
    values = [p[1] for p in result.phases]
    assert values == sorted(values, reverse=True)
    assert check_jobshop(inst, result.starts) == []
    assert makespan_of(inst, [list(r) for r in result.starts]) == result.makespan


@pytest.mark.parametrize("seed", [0, 1])
def test_multi_start_search_is_feasible_and_within_its_time(seed: int) -> None:
    inst = random_jobshop(10, 6, 20 + seed)
    result = multi_start_search(inst, time_limit_s=0.6, seed=seed)
    assert check_jobshop(inst, result.starts) == []
    assert result.makespan == makespan_of(inst, [list(r) for r in result.starts])
    assert lower_bound(inst) <= result.makespan
    assert result.time_s < 3.0
    assert result.iterations > 0


def test_multi_start_search_stops_at_the_lower_bound() -> None:
    inst = _instance("ft06")
    result = multi_start_search(inst, time_limit_s=10.0, lower_bound=55)
    assert result.makespan == 55
    assert result.time_s < 5.0
    assert check_jobshop(inst, result.starts) == []


def test_later_rounds_run_the_multi_start_phase() -> None:
    inst = _instance("ft10")
    # ft10 is not proven in 8 s with one worker and a 0.3 s stall window, so the phases
    # go round: CP-SAT, tabu search, hinted CP-SAT, then the multi-start phase.
    result = solve_jobshop(inst, time_limit_s=8.0, workers=1, stall_s=0.3)
    names = [p[0] for p in result.phases]
    if result.status != "OPTIMAL":
        assert "multi-start tabu" in names
        assert names.index("multi-start tabu") > names.index("cp-sat hinted")
    assert check_jobshop(inst, result.starts) == []
    assert makespan_of(inst, [list(r) for r in result.starts]) == result.makespan
