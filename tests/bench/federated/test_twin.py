"""The twin fleet's sites: wear factors, aligned rows and labels, and the figures' shape."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from jayul.bench.federated.twin_harness import (
    TwinSite,
    detector_figures,
    rul_figures,
    twin_rul_settings,
)
from jayul.bench.federated.twin_sites import SiteRun, simulate_site, with_wear_factor
from jayul.fleet.federated.flower import flower_available
from jayul.plant.load import load_demo_plant


@pytest.fixture(scope="module")
def fast_run() -> SiteRun:
    """Thirty days of a demo plant whose pumps wear four times as fast: a few failures."""
    return simulate_site(with_wear_factor(load_demo_plant(), 4.0), 5, 30, "pump", "bearing_wear")


def test_wear_factor_scales_every_mode() -> None:
    plant = load_demo_plant()
    faster = with_wear_factor(plant, 2.5)
    for name, machine_type in plant.machine_types.items():
        for mode, scaled in zip(
            machine_type.failure_modes, faster.machine_types[name].failure_modes, strict=True
        ):
            assert mode.wear_per_h is not None and scaled.wear_per_h is not None
            assert scaled.wear_per_h == pytest.approx(2.5 * mode.wear_per_h)
            assert scaled.shape_per_h == mode.shape_per_h


def test_site_run_rows_and_labels_line_up(fast_run: SiteRun) -> None:
    assert set(fast_run.rows) == {"pump1", "pump2", "pump3", "pump4"}
    for machine, rows in fast_run.rows.items():
        assert rows.shape[1] == 6  # the pump's signals
        assert len(fast_run.wear[machine]) == len(rows) == len(fast_run.available[machine])
        assert fast_run.wear[machine][0] == 0.0  # new machines show no wear
        assert (fast_run.wear[machine] > 0).any()
    assert fast_run.histories, "a pump wearing 4x fast fails within 30 days"


def test_detector_and_rul_figures_compare_central_federated_and_local(
    fast_run: SiteRun,
) -> None:
    sites = [TwinSite(f"site-{i}", 4.0, fast_run, fast_run) for i in (1, 2)]
    detector = detector_figures(sites, commission_h=48)
    assert detector["federated_vs_central_max_score_gap"] < 1e-6
    for name in ("central", "federated", "local-only"):
        row = detector["mean_over_sites"][name]
        assert 0.0 <= row["false_alarm_rate"] <= 1.0 and 0.5 < row["auc"] <= 1.0
    if not flower_available():
        pytest.skip("flwr not installed")
    settings = dataclasses.replace(
        twin_rul_settings(hidden=(8,), epochs=2, rounds=2, local_epochs=1), windows=(12, 48)
    )
    rul = rul_figures(sites, settings, None)
    assert set(rul["models"]) == {"central", "local site-1", "local site-2", "FedAvg", "FedProx"}
    assert all(np.isfinite(m["mean_site_rmse"]) for m in rul["models"].values())
    assert rul["must_reach"]["FedAvg"]["vs_central"] > 0
