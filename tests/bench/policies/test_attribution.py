"""The alert-attribution measurement: its arithmetic, and a short run of the real loop."""

from __future__ import annotations

import math

import pytest

from jayul.bench.policies.attribution import AttributionTally, main, tally_seed
from jayul.plant import demo_plant_path, load_plant


def test_the_tally_counts_worn_alerts_apart() -> None:
    tally = AttributionTally()
    assert math.isnan(tally.share())
    tally.add(right=True, worn=True)
    tally.add(right=False, worn=True)
    tally.add(right=True, worn=False)
    assert (tally.alerts, tally.named_right, tally.worn_alerts, tally.worn_named_right) == (
        3,
        2,
        2,
        1,
    )
    assert tally.share() == pytest.approx(2 / 3)
    assert tally.share(worn_only=True) == pytest.approx(0.5)


def test_a_month_of_the_demo_plant_names_most_worn_modes() -> None:
    tally = AttributionTally()
    tally_seed(load_plant(demo_plant_path()), 1000, 30.0, tally)
    assert tally.alerts >= 3
    assert tally.worn_named_right <= tally.worn_alerts <= tally.alerts
    assert tally.share() >= 0.5


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--seeds", "0"])
    assert exit_info.value.code == 2
