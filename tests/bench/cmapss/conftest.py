"""Shared fixtures: synthetic run-to-failure histories with known degradation and noise."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest

# A blend small enough for a test: two folds, two windows, a few trees, and a small LightGBM
# member first; a test adds its own members after it.
_SMALL_BLEND: dict[str, object] = {
    "windows": (5, 20),
    "baseline_rows": 10,
    "n_estimators": 20,
    "n_folds": 2,
    "cap": 100.0,
    "min_history": 20,
}
_SMALL_LIGHTGBM = ("lightgbm", {"num_leaves": 7, "min_child_samples": 20})


@pytest.fixture
def small_blend() -> Callable[..., dict[str, object]]:
    """`small_blend(*members, **settings)`: BlendedWindowRul arguments for a quick fit."""

    def make(*members: tuple[str, dict[str, object]], **settings: object) -> dict[str, object]:
        return {**_SMALL_BLEND, **settings, "members": (_SMALL_LIGHTGBM, *members)}

    return make


def degrading_units(n_units: int, seed: int, noise: float = 0.3) -> list[npt.NDArray[np.float64]]:
    """Units that fail at their last row; wear shows in the last ~100 rows of each."""
    rng = np.random.default_rng(seed)
    units = []
    for _ in range(n_units):
        life = int(rng.integers(90, 200))
        t = np.arange(life, dtype=float)
        wear = np.clip((t - (life - 100)) / 100.0, 0.0, None) ** 1.5
        offset = rng.normal(0, 0.3)  # unit-to-unit difference, removed by the baseline
        units.append(
            np.column_stack(
                [
                    offset + 3 * wear + rng.normal(0, noise, life),
                    -2 * wear + rng.normal(0, noise, life),
                    rng.normal(0, 1, life),
                    np.full(life, 7.0),
                ]
            )
        )
    return units


@pytest.fixture
def make_units() -> Callable[..., list[npt.NDArray[np.float64]]]:
    """The `degrading_units` generator, for tests."""
    return degrading_units
