"""An OPC UA server stamps each variable as it writes it: one reading of a machine's signals
arrives as several times microseconds apart. The monitor must take them as one row, so that it
commissions within `fit_h` hours (it used to read the sampling period as microseconds and wait
for a million rows) and no row is mostly repeated old values."""

from __future__ import annotations

import warnings

import numpy as np

from jayul.autopilot import HealthMonitor
from jayul.autopilot.monitor import merge_instants, pivot_rows
from jayul.plant import parse_plant
from jayul.records import Samples

PLANT = """
plant:
  name: hall
  machine_types:
    extruder:
      signals:
        - {id: melt_temp, unit: degC, period_s: 1}
        - {id: screw_speed, unit: rpm, period_s: 1}
        - {id: motor_current, unit: A, period_s: 1}
  machines:
    - {id: e1, type: extruder}
"""
SIGNALS = ["melt_temp", "screw_speed", "motor_current"]
T0 = 1_796_000_000 * 10**9


def staggered(seconds: int, rng: np.random.Generator, start_s: int = 0) -> Samples:
    """One reading a second, each signal stamped 100 us after the one before."""
    times, names, values = [], [], []
    for k in range(start_s, start_s + seconds):
        for j, (name, level) in enumerate(zip(SIGNALS, (210.0, 80.0, 42.0), strict=True)):
            times.append(T0 + k * 10**9 + j * 100_000)
            names.append(name)
            values.append(level + rng.normal(0, 0.5))
    return Samples.build(np.array(times), "e1", np.array(names, dtype=object), np.array(values))


def test_one_reading_stamped_per_variable_is_one_row() -> None:
    batch = staggered(10, np.random.default_rng(0))
    times, rows = pivot_rows(batch, "e1", SIGNALS, None, merge_ns=500_000_000)
    assert rows.shape == (10, 3)
    assert np.all(np.diff(times) >= 10**9 - 300_000)  # one row a second, at its latest stamp
    assert np.allclose(rows.mean(axis=0), [210.0, 80.0, 42.0], atol=1.0)  # no value repeated
    # without merging each variable's stamp makes a row of its own
    assert pivot_rows(batch, "e1", SIGNALS, None)[1].shape == (30, 3)


def test_merge_leaves_times_further_apart_alone() -> None:
    times = np.array([0, 600, 1200, 1800], dtype=np.int64)
    assert merge_instants(times, 500).tolist() == [0, 1, 2, 3]
    assert merge_instants(np.array([0, 1, 2, 1000, 1001], dtype=np.int64), 500).tolist() == [
        0,
        0,
        0,
        1,
        1,
    ]


def test_the_monitor_commissions_in_fit_h_on_staggered_stamps() -> None:
    plant = parse_plant(PLANT)
    monitor = HealthMonitor(plant, fit_h=0.05)  # 180 rows at 1 s
    rng = np.random.default_rng(1)
    for second in range(0, 240, 20):  # a tick's batch every 20 s
        monitor.update(staggered(20, rng, second))
    assert monitor.machines["e1"].scorer is not None


def test_a_signal_without_a_value_yet_warns_nothing() -> None:
    batch = staggered(3, np.random.default_rng(2))
    keep = batch.signal != "screw_speed"
    partial = Samples(
        batch.time[keep], batch.machine[keep], batch.signal[keep], batch.value[keep],
        batch.quality[keep],
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, rows = pivot_rows(partial, "e1", SIGNALS, None, merge_ns=500_000_000)
    assert np.all(rows[:, 1] == 0.0)


def test_an_alert_names_no_signal_that_did_not_move() -> None:
    """A history export without one of the machine's signals: the alert used to read
    `motor_current +6.6σ, melt_temp +1.8σ, screw_speed +0.0σ`."""
    plant = parse_plant(PLANT)
    # alarms within minutes, not the default hour (raise_h) and two-hour smoothing
    monitor = HealthMonitor(plant, fit_h=0.05, raise_h=0.02, smoothing_h=0.01)
    rng = np.random.default_rng(3)
    alerts = []
    for second in range(0, 1200, 20):
        batch = staggered(20, rng, second)
        keep = batch.signal != "screw_speed"  # never exported
        value = batch.value.copy()
        drift = (batch.time - T0) / 1e9 > 400
        value[drift & (batch.signal == "motor_current")] += 8.0
        alerts += monitor.update(
            Samples(batch.time[keep], batch.machine[keep], batch.signal[keep], value[keep],
                    batch.quality[keep])
        )  # fmt: skip
    assert alerts, "the current's step raised no alert"
    assert alerts[0].contributions[0].signal == "motor_current"
    assert "screw_speed" not in alerts[0].reason()
