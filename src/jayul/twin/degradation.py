"""Degradation: a gamma process per failure mode, and its effect on the signals.

The health index h of a failure mode starts at 0 after a repair or maintenance and grows by
independent gamma increments: over `dt` running hours the increment has shape
`shape_per_h * dt` and mean `wear_per_h * dt` (idle hours wear at a tenth of that rate, and a
setpoint that drives the machine harder multiplies the rate by the load squared). A gamma
process never heals itself, is monotone like physical wear, and its shape parameter sets how
predictable a machine's life is. The machine fails when h reaches 1.

A failure mode shows in its signals only past its onset: effect(h) = max(0, (h - onset) /
(1 - onset))^2 times the signal change named in the plant file, so early wear is invisible and
late wear accelerates, as bearing and seal wear do.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from jayul.plant.model import FailureMode, modelled

IDLE_WEAR = 0.1


def wear_weight(running: bool, standing: bool, load: float) -> float:
    """Wear hours per clock hour: load squared while running, a tenth while standing ready."""
    if running:
        return max(load, 0.1) ** 2
    return IDLE_WEAR if standing else 0.0


def gamma_increment(mode: FailureMode, effective_h: float, rng: np.random.Generator) -> float:
    """The health-index growth of one failure mode over `effective_h` wear hours (a gamma
    increment, or a Gaussian one for a mode whose `process` is `wiener`)."""
    if effective_h <= 0:
        return 0.0
    shape_per_h = modelled(mode.shape_per_h, f"failure mode {mode.id!r}: shape_per_h")
    wear_per_h = modelled(mode.wear_per_h, f"failure mode {mode.id!r}: wear_per_h")
    if mode.process == "wiener":
        # same mean and variance per wear hour as the gamma process: mean mu, variance mu^2/k
        sd = wear_per_h * np.sqrt(effective_h / shape_per_h)
        return float(wear_per_h * effective_h + sd * rng.standard_normal())
    shape = shape_per_h * effective_h
    scale = wear_per_h / shape_per_h
    return float(rng.gamma(shape, scale))


class ModeWear:
    """One failure mode's wear law with its parameters resolved once: the twin applies wear
    at every status change of every machine, its hottest path. `increment` draws exactly
    what `gamma_increment` draws (same random numbers, same floating-point operations)."""

    __slots__ = ("id", "mode", "scale", "shape_per_h", "wiener")

    def __init__(self, mode: FailureMode) -> None:
        self.id = mode.id
        self.mode = mode
        self.shape_per_h = modelled(mode.shape_per_h, f"failure mode {mode.id!r}: shape_per_h")
        wear_per_h = modelled(mode.wear_per_h, f"failure mode {mode.id!r}: wear_per_h")
        self.scale = wear_per_h / self.shape_per_h
        self.wiener = mode.process == "wiener"

    def increment(self, effective_h: float, rng: np.random.Generator) -> float:
        """The health-index growth over `effective_h` (> 0) wear hours."""
        if self.wiener:
            return gamma_increment(self.mode, effective_h, rng)
        return float(rng.gamma(self.shape_per_h * effective_h, self.scale))


def effect_level(mode: FailureMode, health: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """How far into its visible range a failure mode is, 0 (hidden) to 1 (failure)."""
    x = np.clip((health - mode.onset) / (1.0 - mode.onset), 0.0, 1.0)
    return x * x


def mean_life_h(mode: FailureMode) -> float:
    """Expected running hours to failure at full load (health 0 to 1)."""
    return 1.0 / modelled(mode.wear_per_h, f"failure mode {mode.id!r}: wear_per_h")
