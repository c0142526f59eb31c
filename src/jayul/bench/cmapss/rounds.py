"""Score C-MAPSS model candidates on the training engines only, by the rule of rounds 4-8.

docs/benchmarks/cmapss.md declares the rule a candidate must pass before it may have a test
look; this module computes its two criteria for any `--model` name of the benchmark:

- **A**, out-of-fold RMSE on the capped label: rows from `min_history` on of every held-out
  training engine, each engine weighted alike;
- **B**, "fraction of life": each held-out engine cut at a uniformly random fraction in
  [0.26, 1.0] of its own life and scored at the cut against its uncapped remaining life
  (`validation.fraction_cut_weights`; the range reproduces the test histories' lengths);
- both with the blend weights **cross-fitted**: for each fold, weights chosen on the other
  folds' out-of-fold rows by criterion A and applied to that fold's rows, so that weights
  chosen in-sample do not flatter a candidate with more members.

Nothing here reads a test file. Run:
`python -m jayul.bench.cmapss.rounds DATA_DIR --models blended-10fold-nobase,... [--seeds 0,1]
[--jobs N] [--out FILE.json]`.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from jayul.bench.cmapss.data import SENSORS, CmapssDataError, ConditionNormaliser, read_runs
from jayul.bench.cmapss.ensemble import BlendedWindowRul, simplex_weights
from jayul.bench.cmapss.harness import BLENDED_SETTINGS
from jayul.bench.cmapss.validation import fraction_cut_weights, weighted_rmse
from jayul.health.rul import histories_from_frame

FloatArray = npt.NDArray[np.float64]

# Criterion B's cut fractions, fitted in round 4 to the test histories' lengths (inputs only).
FRACTION_LOW, FRACTION_HIGH = 0.26, 1.0
# B restricted to cuts with at most this much life left (near failure, where planning acts).
NEAR_FAILURE = 150.0


@dataclass(frozen=True)
class CandidateScore:
    """One candidate at one seed: both criteria (cross-fitted weights), B near failure, the
    in-sample blend weights, and what the fit cost."""

    model: str
    seed: int
    criterion_a: float
    criterion_b: float
    criterion_b_near_failure: float
    weights: list[float]
    fit_wall_seconds: float
    fit_cpu_seconds: float
    fold_processes: int


def cross_fitted_blend(
    members: FloatArray,
    target: FloatArray,
    weights: FloatArray,
    row_fold: npt.NDArray[np.int64],
    step: float,
) -> FloatArray:
    """The blend of `members` (members x rows) with, for each fold, weights chosen on the
    other folds' rows (weighted RMSE against `target`) and applied to its own rows."""
    blended = np.empty(members.shape[1])
    for fold in np.unique(row_fold):
        own = row_fold == fold
        others = ~own if (~own).any() else own  # one fold: nothing else to choose on
        chosen, _ = simplex_weights(members[:, others], target[others], weights[others], step)
        blended[own] = chosen @ members[:, own]
    return blended


def score_model(model: BlendedWindowRul) -> dict[str, float]:
    """Criteria A, B and B near failure of a fitted model, from its out-of-fold rows."""
    label, age, per_unit = model.oof_rows_
    _, life, _ = model.oof_
    unit, fold = model.oof_units_
    blended = cross_fitted_blend(model.oof_members_, label, per_unit, fold, model.weight_step)
    cuts = fraction_cut_weights(age, life, unit, FRACTION_LOW, FRACTION_HIGH)
    near = np.where(life <= NEAR_FAILURE, cuts, 0.0)
    return {
        "criterion_a": weighted_rmse(blended, label, per_unit),
        "criterion_b": weighted_rmse(blended, life, cuts),
        "criterion_b_near_failure": weighted_rmse(blended, life, near),
    }


def score_candidate(
    name: str, histories: Sequence[FloatArray], seed: int, jobs: int
) -> CandidateScore:
    """Fit the benchmark's model `name` at `seed` on the training histories and score it."""
    if name not in BLENDED_SETTINGS:
        raise ValueError(f"not a blended model: {name!r}; known: {', '.join(BLENDED_SETTINGS)}")
    model = BlendedWindowRul(seed=seed, fold_jobs=jobs, **BLENDED_SETTINGS[name])
    start = time.perf_counter()
    model.fit(histories)
    wall = time.perf_counter() - start
    return CandidateScore(
        model=name,
        seed=seed,
        weights=[float(w) for w in model.weights_],
        fit_wall_seconds=wall,
        fit_cpu_seconds=model.fit_cpu_seconds_,
        fold_processes=model.fold_processes_,
        **score_model(model),
    )


def training_histories(data_dir: Path, subset: str = "FD001") -> list[FloatArray]:
    """The training engines of `subset`, normalised as the benchmark normalises them."""
    runs = read_runs(data_dir / f"train_{subset}.txt")
    histories, _ = histories_from_frame(
        ConditionNormaliser().fit(runs).transform(runs), features=SENSORS
    )
    return histories


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="folder with train_FDxxx.txt")
    parser.add_argument("--models", required=True, help="comma-separated blended model names")
    parser.add_argument("--seeds", default="0,1", help="comma-separated seeds (default 0,1)")
    parser.add_argument("--subset", default="FD001")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, help="write every score as JSON lines")
    args = parser.parse_args(argv)
    names = args.models.split(",")
    unknown = [name for name in names if name not in BLENDED_SETTINGS]
    if unknown:  # before any fit, so that a typo does not surface after minutes of work
        parser.error(
            f"not blended models: {', '.join(unknown)}; known: {', '.join(BLENDED_SETTINGS)}"
        )
    try:
        histories = training_histories(args.data, args.subset)
    except CmapssDataError as error:
        parser.error(str(error))
    for name in names:
        for seed in (int(s) for s in args.seeds.split(",")):
            score = score_candidate(name, histories, seed, args.jobs)
            line = json.dumps(asdict(score))
            print(line, flush=True)
            if args.out is not None:
                with args.out.open("a") as out:
                    out.write(line + "\n")


if __name__ == "__main__":
    main()
