"""A federated model in the governance path of a site: registered with its card, scored on the
site's own data, back-tested on the site's recent runs, and deployed only through the
registry's deployment gate.

The centre never holds raw rows, so the model's training-data fingerprint is that of the
aggregated statistics it was built from (the feature map's centre and scale), and its
scorecard is filled in at the site that wants it, on that site's rows: the robustness probes
and data-quality rating look at what the model will see there. The back-test is the site's
own check before the gate: the model's RMSE on the site's recent completed runs (cut where
the remaining life is known) must not be worse than the site's reference (its current
model's RMSE on the same cuts, or a fixed limit) by more than the tolerance. A refused
back-test is audited and the gate is not even asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

from jayul.fleet.federated import network
from jayul.fleet.federated.features import Site
from jayul.fleet.federated.model import FederatedRul
from jayul.govern import ModelCard, Registry
from jayul.govern.assess import assess
from jayul.govern.deploy import DeployDecision
from jayul.govern.probes import with_forward_fill
from jayul.govern.registry import ModelRecord
from jayul.govern.scorecard import Scorecard
from jayul.records.autonomy import AutonomyLevel
from jayul.records.events import ActionKind

FloatArray = npt.NDArray[np.float64]
CUT_LIVES = (10, 30, 60, 90)  # remaining lives (rows) at which each recent run is cut
PROBE_ROWS = 2000  # rows of the site's data the robustness probes corrupt


def register_federated(
    registry: Registry,
    name: str,
    model: FederatedRul,
    metrics: dict[str, float],
    data: str,
    by: str,
    now: int,
) -> ModelRecord:
    """Register a new version with its model card; the fingerprint is of the aggregates."""
    card = ModelCard(
        intended_use=(
            "Remaining useful life (rows to failure) of a unit from its history, for "
            "maintenance planning; trained across sites by federated learning."
        ),
        out_of_scope="Safety functions; units whose signals differ from the training sites'.",
        data=data,
        metrics=metrics,
        limits=[
            "trained on run-to-failure histories only; predictions beyond the label cap "
            f"({model.settings.cap:g} rows) are held at the cap",
            "the training data fingerprint covers the aggregated statistics, not rows: the "
            "centre never held rows",
        ],
    )
    aggregates = np.concatenate([model.features.center_, model.features.scale_])
    return registry.register(name, model, aggregates[None, :], metrics, by, now, card=card)


def score_at_site(
    registry: Registry,
    record: ModelRecord,
    model: FederatedRul,
    site: Site,
    by: str,
    now: int,
    requested: AutonomyLevel = AutonomyLevel.L2,
) -> Scorecard:
    """The model's risk scorecard on the site's rows (probes, data quality), stored."""
    x, _ = model.features.rows(site)
    step = max(1, len(x) // PROBE_ROWS)

    def score(rows: np.ndarray) -> np.ndarray:
        # lower remaining life = worse, as the probes expect higher = worse
        return -network.predict(model.weights, rows)

    scorecard, _ = assess(
        record.name,
        record.version,
        with_forward_fill(score),
        x[::step],
        [ActionKind.START_MAINTENANCE],
        requested,
    )
    registry.set_scorecard(scorecard, by, now)
    return scorecard


@dataclass(frozen=True)
class SiteBacktest:
    """The model's RMSE on the site's recent runs against the site's limit."""

    site: str
    cuts: int
    rmse: float
    limit: float

    @property
    def passed(self) -> bool:
        return self.rmse <= self.limit

    @property
    def reason(self) -> str:
        verdict = "passed" if self.passed else "failed"
        return (
            f"back-test at {self.site} {verdict}: RMSE {self.rmse:.2f} on {self.cuts} cuts of "
            f"its recent runs, limit {self.limit:.2f}"
        )


def recent_cuts(histories: Sequence[FloatArray]) -> tuple[list[FloatArray], FloatArray]:
    """Each completed run cut where `CUT_LIVES` rows were left (when it is long enough)."""
    cuts: list[FloatArray] = []
    lives: list[float] = []
    for history in histories:
        for life in CUT_LIVES:
            if len(history) - life >= 1:
                cuts.append(history[: len(history) - life])
                lives.append(float(life))
    if not cuts:
        raise ValueError("no recent run is long enough to back-test on")
    return cuts, np.array(lives)


def backtest_at_site(
    model: FederatedRul,
    site: str,
    recent: Sequence[FloatArray],
    reference_rmse: float,
    tolerance: float = 0.10,
) -> SiteBacktest:
    """Score the model on the site's recent completed runs; the limit is the site's reference
    RMSE (its current model on the same cuts) times `1 + tolerance`."""
    cuts, lives = recent_cuts(recent)
    error = model.predict(cuts) - lives
    rmse = float(np.sqrt(np.mean(error**2)))
    return SiteBacktest(site, len(cuts), rmse, reference_rmse * (1.0 + tolerance))


def deploy_at_site(
    registry: Registry,
    record: ModelRecord,
    backtest: SiteBacktest,
    by: str,
    now: int,
    approver: str | None = None,
) -> DeployDecision:
    """Deploy only if the site's back-test passed and the registry's gate allows it."""
    subject = f"{record.name}@{record.version}"
    registry.audit.append(now, by, "site_backtest", subject, backtest.reason, asdict(backtest))
    if not backtest.passed:
        registry.audit.append(now, by, "deployment_refused", subject, backtest.reason)
        return DeployDecision(False, backtest.reason)
    return registry.promote(record.name, record.version, by, now, approver)
