"""Choose the C-MAPSS model and label cap on the training engines, scored as the test is.

For each label cap, one cross-validated fit (`BlendedWindowRul` with every member either
candidate needs) gives every member's out-of-fold predictions on the training engines; each
candidate is then scored by the test-like criterion (`validation.cut_weights`): held-out
training engines cut at the test histories' lengths (inputs, not the test RULs), RMSE of the
prediction at the cut against the uncapped remaining life. Candidates:

- `boosted`: what `BoostedWindowRul` would be at that cap (LightGBM 15 or 31 leaves, the one
  with the lower capped-label CV error, as that model chooses);
- `blended`: the default blend's three members with weights chosen by the test-like
  criterion (as `BlendedWindowRul(cut_lengths=...)` chooses them).

Run: `python -m jayul.bench.cmapss.select DATA_DIR [--seeds 0] [--out FILE.json]`.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from jayul.bench.cmapss.data import SENSORS, ConditionNormaliser, load_cmapss
from jayul.bench.cmapss.ensemble import DEFAULT_MEMBERS, BlendedWindowRul, simplex_weights
from jayul.bench.cmapss.validation import weighted_rmse
from jayul.health.rul import histories_from_frame

# Declared before any test look (docs/benchmarks/cmapss.md).
CAPS = (115.0, 120.0, 125.0, 130.0, 135.0, 140.0)
LGB31 = ("lightgbm", {"num_leaves": 31, "min_child_samples": 50})
# lightgbm 15, Huber 31, extra trees (the blend), then lightgbm 31 (the boosted alternative).
MEMBERS = (*DEFAULT_MEMBERS, LGB31)
BLEND = [0, 1, 2]
BOOSTED = [0, 3]


def score_cap(
    histories: list[Any], cut_lengths: list[int], cap: float, seed: int
) -> dict[str, Any]:
    """One cross-validated fit at `cap`; every candidate's test-like and capped CV RMSE."""
    start = time.perf_counter()
    model = BlendedWindowRul(cap=cap, members=MEMBERS, seed=seed, cut_lengths=cut_lengths)
    model.fit(histories)
    oof = model.oof_members_
    _, life, cut = model.oof_
    label, _, per_unit = model.oof_rows_
    capped = [weighted_rmse(p, label, per_unit) for p in oof]
    boosted = BOOSTED[int(np.argmin([capped[i] for i in BOOSTED]))]
    weights, blend_cut = simplex_weights(oof[BLEND], life, cut, model.weight_step)
    return {
        "cap": cap,
        "seed": seed,
        "boosted_member": boosted,
        "boosted_test_like": weighted_rmse(oof[boosted], life, cut),
        "boosted_capped": capped[boosted],
        "blended_weights": weights.tolist(),
        "blended_test_like": blend_cut,
        "blended_capped": weighted_rmse(weights @ oof[BLEND], label, per_unit),
        "members_test_like": [weighted_rmse(p, life, cut) for p in oof],
        "seconds": time.perf_counter() - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--caps", type=float, nargs="+", default=list(CAPS))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    split = load_cmapss(args.data, "FD001", "FD001")
    normaliser = ConditionNormaliser().fit(split.train)
    histories, _ = histories_from_frame(normaliser.transform(split.train), features=SENSORS)
    # The test histories' lengths: inputs of the test engines, not their remaining lives.
    cut_lengths = [int(n) for n in split.test.groupby("unit")["cycle"].size()]
    results = []
    for seed in args.seeds:
        for cap in args.caps:
            row = score_cap(histories, cut_lengths, cap, seed)
            results.append(row)
            print(json.dumps(row), flush=True)
            if args.out is not None:
                args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
