import json
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from jayul.bench.cmapss.ensemble import BlendedWindowRul
from jayul.bench.cmapss.rounds import cross_fitted_blend, main, score_candidate, score_model


def _units(n_units: int, seed: int) -> list[npt.NDArray[np.float64]]:
    """Run-to-failure histories whose first signal rises over the last 60 rows of life."""
    rng = np.random.default_rng(seed)
    units = []
    for _ in range(n_units):
        life = int(rng.integers(80, 140))
        wear = np.clip(np.arange(life) - (life - 60), 0, None) / 20.0
        units.append(np.column_stack([wear + rng.normal(0, 0.2, life), rng.normal(0, 1, life)]))
    return units


def test_cross_fitted_weights_are_chosen_on_the_other_folds() -> None:
    target = np.arange(8, dtype=float)
    exact, off = target.copy(), target + 5.0
    members = np.vstack([exact, off])
    fold = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    # Each fold's weights come from the other fold, where the first member is exact.
    blended = cross_fitted_blend(members, target, np.ones(8), fold, 0.25)
    np.testing.assert_array_equal(blended, exact)
    # If the first member is exact only in fold 1, fold 0 never sees that and picks by
    # fold 1 (all on member 0), and fold 1 picks by fold 0 (member 1 is better there).
    members = np.vstack([np.r_[target[:4] + 9.0, target[4:]], off])
    blended = cross_fitted_blend(members, target, np.ones(8), fold, 0.25)
    np.testing.assert_array_equal(blended[:4], target[:4] + 9.0)
    np.testing.assert_array_equal(blended[4:], off[4:])


def test_with_one_member_criterion_a_is_the_members_own_cv_error() -> None:
    units = _units(12, seed=0)
    model = BlendedWindowRul(
        windows=(5, 20),
        baseline_rows=10,
        n_estimators=20,
        n_folds=3,
        cap=60.0,
        min_history=20,
        members=(("lightgbm", {"num_leaves": 7, "min_child_samples": 20}),),
    ).fit(units)
    scores = score_model(model)
    assert scores["criterion_a"] == pytest.approx(model.cv_rmse_[0])
    # B scores the uncapped life at cuts from 26 % of life on: early cuts have more than the
    # cap left, which a capped model cannot reach, so B is the larger error here.
    assert scores["criterion_b"] > scores["criterion_a"]
    assert 0 < scores["criterion_b_near_failure"] <= scores["criterion_b"]


def test_only_blended_models_can_be_scored() -> None:
    with pytest.raises(ValueError, match="not a blended model: 'boosted'"):
        score_candidate("boosted", _units(4, seed=1), seed=0, jobs=1)


def test_main_writes_one_json_line_per_model_and_seed(tmp_path: Path) -> None:
    rows = [
        [unit + 1, cycle + 1, 0.0, 0.0, 100.0, *(history[cycle, 0] + np.zeros(21))]
        for unit, history in enumerate(_units(6, seed=2))
        for cycle in range(len(history))
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "train_FD001.txt", sep=" ", header=False, index=False)
    out = tmp_path / "scores.jsonl"
    main([str(tmp_path), "--models", "blended-capped", "--seeds", "0,1", "--jobs", "1",
          "--out", str(out)])  # fmt: skip
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(s["model"], s["seed"]) for s in lines] == [
        ("blended-capped", 0),
        ("blended-capped", 1),
    ]
    assert all(s["criterion_a"] > 0 and len(s["weights"]) == 3 for s in lines)


def test_main_names_a_bad_model_or_folder_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path), "--models", "blended-capped,svm"])
    assert exit_info.value.code == 2 and "not blended models: svm" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path / "missing"), "--models", "blended-capped"])
    assert exit_info.value.code == 2
    assert "train_FD001.txt: file not found" in capsys.readouterr().err
