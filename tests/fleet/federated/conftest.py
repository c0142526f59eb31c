"""Small C-MAPSS FD001 sites for quick federated tests (skipped when the data is absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from jayul.bench.cmapss.data import SENSORS, load_cmapss
from jayul.bench.federated.sites import skewed_split
from jayul.fleet.federated.features import Site
from jayul.fleet.federated.model import FederatedSettings
from jayul.health.rul import histories_from_frame

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "cmapss"
FloatArray = npt.NDArray[np.float64]


@pytest.fixture(scope="module")
def small() -> FederatedSettings:
    """A network and feature map small enough for a test that still learns something."""
    return FederatedSettings(
        hidden=(16,), epochs=6, rounds=3, local_epochs=2, windows=(5, 15), baseline_rows=10
    )


@pytest.fixture(scope="module")
def fd001() -> tuple[list[FloatArray], list[FloatArray], FloatArray]:
    """The first 30 FD001 training engines, and 40 test engines with their true RULs."""
    if not (DATA / "train_FD001.txt").is_file():
        pytest.skip("C-MAPSS data not present")
    split = load_cmapss(DATA)
    train, _ = histories_from_frame(split.train, features=SENSORS)
    test, _ = histories_from_frame(split.test, features=SENSORS)
    return train[:30], test[:40], split.test_rul[:40]


@pytest.fixture(scope="module")
def small_sites(fd001: tuple[list[FloatArray], list[FloatArray], FloatArray]) -> list[Site]:
    """30 engines over 3 sites, skewed by life."""
    train = fd001[0]
    parts = skewed_split([len(h) for h in train], 3, seed=0, min_units=5)
    return [Site(f"site-{i}", [train[j] for j in part]) for i, part in enumerate(parts)]
