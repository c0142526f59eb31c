"""The N7 tabu search: its moves keep the graph acyclic; a swap's estimate is Taillard's
(exact when not below the makespan, a lower bound otherwise); a move's reversed arcs become
tabu; the search is feasible on both neighbourhoods."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from jayul.bench.jsp.instance import (
    JobShopInstance,
    check_jobshop,
    dispatch_schedule,
    makespan_of,
    random_jobshop,
)
from jayul.bench.jsp.tabu import DisjunctiveGraph, machine_orders, tabu_search

pytest.importorskip("numba", reason="the N7 search is compiled")
from jayul.bench.jsp import tabu_jit, tabu_n7

Arrays = dict[str, Any]


def _graph(inst: JobShopInstance, seed: int) -> Arrays:
    start = dispatch_schedule(inst, "random", random.Random(seed))
    g = DisjunctiveGraph(inst.jobs, machine_orders(inst.jobs, inst.n_machines, start))
    assert g.evaluate()
    a = {k: np.array(getattr(g, k), dtype=np.int64) for k in ("p", "jpred", "jsucc")}
    a["mpred"] = np.array(g.mpred, dtype=np.int64)
    a["msucc"] = np.array(g.msucc, dtype=np.int64)
    a["r"], a["q"] = np.zeros(g.n, np.int64), np.zeros(g.n, np.int64)
    return a


def _evaluate(a: Arrays) -> int:
    return int(
        tabu_jit.evaluate(a["p"], a["jpred"], a["jsucc"], a["mpred"], a["msucc"], a["r"], a["q"])
    )


def _moves(a: Arrays, cmax: int) -> list[tuple[int, int, int]]:
    n = a["p"].shape[0]
    path = np.empty(n, np.int64)
    length = tabu_jit.critical_path(a["p"], a["jpred"], a["mpred"], a["r"], a["q"], cmax, path)
    out = np.empty((4 * n, 3), np.int64)
    k = tabu_n7.n7_moves(
        a["p"], a["jpred"], a["jsucc"], a["msucc"], a["r"], a["q"], path, length, out
    )
    return [(int(u), int(t), int(s)) for u, t, s in out[:k]]


def _estimate(a: Arrays, move: tuple[int, int, int]) -> int:
    n = a["p"].shape[0]
    seg, heads = np.empty(n, np.int64), np.empty(n, np.int64)
    u, target, side = move
    m = tabu_n7._stretch(u, target, side, a["mpred"], a["msucc"], seg)
    return int(
        tabu_n7.estimate(
            a["p"], a["jpred"], a["jsucc"], a["mpred"], a["msucc"], a["r"], a["q"],
            u, target, side, seg, m, heads,
        )
    )  # fmt: skip


def _apply(a: Arrays, move: tuple[int, int, int], tabu: Any, until: int) -> None:
    seg = np.empty(a["p"].shape[0], np.int64)
    u, target, side = move
    m = tabu_n7._stretch(u, target, side, a["mpred"], a["msucc"], seg)
    tabu_n7.move_next_to(a["mpred"], a["msucc"], u, target, side)
    tabu_n7.mark_tabu(tabu, u, side, seg, m, until)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_every_offered_move_keeps_the_graph_acyclic(seed: int) -> None:
    inst = random_jobshop(10, 6, seed)
    a = _graph(inst, seed)
    tabu = np.zeros((a["p"].shape[0],) * 2, np.int64)
    rng = random.Random(seed)
    cmax = _evaluate(a)
    tabu_jit.seed_rng(seed)  # Numba's one generator drives both modules
    tried = 0
    for _ in range(200):
        moves = _moves(a, cmax)
        if not moves:
            break
        for move in moves:  # each one, applied to a copy, must leave an acyclic graph
            b = {k: v.copy() for k, v in a.items()}
            _apply(b, move, tabu.copy(), 1)
            assert _evaluate(b) >= 0, move
            tried += 1
        _apply(a, rng.choice(moves), tabu, 1)
        cmax = _evaluate(a)
        assert cmax >= 0
    assert tried > 200


def test_a_swaps_estimate_is_exact_when_not_shorter() -> None:
    inst = random_jobshop(12, 6, 5)
    a = _graph(inst, 5)
    tabu = np.zeros((a["p"].shape[0],) * 2, np.int64)
    tabu_jit.seed_rng(5)
    checked = 0
    for _ in range(100):
        cmax = _evaluate(a)
        moves = _moves(a, cmax)
        for u, target, side in moves:
            stretch = np.empty(a["p"].shape[0], np.int64)
            if tabu_n7._stretch(u, target, side, a["mpred"], a["msucc"], stretch) != 2:
                continue  # insertions: an estimate only
            b = {k: v.copy() for k, v in a.items()}
            _apply(b, (u, target, side), tabu.copy(), 1)
            exact = _evaluate(b)
            guess = _estimate(a, (u, target, side))
            assert guess == exact if guess >= cmax else guess <= exact
            checked += 1
        _apply(a, random.Random(0).choice(moves), tabu, 1)
    assert checked > 50


def test_a_move_makes_its_reversal_tabu() -> None:
    inst = random_jobshop(10, 6, 9)
    a = _graph(inst, 9)
    n = a["p"].shape[0]
    tabu = np.zeros((n, n), np.int64)
    tabu_jit.seed_rng(9)
    cmax = _evaluate(a)
    moves = [m for m in _moves(a, cmax) if m[2] == tabu_n7.BEFORE]
    u, target, _ = moves[0]
    _apply(a, (u, target, tabu_n7.BEFORE), tabu, until=50)
    assert tabu[target, u] == 50  # putting `target` back before u is forbidden until then
    seg = np.empty(n, np.int64)
    m = tabu_n7._stretch(u, target, tabu_n7.AFTER, a["mpred"], a["msucc"], seg)
    # Moving u back after `target` would restore that arc: tabu at iteration 10, free at 60.
    assert tabu_n7._is_tabu(tabu, u, tabu_n7.AFTER, 10, seg, m)
    assert not tabu_n7._is_tabu(tabu, u, tabu_n7.AFTER, 60, seg, m)


@pytest.mark.parametrize("neighbourhood", ["n5", "n7"])
def test_search_is_feasible_on_both_neighbourhoods(neighbourhood: str) -> None:
    inst = random_jobshop(10, 6, 4)
    start = dispatch_schedule(inst, "random", random.Random(4))
    result = tabu_search(
        inst.jobs, inst.n_machines, start, 0.3, seed=4, compiled=True, neighbourhood=neighbourhood
    )
    assert check_jobshop(inst, result.starts) == []
    assert result.makespan == makespan_of(inst, [list(r) for r in result.starts])
    assert result.makespan <= makespan_of(inst, start)


def test_unknown_neighbourhood_and_n7_without_numba_are_refused() -> None:
    inst = random_jobshop(4, 3, 0)
    start = dispatch_schedule(inst, "mwkr")
    with pytest.raises(ValueError, match="unknown neighbourhood"):
        tabu_search(inst.jobs, 3, start, 0.1, compiled=False, neighbourhood="n9")
    with pytest.raises(ValueError, match="needs Numba"):
        tabu_search(inst.jobs, 3, start, 0.1, compiled=False, neighbourhood="n7")
