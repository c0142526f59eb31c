"""The detector chosen and fitted on one TEP folder, scored on another folder's test files.

`python -m jayul.bench.tep.cross_set --fit ../shared/data/tep --test FRESH [--report FILE]`.
With the Braatz files as `--fit` and a set of `jayul bench tep-generate` as `--test`, this asks
whether control limits set on one plant hold on another: the Braatz runs come from the original
TEP code under its own control structure, the fresh runs from the revised kernel under Ricker's
decentralised control, so their normal operation differs (some valves that move in one are
held in the other). A high false-alarm rate here measures that difference, not the detector;
the fresh-run figures of `jayul bench tep` fit on the fresh set's own normal run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from jayul.bench.tep.data import TepData, load_tep
from jayul.bench.tep.detect import choose, mean_rate, pca_candidates, score_tests, window_candidates
from jayul.shell.report import write_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fit", type=Path, required=True)
    parser.add_argument("--test", type=Path, required=True)
    parser.add_argument("--report", type=Path)
    args = parser.parse_args()
    fit, test = load_tep(args.fit), load_tep(args.test)
    crossed = TepData(fit.train, test.test, test.onset)  # fit's training files, test's tests
    figures: dict[str, dict[str, str | float]] = {}
    for label, candidates in (("detector", window_candidates()), ("peer_pca", pca_candidates())):
        choice = choose(list(candidates), fit)
        s = score_tests(choice.candidate, crossed)
        rates = {
            "mean_fdr_18": mean_rate(s.fdr),
            "mean_fdr_21": mean_rate(s.fdr, ()),
            "far_d00_te": s.far_normal,
            "far_first_160": s.far_before_onset,
        }
        figures[label] = {"chosen": choice.candidate.name, **rates}
        print(
            f"{label:9s} {choice.candidate.name:34s} FDR18 {100 * rates['mean_fdr_18']:.1f} %"
            f"  FAR d00_te {100 * rates['far_d00_te']:.1f} %"
            f"  before onset {100 * rates['far_first_160']:.1f} %"
        )
    write_report(args.report, figures)


if __name__ == "__main__":
    main()
