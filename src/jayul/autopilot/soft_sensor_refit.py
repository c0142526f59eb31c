"""The retraining policy's answer to a drifting soft sensor: refit it on the recent history,
register the refit as a new version with its card and scorecard, deploy it only through the
deployment gate.

When a quantity drifts, the policy (`RetrainingPolicy.due`, its decay rule) compares the
interval coverage the analyser's recent readings found (the drift finding's) with the coverage
the serving soft sensor promised: due when it fell by more than the policy's tolerance. The
candidate is fitted on the historian's rows within the policy's training window and the rows
the loop holds after the historian's last (without a historian, on the rows the loop holds: at
most its last 4,000), so it sees the readings up to its own time; held out on the last fifth of
its readings for its figures, and must beat the serving version on those held-out readings
(RMSE lower by more than the policy's `min_improvement`). The serving version is registered
first if it never was (version 1, as it was fitted). The new version's scorecard runs the
robustness probes on its training rows, scoring each row by how far its prediction lies from
the training predictions' mean in their spread (a gap holds the last value, as the live loop
does). Only a version the gate admits (low or medium risk, and its back-test within the plant
file's declared limits: `process.soft_sensor.min_holdout_coverage`, `max_holdout_rmse`) is
served; a high-risk one waits for a person (`jayul models promote --approver`), and the
drifting version keeps serving meanwhile.

The first fit goes the same way (`first_fit`): at the end of commissioning it is fitted,
held out on the last fifth of its readings, registered as version 1 with its card and
scorecard, and served only if the gate admits it. It has no serving version to beat, so the
gate judges it on its back-test against the declared limits. Refused, the loop runs without a
soft sensor: the refusal and that consequence are in the audit trail and in `outcomes`.
Its data is rated against the commissioning the plant asked for (the watch's `fit_rows`), not
a generic row count: the back-test says whether those rows were enough.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from jayul.autopilot.process_monitor import process_rows
from jayul.govern.assess import assess
from jayul.govern.card import MetricLimit, ModelCard
from jayul.govern.registry import ModelRecord, Registry
from jayul.govern.retrain import RetrainingPolicy
from jayul.health.process.analyser_drift import DriftFinding, SoftSensorWatch, fit_candidate
from jayul.health.process.soft_sensor import SoftSensor
from jayul.historian.base import Historian
from jayul.plant.model import Plant
from jayul.records import Samples
from jayul.records.autonomy import AutonomyLevel

BY = "retraining-policy"
HOLDOUT = 0.2


def soft_sensor_name(plant: Plant) -> str:
    """The soft sensor's name in the model registry."""
    return f"soft-sensor:{plant.name}"


def _held(X: NDArray[np.float64]) -> NDArray[np.float64]:
    """Each missing value replaced by its column's last known one (the live loop's rows)."""
    out = np.array(X, dtype=np.float64)
    for i in range(1, len(out)):
        gap = ~np.isfinite(out[i])
        out[i, gap] = out[i - 1, gap]
    return np.nan_to_num(out)


def prediction_score(
    sensor: SoftSensor, X_train: NDArray[np.float64]
) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
    """Rows -> how far each prediction lies from the training predictions' mean, in their
    spread (the largest over the quantities): what the robustness probes read."""
    reference, _, _ = sensor.predict(_held(X_train))
    mean, sd = reference.mean(axis=0), reference.std(axis=0)
    scale = np.where(sd > 0, sd, 1.0)

    def score(X: NDArray[np.float64]) -> NDArray[np.float64]:
        point, _, _ = sensor.predict(_held(X))
        distance: NDArray[np.float64] = np.max(np.abs(point - mean) / scale, axis=1)
        return distance

    return score


