"""A federated model at a site: registered with card and scorecard, back-tested on the site's
recent runs, deployed only through the governance gate, refused when the back-test fails."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt
import pytest

from jayul.fleet.federated.deploy import (
    backtest_at_site,
    deploy_at_site,
    recent_cuts,
    register_federated,
    score_at_site,
)
from jayul.fleet.federated.features import Site
from jayul.fleet.federated.model import FederatedRul, FederatedSettings, train_central
from jayul.govern import Registry

FloatArray = npt.NDArray[np.float64]
Data = tuple[list[FloatArray], list[FloatArray], FloatArray]


@pytest.fixture(scope="module")
def model(small_sites: list[Site], small: FederatedSettings) -> FederatedRul:
    # Trained on the pooled sites: what the gate judges does not depend on how it was trained.
    return train_central(small_sites, small)


def _registry(tmp_path: Path) -> Registry:
    return Registry(duckdb.connect(str(tmp_path / "site.duckdb")))


def test_refused_when_the_site_back_test_fails(
    tmp_path: Path, model: FederatedRul, small_sites: list[Site]
) -> None:
    site = small_sites[0]
    registry = _registry(tmp_path)
    record = register_federated(registry, "rul-federated", model, {}, "3 sites", "centre", 1)
    assert registry.get("rul-federated", 1).card is not None
    score_at_site(registry, record, model, site, "site-0", 2)
    assert registry.get("rul-federated", 1).scorecard is not None
    # the site's own model does far better on its recent runs than the fleet's: refuse
    backtest = backtest_at_site(model, site.name, list(site.histories), reference_rmse=1.0)
    assert not backtest.passed
    decision = deploy_at_site(registry, record, backtest, "site-0", 3, approver="Kim")
    assert not decision.allowed and "back-test at site-0 failed" in decision.reason
    assert registry.champion("rul-federated") is None
    registry.audit.flush()
    rows = registry.con.execute("SELECT kind FROM audit_log ORDER BY seq").fetchall()
    kinds = [r[0] for r in rows]
    assert kinds[-2:] == ["site_backtest", "deployment_refused"]


def test_deployed_through_the_gate_when_the_back_test_passes(
    tmp_path: Path, model: FederatedRul, small_sites: list[Site]
) -> None:
    site = small_sites[1]
    registry = _registry(tmp_path)
    record = register_federated(registry, "rul-federated", model, {}, "3 sites", "centre", 1)
    scorecard = score_at_site(registry, record, model, site, "site-1", 2)
    backtest = backtest_at_site(model, site.name, list(site.histories), reference_rmse=500.0)
    assert backtest.passed
    decision = deploy_at_site(registry, record, backtest, "site-1", 3, approver="Kim")
    # the back-test passing is not enough: the registry's gate still rules on the scorecard
    assert decision.allowed == (scorecard.overall.value != "critical")
    if decision.allowed:
        champion = registry.champion("rul-federated")
        assert champion is not None and champion.version == 1


def test_recent_cuts_know_the_remaining_life(fd001: Data) -> None:
    history = fd001[0][0]
    cuts, lives = recent_cuts([history])
    assert [len(c) for c in cuts] == [len(history) - int(life) for life in lives]
    with pytest.raises(ValueError, match="no recent run is long enough"):
        recent_cuts([history[:5]])
