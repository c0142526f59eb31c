"""What the plant's production looks like to a planning policy: open operations, when each
machine is free, and which crews are free. In a real plant this comes from the MES; on the
twin, `jayul.autopilot.production.production_view` reads it off the twin."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class OpenOp:
    """An operation not yet started: its order, routing position, eligible machines with
    their processing hours, the order's due time, and whether it may start now."""

    order_id: str
    index: int
    name: str
    eligible: Mapping[str, float]
    due_h: float
    ready: bool


@dataclass(frozen=True)
class ProductionView:
    ops: tuple[OpenOp, ...]
    free_at_h: Mapping[str, float]  # when each machine finishes what it is doing now
    crews_free: Mapping[str, int]
    tardiness_cost_per_h: float
