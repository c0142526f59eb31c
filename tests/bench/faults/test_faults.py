"""Small forms of `jayul bench faults` (the full runs are in docs/benchmarks/faults.md)."""

from __future__ import annotations

import json
import os
import time
from functools import partial
from pathlib import Path

from typer.testing import CliRunner

from jayul.bench.faults.fuzz import FuzzGenerator
from jayul.bench.ingest.harness import machine_signals
from jayul.cli.main import app
from jayul.connect.bindings import Limits
from jayul.connect.buffer import DurableBuffer
from jayul.connect.intake import Intake
from jayul.connect.payload import PayloadParser
from jayul.connect.validate import SignalTable
from jayul.plant import load_demo_plant

PG_URL = os.environ.get("JAYUL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def test_every_generated_bad_message_is_dead_lettered_alone(tmp_path: Path) -> None:
    """2000 generated messages, one at a time through the intake's guard: none stores a
    sample, each leaves at least one dead letter with a reason."""
    plant = load_demo_plant()
    root = "fuzz/unit"
    gen = FuzzGenerator(root, machine_signals(plant), seed=7)
    parser = PayloadParser(root, Limits().max_message_bytes)
    intake = Intake(DurableBuffer(tmp_path / "buf"), SignalTable(plant, Limits()))
    kinds: set[str] = set()
    for _ in range(2000):
        gen.now_ns = time.time_ns()
        m = gen.bad()
        before = intake.stats.dead_letters
        intake.put_message(f"mqtt:{m.topic}", m.payload, partial(parser.parse, m.topic, m.payload))
        assert intake.stats.samples == 0, (m.kind, m.topic, m.payload[:300])
        assert intake.stats.dead_letters > before, (m.kind, m.payload[:300])
        kinds.add(m.kind)
    assert len(kinds) >= 18  # the catalogue is exercised, not one fault over and over
    intake.sync()


def test_generator_is_seeded() -> None:
    signals = machine_signals(load_demo_plant())
    a, b = FuzzGenerator("r", signals, seed=3), FuzzGenerator("r", signals, seed=3)
    assert [a.bad() for _ in range(50)] == [b.bad() for _ in range(50)]


def test_cli_small_fuzz_against_jayul_run(tmp_path: Path) -> None:
    """(`jayul bench faults` runs in a fresh PostgreSQL schema of its own and drops it.)"""
    report = tmp_path / "r.json"
    args = ["bench", "faults", "--fuzz", "300", "--url", PG_URL, "--report", str(report)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    f = json.loads(report.read_text())
    assert f["valid_acked"] == 300 and f["bad_acked"] == 300
    assert (f["valid_lost"], f["duplicates_stored"], f["stored_not_acked"]) == (0, 0, 0)
    assert f["dead_letters"] >= f["bad_acked"] and f["dead_letters_without_reason"] == 0
    assert f["jayul_run_alive_throughout"] and f["jayul_run_exit_code"] == 0


def test_cli_small_broker_loss_with_kills_and_a_restart(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    args = ["bench", "faults", "--broker-loss", "--samples", "1000", "--rate", "250"]
    args += ["--kills", "1", "--broker-restarts", "1", "--report", str(report)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    f = json.loads(report.read_text())
    assert [w for _, w in f["faults"]].count("SIGKILL jayul run") == 1
    assert [w for _, w in f["faults"]].count("mosquitto restart") == 1
    assert f["valid_acked"] > 950
    assert (f["valid_lost"], f["duplicates_stored"]) == (0, 0)


def test_cli_needs_one_mode() -> None:
    result = CliRunner().invoke(app, ["bench", "faults"])
    assert result.exit_code == 2 and "exactly one of" in result.output
