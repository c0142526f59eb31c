"""`jayul import samples`: layouts, time formats, idempotence, dead letters, backfilled alerts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from jayul.autopilot.backfill import backfill
from jayul.cli.main import app
from jayul.connect.history_import import HistoryFileError, HistoryImport, ImportSpec
from jayul.historian import open_historian
from jayul.plant import Plant, demo_plant_path
from jayul.records import EventKind

T0 = pd.Timestamp("2026-01-01", tz="UTC")
T0_NS = T0.value
PUMP = ["flow", "pressure", "vib_rms", "current", "bearing_temp", "motor_temp"]
runner = CliRunner()


def wide_frame(hours: float, fault_at_h: float | None = None, period_min: int = 10) -> pd.DataFrame:
    """pump1 every `period_min` minutes: load cycles, noise, and from `fault_at_h` a bearing
    fault (vibration and bearing temperature rise off the load axis)."""
    n = int(hours * 60 / period_min)
    rng = np.random.default_rng(7)
    t = T0 + pd.to_timedelta(np.arange(n) * period_min, unit="min")
    h = np.arange(n) * period_min / 60
    load = 0.6 + 0.3 * np.sin(2 * np.pi * h / 24) + rng.normal(0, 0.02, n)
    frame = pd.DataFrame({"time": t})
    nominal = {"flow": 42, "pressure": 6, "vib_rms": 2.2, "current": 18}
    nominal |= {"bearing_temp": 55, "motor_temp": 62}
    gain = {"flow": 30, "pressure": 4, "vib_rms": 1.2, "current": 12}
    gain |= {"bearing_temp": 15, "motor_temp": 20}
    for s in PUMP:
        frame[s] = nominal[s] + gain[s] * (load - 0.6) + rng.normal(0, 0.01 * nominal[s], n)
    if fault_at_h is not None:
        wear = np.clip((h - fault_at_h) / 24, 0, 3)  # stays inside the valid ranges
        frame["vib_rms"] += 3.0 * wear
        frame["bearing_temp"] += 12.0 * wear
    return frame


def stored(url: str) -> pd.DataFrame:
    with open_historian(url) as h:
        return h.query_samples("pump1", 0, 2**62)


def run_import(url: str, files: list[Path], **spec: object) -> tuple[int, int]:
    plant_path = demo_plant_path()
    from jayul.plant import load_plant

    with open_historian(url) as h:
        imp = HistoryImport(load_plant(plant_path), h, ImportSpec(**spec))  # type: ignore[arg-type]
        try:
            stats = imp.run(files)
        finally:
            imp.close()
    return stats.samples, stats.stored


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_wide_file_imports_once(tmp_path: Path, suffix: str) -> None:
    frame = wide_frame(24)
    path = tmp_path / f"h.{suffix}"
    frame.to_csv(path, index=False) if suffix == "csv" else frame.to_parquet(path)
    url = str(tmp_path / "h.duckdb")
    assert run_import(url, [path], machine="pump1") == (len(frame) * 6, len(frame) * 6)
    assert run_import(url, [path], machine="pump1") == (len(frame) * 6, 0)  # idempotent
    got = stored(url)
    assert len(got) == len(frame) * 6
    first = got[got.signal == "flow"].iloc[0]
    assert first.time == T0_NS and first.value == pytest.approx(frame.flow.iloc[0])


def test_long_file_into_postgres(tmp_path: Path, pg_url: str) -> None:
    frame = wide_frame(6).melt(id_vars="time", var_name="signal", value_name="value")
    frame["machine"] = "pump1"
    path = tmp_path / "long.parquet"
    frame.to_parquet(path)
    assert run_import(pg_url, [path]) == (len(frame), len(frame))
    assert run_import(pg_url, [path]) == (len(frame), 0)
    assert len(stored(pg_url)) == len(frame)


@pytest.mark.parametrize(
    ("column", "spec"),
    [
        (lambda t: t.dt.as_unit("ns").astype("int64") // 10**6, {"time_unit": "ms"}),
        (lambda t: t.dt.as_unit("ns").astype("int64") // 10**9, {}),  # auto: seconds
        (lambda t: t.dt.strftime("%Y-%m-%dT%H:%M:%SZ"), {}),
        (
            lambda t: t.dt.tz_convert("Asia/Seoul").dt.strftime("%Y-%m-%d %H:%M:%S"),
            {"time_zone": "Asia/Seoul"},
        ),
        (
            lambda t: t.dt.tz_convert("Europe/Berlin").dt.strftime("%d.%m.%Y %H:%M"),
            {"time_zone": "Europe/Berlin", "time_format": "%d.%m.%Y %H:%M"},
        ),
    ],
)
def test_time_formats(tmp_path: Path, column: object, spec: dict[str, str]) -> None:
    frame = wide_frame(2)
    frame["time"] = column(frame["time"])  # type: ignore[operator]
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    url = str(tmp_path / "h.duckdb")
    run_import(url, [path], machine="pump1", **spec)
    times = stored(url).time.unique()
    assert times[0] == T0_NS and times[-1] == T0_NS + (len(frame) - 1) * 600 * 10**9


def test_bad_files_say_what_and_where(tmp_path: Path) -> None:
    frame = wide_frame(1)
    naive = frame.assign(time=frame.time.dt.strftime("%Y-%m-%d %H:%M:%S"))
    naive.to_csv(tmp_path / "naive.csv", index=False)
    url = str(tmp_path / "h.duckdb")
    with pytest.raises(HistoryFileError, match="have no zone: declare the zone with --time-zone"):
        run_import(url, [tmp_path / "naive.csv"], machine="pump1")
    frame.rename(columns={"flow": "flw"}).to_csv(tmp_path / "typo.csv", index=False)
    with pytest.raises(HistoryFileError, match=r"not signals of the plant: pump1\.flw"):
        run_import(url, [tmp_path / "typo.csv"], machine="pump1")
    with pytest.raises(HistoryFileError, match="say whose signals these are"):
        run_import(url, [tmp_path / "typo.csv"])


def test_out_of_range_rows_are_dead_letters_naming_row_and_signal(tmp_path: Path) -> None:
    frame = wide_frame(1)
    frame.loc[2, "pressure"] = 99.0
    frame.loc[3, "flow"] = np.nan  # an empty cell: a missing value, skipped
    frame.to_csv(tmp_path / "f.csv", index=False)
    url = str(tmp_path / "h.duckdb")
    samples, _ = run_import(url, [tmp_path / "f.csv"], machine="pump1")
    assert samples == len(frame) * 6 - 2
    with open_historian(url) as h:
        letters = h.dead_letters()
    assert [d.reason for d in letters] == ["row 3: pump1.pressure = 99 not in [0, 12]"]
    assert letters[0].source == "import:f.csv"


def test_backfill_alerts_at_the_fault_not_at_the_import(tmp_path: Path, plant: Plant) -> None:
    fault_h = 20 * 24.0
    frame = wide_frame(30 * 24, fault_at_h=fault_h)
    path = tmp_path / "history.parquet"
    frame.to_parquet(path)
    url = str(tmp_path / "h.duckdb")
    run_import(url, [path], machine="pump1")
    with open_historian(url) as h:
        result = backfill(h, plant, T0_NS, T0_NS + 30 * 24 * 3600 * 10**9, fit_h=96)
        alerts = h.query_events(kinds=[EventKind.ALERT])
    assert [a.machine for a in result.alerts] == ["pump1"]
    at_h = (result.alerts[0].time - T0_NS) / 3600e9
    assert fault_h < at_h < fault_h + 24, at_h
    assert [a.time for a in alerts] == [result.alerts[0].time]
    with open_historian(url) as h:  # again: the same alert id, stored once
        backfill(h, plant, T0_NS, T0_NS + 30 * 24 * 3600 * 10**9, fit_h=96)
        assert len(h.query_events(kinds=[EventKind.ALERT])) == 1


def test_the_fit_never_swallows_what_follows_its_horizon(tmp_path: Path, plant: Plant) -> None:
    """One window holding the whole history: the monitor fits on the first 96 h only."""
    frame = wide_frame(30 * 24, fault_at_h=20 * 24.0)
    path = tmp_path / "history.parquet"
    frame.to_parquet(path)
    url = str(tmp_path / "h.duckdb")
    run_import(url, [path], machine="pump1")
    with open_historian(url) as h:
        result = backfill(h, plant, T0_NS, T0_NS + 30 * 24 * 3600 * 10**9, window_h=24 * 31)
    assert len(result.alerts) == 1 and result.alerts[0].time > T0_NS + 20 * 24 * 3600 * 10**9


def test_cli_import_then_alerts(tmp_path: Path) -> None:
    frame = wide_frame(30 * 24, fault_at_h=20 * 24.0)
    frame.to_csv(tmp_path / "history.csv", index=False)
    db = f"duckdb:///{tmp_path / 'jayul.duckdb'}"
    args = ["import", "samples", str(tmp_path / "history.csv"), "--plant", str(demo_plant_path())]
    result = runner.invoke(app, [*args, "--machine", "pump1", "--db", db])
    assert result.exit_code == 0, result.output
    assert f"{len(frame) * 6:,} stored" in result.output
    assert "1 alert(s)" in result.output and "2026-01-2" in result.output
    result = runner.invoke(app, [*args, "--machine", "pump1", "--db", db])
    assert "0 stored" in result.output and "1 alert(s)" in result.output
    result = runner.invoke(app, [*args, "--db", db])
    assert result.exit_code == 2 and "say whose signals" in result.output


def test_small_import_benchmark(tmp_path: Path, plant: Plant) -> None:
    from jayul.bench.history_import.harness import run

    figures = run(plant, "pump1", 3000, tmp_path)
    for kind in ("parquet", "csv"):
        f = figures[kind]
        assert f["values"] == 3000 * 6 and f["reimport_stored"] == 0
        assert f["jayul_samples_per_s"] > 0 and f["baseline_samples_per_s"] > 0
