"""`jayul bench steel` on a small file shaped like the steel plates table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jayul.bench.steel.data import LABELS, SteelDataError, load_steel
from jayul.bench.steel.run import run_steel


def table(path: Path, n: int = 300) -> Path:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 5))
    label = np.clip((X[:, 0] * 2 + 3).astype(int), 0, len(LABELS) - 1)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    for i, name in enumerate(LABELS):
        df[name] = (label == i).astype(int)
    df.to_csv(path, index=False)
    return path


def test_runs_both_models_over_ten_folds(tmp_path: Path) -> None:
    figures = run_steel(table(tmp_path / "s.csv"), peer_trees=20)
    assert figures["folds"] == 10 and figures["rows"] == 300
    for name in ("ours", "peer_random_forest_500"):
        assert 0.5 < figures[name]["accuracy"]["mean"] <= 1.0


def test_a_row_without_exactly_one_label_is_named(tmp_path: Path) -> None:
    path = table(tmp_path / "s.csv")
    df = pd.read_csv(path)
    df.loc[4, list(LABELS)] = 0
    df.to_csv(path, index=False)
    with pytest.raises(SteelDataError, match="row 6"):
        load_steel(path)
