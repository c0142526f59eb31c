"""Tabu search for the job shop (minimum makespan): the N5 neighbourhood here, N7 compiled.

The classic route to good la21-la40 schedules (Nowicki and Smutnicki, 1996): a schedule is one
operation order per machine; its makespan is the longest path in the disjunctive graph; the
only swaps that can shorten it exchange the first two or the last two operations of a
*critical block* (a maximal run of critical-path operations on one machine), and not the first
pair of the first block nor the last pair of the last block. Each swap is scored by the exact
length of the longest path through the two swapped operations (Taillard's estimate: the new
makespan whenever it is not below the old one, a lower bound on it otherwise), the best
non-tabu swap is applied (a tabu swap only when it beats the best makespan seen), and after a
long run without improvement the search restarts from the best schedule with a few random
critical swaps.

`jayul.bench.jsp.jobshop.solve_jobshop` runs this once CP-SAT stalls, and stops it when it stalls,
from CP-SAT's best schedule. By default it runs compiled on the larger N7 neighbourhood
(`jayul.bench.jsp.tabu_n7`); N5 remains for the pure-Python search and on request. Two
implementations of the N5 search: `jayul.bench.jsp.tabu_jit` (compiled with Numba) and the
pure-Python one here, on flat lists with heads and tails updated only where a swap can change
them (about 10,000 swaps per second on 15x10 and 15x15 instances; the compiled one is
measured in docs/benchmarks/jsp.md).
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.util import find_spec


@dataclass(frozen=True)
class TabuResult:
    """The best schedule found (`starts[j][k]`), its makespan, and the work done."""

    starts: tuple[tuple[int, ...], ...]
    makespan: int
    iterations: int
    time_s: float


class DisjunctiveGraph:
    """The disjunctive graph of one schedule: operations 0..N-1, job and machine arcs."""

    def __init__(
        self, jobs: Sequence[Sequence[tuple[int, int]]], sequences: list[list[int]]
    ) -> None:
        self.p: list[int] = []
        self.jpred: list[int] = []
        self.jsucc: list[int] = []
        self.job_ops: list[list[int]] = []
        for job in jobs:
            ids = []
            for k, (_, d) in enumerate(job):
                o = len(self.p)
                self.p.append(d)
                self.jpred.append(o - 1 if k else -1)
                self.jsucc.append(o + 1 if k + 1 < len(job) else -1)
                ids.append(o)
            self.job_ops.append(ids)
        n = len(self.p)
        self.n = n
        self.seq = [list(s) for s in sequences]
        self.mpred = [-1] * n
        self.msucc = [-1] * n
        for s in self.seq:
            for a, b in itertools.pairwise(s):
                self.msucc[a] = b
                self.mpred[b] = a
        self.r = [0] * n  # head: earliest start
        self.q = [0] * n  # tail: longest path from the operation's end to the sink
        self.cmax = 0
        self.last_ops = [ids[-1] for ids in self.job_ops if ids]
        self.has_zero = any(d <= 0 for d in self.p)

    def evaluate(self) -> bool:
        """Heads, tails and makespan by a topological pass; False if the graph has a cycle."""
        n, p, jpred, mpred, jsucc, msucc = (
            self.n,
            self.p,
            self.jpred,
            self.mpred,
            self.jsucc,
            self.msucc,
        )
        r, q = self.r, self.q
        indeg = [(jpred[o] >= 0) + (mpred[o] >= 0) for o in range(n)]
        stack = [o for o in range(n) if not indeg[o]]
        order: list[int] = []
        while stack:
            o = stack.pop()
            order.append(o)
            a, b = jpred[o], mpred[o]
            ra = r[a] + p[a] if a >= 0 else 0
            rb = r[b] + p[b] if b >= 0 else 0
            r[o] = ra if ra > rb else rb
            for s in (jsucc[o], msucc[o]):
                if s >= 0:
                    indeg[s] -= 1
                    if not indeg[s]:
                        stack.append(s)
        if len(order) < n:
            return False
        cmax = 0
        for o in reversed(order):
            a, b = jsucc[o], msucc[o]
            qa = q[a] + p[a] if a >= 0 else 0
            qb = q[b] + p[b] if b >= 0 else 0
            q[o] = qa if qa > qb else qb
            c = r[o] + p[o] + q[o]
            if c > cmax:
                cmax = c
        self.cmax = cmax
        return True

    def update_after_swap(self, u: int, v: int, r_from: int, q_from: int) -> None:
        """Heads, tails and makespan after u (first) and v, adjacent on a critical path, were
        swapped; recomputed only where they can change.

        `r_from` is u's head and `q_from` v's tail before the swap. Only descendants of u can
        get a new head, and they all had a head >= `r_from`; with positive durations, sorting
        them by their old head gives an order in which every changed predecessor comes first,
        once v and then u lead it (the one reversed arc). Tails are the mirror image: ancestors
        of v, old tail >= `q_from`, u then v first. Reversing a critical arc never makes a
        cycle (van Laarhoven et al., 1992), so no check is needed. Zero durations (ties in
        the order) fall back to the full pass.
        """
        if self.has_zero:
            self.evaluate()
            return
        p, jpred, mpred, jsucc, msucc = self.p, self.jpred, self.mpred, self.jsucc, self.msucc
        r, q = self.r, self.q
        region = [o for o in range(self.n) if r[o] >= r_from and o != u and o != v]
        region.sort(key=r.__getitem__)
        for o in (v, u, *region):
            a, b = jpred[o], mpred[o]
            va = r[a] + p[a] if a >= 0 else 0
            vb = r[b] + p[b] if b >= 0 else 0
            r[o] = va if va > vb else vb
        region = [o for o in range(self.n) if q[o] >= q_from and o != u and o != v]
        region.sort(key=q.__getitem__)
        for o in (u, v, *region):
            a, b = jsucc[o], msucc[o]
            va = q[a] + p[a] if a >= 0 else 0
            vb = q[b] + p[b] if b >= 0 else 0
            q[o] = va if va > vb else vb
        self.cmax = max(r[o] + p[o] for o in self.last_ops)

    def critical_blocks(self, rng: random.Random) -> list[list[int]]:
        """The blocks of one critical path (ties between paths broken at random)."""
        p, r, cmax = self.p, self.r, self.cmax
        ends = [o for o in self.last_ops if r[o] + p[o] == cmax]
        o = rng.choice(ends)
        path = [o]
        while r[o] > 0:
            a, b = self.mpred[o], self.jpred[o]
            ma = a >= 0 and r[a] + p[a] == r[o]
            jb = b >= 0 and r[b] + p[b] == r[o]
            # Prefer the machine arc: it keeps blocks long, so more swaps are offered.
            o = a if ma and (not jb or rng.random() < 0.8) else b
            path.append(o)
        path.reverse()
        blocks: list[list[int]] = [[path[0]]]
        for a, b in itertools.pairwise(path):
            if self.msucc[a] == b:
                blocks[-1].append(b)
            else:
                blocks.append([b])
        return blocks

    def swap_estimate(self, u: int, v: int) -> int:
        """Longest path through u or v after swapping adjacent u (first) and v on their machine."""
        p, r, q = self.p, self.r, self.q
        a, b = self.mpred[u], self.msucc[v]
        ju, jv = self.jpred[u], self.jpred[v]
        su, sv = self.jsucc[u], self.jsucc[v]
        rv = max(r[jv] + p[jv] if jv >= 0 else 0, r[a] + p[a] if a >= 0 else 0)
        ru = max(r[ju] + p[ju] if ju >= 0 else 0, rv + p[v])
        qu = max(q[su] + p[su] if su >= 0 else 0, q[b] + p[b] if b >= 0 else 0)
        qv = max(q[sv] + p[sv] if sv >= 0 else 0, qu + p[u])
        return max(rv + p[v] + qv, ru + p[u] + qu)

    def swap(self, u: int, v: int, machine_of: list[int], pos: list[int]) -> None:
        """Exchange adjacent u (first) and v on their machine."""
        a, b = self.mpred[u], self.msucc[v]
        s = self.seq[machine_of[u]]
        i = pos[u]
        s[i], s[i + 1] = v, u
        pos[v], pos[u] = i, i + 1
        self.mpred[v], self.msucc[v], self.mpred[u], self.msucc[u] = a, u, v, b
        if a >= 0:
            self.msucc[a] = v
        if b >= 0:
            self.mpred[b] = u


def n5_moves(blocks: list[list[int]]) -> list[tuple[int, int]]:
    """The N5 swaps of a critical path's blocks, as (first, second) pairs on one machine."""
    moves: list[tuple[int, int]] = []
    last = len(blocks) - 1
    for i, block in enumerate(blocks):
        if len(block) < 2:
            continue
        if i > 0 or last == 0:
            moves.append((block[0], block[1]))
        if (i < last or last == 0) and (block[-2], block[-1]) not in moves:
            moves.append((block[-2], block[-1]))
    return moves


