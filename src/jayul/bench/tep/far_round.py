"""Design round (issue 25): the rule's false-alarm estimate by half split against a block
bootstrap, each at two budgets, scored on the test files in one run.

`python -m jayul.bench.tep.far_round --data ../shared/data/tep [--report FILE]`. The default
of `jayul bench tep` is unchanged: this measures whether the bootstrap estimate would choose
better, before any rule is changed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from jayul.bench.tep.data import load_tep
from jayul.bench.tep.detect import (
    block_bootstrap_far,
    choose,
    estimated_far,
    mean_rate,
    score_tests,
    window_candidates,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--report", type=Path)
    args = parser.parse_args()
    data = load_tep(args.data)
    candidates = list(window_candidates())
    rows = []
    for name, far in (("half split", estimated_far), ("block bootstrap", block_bootstrap_far)):
        for budget in (0.025, 0.01):
            choice = choose(candidates, data, far, budget)
            s = score_tests(choice.candidate, data)
            rows.append({
                "estimate": name,
                "budget": budget,
                "chosen": choice.candidate.name,
                "estimated_far": choice.estimated_far,
                "within_budget": choice.within_budget,
                "mean_fdr_18": mean_rate(s.fdr),
                "far_d00_te": s.far_normal,
                "far_first_160": s.far_before_onset,
            })  # fmt: skip
            r = rows[-1]
            print(
                f"{name:16s} budget {budget:.3f}: {r['chosen']:34s} est {r['estimated_far']:.4f}"
                f" FDR18 {r['mean_fdr_18']:.4f} FAR d00_te {r['far_d00_te']:.4f}"
                f" first160 {r['far_first_160']:.4f}",
                flush=True,
            )
    if args.report is not None:
        args.report.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
