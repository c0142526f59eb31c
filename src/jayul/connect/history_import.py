"""Importing history files (CSV, Parquet) into the historian, read and reshaped by DuckDB.

A file is read by DuckDB (`read_csv` / `read_parquet`) and turned, in SQL, into long rows
(time ns, machine, signal, value) checked against the plant: a row whose value is outside
the signal's valid range or not finite becomes a dead letter naming the file, row and signal;
an empty cell is a missing value, skipped and counted. The good rows go to the historian in
time-ordered batches with `dedupe=True`, so importing a file twice stores it once.

Layouts:
- **wide**: a time column and one column per signal (of `--machine`, or named
  `machine.signal`), optionally a `machine` column instead of `--machine`;
- **long**: columns time, machine, signal, value (and optionally quality).

Times: a TIMESTAMPTZ column or ISO strings with a zone are taken as they are; times written
without a zone need a declared `time_zone` (refused otherwise, since guessing shifts the whole
history); numeric epochs are in `time_unit` (s, ms, us, ns, or auto by magnitude); strings in
another format are read with `time_format` (strptime codes).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
import numpy as np
import pyarrow as pa

from jayul.historian.base import DeadLetter, Historian
from jayul.historian.duckdb_store import DuckDBHistorian
from jayul.plant import Plant
from jayul.records import Samples, utc_now_ns

Layout = Literal["auto", "wide", "long"]
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")
_UNIT_NS = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
_ZONED = r"(Z|z|[+-]\d{2}(:?\d{2})?)$"


class HistoryFileError(ValueError):
    """A file that cannot be imported as declared; the message names the file and column."""


@dataclass(frozen=True)
class ImportSpec:
    """How to read the files (see the module doc)."""

    layout: Layout = "auto"
    time_column: str = "time"
    time_unit: str = "auto"  # auto, s, ms, us, ns
    time_format: str | None = None
    time_zone: str | None = None
    machine: str | None = None
    batch_rows: int = 1_000_000
    # a wide file's column -> the plant's `machine.signal` (or `signal` with `machine`): an
    # export from another historian names its columns by its own tags
    rename: tuple[tuple[str, str], ...] = ()


@dataclass
class ImportStats:
    files: int = 0
    rows_read: int = 0
    samples: int = 0
    stored: int = 0
    missing: int = 0
    dead_letters: int = 0
    start_ns: int | None = None
    end_ns: int | None = None
    per_file: dict[str, int] = field(default_factory=dict)

    def span(self, lo: int, hi: int) -> None:
        self.start_ns = lo if self.start_ns is None else min(self.start_ns, lo)
        self.end_ns = hi if self.end_ns is None else max(self.end_ns, hi)


# Row numbers (for dead letters) cost a sequential pass: only the dead-letter query adds them.
_ROW_NUMBER = "/*row_number*/"
_ROW = "/*row*/"


def _numbered(long_sql: str) -> str:
    return long_sql.replace(_ROW_NUMBER, "row_number() OVER () AS row, ").replace(_ROW, "row, ")


def _sql_double(x: float) -> str:
    """A bound as a SQL literal (an open end is an infinite DOUBLE)."""
    return f"'{x}'::DOUBLE" if not np.isfinite(x) else repr(float(x))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _reader(path: Path) -> str:
    text = str(path).replace("'", "''")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return f"read_parquet('{text}')"
    if suffix in (".csv", ".txt", ".tsv") or path.name.lower().endswith((".csv.gz", ".csv.zst")):
        return f"read_csv('{text}', header=true)"
    raise HistoryFileError(f"{path}: not a CSV or Parquet file (by its suffix)")


class HistoryImport:
    """Reads history files into a historian (one DuckDB connection of its own for reading)."""

    def __init__(self, plant: Plant, historian: Historian, spec: ImportSpec) -> None:
        self.plant = plant
        self.historian = historian
        self.spec = spec
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET TimeZone = ?", [spec.time_zone or "UTC"])
        pairs = [(m.id, s.id) for m in plant.machines for s in plant.machine_type(m.id).signals]
        # a signal without a declared valid range is not checked against one (docs/twin.md)
        bounds = [
            (-np.inf if s.low is None else s.low, np.inf if s.high is None else s.high)
            for m in plant.machines
            for s in plant.machine_type(m.id).signals
        ]
        # series ids of every plant signal, so rows carry integers from the file onwards
        if isinstance(historian, DuckDBHistorian):
            ids = historian.series_ids(pairs)
        else:
            ids = list(range(1, len(pairs) + 1))
        self._ids = dict(zip(pairs, ids, strict=True))
        self._plant = pa.table(
            {
                "machine": [m for m, _ in pairs],
                "signal": [s for _, s in pairs],
                "low": [lo for lo, _ in bounds],
                "high": [hi for _, hi in bounds],
                "series_id": pa.array(ids, pa.int32()),
            }
        )
        self.con.register("_plant", self._plant)
        self.con.execute("CREATE TABLE plant_signals AS SELECT * FROM _plant")
        self.stats = ImportStats()
        self._names: dict[Path, list[tuple[str, str]]] = {}  # a wide file's, from its header
        self._columns_of: dict[Path, list[str]] = {}  # the columns those names came from
        self._raw_sql: dict[Path, str] = {}  # a wide file's time and value columns
        self._bounds = dict(zip(pairs, bounds, strict=True))

    # -- reading ---------------------------------------------------------------------------

    def _columns(self, src: str, path: Path) -> dict[str, str]:
        try:
            described = self.con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()
        except duckdb.Error as exc:
            raise HistoryFileError(f"{path}: cannot read it: {exc}") from None
        return {str(r[0]): str(r[1]) for r in described}

    def _time_sql(self, src: str, path: Path, columns: dict[str, str]) -> str:
        """SQL of the time column as UTC nanoseconds."""
        spec = self.spec
        name = spec.time_column
        if name not in columns:
            raise HistoryFileError(
                f"{path}: no time column {name!r} (columns: {', '.join(columns)}); "
                "name it with --time-column"
            )
        col, kind = _quote(name), columns[name]
        zone_hint = "declare the zone with --time-zone (e.g. UTC or Europe/Berlin)"
        if kind.startswith(_NUMERIC):
            unit = spec.time_unit
            if unit == "auto":
                first = self.con.execute(
                    f"SELECT abs({col}) FROM {src} WHERE {col} IS NOT NULL LIMIT 1"
                ).fetchall()
                magnitude = float(first[0][0]) if first else 0.0
                unit = next(
                    (
                        u
                        for bound, u in ((1e11, "s"), (1e14, "ms"), (1e17, "us"))
                        if magnitude < bound
                    ),
                    "ns",
                )
            return f"CAST(round({col} * {_UNIT_NS[unit]}) AS BIGINT)"
        if kind == "TIMESTAMP WITH TIME ZONE" or kind.startswith("TIMESTAMPTZ"):  # _NS, _MS, _S
            return f"epoch_ns({col})"
        if kind.startswith("TIMESTAMP") or kind == "DATE":
            if spec.time_zone is None:
                raise HistoryFileError(f"{path}: times in {name!r} have no zone: {zone_hint}")
            return f"epoch_ns(CAST({col} AS TIMESTAMPTZ))"  # in the session's (declared) zone
        if kind == "VARCHAR":
            if spec.time_format is not None:
                fmt = spec.time_format.replace("'", "''")
                zoned = "%z" in spec.time_format or "%Z" in spec.time_format
                if not zoned and spec.time_zone is None:
                    raise HistoryFileError(
                        f"{path}: --time-format {spec.time_format!r} has no zone: {zone_hint}"
                    )
                return f"epoch_ns(CAST(strptime({col}, '{fmt}') AS TIMESTAMPTZ))"
            if spec.time_zone is None:
                naive = self.con.execute(
                    f"SELECT {col} FROM {src} WHERE NOT regexp_matches(trim({col}), '{_ZONED}') "
                    "LIMIT 1"
                ).fetchall()
                if naive:
                    raise HistoryFileError(f"{path}: time {naive[0][0]!r} has no zone: {zone_hint}")
            return f"epoch_ns(CAST({col} AS TIMESTAMPTZ))"
        raise HistoryFileError(f"{path}: time column {name!r} is {kind}, not a time or a number")

    def _long_sql(self, src: str, path: Path) -> str:
        """SQL of the file as (row, time, machine, signal, value) rows."""
        spec = self.spec
        columns = self._columns(src, path)
        time_sql = self._time_sql(src, path, columns)
        layout = spec.layout
        if layout == "auto":
            layout = "long" if {"machine", "signal", "value"} <= set(columns) else "wide"
        base = f"SELECT {_ROW_NUMBER}{time_sql} AS time, * FROM {src}"
        if layout == "long":
            missing = {"machine", "signal", "value"} - set(columns)
            if missing:
                raise HistoryFileError(f"{path}: a long file needs columns {sorted(missing)}")
            return (
                f"SELECT {_ROW}time, CAST(machine AS VARCHAR) AS machine, "
                f"CAST(signal AS VARCHAR) AS signal, CAST(value AS DOUBLE) AS value FROM ({base})"
            )
        skip = {spec.time_column, "machine"}
        values = [c for c in columns if c not in skip]
        if not values:
            raise HistoryFileError(f"{path}: no value columns beside the time column")
        for c in values:
            if not columns[c].startswith(_NUMERIC):
                raise HistoryFileError(f"{path}: column {c!r} is {columns[c]}, not numbers")
        rename = dict(spec.rename)
        absent = [c for c in rename if c not in values]
        if absent:
            raise HistoryFileError(
                f"{path}: --column names {', '.join(map(repr, absent))}, not a value column "
                f"of the file (its columns: {', '.join(values)})"
            )
        named = [rename.get(c, c) for c in values]
        has_machine_col = "machine" in columns
        if spec.machine is None and not has_machine_col and not all("." in c for c in named):
            raise HistoryFileError(
                f"{path}: say whose signals these are: --machine ID, a 'machine' column, "
                "or columns named machine.signal (--column FILE_COLUMN=machine.signal)"
            )
        pairs = zip(values, named, strict=True)
        cast = ", ".join(f"CAST({_quote(c)} AS DOUBLE) AS {_quote(n)}" for c, n in pairs)
        values = named  # from here on, the columns carry the plant's names
        self._raw_sql[path] = f"SELECT {time_sql} AS time, {cast} FROM {src}"
        machine_col = "CAST(machine AS VARCHAR)" if has_machine_col else "NULL"
        inner = f"SELECT {_ROW}time, {machine_col} AS _machine, {cast} FROM ({base})"
        unpivot = (
            f"UNPIVOT ({inner}) ON {', '.join(_quote(c) for c in values)} "
            "INTO NAME _column VALUE value"
        )
        if spec.machine is not None:
            machine = f"'{spec.machine.replace(chr(39), chr(39) * 2)}'"
            signal = "_column"
            self._names[path] = [(spec.machine, c) for c in values]
            self._columns_of[path] = values
        elif has_machine_col:
            machine, signal = "_machine", "_column"
        else:
            machine = "split_part(_column, '.', 1)"
            signal = "substr(_column, length(split_part(_column, '.', 1)) + 2)"
            self._names[path] = [(c.split(".", 1)[0], c.split(".", 1)[1]) for c in values]
            self._columns_of[path] = values
        return (
            f"SELECT {_ROW}time, {machine} AS machine, {signal} AS signal, value FROM ({unpivot})"
        )

    def _check_names(self, long_sql: str, path: Path) -> None:
        """Every (machine, signal) of the file must be in the plant: a typo fails the file.
        Known from the header in a wide file; a pass over the data otherwise."""
        if path in self._names:
            unknown = [p for p in self._names[path] if p not in self._ids][:5]
        else:
            unknown = self.con.execute(
                f"SELECT DISTINCT f.machine, f.signal FROM ({long_sql}) f "
                "ANTI JOIN plant_signals p "
                "ON f.machine = p.machine AND f.signal = p.signal LIMIT 5"
            ).fetchall()
        if unknown:
            names = ", ".join(f"{m}.{s}" for m, s in unknown)
            raise HistoryFileError(
                f"{path}: not signals of the plant: {names}; a wide file's columns are "
                "machine.signal (or signals of --machine): name each with --column "
                "FILE_COLUMN=machine.signal"
            )

    # -- writing ---------------------------------------------------------------------------

    def run(
        self, files: list[Path], progress: Callable[[str, float], None] | None = None
    ) -> ImportStats:
        """Import every file; `progress(file, fraction done)` as it goes."""
        for path in files:
            if not path.exists():
                raise HistoryFileError(f"{path}: no such file")
        prepared = []
        for path in files:
            src = _reader(path)
            long_sql = self._long_sql(src, path)
            self._check_names(long_sql, path)
            prepared.append((path, long_sql))
        for path, long_sql in prepared:
            self._import_one(path, long_sql, progress)
        return self.stats

    def _import_one(
        self, path: Path, long_sql: str, progress: Callable[[str, float], None] | None
    ) -> None:
        """Stage the file's long rows once (series id, time, value, and whether the plant
        accepts the value), count them, dead-letter the refused ones, store the rest."""
        stages = self._stages(path, long_sql)
        counts = (
            "SELECT count(*), count(value), count(*) FILTER (WHERE value IS NOT NULL AND NOT ok),"
            " min(time), max(time) FROM _long"
        )
        in_store = isinstance(self.historian, DuckDBHistorian)
        with self._connection() as con:
            for k, stage in enumerate(stages):
                lo_f, hi_f = 0.5 * k / len(stages), 0.5 * (k + 1) / len(stages)
                self._run(con, stage, str(path), progress, lo_f, hi_f)
            row = con.execute(counts).fetchall()[0]
            total, present, bad = int(row[0]), int(row[1]), int(row[2])
            lo, hi = (int(row[3]), int(row[4])) if row[3] is not None else (0, -1)
            good = present - bad
            stored = 0
            if in_store and good:
                insert = (
                    "INSERT INTO samples SELECT b.series_id, b.time, b.value, 0::UTINYINT "
                    "FROM _long b ANTI JOIN (SELECT series_id, time FROM samples "
                    f"WHERE time BETWEEN {lo} AND {hi}) e "
                    "ON e.series_id = b.series_id AND e.time = b.time WHERE b.ok"
                )
                done = self._run(con, insert, str(path), progress, 0.5, 1.0)
                stored = int(done[0][0]) if done else 0  # type: ignore[call-overload]
            elif good:
                stored = self._append_batches(con, path, good, progress)
            _drop_stage(con)
        self.stats.files += 1
        self.stats.rows_read += total
        self.stats.missing += total - present
        if bad:
            self._dead_letters(path, long_sql)
        if progress is not None:
            progress(str(path), 1.0)
        if good <= 0:
            return
        self.stats.span(lo, hi)
        self.stats.samples += good
        self.stats.stored += stored
        self.stats.per_file[str(path)] = good

    def _stages(self, path: Path, long_sql: str) -> list[str]:
        """Statements that leave the file's rows in `_long` (series_id, time, value, ok).

        A wide file whose signals are known from its header is read once into `_raw`, then
        each column becomes its series' rows with constants (no unpivot, no join: several
        times faster); other files are unpivoted and joined with the plant's signals."""
        names = self._names.get(path)
        if names is None or path not in self._raw_sql:
            return [
                "CREATE OR REPLACE TEMP TABLE _long AS SELECT p.series_id, f.time, f.value, "
                "isfinite(f.value) AND f.value BETWEEN p.low AND p.high AS ok "
                f"FROM ({long_sql}) f JOIN plant_signals p "
                "ON f.machine = p.machine AND f.signal = p.signal"
            ]
        columns = []
        for (machine, signal), column in zip(names, self._columns_of[path], strict=True):
            sid = self._ids[(machine, signal)]
            low, high = self._bounds[(machine, signal)]
            c = _quote(column)
            columns.append(
                f"SELECT {sid}::INTEGER AS series_id, time, {c} AS value, "
                f"isfinite({c}) AND {c} BETWEEN {_sql_double(low)} AND {_sql_double(high)} "
                "AS ok FROM _raw"
            )
        return [
            f"CREATE OR REPLACE TEMP TABLE _raw AS {self._raw_sql[path]}",
            f"CREATE OR REPLACE TEMP VIEW _long AS {' UNION ALL '.join(columns)}",
        ]

    @contextmanager
    def _connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The DuckDB store's own connection (so the insert is one SQL statement), or the
        importer's for other stores; set up with the plant's signals and the declared zone."""
        if not isinstance(self.historian, DuckDBHistorian):
            yield self.con
            return
        with self.historian.bulk_connection() as con:
            con.register("_plant", self._plant)
            con.execute("CREATE OR REPLACE TEMP TABLE plant_signals AS SELECT * FROM _plant")
            con.execute("SET TimeZone = ?", [self.spec.time_zone or "UTC"])
            try:
                yield con
            finally:
                con.execute("DROP TABLE IF EXISTS plant_signals")
                _drop_stage(con)
                con.execute("RESET TimeZone")
                con.unregister("_plant")

    @staticmethod
    def _run(
        con: duckdb.DuckDBPyConnection,
        sql: str,
        path: str,
        progress: Callable[[str, float], None] | None,
        start: float,
        end: float,
    ) -> list[tuple[object, ...]]:
        """Run one statement, reporting DuckDB's own progress of it between start and end."""
        if progress is None:
            return con.execute(sql).fetchall()
        done = threading.Event()

        def report(fraction: float) -> None:
            progress(path, start + (end - start) * fraction)

        watcher = threading.Thread(target=_watch, args=(con, report, done), daemon=True)
        watcher.start()
        try:
            return con.execute(sql).fetchall()
        finally:
            done.set()
            watcher.join()

    def _append_batches(
        self,
        con: duckdb.DuckDBPyConnection,
        path: Path,
        good: int,
        progress: Callable[[str, float], None] | None,
    ) -> int:
        """Other stores: DuckDB reads and checks, the store appends Samples batches."""
        names = {sid: pair for pair, sid in self._ids.items()}
        reader = con.sql(
            "SELECT series_id, time, value FROM _long WHERE ok ORDER BY time"
        ).to_arrow_reader(self.spec.batch_rows)
        done = stored = 0
        for table in _chunks(reader, self.spec.batch_rows):
            batch = table.combine_chunks().to_batches()[0]
            stored += self.historian.append_samples(_samples(batch, names), dedupe=True)
            done += batch.num_rows
            if progress is not None:
                progress(str(path), 0.5 + 0.5 * done / max(good, 1))
        return stored

    def _dead_letters(self, path: Path, long_sql: str) -> None:
        """The refused rows again, numbered as in the file (a second read, only when some were
        refused), as dead letters naming the row, machine and signal."""
        rows = self.con.execute(
            f"SELECT f.row, f.time, f.machine, f.signal, f.value, p.low, p.high "
            f"FROM ({_numbered(long_sql)}) f JOIN plant_signals p "
            "ON f.machine = p.machine AND f.signal = p.signal WHERE f.value IS NOT NULL AND "
            "(NOT isfinite(f.value) OR f.value < p.low OR f.value > p.high) ORDER BY f.row"
        ).fetchall()
        now = utc_now_ns()
        letters = []
        for row, t, machine, signal, value, low, high in rows:
            what = "not finite" if not np.isfinite(value) else f"not in [{low:g}, {high:g}]"
            raw = {"file": str(path), "row": int(row), "machine": machine, "signal": signal}
            raw |= {"t": int(t), "v": str(value)}
            letters.append(
                DeadLetter(
                    now,
                    f"import:{path.name}",
                    f"row {row}: {machine}.{signal} = {value:g} {what}",
                    json.dumps(raw).encode(),
                )
            )
        self.historian.append_dead_letters(letters)
        self.stats.dead_letters += len(letters)

    def close(self) -> None:
        self.con.close()


