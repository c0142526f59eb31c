"""Greedy earliest-due-date (or least-slack) dispatch: the planner's fallback and warm-start hint.

List scheduling on the integer view: among operations whose predecessor is placed, take the one
with the smallest key (the order's due date; or, when guided by a previous plan, its previous
start) and append it to the eligible machine where it ends first (the previous machine when
guided). Maintenance is an item of the same list: when guided, the previous plan's maintenance
keeps its place; otherwise a machine is maintained first thing when that is cheaper in expected
cost than no maintenance, or when it must be (`maintain_by_h`).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping

from jayul.decide.discrete import Discretised, DSolution


def _op_due(d: Discretised, slack: bool) -> list[float]:
    """Each operation's priority key: its order's due date, or (slack rule) the latest start
    that still meets it: the due date minus the shortest remaining work of the order."""
    due: dict[str, float] = {}
    for i in d.last_ops():
        op = d.ops[i]
        due[op.order_id] = math.inf if op.due is None else op.due
    keys = [due[op.order_id] for op in d.ops]
    if slack:
        remaining: dict[str, float] = {}
        for i in reversed(range(len(d.ops))):  # ops are sorted by (order, index)
            op = d.ops[i]
            remaining[op.order_id] = remaining.get(op.order_id, 0.0) + min(op.durations.values())
            keys[i] = keys[i] - remaining[op.order_id]
    return keys


def _maintenance_choice(
    d: Discretised, machine: str, guide: Mapping[str, tuple[str, int]] | None
) -> tuple[int, float] | None:
    """(option index, key) of the maintenance to place on `machine`, or None."""
    options = d.options.get(machine, ())
    if not options:
        return None
    if guide is not None and machine in guide:
        action, start = guide[machine]
        for k, opt in enumerate(options):
            if opt.option.action_id == action:
                return k, start
    mandatory = d.problem.machine(machine).maintain_by_h is not None
    best = min(range(len(options)), key=lambda k: options[k].steps[0][1])
    if mandatory or (guide is None and options[best].steps[0][1] < d.no_maintenance_cents[machine]):
        return best, -1.0  # first thing on the machine
    return None


def dispatch(
    d: Discretised,
    guide_ops: Mapping[tuple[str, int], tuple[str, int]] | None = None,
    guide_maintenance: Mapping[str, tuple[str, int]] | None = None,
    slack: bool = False,
) -> DSolution:
    """A feasible solution by list scheduling (see module doc). Guides map an operation's
    (order_id, index) to its previous (machine, start minute), and a machine to its previous
    (action_id, start minute). `slack` orders by least slack instead of earliest due date."""
    due = _op_due(d, slack)
    n = len(d.ops)
    machines = [""] * n
    starts = [0] * n
    ends = [0] * n
    ready = dict(d.available)
    crew_units = {c: [0] * cap for c, cap in d.problem.crews.items()}
    maintenance: dict[str, tuple[int, int]] = {}

    successors: dict[int, list[int]] = {}
    heap: list[tuple[float, float, int, int]] = []  # (key, tiebreak, kind 0=maint/1=op, id)
    for i, op in enumerate(d.ops):
        if op.pred is None:
            heapq.heappush(heap, (_op_key(d, i, due, guide_ops), op.release, 1, i))
        else:
            successors.setdefault(op.pred, []).append(i)
    machine_ids = [m.id for m in d.problem.machines]
    for mi, m in enumerate(machine_ids):
        choice = _maintenance_choice(d, m, guide_maintenance)
        if choice is not None:
            heapq.heappush(heap, (choice[1], -1.0, 0, mi * 1000 + choice[0]))

    while heap:
        _, _, kind, ident = heapq.heappop(heap)
        if kind == 0:
            machine, k = machine_ids[ident // 1000], ident % 1000
            opt = d.options[machine][k]
            units = sorted(
                range(len(crew_units[opt.option.crew])),
                key=lambda u: crew_units[opt.option.crew][u],
            )
            chosen = units[: opt.option.crew_size]
            earliest = max([ready[machine]] + [crew_units[opt.option.crew][u] for u in chosen])
            start = max(earliest, opt.earliest)
            if start > opt.latest:
                continue  # too late in the horizon (or past maintain-by): skip it
            maintenance[machine] = (k, start)
            ready[machine] = start + opt.duration
            for u in chosen:
                crew_units[opt.option.crew][u] = start + opt.duration
            continue
        op = d.ops[ident]
        earliest = max(op.release, ends[op.pred] if op.pred is not None else 0)
        guided = guide_ops.get((op.order_id, op.index)) if guide_ops else None
        if guided is not None and guided[0] in op.durations:
            machine = guided[0]
        else:
            machine = min(
                op.durations, key=lambda m: (max(ready[m], earliest) + op.durations[m], m)
            )
        start = max(ready[machine], earliest)
        machines[ident], starts[ident] = machine, start
        ends[ident] = ready[machine] = start + op.durations[machine]
        for s in successors.get(ident, []):
            heapq.heappush(heap, (_op_key(d, s, due, guide_ops), d.ops[s].release, 1, s))
    return DSolution(machines, starts, maintenance)


def _op_key(
    d: Discretised,
    i: int,
    due: list[float],
    guide_ops: Mapping[tuple[str, int], tuple[str, int]] | None,
) -> float:
    op = d.ops[i]
    if guide_ops and (op.order_id, op.index) in guide_ops:
        return float(guide_ops[(op.order_id, op.index)][1])
    key = due[i]
    # Guided: operations new since the previous plan come after the ones it placed, by due date.
    return key if guide_ops is None else 1e9 + min(key, 1e9)
