"""`jayul import events`: a CMMS export's good rows become events in the historian, bad rows are
reported with their line numbers and reasons and kept as dead letters, and a second import of
the same file stores nothing twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from jayul.cli.main import app
from jayul.connect.events_import import (
    ColumnMap,
    ImportSpecError,
    TimeParser,
    parse_kind_table,
    read_events_csv,
)
from jayul.historian.open import open_historian
from jayul.plant import demo_plant_path
from jayul.records import EventKind
from jayul.records.timebase import NS_PER_H

EXPORT = """\
WO,Date,Asset,Type,Code,Text
1001,2026-01-03 08:00,pump1,BD,impeller_wear,pump stopped
1001,2026-01-03 09:30,pump1,Repair start,impeller_wear,
1001,2026-01-04 15:00,pump1,repair done,impeller_wear,
1002,03/01/2026,press1,PM-S,,date in another format
1003,2026-01-05T06:00:00+01:00,cnc9,PM-S,,no such machine
1004,2026-01-05T06:00:00+01:00,cnc1,inspection,,not a plant event
1005,2026-01-05T06:00:00Z,cnc1,PM-S
1006,2026-01-05T07:00:00Z,cnc1,PM-S,,"a note
over two lines"
1006,2026-01-05T11:00:00Z,cnc1,PM-E,spindle_service,done
"""
ARGS = [
    "--map",
    "time=Date,machine=Asset,kind=Type,id=WO,mode=Code,action=Code,note=Text",
    "--kinds",
    "BD=failure,PM-S=maintenance_start,PM-E=maintenance_end",
    "--plant",
    str(demo_plant_path()),
]


def test_good_rows_stored_bad_rows_kept_with_line_numbers_and_twice_is_once(
    tmp_path: Path, store_url: str
) -> None:
    """On both historians (DuckDB and PostgreSQL)."""
    csv_file, db = tmp_path / "cmms.csv", store_url
    csv_file.write_text(EXPORT)
    runner = CliRunner()
    first = runner.invoke(app, ["import", "events", str(csv_file), "--db", db, *ARGS])
    assert first.exit_code == 0, first.output
    assert "5 events stored" in first.output and "4 rejected" in first.output
    second = runner.invoke(app, ["import", "events", str(csv_file), "--db", db, *ARGS])
    assert second.exit_code == 0, second.output
    assert "0 events stored, 5 already there" in second.output
    with open_historian(db) as hist:
        events = hist.query_events()
        letters = hist.dead_letters()
    assert [(e.machine, e.kind) for e in events] == [
        ("pump1", EventKind.FAILURE),
        ("pump1", EventKind.REPAIR_START),
        ("pump1", EventKind.REPAIR_END),
        ("cnc1", EventKind.MAINTENANCE_START),
        ("cnc1", EventKind.MAINTENANCE_END),
    ]
    assert events[0].time == events[1].time - int(1.5 * NS_PER_H)
    assert events[0].payload["mode"] == "impeller_wear"
    assert events[0].payload["reason"] == "pump stopped"
    assert events[4].payload["action"] == "spindle_service"
    assert "action" not in events[0].payload and "mode" not in events[4].payload
    assert events[3].payload["reason"] == "a note\nover two lines"
    by_line = {int(d.source.rsplit(":", 1)[1]): d for d in letters}
    assert sorted(by_line) == [5, 6, 7, 8]  # stored once, though imported twice
    assert "does not read as ISO 8601" in by_line[5].reason
    assert "'cnc9' is not in the plant file" in by_line[6].reason
    assert "'inspection' is not a plant-event kind" in by_line[7].reason
    assert "6 fields" not in by_line[8].reason and "4 fields" in by_line[8].reason
    assert by_line[5].raw.decode() == "1002,03/01/2026,press1,PM-S,,date in another format"
    for line in ("5", "6", "7", "8"):
        assert f"│ {line} " in first.output


def test_a_mapping_that_does_not_fit_is_one_clear_error(tmp_path: Path) -> None:
    csv_file = tmp_path / "cmms.csv"
    csv_file.write_text(EXPORT)
    db = tmp_path / "h.duckdb"
    result = CliRunner().invoke(app, ["import", "events", str(csv_file), "--db", str(db)])
    assert result.exit_code == 2
    assert "no column 'time' for time" in result.output
    assert "Traceback" not in result.output
    bad = CliRunner().invoke(
        app, ["import", "events", str(csv_file), "--db", str(db), "--map", "when=Date"]
    )
    assert bad.exit_code == 2 and "unknown field 'when'" in bad.output


def test_time_formats_and_zones() -> None:
    assert TimeParser()("2026-01-01T01:00:00+01:00") == TimeParser()("2026-01-01 00:00")
    assert TimeParser(tz="Europe/Berlin")("2026-07-01 02:00") == TimeParser()("2026-07-01 00:00")
    assert TimeParser("%d.%m.%Y %H:%M")("01.01.2026 00:00") == TimeParser()("2026-01-01")
    assert TimeParser("epoch_ms")("1767225600000") == TimeParser()("2026-01-01")
    assert TimeParser("epoch_s")("1767225600") == TimeParser()("2026-01-01")
    for bad in ("", "yesterday", "inf"):
        with pytest.raises(ValueError):
            TimeParser("epoch_s" if bad == "inf" else None)(bad)
    with pytest.raises(ImportSpecError, match="unknown time zone"):
        TimeParser(tz="Mars/Olympus")


def test_kinds_synonyms_and_plant_codes() -> None:
    text = "time,machine,kind\n2026-01-01,m1,Breakdown\n2026-01-01,m1,PM start\n2026-01-02,m1,X9\n"
    got = read_events_csv(text, ColumnMap(), kinds=parse_kind_table("x9=maintenance_end"))
    assert [e.kind for e in got.events] == [
        EventKind.FAILURE,
        EventKind.MAINTENANCE_START,
        EventKind.MAINTENANCE_END,
    ]
    with pytest.raises(ImportSpecError, match="not a plant-event kind"):
        parse_kind_table("X9=alert")


def test_unreadable_rows_do_not_stop_the_import() -> None:
    huge = "x" * 200_000  # beyond the csv module's field limit: the reader raises on this record
    text = f"time,machine,kind\n2026-01-01,m1,failure\n2026-01-02,{huge},failure\n"
    text += "2026-01-03,m1,BD\n"
    got = read_events_csv(text, ColumnMap(), kinds=parse_kind_table("BD=failure"))
    assert [e.time for e in got.events] == [
        TimeParser()("2026-01-01"),
        TimeParser()("2026-01-03"),
    ]
    assert [(r.line, r.reason) for r in got.rejected] == [
        (3, "unreadable CSV: field larger than field limit (131072)")
    ]
