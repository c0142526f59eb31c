"""An independent feasibility checker: reads the problem and the plan, never the solver.

Written from the problem's definition only (hours, no integer grid), so a modelling bug in the
planner shows up here as a violation instead of being trusted.
"""

from __future__ import annotations

import itertools

from jayul.decide.plan import Plan, ScheduledOp
from jayul.decide.problem import PlanningProblem

# Plans are built on a one-minute grid; durations may round up by less than a minute.
_EPS = 1e-6
_ROUNDING_H = 1.0 / 60.0 + _EPS


def check_plan(problem: PlanningProblem, plan: Plan) -> list[str]:
    """Every violation of `plan` against `problem`, as readable strings (empty: feasible).

    Checks: each open operation scheduled once, on an eligible machine, for its duration, not
    before its release, the planning instant or its machine's availability; routing precedence;
    no overlap on a machine (operations and maintenance); maintenance options, durations and
    crews as defined, at most one per machine, starting within the horizon; crew capacity at every
    instant; and maintenance no later than `maintain_by_h` where the machine requires it.
    """
    out: list[str] = []
    machines = {m.id: m for m in problem.machines}
    busy: dict[str, list[tuple[float, float, str]]] = {m: [] for m in machines}
    scheduled: dict[tuple[str, int], ScheduledOp] = {}
    for s in plan.operations:
        key = (s.order_id, s.index)
        if key in scheduled:
            out.append(f"operation {key} scheduled twice")
        scheduled[key] = s
    for op in problem.operations:
        key = (op.order_id, op.index)
        if key not in scheduled:
            out.append(f"operation {key} not scheduled")
            continue
        s = scheduled.pop(key)
        if s.machine not in op.eligible:
            out.append(f"operation {key} on ineligible machine {s.machine}")
            continue
        d = op.eligible[s.machine]
        if not d - _EPS <= s.end_h - s.start_h <= d + _ROUNDING_H:
            out.append(f"operation {key} lasts {s.end_h - s.start_h:.4f} h, needs {d:.4f} h")
        if s.start_h < max(op.release_h, problem.now_h) - _EPS:
            out.append(f"operation {key} starts at {s.start_h:.4f} before its release / now")
        if s.start_h < machines[s.machine].available_from_h - _EPS:
            out.append(f"operation {key} starts before {s.machine} is available")
        busy[s.machine].append((s.start_h, s.end_h, f"op {key}"))
    out += [f"operation {key} is not an open operation" for key in scheduled]

    by_order: dict[str, list[tuple[int, float, float]]] = {}
    for op in problem.operations:
        found = plan.op(op.order_id, op.index)
        if found is not None:
            s = found
            by_order.setdefault(op.order_id, []).append((op.index, s.start_h, s.end_h))
    for order_id, chain in by_order.items():
        chain.sort()
        for (i1, _, e1), (i2, s2, _) in itertools.pairwise(chain):
            if s2 < e1 - _EPS:
                out.append(f"order {order_id}: op {i2} starts before op {i1} ends")

    maintained: set[str] = set()
    crew_use: dict[str, list[tuple[float, float, int]]] = {}
    for t in plan.maintenance:
        machine = machines.get(t.machine)
        if machine is None:
            out.append(f"maintenance on unknown machine {t.machine}")
            continue
        if t.machine in maintained:
            out.append(f"{t.machine} maintained twice")
        maintained.add(t.machine)
        option = next((o for o in machine.maintenance if o.action_id == t.action_id), None)
        if option is None:
            out.append(f"{t.machine}: unknown maintenance action {t.action_id}")
            continue
        if t.crew != option.crew:
            out.append(f"{t.machine}/{t.action_id}: crew {t.crew}, needs {option.crew}")
        dur = option.duration_h
        if not dur - _EPS <= t.end_h - t.start_h <= dur + _ROUNDING_H:
            out.append(
                f"{t.machine}/{t.action_id} lasts {t.end_h - t.start_h:.4f} h, needs {dur:.4f} h"
            )
        if t.start_h < max(problem.now_h, machine.available_from_h) - _EPS:
            out.append(f"{t.machine}/{t.action_id} starts before the machine is available")
        if t.start_h > problem.end_h + _EPS:
            out.append(f"{t.machine}/{t.action_id} starts after the horizon")
        if machine.maintain_by_h is not None and t.start_h > machine.maintain_by_h + _EPS:
            out.append(
                f"{t.machine}: maintenance at {t.start_h:.2f} h, "
                f"after maintain-by {machine.maintain_by_h:.2f} h"
            )
        busy[t.machine].append((t.start_h, t.end_h, f"maintenance {t.action_id}"))
        crew_use.setdefault(option.crew, []).append((t.start_h, t.end_h, option.crew_size))
    for m in problem.machines:
        if m.maintain_by_h is not None and m.id not in maintained:
            out.append(f"{m.id}: must be maintained by {m.maintain_by_h:.2f} h, is not")

    for machine_id, spans in busy.items():
        spans.sort()
        for (s1, e1, a), (s2, _, b) in itertools.pairwise(spans):
            if s2 < e1 - _EPS:
                out.append(f"{machine_id}: {a} [{s1:.3f}, {e1:.3f}) overlaps {b} from {s2:.3f}")
    for crew, uses in crew_use.items():
        capacity = problem.crews.get(crew, 0)
        events = sorted(
            [(s, n) for s, _, n in uses] + [(e - _EPS, -n) for _, e, n in uses],
            key=lambda x: (x[0], x[1]),
        )
        level = 0
        for at, delta in events:
            level += delta
            if level > capacity:
                out.append(f"crew {crew}: {level} in use at {at:.3f} h, capacity {capacity}")
                break
    return out
