"""`jayul bench tep` end to end on a small TEP-shaped folder made here (and the real one's
shape, when ../shared/data/tep is present)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from jayul.bench.tep.data import FAULTS, ONSET, TepDataError, load_tep
from jayul.bench.tep.run import run_tep
from jayul.cli.main import app


def _rows(n: int, rng: np.random.Generator, fault: int, start: int) -> np.ndarray:
    x = rng.normal(size=(n, 52))
    x[:, 36:41] = np.repeat(rng.normal(size=(n // 5 + 1, 5)), 5, axis=0)[:n]  # held analyser
    if fault:
        x[start:, fault] += 4.0  # fault j: a clear step on variable j
    return x


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("tep")
    rng = np.random.default_rng(0)
    np.savetxt(d / "d00.dat", _rows(500, rng, 0, 0).T)  # stored transposed, as the real one
    np.savetxt(d / "d00_te.dat", _rows(960, rng, 0, 0))
    for j in FAULTS:
        np.savetxt(d / f"d{j:02d}.dat", _rows(480, rng, j, 0))
        np.savetxt(d / f"d{j:02d}_te.dat", _rows(960, rng, j, ONSET))
    return d


def test_runs_writes_predictions_and_detects_clear_faults(folder: Path, tmp_path: Path) -> None:
    figures = run_tep(folder, tmp_path / "pred", trees=10)
    ours = figures["detector"]
    assert ours["mean_fdr_21"] > 0.95
    assert ours["far_d00_te"] < 0.05
    assert figures["diagnosis"]["accuracy"] > 0.5
    lines = (tmp_path / "pred" / "d06_te.csv").read_text().splitlines()
    assert lines[0] == "alarm,fault" and len(lines) == 961
    after = [line.split(",") for line in lines[1 + ONSET + 40 :]]
    assert np.mean([a == "1" for a, _ in after]) > 0.95
    assert np.mean([f == "6" for _, f in after]) > 0.5


def test_a_bad_folder_is_named_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "d00.dat").write_text("1 2 3\n4 5 6\n")
    with pytest.raises(TepDataError, match="columns"):
        load_tep(tmp_path)
    result = CliRunner().invoke(
        app, ["bench", "tep", "--data", str(tmp_path / "none"), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "not a folder" in result.output


def test_the_real_folder_loads_with_its_shapes() -> None:
    real = Path(__file__).parents[4] / "shared" / "data" / "tep"
    if not real.is_dir():
        pytest.skip("../shared/data/tep not present")
    data = load_tep(real)
    assert data.train[0].shape == (500, 52)
    assert all(data.test[j].shape == (960, 52) for j in data.test)


def test_block_bootstrap_far_is_near_the_quantile_on_independent_normal_rows() -> None:
    from jayul.bench.tep.detect import Candidate, block_bootstrap_far
    from jayul.health.window_spread import WindowSpreadDetector

    normal = np.random.default_rng(1).normal(size=(1000, 5))
    loose = Candidate("w=5 q=0.9", lambda: WindowSpreadDetector(window=5), 0.9)
    tight = Candidate("w=5 q=0.99 x1.2", lambda: WindowSpreadDetector(window=5), 0.99, 1.2)
    assert 0.05 < block_bootstrap_far(loose, normal, reps=10) < 0.2
    assert block_bootstrap_far(tight, normal, reps=10) < 0.02
