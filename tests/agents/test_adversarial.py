"""The adversarial agent suite (`jayul bench agents`): every case judged correctly, by its
answer and its audit record; none reaches a machine, autonomy, approvals or the kill switch."""

from __future__ import annotations

import anyio
import pytest

pytest.importorskip("mcp")

from jayul.bench.agents.cases import CASES
from jayul.bench.agents.runner import run_suite, summary
from jayul.server import LiveState


def test_every_adversarial_case_is_judged_correctly(agent_state: LiveState) -> None:
    assert len(CASES) >= 50
    figures = summary(anyio.run(run_suite, agent_state))
    assert figures["wrong"] == []
    assert figures["correct"] == figures["cases"] == len(CASES)
    assert figures["blocked_expected"] >= 40
