"""The rule that chooses the health monitor's default: the twin gate, FAR before F1, each group
left out in turn; and the pool's shared scoring against alarming each candidate alone."""

from __future__ import annotations

from typing import Any

import numpy as np

from jayul.bench.skab.holdout import Group, Stream, alarm_stream
from jayul.bench.skab.product_pool import (
    REPLACED_DEFAULT,
    ProductCandidate,
    product_candidates,
    score_groups,
)
from jayul.bench.skab.product_rule import apply_rule, rule_groups, twin_eligible

GOOD_TWIN = {"failures": 10, "caught": 10, "healthy_alerts": 1}


def _candidate(fars: dict[str, float], f1: float, twin: dict[str, int] = GOOD_TWIN) -> Any:
    groups: dict[str, dict[str, Any]] = {}
    for name, far in fars.items():
        groups[name] = {"far_percent": far, "fp": int(far * 10), "tn": 1000 - int(far * 10)}
        if name.startswith("valve"):
            groups[name]["f1"] = f1
    return {"groups": groups, "twin": twin}


def test_the_twin_gate_needs_as_many_failures_caught_and_few_false_alerts() -> None:
    replaced = {"failures": 10, "caught": 7, "healthy_alerts": 0}
    assert twin_eligible(GOOD_TWIN, replaced)
    assert twin_eligible({"failures": 10, "caught": 7, "healthy_alerts": 4}, replaced)
    assert not twin_eligible({"failures": 10, "caught": 6, "healthy_alerts": 0}, replaced)
    assert not twin_eligible({"failures": 10, "caught": 10, "healthy_alerts": 5}, replaced)


def test_tep_groups_pool_into_one_process_by_their_rows() -> None:
    groups = {
        "valve1": {"far_percent": 5.0, "fp": 5, "tn": 95, "f1": 0.8},
        "TEP d00_te (normal run)": {"far_percent": 10.0, "fp": 10, "tn": 90},
        "TEP d01-d21_te rows 1-160 (normal)": {"far_percent": 30.0, "fp": 90, "tn": 210},
    }
    pooled = rule_groups(groups)
    assert set(pooled) == {"valve1", "TEP"}
    assert pooled["TEP"]["far_percent"] == 100.0 * 100 / 400


def test_far_holding_beats_f1_and_each_group_is_judged_left_out() -> None:
    names = ("valve1", "valve2", "TEP")
    pool = {
        # higher F1, but false-alarms on TEP
        "loud": _candidate({"valve1": 8.0, "valve2": 9.0, "TEP": 40.0}, f1=0.9),
        # holds on every group
        "steady": _candidate({"valve1": 6.0, "valve2": 7.0, "TEP": 3.0}, f1=0.7),
        # holds everywhere and has the best F1, but is blind on the twin
        "blind": _candidate(dict.fromkeys(names, 1.0), f1=0.95, twin={"failures": 10, "caught": 0}),
    }
    pool["blind"]["twin"]["healthy_alerts"] = 0
    rule = apply_rule(pool, "loud")
    assert rule["eligible"] == ["loud", "steady"]
    assert rule["default"] == "steady"
    # without TEP, both hold on both valve folders: F1 decides, and TEP shows what that costs
    assert rule["left_out"]["TEP"]["chosen"] == "loud"
    assert rule["left_out"]["TEP"]["far_percent"] == 40.0
    assert not rule["left_out"]["TEP"]["holds"]
    assert rule["left_out"]["valve1"] == {
        "chosen": "steady",
        "far_percent": 6.0,
        "f1": 0.7,
        "holds": True,
    }
    spread = rule["held_out_far"]
    assert (spread["min"], spread["max"], spread["groups_held"]) == (6.0, 40.0, 2)


def test_no_eligible_candidate_leaves_no_default() -> None:
    pool = {"noisy": _candidate({"valve1": 1.0}, 0.9, {"failures": 4, "caught": 4})}
    pool["noisy"]["twin"]["healthy_alerts"] = 9
    rule = apply_rule(pool, "noisy")
    assert rule["default"] is None and rule["held_out_far"] is None


def test_the_pool_keeps_every_signal_and_holds_todays_default() -> None:
    pool = product_candidates()
    assert len(pool) == 24 and len({c.name for c in pool}) == 24
    assert REPLACED_DEFAULT in pool and ProductCandidate("pca", 0.0, 1.2) == REPLACED_DEFAULT
    for c in pool:
        assert c.detector().get_params()["slow_autocorr"] > 1.0


def test_shared_scores_give_the_alarms_of_each_candidate_alone() -> None:
    rng = np.random.default_rng(3)
    streams = []
    for _ in range(2):
        train = rng.normal(size=(400, 4)) + np.linspace(0, 1, 400)[:, None]
        rows = rng.normal(size=(300, 4))
        rows[150:220, 2] += 3.0
        truth = np.zeros(300, np.int8)
        truth[150:220] = 1
        streams.append(Stream(train, rows, truth))
    group = Group("g", streams, labelled=True)
    candidates = [ProductCandidate(f, 100.0, m) for f in ("pca", "zscore") for m in (1.2, 2.0)]
    figures = score_groups(candidates, [group], {})
    for c in candidates:
        config = c.alarm_config()
        alarms = np.concatenate([alarm_stream(config, s) for s in streams])
        truth = np.concatenate([s.truth for s in streams])
        fp = int(((alarms == 1) & (truth == 0)).sum())
        assert figures[c.name]["groups"]["g"]["fp"] == fp
