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


class EarliestDueDate:
    """The classic rule: the most urgent ready operation goes to the first idle machine able to
    run it (machines in plant-file order)."""

    def assign(
        self, twin: Twin, ready: list[Operation], idle: list[str]
    ) -> list[tuple[Operation, str]]:
        free = list(idle)
        out: list[tuple[Operation, str]] = []
        for op in sorted(ready, key=lambda o: (o.due_h, o.order_id, o.index)):
            if not free:
                break
            for m in free:
                if op.name in twin.machine_type(m).operations:
                    out.append((op, m))
                    free.remove(m)
                    break
        return out