@dataclass
class SoftSensorRefit:
    """Called by the process monitor with each drift finding; True when it served a refit."""

    plant: Plant
    registry: Registry
    policy: RetrainingPolicy = field(default_factory=RetrainingPolicy)
    historian: Historian | None = None  # where the refit's rows come from (else the loop's)
    outcomes: list[str] = field(default_factory=list)  # what each call decided, in words

    def _from_historian(
        self, watch: SoftSensorWatch, start: int, end: int
    ) -> tuple[SoftSensor, NDArray[np.float64], dict[str, float]] | None:
        """The candidate fitted on the historian's rows in [start, end), then the watch's own
        rows after the historian's last one: a loop writes its historian in batches (the
        autopilot every 24 ticks, a day of a process run), so the newest readings, those that
        made the drift, are often not there yet; without them every refit between two writes
        would fit and back-test the same rows."""
        assert self.historian is not None and self.plant.process is not None
        spec = self.plant.process.soft_sensor
        assert spec is not None
        refs = spec.input_refs + spec.analysed_refs
        frames = []
        for machine in dict.fromkeys(m for m, _ in refs):
            wanted = [s for m, s in refs if m == machine]
            frame = self.historian.query_samples(machine, start, end, wanted)
            frames.append(frame.assign(machine=machine))
        table = pd.concat(frames, ignore_index=True)
        batch = Samples.build(table["time"], table["machine"], table["signal"], table["value"],
                              table["quality"])  # fmt: skip
        columns = {ref: j for j, ref in enumerate(refs)}
        times, rows = process_rows(batch, columns, np.full(len(refs), np.nan))
        lacking = max(start, int(times[-1]) + 1) if len(times) else start  # not written yet
        held_ns = np.asarray(watch.times, dtype=np.int64)
        newer = (held_ns >= lacking) & (held_ns < end)
        if newer.any():
            held = np.hstack([np.vstack(list(watch.inputs)), np.vstack(list(watch.readings))])
            rows = np.vstack([rows, held[newer]])
        complete = np.flatnonzero(np.all(np.isfinite(rows), axis=1))
        if len(complete) == 0:
            return None
        rows = rows[int(complete[0]) :]  # from the first row every signal has reported
        k = len(spec.input_refs)
        return fit_candidate(rows[:, :k], rows[:, k:], watch.delay, watch.min_readings,
                             HOLDOUT, watch.sensor)  # fmt: skip

    def __call__(self, watch: SoftSensorWatch, finding: DriftFinding) -> bool:
        sensor, now = watch.sensor, finding.time
        assert sensor is not None and watch.fitted_ns is not None
        name = soft_sensor_name(self.plant)
        due = self.policy.due(
            now, watch.fitted_ns, metric_now=finding.coverage, metric_at_deploy=sensor.coverage
        )
        self.registry.audit.append(now, BY, "retrain_decision", name, due.reason,
                                   {"due": due.due, "coverage": finding.coverage})  # fmt: skip
        if not due.due:
            self.outcomes.append(f"not refitted: {due.reason}")
            return False
        if not any(m.name == name for m in self.registry.models()):
            self._register(name, sensor, watch.fit_inputs, {}, now, "the first fit, live",
                           watch.fit_rows)  # fmt: skip
        start, _ = self.policy.training_window(now)
        if self.historian is not None:
            found = self._from_historian(watch, start, now + 1)
        else:
            found = watch.candidate(since_ns=start, holdout=HOLDOUT)
        if found is None:
            self.outcomes.append("not refitted: too few readings in the training window")
            return False
        fresh, X, metrics = found
        rec = self._register(name, fresh, X, metrics, now, due.reason, watch.fit_rows)
        # the challenger must beat the serving version on the same held-out readings (RMSE)
        served, fitted = metrics["serving_holdout_rmse"], metrics["holdout_rmse"]
        wins = served - fitted > self.policy.min_improvement
        verdict = f"held-out RMSE: refit {fitted:.4g} against the serving version's {served:.4g}"
        self.registry.audit.append(now, BY, "challenger_decision", f"{name}@{rec.version}",
                                   verdict, {"wins": wins})  # fmt: skip
        if not wins:
            self.outcomes.append(f"{name} version {rec.version} registered, not deployed: "
                                 f"{verdict}")  # fmt: skip
            return False
        decision = self.registry.promote(name, rec.version, BY, now)
        if not decision.allowed:
            self.outcomes.append(f"{name} version {rec.version} registered, not deployed: "
                                 f"{decision.reason}")  # fmt: skip
            return False
        watch.adopt(fresh, X)
        self.outcomes.append(f"{name} version {rec.version} deployed: {decision.reason}")
        return True

    def first_fit(self, watch: SoftSensorWatch) -> bool | None:
        """The watch's first version, fitted on the rows it holds, registered and served only
        through the deployment gate: True when served, False when refused (the loop then runs
        without a soft sensor), None when the rows do not allow a fit yet."""
        found = watch.candidate(holdout=HOLDOUT)
        if found is None:
            return None
        sensor, X, metrics = found
        name, now = soft_sensor_name(self.plant), watch.times[-1]
        why = "the first fit, at the end of commissioning"
        rec = self._register(name, sensor, X, metrics, now, why, watch.fit_rows)
        decision = self.registry.promote(name, rec.version, BY, now)
        subject = f"{name}@{rec.version}"
        if not decision.allowed:
            text = f"not deployed ({decision.reason}): the loop runs without the soft sensor"
            self.registry.audit.append(now, BY, "soft_sensor_off", subject, text,
                                       {"metrics": metrics})  # fmt: skip
            self.outcomes.append(f"{name} version {rec.version} {text}")
            return False
        watch.adopt(sensor, X)
        self.outcomes.append(f"{name} version {rec.version} deployed: {decision.reason}")
        return True

    def acceptance(self) -> list[MetricLimit]:
        """The back-test limits the plant file declares for its soft sensor."""
        spec = self.plant.process.soft_sensor if self.plant.process is not None else None
        if spec is None:
            return []
        limits = [MetricLimit(metric="holdout_interval_coverage", low=spec.min_holdout_coverage)]
        if spec.max_holdout_rmse is not None:
            limits.append(MetricLimit(metric="holdout_rmse", high=spec.max_holdout_rmse))
        return limits

    def _register(self, name: str, sensor: SoftSensor, X: NDArray[np.float64],
                  metrics: dict[str, float], now: int, why: str,
                  min_rows: int) -> ModelRecord:  # fmt: skip
        spec = self.plant.process.soft_sensor if self.plant.process is not None else None
        analysed = ", ".join(spec.analysed) if spec is not None else "the analyser"
        card = ModelCard(
            intended_use=f"predict the product analyser ({analysed}) before its reading "
            "arrives, with a 90 % interval",
            out_of_scope="control: its predictions inform people and alerts, never a setpoint",
            data=f"{len(X)} rows of the plant's fast measurements and the analyser readings "
            f"known by then, as the loop received them ({why})",
            metrics=metrics,
            limits=[
                "intervals come from out-of-fold residuals of its training readings",
                "refitted when a drift finding's interval coverage falls by more than "
                f"{self.policy.decay_tolerance:.0%} of the promised {sensor.coverage:.0%}",
            ],
            acceptance=self.acceptance(),
        )
        rec = self.registry.register(name, sensor, X, metrics, BY, now, card)
        scorecard, _ = assess(
            name, rec.version, prediction_score(sensor, X), X, (), AutonomyLevel.L1,
            min_rows=min_rows,
        )  # fmt: skip
        self.registry.set_scorecard(scorecard, BY, now)
        return rec
