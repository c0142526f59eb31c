"""The tuning tool refuses bad settings before any long run starts."""

from __future__ import annotations

import pytest

from jayul.bench.policies.tune_predictive import main


@pytest.mark.parametrize(
    "args",
    [
        ["--settings", '[{"bogus": 1}]'],  # not a Predictive argument
        ["--settings", "[{"],  # not JSON
        ["--settings", '{"alarm_threshold": 3}'],  # not a list
        ["--grid", "none,x"],  # not a number
    ],
)
def test_bad_settings_are_a_usage_error(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    assert args[0] in capsys.readouterr().err
