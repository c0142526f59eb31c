"""Model cards: what a model is for, what it learned from, how well it does, where it fails."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ModelCard(BaseModel):
    """One model version's card (after Mitchell et al., "Model Cards for Model Reporting")."""

    model_config = ConfigDict(frozen=True)

    intended_use: str
    out_of_scope: str = ""
    data: str = Field(description="what it was trained and evaluated on")
    metrics: dict[str, float] = Field(default_factory=dict)
    limits: list[str] = Field(default_factory=list, description="known limits and failure modes")

    def to_markdown(self, title: str) -> str:
        lines = [f"# {title}", "", "## Intended use", "", self.intended_use, ""]
        if self.out_of_scope:
            lines += ["## Out of scope", "", self.out_of_scope, ""]
        lines += ["## Data", "", self.data, "", "## Metrics", ""]
        lines += [f"- {k}: {v:.4g}" for k, v in sorted(self.metrics.items())] or ["- none"]
        lines += ["", "## Known limits", ""]
        lines += [f"- {x}" for x in self.limits] or ["- none stated"]
        return "\n".join(lines) + "\n"
