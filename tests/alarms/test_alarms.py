"""The alarm state machine, the flood rule (one alarm per problem, counted), rules from a file,
and the store on DuckDB and PostgreSQL."""

from __future__ import annotations

import time

import numpy as np
import pytest

from jayul.alarms import (
    Alarm,
    AlarmBoard,
    AlarmError,
    AlarmState,
    AlarmStore,
    Link,
    RuleEngine,
    RuleFileError,
    Severity,
    dump_rules,
    load_rules,
)
from jayul.historian.sql_store import SqlHistorian
from jayul.plant import demo_plant_path, load_plant
from jayul.records import Alert, Samples, SignalContribution

from .conftest import Store

S = 1_000_000_000
T0 = 1_767_225_600 * S  # 2026-01-01


def _alert(t: int, machine: str = "pump1", score: float = 2.0) -> Alert:
    contrib = [SignalContribution(signal="vib_rms", share=1.0, direction=1, z=3.0)]
    return Alert(
        time=t,
        machine=machine,
        detector="zscore",
        score=score,
        threshold=1.0,
        contributions=contrib,
    )


def _alarm() -> Alarm:
    return Alarm(key="pump1/bearing", machine="pump1", source="zscore", first_ns=T0, last_ns=T0)


def test_state_machine_allows_only_its_transitions() -> None:
    a = _alarm()
    a.acknowledge("olga", T0 + 1)
    assert (a.state, a.acked_by, a.acked_at) == (AlarmState.ACKNOWLEDGED, "olga", T0 + 1)
    with pytest.raises(AlarmError, match="only an active alarm"):
        a.acknowledge("olga", T0 + 2)
    with pytest.raises(AlarmError, match="future"):
        a.shelve("olga", T0 + 5, T0 + 5, "maintenance window")
    with pytest.raises(AlarmError, match="reason"):
        a.shelve("olga", T0 + 5, T0 + 10, " ")
    a.shelve("olga", T0 + 5, T0 + 100, "known, crew on its way")
    assert a.state is AlarmState.SHELVED
    assert not a.expire_shelf(T0 + 99)
    assert a.expire_shelf(T0 + 100)
    assert a.state is AlarmState.ACKNOWLEDGED  # back where it was before the shelf
    a.assign("erik", T0 + 101, "olga")
    a.comment("olga", T0 + 102, "bearing noise confirmed")
    with pytest.raises(AlarmError, match="reason"):
        a.clear("olga", T0 + 103, "")
    a.clear("olga", T0 + 103, "bearing replaced")
    assert (a.state, a.cleared_by) == (AlarmState.CLEARED, "olga")
    for act in (
        lambda: a.acknowledge("x", T0),
        lambda: a.clear("x", T0, "again"),
        lambda: a.shelve("x", T0, T0 + 9, "r"),
        lambda: a.repeat(T0, Severity.LOW, "", None),
    ):
        with pytest.raises(AlarmError, match="cleared"):
            act()
    whats = [s.what for s in a.history]
    assert whats == ["acknowledged", "shelved", "unshelved", "assigned", "comment", "cleared"]


