"""A fitted parameter: its value, its uncertainty, the evidence it rests on, or its prior."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

# Fewer events than this and a parameter is not fitted: a documented prior is used instead.
MIN_EVENTS = 3


@dataclass(frozen=True)
class Fitted:
    """`value` with a 95 % interval [`low`, `high`], fitted from `n` events with `family`.

    `prior` marks a value not fitted from this history (too few events): where it came from
    is in `note`.
    """

    value: float
    low: float
    high: float
    n: int
    family: str
    prior: bool = False
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def covers(self, truth: float) -> bool:
        return self.low <= truth <= self.high

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "value": _round(self.value),
            "ci95": [_round(self.low), _round(self.high)],
            "events": self.n,
            "family": self.family,
        }
        if self.prior:
            out["prior"] = True
        if self.note:
            out["note"] = self.note
        out.update(self.extra)
        return out


def prior(value: float, note: str, n: int = 0) -> Fitted:
    return Fitted(value, value, value, n, "prior", prior=True, note=note)


def _round(x: float) -> float:
    return float(f"{x:.6g}") if np.isfinite(x) else float(x)


def numeric_hessian(
    f: Any, x: npt.NDArray[np.float64], step: float = 1e-3
) -> npt.NDArray[np.float64]:
    """Central-difference Hessian of a scalar function (small parameter vectors only)."""
    k = len(x)
    hess = np.zeros((k, k))
    for i in range(k):
        for j in range(i, k):
            ei = np.zeros(k)
            ej = np.zeros(k)
            ei[i] = step
            ej[j] = step
            val = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (
                4 * step * step
            )
            hess[i, j] = hess[j, i] = val
    return hess


def log_param_intervals(
    nll: Any, theta: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """95 % Wald intervals of exp(theta) from the Hessian of a negative log-likelihood in
    log-parameters; infinite when the information matrix is singular."""
    hess = numeric_hessian(nll, theta)
    try:
        cov = np.linalg.inv(hess)
        se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        if not np.all(np.isfinite(se)) or np.any(np.diag(cov) < 0):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        return np.zeros_like(theta), np.full_like(theta, np.inf)
    return np.exp(theta - 1.96 * se), np.exp(theta + 1.96 * se)
