"""The history-import benchmark: `jayul import samples` against DuckDB reading the same file.

A wide file (a time column and one column per signal of one machine, the usual historian
export) is written by DuckDB itself as Parquet and as CSV. Each is then
- read by DuckDB into a table of its own (`CREATE TABLE raw AS SELECT * FROM read_...`, the
  baseline: the least any import can do), and
- imported by jayul (`HistoryImport`: checked against the plant, reshaped to long rows,
  deduplicated against the store, sorted by time, appended) into a fresh DuckDB historian,
in the same run, each into a fresh database file. Samples per second count values (rows times
signals); the ratio is jayul's time over the baseline's.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import duckdb

from jayul.connect.history_import import HistoryImport, ImportSpec
from jayul.historian.duckdb_store import DuckDBHistorian
from jayul.plant import Plant

T0_S = 1_767_225_600  # 2026-01-01 00:00 UTC


def write_files(work: Path, plant: Plant, machine: str, rows: int) -> dict[str, Path]:
    """A wide history of `rows` one-second rows, as Parquet and CSV (written by DuckDB), every
    value near its signal's nominal level (inside the valid range)."""
    cols = ", ".join(
        f"round({s.nominal} + {s.noise} * (3 * sin(i / {600 + 37 * k}) + random()), 4) AS {s.id}"
        for k, s in enumerate(plant.machine_type(machine).signals)
    )
    con = duckdb.connect()
    con.execute("SELECT setseed(0.5)")
    con.execute(
        f"CREATE TABLE wide AS SELECT to_timestamp({T0_S} + i) AS time, {cols} "
        f"FROM range({rows}) t(i)"
    )
    files = {"parquet": work / "history.parquet", "csv": work / "history.csv"}
    con.execute(f"COPY wide TO '{files['parquet']}' (FORMAT parquet)")
    con.execute(f"COPY wide TO '{files['csv']}' (FORMAT csv, HEADER)")
    con.close()
    return files


def time_one(plant: Plant, machine: str, path: Path, work: Path, values: int) -> dict[str, Any]:
    reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
    base_db = work / f"baseline-{path.suffix[1:]}.duckdb"
    con = duckdb.connect(str(base_db))
    started = time.perf_counter()
    con.execute(f"CREATE TABLE raw AS SELECT * FROM {reader}('{path}')")
    con.execute("CHECKPOINT")
    baseline_s = time.perf_counter() - started
    con.close()
    historian = DuckDBHistorian(work / f"jayul-{path.suffix[1:]}.duckdb")
    importer = HistoryImport(plant, historian, ImportSpec(machine=machine))
    started = time.perf_counter()
    stats = importer.run([path])
    historian._con.execute("CHECKPOINT")  # both runs end with the data on disk
    jayul_s = time.perf_counter() - started
    importer.close()
    again_started = time.perf_counter()
    importer = HistoryImport(plant, historian, ImportSpec(machine=machine))
    again = importer.run([path])
    again_s = time.perf_counter() - again_started
    importer.close()
    historian.close()
    if stats.stored != values or again.stored != 0:
        raise RuntimeError(f"import stored {stats.stored} then {again.stored}, not {values} then 0")
    return {
        "values": values,
        "baseline_s": baseline_s,
        "baseline_samples_per_s": values / baseline_s,
        "jayul_s": jayul_s,
        "jayul_samples_per_s": values / jayul_s,
        "ratio": jayul_s / baseline_s,
        "reimport_s": again_s,
        "reimport_stored": again.stored,
    }


def run(plant: Plant, machine: str, rows: int, work: Path) -> dict[str, Any]:
    signals = [s.id for s in plant.machine_type(machine).signals]
    files = write_files(work, plant, machine, rows)
    values = rows * len(signals)
    return {
        "machine": machine,
        "rows": rows,
        "signals": len(signals),
        **{kind: time_one(plant, machine, path, work, values) for kind, path in files.items()},
    }