def tabu_search(
    jobs: Sequence[Sequence[tuple[int, int]]],
    n_machines: int,
    starts: Sequence[Sequence[int]],
    time_limit_s: float,
    seed: int = 0,
    lower_bound: int = 0,
    max_stall: int = 3000,
    stall_time_s: float | None = None,
    compiled: bool | None = None,
    neighbourhood: str | None = None,
) -> TabuResult:
    """Improve the schedule `starts[j][k]` by tabu search for at most `time_limit_s` seconds.

    Stops early at `lower_bound` (proved optimal), when the critical path has no block to
    swap (it is then a single job's chain, which is optimal too), or, with `stall_time_s`,
    when the best makespan has not improved for that many seconds (so a caller can hand the
    rest of its time to another method). The result is never worse than the schedule given
    (it is the semi-active version of it or better).

    `compiled`: True runs `jayul.bench.jsp.tabu_jit`, False the pure-Python search, None the
    compiled one when Numba is installed. `neighbourhood`: "n5" (swaps at the ends of critical
    blocks) or "n7" (`jayul.bench.jsp.tabu_n7`: also insertions at and into the blocks' ends;
    compiled only); None is N7 when compiled, N5 otherwise: in 10 s trials from dispatch
    schedules N7 ended shorter than N5 on 14 of 23 instance-seed pairs on la21-la40 and longer
    on 6 (docs/benchmarks/jsp.md, the trials behind the N7 neighbourhood).
    """
    t0 = time.perf_counter()
    sequences = machine_orders(jobs, n_machines, starts)
    if compiled is None:
        compiled = find_spec("numba") is not None
    if neighbourhood is None:
        neighbourhood = "n7" if compiled else "n5"
    if neighbourhood not in ("n5", "n7"):
        raise ValueError(f"unknown neighbourhood {neighbourhood!r} (expected 'n5' or 'n7')")
    if compiled:
        from jayul.bench.jsp.tabu_jit import compiled_search  # Numba loads only when used

        return compiled_search(
            jobs,
            sequences,
            time_limit_s,
            seed,
            lower_bound,
            max_stall,
            stall_time_s,
            t0,
            neighbourhood,
        )
    if neighbourhood != "n5":
        raise ValueError(f"the {neighbourhood!r} neighbourhood needs Numba (compiled search)")
    rng = random.Random(seed)
    machine_of = [m for job in jobs for m, _ in job]
    g = DisjunctiveGraph(jobs, sequences)
    pos = [0] * g.n
    for s in g.seq:
        for i, o in enumerate(s):
            pos[o] = i
    if not g.evaluate():
        raise ValueError("the starting schedule's machine orders contain a cycle")
    best_c = g.cmax
    best_seq = [list(s) for s in g.seq]
    tenure_lo, tenure_hi = tenure(len(jobs), n_machines)
    tabu: dict[tuple[int, int], int] = {}
    stall = 0
    it = 0
    last_gain = t0
    while best_c > lower_bound:
        it += 1
        if it % 32 == 0:
            now = time.perf_counter()
            if now - t0 >= time_limit_s or (
                stall_time_s is not None and now - last_gain >= stall_time_s
            ):
                break
        moves = n5_moves(g.critical_blocks(rng))
        if not moves:
            break  # the critical path is one job's chain: no schedule is shorter
        chosen: tuple[int, int] | None = None
        chosen_c = 1 << 60
        for u, v in moves:
            c = g.swap_estimate(u, v)
            if (tabu.get((u, v), 0) <= it or c < best_c) and (
                c < chosen_c or (c == chosen_c and rng.random() < 0.5)
            ):
                chosen, chosen_c = (u, v), c
        if chosen is None:
            chosen = rng.choice(moves)
        u, v = chosen
        r_from, q_from = g.r[u], g.q[v]
        g.swap(u, v, machine_of, pos)
        tabu[(v, u)] = it + rng.randint(tenure_lo, tenure_hi)
        g.update_after_swap(u, v, r_from, q_from)
        stall += 1
        if g.cmax < best_c:
            best_c = g.cmax
            best_seq = [list(s) for s in g.seq]
            stall = 0
            last_gain = time.perf_counter()
        elif stall > max_stall:
            # Back to the best schedule, shaken by a few random critical swaps.
            g = DisjunctiveGraph(jobs, best_seq)
            for s in g.seq:
                for i, o in enumerate(s):
                    pos[o] = i
            g.evaluate()
            for _ in range(rng.randint(2, 6)):
                kick = n5_moves(g.critical_blocks(rng))
                if not kick:
                    break
                g.swap(*rng.choice(kick), machine_of, pos)
                if not g.evaluate():
                    g = DisjunctiveGraph(jobs, best_seq)
                    for s in g.seq:
                        for i, o in enumerate(s):
                            pos[o] = i
                    g.evaluate()
                    break
            tabu.clear()
            stall = 0
    return result_of(jobs, best_seq, it, t0)


