"""Model cards: what a model is for, what it learned from, how well it does, where it fails."""

from __future__ import annotations

import math
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field


class MetricLimit(BaseModel):
    """A bound its back-test (held-out) figure must meet before a version may deploy: what a
    first model, with no serving version to beat, is judged by."""

    model_config = ConfigDict(frozen=True)

    metric: str
    low: float | None = None
    high: float | None = None

    def failure(self, metrics: Mapping[str, float]) -> str | None:
        """Why `metrics` miss this limit, or None when they meet it."""
        value = metrics.get(self.metric)
        if value is None or not math.isfinite(value):
            return f"{self.metric} was not measured"
        if self.low is not None and value < self.low:
            return f"{self.metric} {value:.4g} below the declared {self.low:.4g}"
        if self.high is not None and value > self.high:
            return f"{self.metric} {value:.4g} above the declared {self.high:.4g}"
        return None

    def describe(self) -> str:
        low = f"{self.low:.4g} <= " if self.low is not None else ""
        high = f" <= {self.high:.4g}" if self.high is not None else ""
        return f"{low}{self.metric}{high}"


class ModelCard(BaseModel):
    """One model version's card (after Mitchell et al., "Model Cards for Model Reporting")."""

    model_config = ConfigDict(frozen=True)

    intended_use: str
    out_of_scope: str = ""
    data: str = Field(description="what it was trained and evaluated on")
    metrics: dict[str, float] = Field(default_factory=dict)
    limits: list[str] = Field(default_factory=list, description="known limits and failure modes")
    acceptance: list[MetricLimit] = Field(
        default_factory=list,
        description="declared back-test limits the deployment gate holds every version to",
    )

    def to_markdown(self, title: str) -> str:
        lines = [f"# {title}", "", "## Intended use", "", self.intended_use, ""]
        if self.out_of_scope:
            lines += ["## Out of scope", "", self.out_of_scope, ""]
        lines += ["## Data", "", self.data, "", "## Metrics", ""]
        lines += [f"- {k}: {v:.4g}" for k, v in sorted(self.metrics.items())] or ["- none"]
        lines += ["", "## Known limits", ""]
        lines += [f"- {x}" for x in self.limits] or ["- none stated"]
        if self.acceptance:
            lines += ["", "## Deploys only if its back-test meets", ""]
            lines += [f"- {a.describe()}" for a in self.acceptance]
        return "\n".join(lines) + "\n"
