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
        free = list(idle)
        runs = twin.operations_by_machine
        out: list[tuple[Operation, str]] = []
        for op in sorted(ready, key=_due_first) if len(ready) > 1 else ready:
            if not free:
                break
            name = op.name
            for m in free:
                if name in runs[m]:
                    out.append((op, m))
                    free.remove(m)
                    break
        return out
