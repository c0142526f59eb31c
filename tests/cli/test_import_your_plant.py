"""Importing a plant's own exports as they come: a historian export named by its own tags, a
CMMS export with semicolons, its own asset codes and local times; both land in the historian
that `jayul run --plant` of the same file reads (its connect.historian), not in a jayul.duckdb
of the working directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from jayul.cli.main import app
from jayul.cli.run_cmd import start_notes
from jayul.connect.bindings import load_bindings
from jayul.govern.db import connect
from jayul.historian.open import open_historian

PLANT = """
plant:
  name: hall
  machine_types:
    extruder:
      signals:
        - {id: melt_temp, unit: degC, low: 0, high: 400, period_s: 300}
        - {id: motor_current, unit: A, low: 0, high: 120, period_s: 300}
  machines:
    - {id: e1, type: extruder}
    - {id: e2, type: extruder}
connect:
  historian: duckdb:///hall.duckdb
  sources:
    - {kind: mqtt, topic_root: hall}
"""
EXPORT = "Timestamp,PLC1.E1.MeltTemp,PLC1.E1.Current\n" + "".join(
    f"20.11.2026 {h:02d}:{m:02d}:00,{210 + (h + m) % 3},{42 + m % 2}\n"
    for h in range(3)
    for m in range(0, 60, 5)
)
CMMS = """Auftrag;Anlage;Art;Beginn;Bemerkung
WO-1;E1;PM-S;21.11.2026 06:00;Schneckenwechsel
WO-1;E1;PM-E;21.11.2026 10:30;fertig
WO-2;E2;BD;24.11.2026 14:12;Motor
"""
EVENT_ARGS = [
    "--map", "time=Beginn,machine=Anlage,kind=Art,id=Auftrag,note=Bemerkung",
    "--kinds", "PM-S=maintenance_start,PM-E=maintenance_end,BD=failure",
    "--time-format", "%d.%m.%Y %H:%M", "--time-zone", "Europe/Berlin",
]  # fmt: skip


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The plant file in its own folder; commands run from another one."""
    folder = tmp_path / "plant"
    folder.mkdir()
    (folder / "hall.yaml").write_text(PLANT)
    (folder / "history.csv").write_text(EXPORT)
    (folder / "cmms.csv").write_text(CMMS)
    work = tmp_path / "elsewhere"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("JAYUL_DB", raising=False)
    return folder


def test_samples_named_by_the_export_s_tags_go_where_jayul_run_reads(site: Path) -> None:
    args = ["import", "samples", str(site / "history.csv"), "--plant", str(site / "hall.yaml"),
            "--time-column", "Timestamp", "--time-format", "%d.%m.%Y %H:%M:%S",
            "--time-zone", "Europe/Berlin", "--no-monitor"]  # fmt: skip
    runner = CliRunner()
    unnamed = runner.invoke(app, args)
    assert unnamed.exit_code == 2
    assert "--column FILE_COLUMN=machine.signal" in unnamed.output  # says how to name them
    named = runner.invoke(
        app,
        [*args, "--column", "PLC1.E1.MeltTemp=e1.melt_temp",
         "--column", "PLC1.E1.Current=e1.motor_current"],
    )  # fmt: skip
    assert named.exit_code == 0, named.output
    assert "72 stored" in named.output
    assert not Path("jayul.duckdb").exists()  # not in the working directory
    url = load_bindings(site / "hall.yaml").historian_url()
    assert url in named.output and (site / "hall.duckdb").exists()
    with open_historian(url) as h:
        assert len(h.query_samples("e1", 0, 2**62)) == 72
    wrong = runner.invoke(app, [*args, "--column", "NoSuchTag=e1.melt_temp"])
    assert wrong.exit_code == 2 and "'NoSuchTag', not a value column" in wrong.output


