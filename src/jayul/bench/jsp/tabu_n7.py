"""The compiled tabu search on the N7 neighbourhood (insertions within critical blocks).

N5 (`jayul.bench.jsp.tabu_jit`) only swaps the first or the last two operations of a critical
block. N7 (Zhang, Li, Guan and Rao, 2007) also moves an inner operation of a block to the
block's front or back, and the block's first or last operation into its inside: the moves the
N5 search can only make as chains of swaps, each of which may first lengthen the schedule.
In trials from dispatch schedules (docs/benchmarks/jsp.md) the N5 search settled at la40 1226-1233
whatever its restart rhythm.

Each move is scored by the estimate of Balas and Vazacopoulos (1998): the heads and tails of
the moved stretch recomputed along the new machine order from the old heads of their job
predecessors and the old tails of their job successors, and the longest path through the
stretch taken. A move is offered only when the same paper's condition guarantees that it
makes no cycle: moving u before v, v must end no earlier than u's job predecessor (a path from
v's side of the block to that predecessor would end later); after v, the mirror image with
tails and u's job successor. Tabu attributes are machine arcs: a move that reverses arcs forbids
putting them back for the tenure, unless the move's estimate beats the best makespan.

Same state vector, chunks, restarts and stop rules as `jayul.bench.jsp.tabu_jit`, which drives it
(`compiled_search(..., neighbourhood="n7")`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from jayul.bench.jsp.tabu_jit import (
    AT_LOWER_BOUND,
    BEST_C,
    CHUNK_DONE,
    IT,
    LOWER,
    NO_MOVES,
    TENURE_HI,
    TENURE_LO,
    critical_path,
    evaluate,
    keep_best_or_restart,
)

Array = np.ndarray[Any, np.dtype[np.int64]]

# A move's row: the operation moved, the operation it goes next to, and which side (BEFORE
# the target, earlier on the machine, or AFTER it).
BEFORE, AFTER = 0, 1


@njit(cache=True)
def _add(out: Array, k: int, u: int, target: int, side: int) -> int:
    out[k, 0], out[k, 1], out[k, 2] = u, target, side
    return k + 1


@njit(cache=True)
def n7_moves(
    p: Array, jpred: Array, jsucc: Array, msucc: Array, r: Array, q: Array, path: Array,
    length: int, out: Array,
) -> int:  # fmt: skip
    """Fill `out` (rows u, target, side) with the N7 moves of the critical path's blocks that
    are sure to keep the graph acyclic; returns how many."""
    k = 0
    s = 0
    while s < length:
        e = s
        while e + 1 < length and msucc[path[e]] == path[e + 1]:
            e += 1
        if e > s:
            first, last = path[s], path[e]
            for i in range(s + 1, e + 1):  # to the front: before the block's first
                u = path[i]
                jp = jpred[u]
                if jp < 0 or r[first] + p[first] >= r[jp] + p[jp]:
                    k = _add(out, k, u, first, BEFORE)
            for i in range(s, e):  # to the back: after the block's last
                u = path[i]
                if i == e - 1 and e - s == 1:
                    continue  # a block of two: the same swap as the front move above
                js = jsucc[u]
                if js < 0 or q[last] + p[last] >= q[js] + p[js]:
                    k = _add(out, k, u, last, AFTER)
            # The first into the inside, after an inner one (after the second is the front
            # move's swap, after the last the back move).
            for i in range(s + 2, e):
                v = path[i]
                js = jsucc[first]
                if js < 0 or q[v] + p[v] >= q[js] + p[js]:
                    k = _add(out, k, first, v, AFTER)
            for i in range(s + 1, e - 1):  # the last into the inside, by the same token
                v = path[i]
                jp = jpred[last]
                if jp < 0 or r[v] + p[v] >= r[jp] + p[jp]:
                    k = _add(out, k, last, v, BEFORE)
        s = e + 1
    return k


@njit(cache=True)
def _stretch(u: int, target: int, side: int, mpred: Array, msucc: Array, seg: Array) -> int:
    """The machine stretch a move reorders, in its new order, into `seg`; returns its length."""
    m = 0
    if side == BEFORE:  # u, then target ... u's old predecessor
        seg[m] = u
        m += 1
        x = target
        while x != u:
            seg[m] = x
            m += 1
            x = msucc[x]
    else:  # u's old successor ... target, then u
        x = msucc[u]
        while True:
            seg[m] = x
            m += 1
            if x == target:
                break
            x = msucc[x]
        seg[m] = u
        m += 1
    return m


@njit(cache=True)
def estimate(
    p: Array, jpred: Array, jsucc: Array, mpred: Array, msucc: Array, r: Array, q: Array,
    u: int, target: int, side: int, seg: Array, m: int, heads: Array,
) -> int:  # fmt: skip
    """Balas-Vazacopoulos estimate of the makespan after the move (exact for a swap whose
    result is not shorter, a close estimate otherwise); `seg[:m]` is its stretch (`_stretch`)."""
    before = mpred[target] if side == BEFORE else mpred[u]
    after = msucc[u] if side == BEFORE else msucc[target]
    end = r[before] + p[before] if before >= 0 else 0
    for i in range(m):
        x = seg[i]
        jp = jpred[x]
        h = r[jp] + p[jp] if jp >= 0 else 0
        heads[i] = max(h, end)
        end = heads[i] + p[x]
    tail = q[after] + p[after] if after >= 0 else 0
    best = 0
    for i in range(m - 1, -1, -1):
        x = seg[i]
        js = jsucc[x]
        t = q[js] + p[js] if js >= 0 else 0
        qx = max(t, tail)
        best = max(best, heads[i] + p[x] + qx)
        tail = qx + p[x]
    return int(best)


@njit(cache=True)
def _is_tabu(tabu: Array, u: int, side: int, it: int, seg: Array, m: int) -> bool:
    """Whether the move would put back a machine arc that is still tabu (tabu[a, b] > it
    forbids a before b); `seg[:m]` is its stretch."""
    if side == BEFORE:
        for i in range(1, m):
            if tabu[u, seg[i]] > it:
                return True
    else:
        for i in range(m - 1):
            if tabu[seg[i], u] > it:
                return True
    return False


@njit(cache=True)
def mark_tabu(tabu: Array, u: int, side: int, seg: Array, m: int, until: int) -> None:
    """Make the arcs a move reversed tabu until `until`; `seg[:m]` is its stretch (`_stretch`,
    taken before the move)."""
    if side == BEFORE:
        for i in range(1, m):
            tabu[seg[i], u] = until
    else:
        for i in range(m - 1):
            tabu[u, seg[i]] = until


@njit(cache=True)
def move_next_to(mpred: Array, msucc: Array, u: int, target: int, side: int) -> None:
    """Move u next to `target` (on `side` of it) on its machine."""
    # Unlink u, then link it in next to the target.
    a, b = mpred[u], msucc[u]
    if a >= 0:
        msucc[a] = b
    if b >= 0:
        mpred[b] = a
    if side == BEFORE:
        a = mpred[target]
        mpred[u], msucc[u] = a, target
        mpred[target] = u
        if a >= 0:
            msucc[a] = u
    else:
        b = msucc[target]
        mpred[u], msucc[u] = target, b
        msucc[target] = u
        if b >= 0:
            mpred[b] = u


@njit(cache=True)
def run_chunk_n7(
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
    """`jayul.bench.jsp.tabu_jit.run_chunk` on the N7 neighbourhood (same state and returns)."""
    n = p.shape[0]
    r = np.zeros(n, np.int64)
    q = np.zeros(n, np.int64)
    path = np.empty(n, np.int64)
    seg = np.empty(n, np.int64)
    heads = np.empty(n, np.int64)
    moves = np.empty((4 * n, 3), np.int64)
    swaps = np.empty((2 * n, 2), np.int64)
    cmax = evaluate(p, jpred, jsucc, mpred, msucc, r, q)
    for _ in range(iterations):
        if state[BEST_C] <= state[LOWER]:
            return AT_LOWER_BOUND
        state[IT] += 1
        it = state[IT]
        length = critical_path(p, jpred, mpred, r, q, cmax, path)
        k = n7_moves(p, jpred, jsucc, msucc, r, q, path, length, moves)
        if k == 0:
            return NO_MOVES  # no block of two or more: one job's chain, which is optimal
        chosen = -1
        chosen_c = 1 << 60
        for i in range(k):
            u, target, side = moves[i, 0], moves[i, 1], moves[i, 2]
            m = _stretch(u, target, side, mpred, msucc, seg)  # once per move: both use it
            c = estimate(p, jpred, jsucc, mpred, msucc, r, q, u, target, side, seg, m, heads)
            better = c < chosen_c or (c == chosen_c and np.random.random() < 0.5)
            if better and (c < state[BEST_C] or not _is_tabu(tabu, u, side, it, seg, m)):
                chosen, chosen_c = i, c
        if chosen < 0:  # every move tabu: any one at random
            chosen = np.random.randint(k)
        u, target, side = moves[chosen, 0], moves[chosen, 1], moves[chosen, 2]
        m = _stretch(u, target, side, mpred, msucc, seg)
        move_next_to(mpred, msucc, u, target, side)
        mark_tabu(
            tabu, u, side, seg, m, it + np.random.randint(state[TENURE_LO], state[TENURE_HI] + 1)
        )
        cmax = evaluate(p, jpred, jsucc, mpred, msucc, r, q)
        if cmax < 0:  # the moves offered cannot close a cycle; kept as a guard
            mpred[:] = best_mpred
            msucc[:] = best_msucc
            cmax = evaluate(p, jpred, jsucc, mpred, msucc, r, q)
        cmax = keep_best_or_restart(
            p, jpred, jsucc, mpred, msucc, best_mpred, best_msucc, r, q, tabu, swaps, state, cmax
        )
    return CHUNK_DONE
