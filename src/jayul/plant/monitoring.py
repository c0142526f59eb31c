"""The plant file's `monitoring:` section: how the live health monitor turns scores into alerts.

The detector's score is smoothed over `smoothing_h` hours (an exponentially weighted mean), an
alert is raised when the smoothed score stays above the alarm level for half of a `raise_h`
window, and it clears after `clear_h` hours back below 0.7 x the level. The defaults suit
machines sampled every few seconds to minutes whose faults develop over hours to days; a plant
whose faults develop within minutes shortens them, a noisy one lengthens them. `jayul run`'s
`--smoothing-h`, `--raise-h` and `--clear-h` override the file for one run.
"""

from __future__ import annotations

from pydantic import Field

from jayul.plant.base import Strict

DEFAULT_SMOOTHING_H = 2.0
DEFAULT_RAISE_H = 1.0
DEFAULT_CLEAR_H = 24.0


class Monitoring(Strict):
    """The health monitor's alert timing, in hours of plant time."""

    smoothing_h: float = Field(
        DEFAULT_SMOOTHING_H, gt=0, description="time constant of the smoothed score (hours)"
    )
    raise_h: float = Field(
        DEFAULT_RAISE_H,
        gt=0,
        description="an alert is raised when the smoothed score is above the level for half "
        "of this window (hours)",
    )
    clear_h: float = Field(
        DEFAULT_CLEAR_H,
        gt=0,
        description="an alert clears after this long below 0.7 x the level (hours)",
    )
