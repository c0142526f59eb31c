"""`jayul bench federated`: what it refuses, with a message rather than a traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from jayul.cli.main import app
from jayul.fleet.federated.flower import flower_available

runner = CliRunner()
pytestmark = pytest.mark.skipif(not flower_available(), reason="flwr not installed")


def test_needs_the_data_folder_or_the_twin() -> None:
    result = runner.invoke(app, ["bench", "federated"])
    assert result.exit_code != 0
    assert "--data" in result.output and "--twin" in result.output
    assert "Traceback" not in result.output


def test_refuses_an_unknown_strategy() -> None:
    result = runner.invoke(app, ["bench", "federated", "--data", ".", "--strategy", "fedsgd"])
    assert result.exit_code != 0
    assert "fedsgd" in result.output and "fedavgm" in result.output