def compile_search() -> None:
    """Compile (or load from Numba's on-disk cache) the compiled search now, on a 3x3 job
    shop, so that the first timed call does not pay for it (a few seconds on first use)."""
    if find_spec("numba") is None:
        return
    jobs = [[(0, 3), (1, 2), (2, 2)], [(0, 2), (2, 1), (1, 4)], [(1, 4), (2, 3), (0, 1)]]
    starts = [[0, 3, 5], [3, 6, 7], [0, 4, 7]]
    tabu_search(jobs, 3, starts, time_limit_s=0.1, compiled=True)


def machine_orders(
    jobs: Sequence[Sequence[tuple[int, int]]], n_machines: int, starts: Sequence[Sequence[int]]
) -> list[list[int]]:
    """Each machine's operations (flat ids, job by job) in the order `starts` runs them."""
    machine_of = [m for job in jobs for m, _ in job]
    flat_starts = [s for row in starts for s in row]
    sequences: list[list[int]] = [[] for _ in range(n_machines)]
    for o in sorted(range(len(machine_of)), key=lambda o: (flat_starts[o], o)):
        sequences[machine_of[o]].append(o)
    return sequences


def tenure(n_jobs: int, n_machines: int) -> tuple[int, int]:
    """The tabu tenure's range: a reversed swap stays tabu for a random number in it."""
    low = 10 + n_jobs // max(1, n_machines)
    return low, int(1.4 * low) + 1


def result_of(
    jobs: Sequence[Sequence[tuple[int, int]]], best_seq: list[list[int]], it: int, t0: float
) -> TabuResult:
    """The search's result for the machine orders `best_seq` (heads recomputed as starts)."""
    final = DisjunctiveGraph(jobs, best_seq)
    final.evaluate()
    result = tuple(tuple(final.r[o] for o in ids) for ids in final.job_ops)
    return TabuResult(result, final.cmax, it, time.perf_counter() - t0)
