"""`jayul bench tep-generate`: a tiny set made with the process twin (seconds), read back by
`jayul bench tep` in the layout it expects."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import jayul.bench.tep.generate as gen
from jayul.bench.tep.data import TepDataError, load_tep
from jayul.bench.tep.generate import Layout, PlantTrippedError, RunSpec, generate, runs, simulate
from jayul.bench.tep.run import run_tep
from jayul.cli.main import app

pytest.importorskip("tep_studio", reason="the process twin needs the process extra")

# d00 needs 120 rows: the longest detector window (30) is fitted on half of it, twice over
TINY = Layout(
    normal_train_rows=120,
    fault_train_rows=20,
    fault_train_lead_h=0.25,
    test_rows=40,
    onset=20,
    faults=(6, 21),
)
A_FEED, STREAM4_VALVE = 0, 44  # columns: XMEAS(1) and XMV(4)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("fresh")
    written: list[str] = []
    generate(d, seed=3, layout=TINY, workers=2, done=lambda s, _: written.append(s.file))
    assert sorted(written) == sorted(s.file for s in runs(3, TINY))
    return d


@pytest.mark.slow
def test_the_set_is_in_the_layout_bench_tep_reads(folder: Path) -> None:
    assert np.loadtxt(folder / "d00.dat").shape == (52, 120)  # stored transposed, as Braatz's
    data = load_tep(folder)
    assert data.onset == 20 and sorted(data.train) == [0, 6, 21] == sorted(data.test)
    assert data.train[0].shape == (120, 52) and data.train[6].shape == (20, 52)
    assert all(x.shape == (40, 52) for x in data.test.values())
    manifest = json.loads((folder / "layout.json").read_text())
    assert manifest["seed"] == 3 and len(set(manifest["noise_seeds"].values())) == 6


@pytest.mark.slow
def test_the_fault_starts_after_the_onset_row(folder: Path) -> None:
    data = load_tep(folder)
    a_feed = data.test[6][:, A_FEED]  # fault 6: the A feed is lost
    assert np.all(a_feed[:20] > 0.2) and np.all(a_feed[20:] < 0.05)
    assert np.all(data.train[6][:, A_FEED] < 0.05)  # training runs are faulty from row 1
    valve = data.test[21][:, STREAM4_VALVE]  # fault 21: the stream 4 valve held
    assert np.ptp(valve[:20]) > 0.01 and np.all(valve[20:] == pytest.approx(61.302, abs=1e-3))
    assert np.ptp(data.test[0][:, STREAM4_VALVE]) > 0.01  # the normal run's valve moves


@pytest.mark.slow
def test_bench_tep_runs_on_the_generated_set(folder: Path, tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    out = tmp_path / "p"
    args = ["bench", "tep", "--data", str(folder), "--out", str(out), "--report", str(report)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    figures = json.loads(report.read_text())
    assert sorted(figures["detector"]["fdr"]) == ["21", "6"]
    assert figures["detector"]["fdr"]["6"] > 0.9
    lines = (out / "d06_te.csv").read_text().splitlines()
    assert lines[0] == "alarm,fault" and len(lines) == 41
    figures = run_tep(folder, tmp_path / "q", trees=10)
    assert 0.0 <= figures["diagnosis"]["accuracy"] <= 1.0


def test_a_run_is_reproducible_by_its_seed() -> None:
    spec = RunSpec("d01_te.dat", 1, runs(5, TINY)[0].noise_seed, 0, 200, rows=4)
    first, again = simulate(spec), simulate(spec)
    np.testing.assert_array_equal(first, again)
    other = simulate(RunSpec("d01_te.dat", 1, spec.noise_seed + 1, 0, 200, rows=4))
    assert not np.array_equal(first, other)


def test_two_seeds_share_no_noise_seed() -> None:
    seeds = [{s.noise_seed for s in runs(seed, Layout())} for seed in (101, 102)]
    assert len(seeds[0]) == len(seeds[1]) == 44 and not seeds[0] & seeds[1]


def test_bad_requests_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not TEP faults"):
        generate(tmp_path, 0, Layout(faults=(22,)))
    with pytest.raises(ValueError, match="onset"):
        generate(tmp_path, 0, Layout(test_rows=10, onset=10))
    (tmp_path / "layout.json").write_text('{"layout": {"onset": 5}}')
    with pytest.raises(TepDataError, match=r"layout\.json"):
        load_tep(tmp_path)
    result = CliRunner().invoke(
        app, ["bench", "tep-generate", "--seed", "1", "--out", str(tmp_path), "--workers", "3"]
    )
    assert result.exit_code == 2


def _fake_simulate(trips: int) -> Callable[[RunSpec], np.ndarray]:
    def fake(spec: RunSpec) -> np.ndarray:
        if spec.fault == trips:
            raise PlantTrippedError(f"{spec.file}: the plant shut down")
        return np.full((spec.rows, 52), float(spec.fault))

    return fake


def test_a_fault_that_trips_the_plant_is_left_out_and_a_set_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gen, "simulate", _fake_simulate(trips=6))
    layout = Layout(4, 3, 0.1, 6, 2, faults=(1, 6))
    ended: list[tuple[str, str | None]] = []
    manifest = generate(tmp_path, 9, layout, workers=1, done=lambda s, t: ended.append((s.file, t)))
    assert manifest["layout"]["faults"] == [1] and "shut down" in manifest["left_out"]["6"]
    assert not (tmp_path / "d06.dat").exists() and not (tmp_path / "d06_te.dat").exists()
    assert sorted(f for f, t in ended if t is None) == [
        "d00.dat", "d00_te.dat", "d01.dat", "d01_te.dat"
    ]  # fmt: skip
    data = load_tep(tmp_path)  # bench tep reads the set without the fault left out
    assert sorted(data.test) == [0, 1] and data.onset == 2
    (tmp_path / "d01_te.dat").unlink()  # an interrupted set: one run missing
    ended.clear()
    generate(tmp_path, 9, layout, workers=1, done=lambda s, t: ended.append((s.file, t)))
    assert ended == [("d01_te.dat", None)]  # neither the made runs nor the trip again
