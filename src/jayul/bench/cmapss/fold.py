"""One fold of the RUL blend (`ensemble.BlendedWindowRul`): its fitted members and the feature
maps they read, and how it predicts at the end of each history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import lightgbm as lgb
import numpy as np

from jayul.bench.cmapss.sequence import ConvSequenceRegressor
from jayul.bench.cmapss.similarity import TrajectoryMatchRegressor
from jayul.health.rul.features import WindowFeatures
from jayul.health.rul.model import FloatArray

# Members that read histories themselves (not the windowed feature rows).
HISTORY_MEMBERS = (TrajectoryMatchRegressor, ConvSequenceRegressor)


class Regressor(Protocol):
    def predict(self, x: FloatArray) -> Any: ...


def predict_features(model: Regressor, x: FloatArray) -> FloatArray:
    """A feature-row member's predictions for the rows of `x`."""
    if isinstance(model, lgb.LGBMRegressor):
        # the bare Booster: the scikit-learn wrapper's per-call checks cost more than the trees
        return np.asarray(model.booster_.predict(x, num_threads=1), dtype=np.float64)
    return np.asarray(model.predict(x), dtype=np.float64)


@dataclass
class Fold:
    """One fold's fitted members; `views[j]` is the feature map member j reads (the fold's
    own `features` unless the member asked for other feature settings)."""

    features: WindowFeatures
    members: list[Regressor]
    views: list[WindowFeatures]

    def predict(self, histories: Sequence[FloatArray], weights: FloatArray) -> FloatArray:
        rows: dict[int, FloatArray] = {}
        total = np.zeros(len(histories))
        for w, member, view in zip(weights, self.members, self.views, strict=True):
            if w <= 0:
                continue
            if isinstance(member, HISTORY_MEMBERS):
                total += w * member.predict_last(histories)
                continue
            total += w * predict_features(member, self._last_rows(view, histories, rows))
        return total

    def _last_rows(
        self, view: WindowFeatures, histories: Sequence[FloatArray], rows: dict[int, FloatArray]
    ) -> FloatArray:
        """Each history's last feature row under `view`, kept in `rows` by view. A view
        without a baseline that was fitted like the fold's own map (the default blend's
        fourth member) takes the own map's rows minus the baseline columns: the same
        numbers (up to the last bit, where numpy's vectorised sums round by the rows' place in
        memory), in half the time, and these rows are most of the prediction's cost."""
        if id(view) not in rows:
            own = self.features
            if view is not own and view.baseline_rows == 0 and own.same_fit_but_baseline(view):
                full = self._last_rows(own, histories, rows)
                rows[id(view)] = np.ascontiguousarray(full[:, ~own.baseline_columns()])
            else:
                rows[id(view)] = np.vstack([view.last_row(h) for h in histories])
        return rows[id(view)]
