"""KPIs are internally consistent (docs/kpis.md)."""

from __future__ import annotations

import pytest

from jayul.plant import load_demo_plant
from jayul.twin import Twin


def test_kpis_add_up() -> None:
    twin = Twin(load_demo_plant(), seed=7, signals=False)
    twin.run_until(24 * 90)
    k = twin.kpis()
    assert k.planned_h == pytest.approx(24 * 90 * 12)
    assert k.availability == pytest.approx(1 - k.downtime_h / k.planned_h)
    assert k.oee == pytest.approx(k.availability * k.performance * k.quality)
    assert k.total_cost == pytest.approx(k.maintenance_cost + k.failure_cost + k.tardiness_cost)
    assert 0 <= k.on_time_rate <= 1 and 0 < k.quality <= 1 and 0 < k.performance <= 1
    assert k.throughput == pytest.approx(k.orders_done / 90)
