"""The N5 tabu search of `jayul.bench.jsp.tabu`, compiled with Numba.

Same neighbourhood, move choice, tenure and restarts as the pure-Python search, on flat int64
arrays: heads and tails are recomputed by a full topological pass after every swap (a few
microseconds for 300 operations once compiled, so the incremental update is not worth its
complexity here). `compiled_search` drives it for `jayul.bench.jsp.tabu.tabu_search` in chunks
of iterations, so that the wall clock is watched between them (compiled code cannot).
Compiled once per machine and cached on disk (`cache=True`); the first call in a fresh
environment pays a few seconds of compilation.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from numba import njit

from jayul.bench.jsp.tabu import DisjunctiveGraph, TabuResult, result_of, tenure

Array = np.ndarray[Any, np.dtype[np.int64]]

# Slots of the search's state vector (kept between chunks).
IT, STALL, BEST_C, LOWER, TENURE_LO, TENURE_HI, MAX_STALL = range(7)
# What a chunk ended on.
CHUNK_DONE, AT_LOWER_BOUND, NO_MOVES = 0, 1, 2


@njit(cache=True)
def seed_rng(seed: int) -> None:
    np.random.seed(seed)


@njit(cache=True)
def evaluate(
    p: Array, jpred: Array, jsucc: Array, mpred: Array, msucc: Array, r: Array, q: Array
) -> int:
    """Heads `r`, tails `q` and the makespan by a topological pass; -1 if there is a cycle."""
    n = p.shape[0]
    indeg = np.empty(n, np.int64)
    stack = np.empty(n, np.int64)
    order = np.empty(n, np.int64)
    top = 0
    for o in range(n):
        indeg[o] = (jpred[o] >= 0) + (mpred[o] >= 0)
        if indeg[o] == 0:
            stack[top] = o
            top += 1
    count = 0
    while top > 0:
        top -= 1
        o = stack[top]
        order[count] = o
        count += 1
        a, b = jpred[o], mpred[o]
        ra = r[a] + p[a] if a >= 0 else 0
        rb = r[b] + p[b] if b >= 0 else 0
        r[o] = max(ra, rb)
        for s in (jsucc[o], msucc[o]):
            if s >= 0:
                indeg[s] -= 1
                if indeg[s] == 0:
                    stack[top] = s
                    top += 1
    if count < n:
        return -1
    cmax = 0
    for i in range(n - 1, -1, -1):
        o = order[i]
        a, b = jsucc[o], msucc[o]
        qa = q[a] + p[a] if a >= 0 else 0
        qb = q[b] + p[b] if b >= 0 else 0
        q[o] = max(qa, qb)
        cmax = max(cmax, r[o] + p[o] + q[o])
    return int(cmax)


@njit(cache=True)
def critical_path(
    p: Array, jpred: Array, mpred: Array, r: Array, q: Array, cmax: int, path: Array
) -> int:
    """Fill `path` with one critical path, source to sink (ties at random); returns its length."""
    n = p.shape[0]
    # Ends of critical paths: operations finishing at the makespan with no tail.
    ends = 0
    for o in range(n):
        if q[o] == 0 and r[o] + p[o] == cmax:
            ends += 1
    pick = np.random.randint(ends)
    o = -1
    for x in range(n):
        if q[x] == 0 and r[x] + p[x] == cmax:
            if pick == 0:
                o = x
                break
            pick -= 1
    length = 0
    path[length] = o
    length += 1
    while r[o] > 0:
        a, b = mpred[o], jpred[o]
        ma = a >= 0 and r[a] + p[a] == r[o]
        jb = b >= 0 and r[b] + p[b] == r[o]
        # Prefer the machine arc: it keeps blocks long, so more moves are offered.
        o = a if ma and (not jb or np.random.random() < 0.8) else b
        path[length] = o
        length += 1
    path[:length] = path[:length][::-1].copy()
    return length


@njit(cache=True)
def _n5_moves(
    p: Array, jpred: Array, mpred: Array, msucc: Array, r: Array, q: Array, cmax: int, out: Array
) -> int:
    """Fill `out` (k x 2) with the N5 swaps of one critical path (ties at random); returns k."""
    n = p.shape[0]
    path = np.empty(n, np.int64)
    length = critical_path(p, jpred, mpred, r, q, cmax, path)
    # Blocks as [start, end] index pairs into the path.
    starts = np.empty(length, np.int64)
    stops = np.empty(length, np.int64)
    blocks = 0
    starts[0] = 0
    for i in range(1, length):
        if msucc[path[i - 1]] != path[i]:
            stops[blocks] = i - 1
            blocks += 1
            starts[blocks] = i
    stops[blocks] = length - 1
    blocks += 1
    k = 0
    last = blocks - 1
    for i in range(blocks):
        s, e = starts[i], stops[i]
        if e - s < 1:
            continue
        if i > 0 or last == 0:
            out[k, 0], out[k, 1] = path[s], path[s + 1]
            k += 1
        if i < last or last == 0:
            u, v = path[e - 1], path[e]
            if not (k > 0 and out[k - 1, 0] == u and out[k - 1, 1] == v):
                out[k, 0], out[k, 1] = u, v
                k += 1
    return k


@njit(cache=True)
def _estimate(
    p: Array, jpred: Array, jsucc: Array, mpred: Array, msucc: Array, r: Array, q: Array, u: int,
    v: int,
) -> int:  # fmt: skip
    """Longest path through u or v after swapping adjacent u (first) and v on their machine."""
    a, b = mpred[u], msucc[v]
    ju, jv, su, sv = jpred[u], jpred[v], jsucc[u], jsucc[v]
    rv = max(r[jv] + p[jv] if jv >= 0 else 0, r[a] + p[a] if a >= 0 else 0)
    ru = max(r[ju] + p[ju] if ju >= 0 else 0, rv + p[v])
    qu = max(q[su] + p[su] if su >= 0 else 0, q[b] + p[b] if b >= 0 else 0)
    qv = max(q[sv] + p[sv] if sv >= 0 else 0, qu + p[u])
    return int(max(rv + p[v] + qv, ru + p[u] + qu))


@njit(cache=True)
def _swap(mpred: Array, msucc: Array, u: int, v: int) -> None:
    """Exchange adjacent u (first) and v on their machine."""
    a, b = mpred[u], msucc[v]
    mpred[v], msucc[v], mpred[u], msucc[u] = a, u, v, b
    if a >= 0:
        msucc[a] = v
    if b >= 0:
        mpred[b] = u


@njit(cache=True)
def restart_from_best(
    p: Array, jpred: Array, jsucc: Array, mpred: Array, msucc: Array, best_mpred: Array,
    best_msucc: Array, r: Array, q: Array, tabu: Array, swaps: Array,
) -> int:  # fmt: skip
    """Back to the best orders, shaken by 2-6 random critical swaps, with the tabu list
    cleared; returns the new makespan (heads and tails in `r`, `q`)."""
    mpred[:] = best_mpred
    msucc[:] = best_msucc
    cmax = evaluate(p, jpred, jsucc, mpred, msucc, r, q)
    for _kick in range(np.random.randint(2, 7)):
        kk = _n5_moves(p, jpred, mpred, msucc, r, q, cmax, swaps)
        if kk == 0:
            break
        i = np.random.randint(kk)
        _swap(mpred, msucc, swaps[i, 0], swaps[i, 1])
        cmax = evaluate(p, jpred, jsucc, mpred, msucc, r, q)
        if cmax < 0:
            mpred[:] = best_mpred
            msucc[:] = best_msucc
            cmax = evaluate(p, jpred, jsucc, mpred, msucc, r, q)
            break
    tabu[:, :] = 0
    return int(cmax)


@njit(cache=True)
def keep_best_or_restart(
    p: Array, jpred: Array, jsucc: Array, mpred: Array, msucc: Array, best_mpred: Array,
    best_msucc: Array, r: Array, q: Array, tabu: Array, swaps: Array, state: Array, cmax: int,
) -> int:  # fmt: skip
    """After a move to a schedule of makespan `cmax`: keep it as the best if it is, or restart
    from the best once the search has gone `state[MAX_STALL]` moves without a gain. Returns
    the current makespan."""
    state[STALL] += 1
    if cmax < state[BEST_C]:
        state[BEST_C] = cmax
        best_mpred[:] = mpred
        best_msucc[:] = msucc
        state[STALL] = 0
    elif state[STALL] > state[MAX_STALL]:
        cmax = restart_from_best(
            p, jpred, jsucc, mpred, msucc, best_mpred, best_msucc, r, q, tabu, swaps
        )
        state[STALL] = 0
    return cmax


@njit(cache=True)
def run_chunk(
    p: Array,
    jpred: Array,
    jsucc: Array,
    mpred: Array,
    msucc: Array,
    best_mpred: Array,
    best_msucc: Array,
    tabu: Array,
    state: Array,
    iterations: int,
) -> int:
    """Up to `iterations` tabu moves from the current orders (`mpred`/`msucc`); the best
    orders seen are kept in `best_mpred`/`best_msucc` and `state`. Returns why it stopped."""
    n = p.shape[0]
    r = np.zeros(n, np.int64)
    q = np.zeros(n, np.int64)
    moves = np.empty((2 * n, 2), np.int64)
    cmax = evaluate(p, jpred, jsucc, mpred, msucc, r, q)
    for _ in range(iterations):
        if state[BEST_C] <= state[LOWER]:
            return AT_LOWER_BOUND
        state[IT] += 1
        it = state[IT]
        k = _n5_moves(p, jpred, mpred, msucc, r, q, cmax, moves)
        if k == 0:
            return NO_MOVES  # the critical path is one job's chain: no schedule is shorter
        chosen = -1
        chosen_c = 1 << 60
        for i in range(k):
            u, v = moves[i, 0], moves[i, 1]
            c = _estimate(p, jpred, jsucc, mpred, msucc, r, q, u, v)
            if (tabu[u, v] <= it or c < state[BEST_C]) and (
                c < chosen_c or (c == chosen_c and np.random.random() < 0.5)
            ):
                chosen, chosen_c = i, c
        if chosen < 0:
            chosen = np.random.randint(k)
        u, v = moves[chosen, 0], moves[chosen, 1]
        _swap(mpred, msucc, u, v)
        tabu[v, u] = it + np.random.randint(state[TENURE_LO], state[TENURE_HI] + 1)
        cmax = evaluate(p, jpred, jsucc, mpred, msucc, r, q)
        cmax = keep_best_or_restart(
            p, jpred, jsucc, mpred, msucc, best_mpred, best_msucc, r, q, tabu, moves, state, cmax
        )
    return CHUNK_DONE


def compiled_search(
    jobs: Sequence[Sequence[tuple[int, int]]],
    sequences: list[list[int]],
    time_limit_s: float,
    seed: int,
    lower_bound: int,
    max_stall: int,
    stall_time_s: float | None,
    t0: float,
    neighbourhood: str = "n5",
) -> TabuResult:
    """`tabu_search` on `jayul.bench.jsp.tabu_jit`, in chunks of iterations sized to take about
    10 ms each, so that the time limit and the stall stop are checked between them."""
    g = DisjunctiveGraph(jobs, sequences)
    if not g.evaluate():
        raise ValueError("the starting schedule's machine orders contain a cycle")

    def arr(values: list[int]) -> Array:
        return np.array(values, dtype=np.int64)

    p, jpred, jsucc, mpred, msucc = (arr(x) for x in (g.p, g.jpred, g.jsucc, g.mpred, g.msucc))
    best_mpred, best_msucc = mpred.copy(), msucc.copy()
    tabu = np.zeros((g.n, g.n), dtype=np.int64)
    low, high = tenure(len(jobs), len(sequences))
    state = arr([0, 0, g.cmax, lower_bound, low, high, max_stall])
    seed_rng(seed)
    best, last_gain, chunk = g.cmax, time.perf_counter(), 64
    step = run_chunk
    if neighbourhood == "n7":
        from jayul.bench.jsp.tabu_n7 import run_chunk_n7

        step = run_chunk_n7
    elif neighbourhood != "n5":
        raise ValueError(f"unknown neighbourhood {neighbourhood!r} (expected 'n5' or 'n7')")
    while True:
        began = time.perf_counter()
        why = step(p, jpred, jsucc, mpred, msucc, best_mpred, best_msucc, tabu, state, chunk)
        now = time.perf_counter()
        if state[BEST_C] < best:
            best, last_gain = int(state[BEST_C]), now
        if why != CHUNK_DONE or now - t0 >= time_limit_s:
            break
        if stall_time_s is not None and now - last_gain >= stall_time_s:
            break
        if now - began < 0.005:  # too short to be worth the call: grow towards ~10 ms
            chunk *= 2
    best_seq = []
    for s in g.seq:  # each machine's chain, from the operation without a predecessor
        first = next(o for o in s if best_mpred[o] < 0)
        chain = [first]
        while best_msucc[chain[-1]] >= 0:
            chain.append(int(best_msucc[chain[-1]]))
        best_seq.append(chain)
    return result_of(jobs, best_seq, int(state[IT]), t0)
