"""The skewed, seeded split of engines across sites."""

from __future__ import annotations

import numpy as np
import pytest


def test_split_deals_every_unit_once_skewed_and_fixed_by_seed() -> None:
    lives = list(np.random.default_rng(1).integers(120, 360, size=100))
    parts = skewed_split_of(lives, seed=0)
    flat = np.concatenate(parts)
    assert sorted(flat.tolist()) == list(range(100))
    assert min(len(p) for p in parts) >= 5
    mean_lives = [np.mean([lives[i] for i in p]) for p in parts]
    # non-IID: the sites' mean lives spread well beyond what a random deal gives (~10 rows)
    assert max(mean_lives) - min(mean_lives) > 25
    assert all(np.array_equal(a, b) for a, b in zip(parts, skewed_split_of(lives, 0), strict=True))
    assert not all(
        np.array_equal(a, b) for a, b in zip(parts, skewed_split_of(lives, 1), strict=True)
    )


def skewed_split_of(lives: list[int], seed: int) -> list[np.ndarray]:
    from jayul.bench.federated.sites import skewed_split

    return skewed_split(lives, 5, seed=seed)


def test_split_refuses_too_few_units() -> None:
    with pytest.raises(ValueError, match="cannot give 5 sites"):
        skewed_split_of([100] * 12, seed=0)
