"""Production dispatch: which ready operation an idle machine takes next."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from jayul.twin.factory import Twin
    from jayul.twin.state import Operation


class Dispatcher(Protocol):
    """Chooses (operation, machine) pairs to start now, from ready operations and idle machines."""

    def assign(
        self, twin: Twin, ready: list[Operation], idle: list[str]
    ) -> list[tuple[Operation, str]]: ...


def _due_first(op: Operation) -> tuple[float, int, int]:
    return (op.due_h, op.order_id, op.index)


class EarliestDueDate:
    """The classic rule: the most urgent ready operation goes to the first idle machine able to
    run it (machines in plant-file order)."""

    def assign(
        self, twin: Twin, ready: list[Operation], idle: list[str]
    ) -> list[tuple[Operation, str]]:
        # Taking the most urgent operation some free machine can run, again and again, assigns
        # what going down the whole queue in due order would (an operation no free machine can
        # run stays so as machines are taken), without sorting the queue at every event.
        free = list(idle)
        runs = {m: twin.machine_type(m).operations for m in free}
        out: list[tuple[Operation, str]] = []
        pool = ready
        while free and pool:
            if len(free) == 1:
                ops = runs[free[0]]
                pool = [op for op in pool if op.name in ops]
            else:
                pool = [op for op in pool if any(op.name in runs[m] for m in free)]
            if not pool:
                break
            op = min(pool, key=_due_first)
            m = next(m for m in free if op.name in runs[m])
            out.append((op, m))
            free.remove(m)
            pool = [o for o in pool if o is not op]
        return out