def test_a_cmms_export_with_its_own_separator_and_asset_codes(site: Path) -> None:
    base = ["import", "events", str(site / "cmms.csv"), "--plant", str(site / "hall.yaml")]
    runner = CliRunner()
    comma = runner.invoke(app, [*base, *EVENT_ARGS])
    assert comma.exit_code == 2 and "give --delimiter ';'" in comma.output
    codes = runner.invoke(app, [*base, *EVENT_ARGS, "--delimiter", ";"])
    assert codes.exit_code == 0 and "3 rejected" in codes.output
    with open_historian(load_bindings(site / "hall.yaml").historian_url()) as h:
        reasons = {d.reason for d in h.dead_letters()}
    assert (
        "machine 'E1' is not in the plant file (it has 'e1': --machines E1=e1 maps the "
        "file's names)" in reasons
    )
    mapped = runner.invoke(
        app, [*base, *EVENT_ARGS, "--delimiter", ";", "--machines", "E1=e1,E2=e2"]
    )
    assert mapped.exit_code == 0, mapped.output
    assert "3 events stored" in mapped.output and str(site / "hall.duckdb") in mapped.output
    with open_historian(load_bindings(site / "hall.yaml").historian_url()) as h:
        stored = h.query_events(0, 2**62)
    assert {(e.machine, e.kind.value) for e in stored} >= {("e1", "maintenance_start")}
    start = next(e for e in stored if e.kind.value == "maintenance_start")
    assert start.time == 1795237200 * 10**9  # 2026-11-21 06:00 in Berlin is 05:00 UTC
    bad = runner.invoke(app, [*base, *EVENT_ARGS, "--delimiter", ";", "--machines", "E1"])
    assert bad.exit_code == 2 and "NAME_IN_FILE=MACHINE_ID" in bad.output


def test_run_says_where_it_keeps_what_it_records(site: Path) -> None:
    b = load_bindings(site / "hall.yaml")
    notes = start_notes(b.historian_url(), b.buffer_dir() / "gate.duckdb", 96.0)
    assert str(site / "hall.duckdb") in notes[0]  # beside the plant file, not here
    assert f"jayul audit verify --db {b.buffer_dir() / 'gate.duckdb'}" in notes[1]
    assert "first 96 h of production" in notes[2] and "--warm-days" in notes[2]
    assert len(start_notes(b.historian_url(), Path("g.duckdb"), None)) == 2  # --ingest-only


def test_asyncua_s_session_timeout_notice_is_not_printed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    import jayul.cli.main  # noqa: F401  (installs the filter)

    log = logging.getLogger("asyncua.client.client")
    with caplog.at_level(logging.WARNING, logger="asyncua.client.client"):
        log.warning("Requested session timeout to be %dms, got %dms instead", 3600000, 600000)
        log.warning("a warning that matters")
    assert [r.getMessage() for r in caplog.records] == ["a warning that matters"]


def test_history_of_signals_without_a_valid_range_imports(tmp_path: Path) -> None:
    """A plant file needs no low/high (docs/twin.md); the import used to fail with a DuckDB
    binder error ("BETWEEN None AND None") on such a signal."""
    plant = tmp_path / "shop.yaml"
    plant.write_text(PLANT.replace(", low: 0, high: 400", "").replace(", low: 0, high: 120", ""))
    history = tmp_path / "h.csv"
    history.write_text("time,e1.melt_temp,e1.motor_current\n2026-11-20T00:00:00Z,210,-3\n")
    result = CliRunner().invoke(
        app, ["import", "samples", str(history), "--plant", str(plant), "--no-monitor"]
    )
    assert result.exit_code == 0, result.output
    assert "2 stored" in result.output and "0 dead letters" in result.output


def test_query_approvals_and_audit_find_what_the_plant_s_run_records(site: Path) -> None:
    """After `jayul run --plant F`, the same `--plant F` finds its historian and its gate
    database (gate.duckdb in connect.buffer's folder) from any working directory."""
    plant = ["--plant", str(site / "hall.yaml")]
    runner = CliRunner()
    imported = runner.invoke(
        app,
        ["import", "events", str(site / "cmms.csv"), *plant, *EVENT_ARGS,
         "--delimiter", ";", "--machines", "E1=e1,E2=e2"],
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    listed = runner.invoke(app, ["query", "events", *plant])
    assert listed.exit_code == 0 and "3 events" in listed.output, listed.output
    here = runner.invoke(app, ["query", "events"])  # jayul.duckdb here: nothing recorded
    assert "3 events" not in here.output
    gate_db = load_bindings(site / "hall.yaml").buffer_dir() / "gate.duckdb"
    before_run = runner.invoke(app, ["approvals", "list", *plant])
    assert before_run.exit_code == 2 and str(gate_db) in before_run.output  # names the file
    gate_db.parent.mkdir(parents=True)
    connect(gate_db).close()  # as `jayul run --plant` leaves it
    assert runner.invoke(app, ["approvals", "list", *plant]).exit_code == 0
    assert not Path("jayul.duckdb").exists()
    verified = runner.invoke(app, ["audit", "verify", *plant])
    assert verified.exit_code in (0, 3), verified.output  # an empty trail: intact
    assert "broken" not in verified.output.lower()
