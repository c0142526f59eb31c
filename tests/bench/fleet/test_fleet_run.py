"""`jayul bench fleet` in small: a few sites through a private nats-server into PostgreSQL,
with a NATS restart and a centre SIGKILL, counted at the centre, and the latency broken down
by stage from the centre's own records."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import psycopg
import pytest

from jayul.bench.fleet.harness import run_fleet
from jayul.bench.fleet.stages import STAGES

PG_URL = os.environ.get("JAYUL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.mark.slow
def test_a_short_fleet_run_loses_nothing_and_times_every_stage(tmp_path: Path) -> None:
    if shutil.which("nats-server") is None:
        pytest.fail("nats-server is not installed (scripts/services.sh installs it)")
    try:
        psycopg.connect(PG_URL, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {PG_URL} is unreachable ({exc}); run scripts/services.sh")
    figures = run_fleet(
        3, 500, 12.0, PG_URL, tmp_path, None, offline=False,
        nats_restart_at=0.4, centre_kill_at=0.7, say=lambda _m: None,
    )  # fmt: skip
    assert figures["drained"] is True
    assert figures["samples_offered"] > 0
    assert figures["samples_lost"] == 0 and figures["samples_duplicated"] == 0
    assert set(figures["load_average_1min"]) == {"start", "min", "max"}
    for window in ("stages_before_disturbances", "stages_overall"):
        stages = figures[window]
        assert stages["batches"] and stages["messages_per_batch"]
        for name in STAGES:
            p50, p99 = stages[f"{name}_p50_s"], stages[f"{name}_p99_s"]
            assert p50 is not None and p99 is not None, (window, name)
            assert p50 <= p99, (window, name)
        # the parts cannot each take longer than the whole (one clock, same messages)
        assert stages["write_p50_s"] <= stages["total_p99_s"]
        assert stages["total_p50_s"] >= 0
