"""`jayul deadletters list|show|replay`: a message refused by a wrong mapping is stored after
the mapping is fixed, once however often it is replayed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jayul.cli.main import app
from jayul.connect.bindings import load_bindings
from jayul.connect.mapping import make_parser
from jayul.connect.validate import SignalTable
from jayul.historian import open_historian
from jayul.plant import demo_plant_path

runner = CliRunner()
MS = 1_767_225_600_000

PLANT = """\
plant_file: {plant}
connect:
  sources:
    - kind: mqtt
      topic_root: gw
      mappings:
        - {{topic: "{{machine}}", flat: true, time: {time}, time_unit: ms}}
"""


def write_plant(tmp_path: Path, time_key: str) -> Path:
    path = tmp_path / "plant.yaml"
    path.write_text(PLANT.format(plant=demo_plant_path(), time=time_key))
    return path


def test_replay_after_the_mapping_is_fixed(tmp_path: Path) -> None:
    wrong = load_bindings(write_plant(tmp_path, "timestamp"))  # the gateway sends "ts"
    src = wrong.connect.sources[0]
    parser = make_parser("json", src.mappings, "gw", 1 << 20)  # type: ignore[union-attr]
    db = str(tmp_path / "jayul.duckdb")
    with open_historian(db) as h:
        for i in range(3):
            body = {"ts": MS + i * 1000, "flow": 40.0 + i, "pressure": 6.0}
            candidates, dead = parser.parse("gw/pump1", json.dumps(body).encode())
            assert candidates is None
            h.append_dead_letters(dead)
        # and one sample refused by the plant's check, with nothing to fix
        c, _ = parser.parse("gw/pump2", b'{"timestamp": 1767225600000, "flow": 999}')
        assert c is not None
        _, bad = SignalTable(wrong.plant, wrong.connect.limits).check(c, "mqtt:gw/pump2")
        h.append_dead_letters(bad)
    result = runner.invoke(app, ["deadletters", "list", "--db", db])
    assert result.exit_code == 0, result.output
    assert "4 dead letters by reason" in result.output
    assert "time ('timestamp'): no such field" in result.output
    result = runner.invoke(app, ["deadletters", "show", "1", "--db", db])
    assert '"ts": 1767225600000' in result.output and "mqtt:gw/pump1" in result.output
    fixed = write_plant(tmp_path, "ts")
    args = ["deadletters", "replay", "--plant", str(fixed), "--db", db]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "4 dead letters replayed: 3 now usable (6 samples, 6 stored" in result.output
    assert "1 still refused" in result.output and "flow = 999 not in [0, 80]" in result.output
    result = runner.invoke(app, args)  # idempotent
    assert "3 now usable (6 samples, 0 stored, 6 stored already)" in result.output
    with open_historian(db) as h:
        stored = h.query_samples("pump1", 0, 2**62)
        assert list(stored.value[stored.signal == "flow"]) == [40.0, 41.0, 42.0]
        assert len(h.dead_letters()) == 4  # kept, never deleted
    result = runner.invoke(app, ["deadletters", "show", "99", "--db", db])
    assert result.exit_code == 2 and "no dead letter number 99" in result.output


def test_plant_finds_the_historian_jayul_run_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`deadletters list|show|replay --plant F` without --db: the dead letters of the
    historian `jayul run --plant F` writes (connect.historian beside F), not ./jayul.duckdb."""
    plant = write_plant(tmp_path, "timestamp")
    wrong = load_bindings(plant)
    parser = make_parser("json", wrong.connect.sources[0].mappings, "gw", 1 << 20)  # type: ignore[union-attr]
    with open_historian(wrong.historian_url()) as h:
        body = {"ts": MS, "flow": 40.0, "pressure": 6.0}
        h.append_dead_letters(parser.parse("gw/pump1", json.dumps(body).encode())[1])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    listed = runner.invoke(app, ["deadletters", "list", "--plant", str(plant)])
    assert listed.exit_code == 0 and "1 dead letters by reason" in listed.output, listed.output
    shown = runner.invoke(app, ["deadletters", "show", "1", "--plant", str(plant)])
    assert shown.exit_code == 0 and "mqtt:gw/pump1" in shown.output, shown.output
    fixed = write_plant(tmp_path, "ts")
    replayed = runner.invoke(app, ["deadletters", "replay", "--plant", str(fixed)])
    assert replayed.exit_code == 0 and "1 now usable" in replayed.output, replayed.output
    assert not (elsewhere / "jayul.duckdb").exists()