def test_a_flood_of_alerts_is_one_alarm_with_a_count() -> None:
    audited: list[str] = []
    board = AlarmBoard(audit=lambda t, who, kind, subj, why, p: audited.append(kind))
    started = time.perf_counter()
    for k in range(1000):  # 1,000 alerts within one minute on one machine and failure mode
        board.alert(_alert(T0 + k * 60 * S // 1000, score=1.2 + (k == 500) * 2.0), "bearing_wear")
    elapsed = time.perf_counter() - started
    alarms = board.alarms()
    assert len(alarms) == 1
    assert alarms[0].count == 1000
    assert alarms[0].severity is Severity.CRITICAL  # the worst of the flood (3.2x its threshold)
    assert audited == ["alarm_raised"]  # one record, not a thousand
    assert elapsed < 1.0
    board.alert(_alert(T0 + 61 * S, machine="pump2"), "bearing_wear")
    board.alert(_alert(T0 + 62 * S), "seal_leak")  # another failure mode: another alarm
    assert sorted(a.count for a in board.alarms()) == [1, 1, 1000]


def test_maintenance_clears_and_a_new_alert_opens_a_new_alarm() -> None:
    board = AlarmBoard()
    first = board.alert(_alert(T0), "bearing_wear")
    board.link("pump1", Link(kind="action", id="act1", time=T0 + 1, status="executed"))
    board.link("pump1", Link(kind="action", id="act1", time=T0 + 2, status="executed"))
    assert [k.id for k in first.links] == ["act1"]
    assert board.resolved("pump1", T0 + 10, "maintenance_end: bearing replaced") == [first]
    assert first.state is AlarmState.CLEARED and first.cleared_by == "jayul"
    second = board.alert(_alert(T0 + 20), "bearing_wear")
    assert second.id != first.id and second.count == 1


def test_rules_from_a_file_round_trip_and_fire() -> None:
    plant = load_plant(demo_plant_path())
    text = """
alarms:
  - {id: hot, kind: threshold, machine: pump1, signal: vib_rms, above: 5.0, severity: high}
  - {id: climbing, kind: rate, machine: pump1, signal: vib_rms, above: 1.0, window_s: 60}
  - {id: silent, kind: no_data, signal: vib_rms, after_s: 120}
"""
    rules = load_rules(text)
    assert load_rules(dump_rules(rules)) == rules
    assert load_rules(dump_rules(rules, "json")) == rules
    engine = RuleEngine(plant, rules)
    t = T0 + np.arange(0, 61, 10, dtype=np.int64) * S
    v = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 6.0])  # +5 in 60 s, over 5.0 at the end
    batch = Samples.build(t, ["pump1"] * 7, ["vib_rms"] * 7, v)
    hits = {h.rule.id: h for h in engine.hits(batch, int(t[-1]))}
    assert set(hits) == {"hot", "climbing"}
    assert hits["hot"].value == 6.0
    assert hits["climbing"].value == pytest.approx(300.0)  # 5 units in a minute: 300 per hour
    later = int(t[-1]) + 121 * S
    silent = engine.hits(None, later)
    assert [(h.rule.id, h.machine) for h in silent] == [("silent", "pump1")]
    assert engine.hits(None, later + S) == []  # one hit per silent gap
    board = AlarmBoard()
    for h in hits.values():
        board.rule_hit(h)
    assert {a.source for a in board.alarms()} == {"rule:hot", "rule:climbing"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("alarms: [{id: x, kind: threshold, signal: vib_rms}]", "needs `above` or `below`"),
        ("alarms: [{id: x, kind: louder, signal: vib_rms, above: 1}]", "rule #1, kind"),
        ("- {id: a, kind: no_data, signal: s}\n- {id: a, kind: no_data, signal: s}", "repeated"),
        ("alarms: {", "not YAML"),
    ],
)
def test_bad_rule_files_say_what_and_where(text: str, message: str) -> None:
    with pytest.raises(RuleFileError, match=message):
        load_rules(text, "rules.yaml")


def test_rules_naming_unknown_machines_or_signals_are_refused() -> None:
    plant = load_plant(demo_plant_path())
    for rule in (
        "{id: a, kind: no_data, machine: nope, signal: vib_rms}",
        "{id: a, kind: no_data, signal: no_such_signal}",
    ):
        with pytest.raises(RuleFileError, match="no machine"):
            RuleEngine(plant, load_rules(f"[{rule}]"))


def test_store_keeps_alarms_and_rules(store: Store) -> None:
    with store.open() as h:
        assert isinstance(h, SqlHistorian)
        board = AlarmBoard(AlarmStore(h))
        a = board.alert(_alert(T0), "bearing_wear")
        for k in range(1, 50):
            board.alert(_alert(T0 + k * S), "bearing_wear")
        board.flush()
        board.act(a.id, "olga", T0 + 60 * S, "acknowledge")
        board.act(a.id, "olga", T0 + 61 * S, "comment", text="checked on site")
        AlarmStore(h).put_rule(load_rules("[{id: s, kind: no_data, signal: vib_rms}]")[0])
        got = AlarmStore(h).get(a.id)
        assert got is not None and got.count == 50 and got.state is AlarmState.ACKNOWLEDGED
        assert [s.what for s in got.history][-2:] == ["acknowledged", "comment"]
        if store.reopenable:
            h.close()
            with store.open() as again:
                assert isinstance(again, SqlHistorian)
                reopened = AlarmBoard(AlarmStore(again))
                assert [x.count for x in reopened.alarms()] == [50]
                reopened.alert(_alert(T0 + 100 * S), "bearing_wear")  # same problem: counted
                reopened.flush()
                found = AlarmStore(again).query(machine="pump1")
                assert [(x.id, x.count) for x in found] == [(a.id, 51)]
                assert [r.id for r in AlarmStore(again).rules()] == ["s"]
                AlarmStore(again).remove_rule("s")
                assert AlarmStore(again).rules() == []
