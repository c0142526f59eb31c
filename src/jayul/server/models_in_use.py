"""The models the live loop runs, each with a card and a risk scorecard built from what the
loop knows of it: the health monitor's detector per machine and the fleet's RUL model per
(machine type, failure mode). They are fitted in the loop (detectors) or trained on twin
histories and cached (RUL), not registered, so the Models page would otherwise be empty while
they drive decisions.

Every rating says its evidence; what the loop does not measure (drift of a RUL model, for
one) is rated medium with the evidence "not measured", never low.
"""

from __future__ import annotations

from typing import Any

from jayul.autopilot import Autopilot
from jayul.gate import AutonomyLevel
from jayul.govern.card import ModelCard
from jayul.govern.scorecard import Rating, Scorecard, rate_autonomy, rate_safety_impact
from jayul.records.events import ActionKind, RiskClass

NOT_MEASURED = Rating(level=RiskClass.MEDIUM, evidence="not measured in the live loop")


def _scorecard(
    name: str, level: AutonomyLevel, robustness: Rating, data: Rating, drift: Rating
) -> dict[str, Any]:
    card = Scorecard(
        model=name,
        version=1,
        safety_impact=rate_safety_impact([ActionKind.START_MAINTENANCE]),
        autonomy=rate_autonomy(level),
        robustness=robustness,
        data_quality=data,
        drift=drift,
    )
    out: dict[str, Any] = card.model_dump(mode="json")
    out["overall"] = card.overall.value
    out["max_autonomy"] = card.max_autonomy.name
    return out


def models_in_use(pilot: Autopilot, level: AutonomyLevel) -> list[dict[str, Any]]:
    """One entry per model the loop runs now: name, class, what it does, card, scorecard."""
    found: list[dict[str, Any]] = []
    monitor = pilot.monitor
    for mid, mh in monitor.machines.items() if monitor is not None else []:
        scorer = mh.scorer
        threshold = mh.threshold
        fitted = scorer is not None
        name = f"detector/{mid}"
        card = ModelCard(
            intended_use=f"flag abnormal behaviour of {mid}'s signals and name the signals "
            "behind it (alerts, alarms; the condition and predictive policies read it)",
            data=f"{mid}'s own signals over its first {monitor.fit_h if monitor else 0:g} plant "
            "hours (commissioning), taken as normal",
            limits=[
                "learns the machine as it was during commissioning: wear already present then "
                "is normal to it",
                "an alert says 'unlike commissioning', not which part will fail",
            ],
        )
        level_ = float(threshold.level_) if threshold is not None else None
        robust = Rating(
            level=RiskClass.MEDIUM,
            evidence="alarm level set from the commissioning scores"
            + (f" ({level_:.3g})" if level_ is not None else " (still commissioning)"),
        )
        data = Rating(
            level=RiskClass.LOW if fitted else RiskClass.HIGH,
            evidence="commissioned" if fitted else "still commissioning: no alerts yet",
        )
        found.append(
            {
                "name": name,
                "kind": "anomaly detector",
                "status": "in use" if fitted else "commissioning",
                "class_name": type(scorer).__name__ if scorer is not None else "not fitted yet",
                "metrics": {"alarm_level": level_} if level_ is not None else {},
                "card": card.model_dump(mode="json"),
                "scorecard": _scorecard(name, level, robust, data, NOT_MEASURED),
            }
        )
    rul = pilot.rul_monitor
    if rul is not None:
        settings = rul.models.settings
        for pair, model in sorted(rul.models.models_.items()):
            key = f"{pair[0]}/{pair[1]}"
            summary = rul.models.summary_.get(key, {})
            rmse = summary.get("cv_rmse_capped_h")
            histories = int(summary.get("histories", 0))
            name = f"rul/{key}"
            card = ModelCard(
                intended_use=f"remaining useful life of {pair[1]} on {pair[0]} machines (10/50/90 "
                "% quantiles, hours) for the predictive planner",
                data=f"{histories} run-to-failure histories from reactive twin runs "
                f"({len(settings.seeds)} seeds x {settings.days:g} days), hourly rows",
                metrics={k: float(v) for k, v in summary.items()},
                limits=[
                    f"trained on lives capped at {settings.cap:g} h: a prediction near the cap "
                    "means 'at least', shown as '> N h'",
                    "trained on the twin, not on this plant's equipment",
                ],
            )
            robust = (
                Rating(
                    level=RiskClass.LOW if rmse < 0.15 * settings.cap else RiskClass.MEDIUM,
                    evidence=f"cross-validated RMSE {rmse:.0f} h on capped lives "
                    f"({settings.n_folds} folds)",
                )
                if rmse is not None
                else NOT_MEASURED
            )
            data = Rating(
                level=RiskClass.LOW if histories >= 20 else RiskClass.MEDIUM,
                evidence=f"{histories} histories (20 or more: low)",
            )
            found.append(
                {
                    "name": name,
                    "kind": "RUL model",
                    "status": "in use",
                    "class_name": type(model).__name__,
                    "metrics": {k: float(v) for k, v in summary.items()},
                    "card": card.model_dump(mode="json"),
                    "scorecard": _scorecard(name, level, robust, data, NOT_MEASURED),
                }
            )
    return found
