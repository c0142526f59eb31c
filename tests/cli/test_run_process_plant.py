"""`jayul run --setpoint-targets`: the targets file read from a report or a plain mapping, and
clear errors for a target outside its envelope or naming no setpoint of the plant file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer

from jayul.cli.run_process_plant import read_targets
from jayul.plant import load_plant

TEP = Path(__file__).resolve().parents[2] / "examples" / "plants" / "tep.yaml"


def test_targets_from_a_report_or_a_mapping(tmp_path: Path) -> None:
    plant = load_plant(TEP)
    report = tmp_path / "opt.json"
    report.write_text(json.dumps({"ours": {"targets": {"reactor.reactor_pressure": 2830.0}}}))
    assert read_targets(report, plant) == {("reactor", "reactor_pressure"): 2830.0}
    plain = tmp_path / "t.json"
    plain.write_text(json.dumps({"separator.separator_level": 65}))
    assert read_targets(plain, plant) == {("separator", "separator_level"): 65.0}


@pytest.mark.parametrize(
    ("targets", "said"),
    [
        ({"reactor.reactor_pressure": 3100.0}, "outside its envelope [2600, 2850]"),
        ({"reactor.speed": 1.0}, "'reactor.speed' is not a setpoint of the plant file"),
        ({"nowhere.x": 1.0}, "'nowhere.x' is not a setpoint of the plant file"),
        ([], "expected a JSON object"),
    ],
)
def test_a_bad_target_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], targets: object, said: str
) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(targets))
    with pytest.raises(typer.Exit):
        read_targets(path, load_plant(TEP))
    assert said in capsys.readouterr().err


def test_a_fault_model_is_read_as_the_plants_signals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import joblib
    import numpy as np

    from jayul.cli.run_process_plant import load_fault_namer
    from jayul.health.process.diagnosis import FaultClassifier
    from jayul.health.process.tabular import QualityModel

    plant = load_plant(TEP)
    rng = np.random.default_rng(0)
    runs = {k: rng.normal(size=(60, 2)) + k for k in (0, 6)}
    columns = ["feed.feed_A_flow", "reactor_pressure"]  # machine.signal, or a unique signal id
    good = tmp_path / "faults.joblib"
    joblib.dump(
        QualityModel("faults", columns, ["fault"], FaultClassifier(n_estimators=5).fit(runs)), good
    )
    db = tmp_path / "plant.duckdb"  # no registry there: a path that is no file is an error
    namer = load_fault_namer(str(good), plant, db)
    assert namer.source == str(good)
    assert namer.inputs == [("feed", "feed_A_flow"), ("reactor", "reactor_pressure")]
    assert namer.name(6) == "IDV(6) A feed loss"
    bad = tmp_path / "v.joblib"
    joblib.dump(QualityModel("faults", ["v1", "v2"], ["fault"], namer.model), bad)
    empty = tmp_path / "empty.joblib"
    empty.write_bytes(b"")
    nowhere = tmp_path / "none.joblib"
    for path, said in ((bad, "column(s) v1, v2 are not signals of plant"),
                       (empty, "cannot read the model file"),
                       (nowhere, "no such file, and no model registry at")):  # fmt: skip
        with pytest.raises(typer.Exit):
            load_fault_namer(str(path), plant, db)
        assert said in capsys.readouterr().err.replace("\n", " ")