def _drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    for kind, name in (("VIEW", "_long"), ("TABLE", "_long"), ("TABLE", "_raw")):
        with suppress(duckdb.CatalogException):  # `_long` is the other kind
            con.execute(f"DROP {kind} IF EXISTS {name}")


def _watch(
    con: duckdb.DuckDBPyConnection, report: Callable[[float], None], done: threading.Event
) -> None:
    """DuckDB's own progress of the running statement, every 0.2 s."""
    while not done.wait(0.2):
        try:
            percent = con.query_progress()
        except duckdb.Error:
            return
        if percent >= 0:
            report(min(percent / 100.0, 0.99))


def _chunks(reader: pa.RecordBatchReader, rows: int) -> Iterator[pa.Table]:
    """The reader's batches gathered into tables of about `rows` rows."""
    pending: list[pa.RecordBatch] = []
    count = 0
    for batch in reader:
        pending.append(batch)
        count += batch.num_rows
        if count >= rows:
            yield pa.Table.from_batches(pending)
            pending, count = [], 0
    if pending:
        yield pa.Table.from_batches(pending)


def _samples(batch: pa.RecordBatch, names: dict[int, tuple[str, str]]) -> Samples:
    ids = batch.column(0).to_numpy(zero_copy_only=False)
    lookup = np.zeros(max(names) + 1, dtype=np.int64)
    machines = np.asarray([""] + [m for m, _ in names.values()], dtype=object)
    signals = np.asarray([""] + [s for _, s in names.values()], dtype=object)
    for k, sid in enumerate(names):
        lookup[sid] = k + 1
    codes = lookup[ids]
    return Samples(
        batch.column(1).to_numpy(zero_copy_only=False).astype(np.int64, copy=False),
        machines[codes],
        signals[codes],
        batch.column(2).to_numpy(zero_copy_only=False).astype(np.float64, copy=False),
        np.zeros(batch.num_rows, dtype=np.uint8),
    )
