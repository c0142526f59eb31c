"""What a federated model must reach (issue 26), on C-MAPSS and on the twin fleet alike: an RMSE
within 5 % of the central model's, and at least 15 % below the local-only models' mean."""

from __future__ import annotations

CENTRAL_MARGIN = 0.05
LOCAL_GAIN = 0.15


def must_reach(
    federated_rmse: dict[str, float], central: float, local_mean: float
) -> dict[str, dict[str, float | bool]]:
    """Per federated model (name -> its RMSE): its ratios to the central RMSE and to the
    local-only mean, and whether it meets each target."""
    return {
        name: {
            "vs_central": fed / central,
            "vs_local_mean": fed / local_mean,
            "within_5pct_of_central": fed <= central * (1 + CENTRAL_MARGIN),
            "15pct_below_local_mean": fed <= local_mean * (1 - LOCAL_GAIN),
        }
        for name, fed in federated_rmse.items()
    }
