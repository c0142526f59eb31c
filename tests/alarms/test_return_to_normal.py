"""Rule alarms return to normal (ISA-18.2): active-unacked -> active-acked -> cleared, or
active-unacked -> rtn-unacked -> cleared by the acknowledgement, with a deadband against
chatter, an off-delay, shelving respected, no-data alarms, and a restart in between."""

from __future__ import annotations

from typing import Any

import numpy as np

from jayul.alarms import Alarm, AlarmBoard, AlarmState, AlarmStore, RuleEngine, load_rules
from jayul.historian.sql_store import SqlHistorian
from jayul.plant import demo_plant_path, load_plant

from .conftest import Store

S = 1_000_000_000
T0 = 1_767_225_600 * S
PLANT = load_plant(demo_plant_path())
HOT = "[{id: hot, kind: threshold, machine: pump1, signal: vib_rms, above: 5.0, deadband: 0.5, clear_after_s: 60}]"  # noqa: E501


class Feed:
    """An engine and a board fed one batch of pump1's vib_rms at a time (seconds, values)."""

    def __init__(self, rules: str = HOT, board: AlarmBoard | None = None) -> None:
        self.audited: list[str] = []
        self.engine = RuleEngine(PLANT, load_rules(rules))
        self.board = board or AlarmBoard(audit=self._audit)

    def _audit(self, *record: Any) -> None:
        self.audited.append(str(record[2]))

    def __call__(self, seconds: list[float], values: list[float]) -> Alarm | None:
        from jayul.records import Samples

        t = T0 + (np.asarray(seconds) * S).astype(np.int64)
        batch = Samples.build(t, ["pump1"] * len(t), ["vib_rms"] * len(t), np.asarray(values))
        for hit in self.engine.hits(batch, int(t[-1])):
            self.board.rule_hit(hit)
        return self.board.by_key.get("pump1/rule:hot")


def test_unacknowledged_alarm_returns_to_normal_then_the_acknowledgement_clears_it() -> None:
    feed = Feed()
    a = feed([0, 10], [1.0, 6.0])
    assert a is not None and a.state is AlarmState.ACTIVE
    assert feed([20, 30, 40], [4.8, 4.9, 4.7]) is a  # inside the deadband: still active
    assert a.state is AlarmState.ACTIVE
    feed([50, 80], [4.0, 4.2])  # back past the deadband, but for 30 s of the 60 s off-delay
    assert a.state is AlarmState.ACTIVE
    feed([115], [4.1])  # 65 s back inside: returned to normal, waiting for a person
    assert a.state is AlarmState.RTN_UNACKED and a.normal_since == T0 + 115 * S
    feed([120], [6.5])  # the condition again, before anyone looked: the same alarm
    assert a.state is AlarmState.ACTIVE and a.count == 2 and a.normal_since is None
    feed([130, 200], [3.0, 3.0])
    assert a.state is AlarmState.RTN_UNACKED
    feed.board.act(a.id, "olga", T0 + 210 * S, "acknowledge")
    assert (a.state, a.cleared_by) == (AlarmState.CLEARED, "olga")
    steps = [s.what for s in a.history]
    assert steps == ["raised", "returned", "active again", "returned", "acknowledged", "cleared"]
    assert feed.audited == ["alarm_raised", "alarm_returned", "alarm_returned",
                            "alarm_acknowledge"]  # fmt: skip
    b = feed([300], [7.0])  # cleared is final: the next excursion is a new alarm
    assert b is not None and b.id != a.id and b.count == 1


def test_acknowledged_alarm_clears_itself_on_return_to_normal() -> None:
    feed = Feed()
    a = feed([0], [6.0])
    assert a is not None
    feed.board.act(a.id, "olga", T0 + 5 * S, "acknowledge")
    feed([10, 75], [4.0, 4.0])
    assert (a.state, a.cleared_by, a.cleared_at) == (AlarmState.CLEARED, "jayul", T0 + 75 * S)
    assert feed.audited[-1] == "alarm_cleared" and not feed.board.by_key


def test_the_deadband_stops_chatter() -> None:
    values = [5.1 if k % 2 else 4.9 for k in range(60)]  # hovering on the bound, 1 min apart
    seconds = [60.0 * k for k in range(60)]
    chatter = Feed(HOT.replace("deadband: 0.5, clear_after_s: 60", "deadband: 0"))
    steady = Feed()
    for k in range(60):
        chatter([seconds[k]], [values[k]])
        steady([seconds[k]], [values[k]])
    (noisy,) = chatter.board.alarms()
    assert [s.what for s in noisy.history].count("returned") == 29  # without a deadband
    (calm,) = steady.board.alarms()
    assert calm.state is AlarmState.ACTIVE and "returned" not in [s.what for s in calm.history]


def test_shelving_is_respected() -> None:
    feed = Feed()
    a = feed([0], [6.0])
    assert a is not None
    feed.board.act(a.id, "olga", T0 + S, "shelve", until=T0 + 600 * S, reason="sensor swap")
    feed([10, 100], [3.0, 3.0])  # normal while shelved: the shelf stays
    assert a.state is AlarmState.SHELVED and a.normal_since == T0 + 100 * S
    feed.board.tick(T0 + 600 * S)  # the shelf ends: back to where the condition went
    assert a.state is AlarmState.RTN_UNACKED
    # acknowledged, shelved, normal on the shelf: cleared when the shelf ends
    b = Feed()
    x = b([0], [6.0])
    assert x is not None
    b.board.act(x.id, "olga", T0 + S, "acknowledge")
    b.board.act(x.id, "olga", T0 + 2 * S, "shelve", until=T0 + 600 * S, reason="sensor swap")
    b([10, 100], [3.0, 3.0])
    assert x.state is AlarmState.SHELVED
    b([200], [6.0])  # active again on the shelf, then normal again: still shelved
    b([210, 300], [3.0, 3.0])
    b.board.act(x.id, "olga", T0 + 400 * S, "unshelve")
    assert (x.state, x.cleared_by) == (AlarmState.CLEARED, "jayul")
    assert b.audited[-2:] == ["alarm_unshelve", "alarm_cleared"]


def test_no_data_returns_to_normal_when_the_signal_is_back() -> None:
    feed = Feed("[{id: hot, kind: no_data, machine: pump1, signal: vib_rms, after_s: 120}]")
    feed([0], [1.0])
    for hit in feed.engine.hits(None, T0 + 200 * S):  # silent for 200 s
        feed.board.rule_hit(hit)
    (a,) = feed.board.alarms()
    assert a.state is AlarmState.ACTIVE
    feed([210], [1.0])
    assert a.state is AlarmState.RTN_UNACKED and "data again" in a.history[-1].note


def test_an_alarm_open_before_a_restart_returns_to_normal_after_it(store: Store) -> None:
    if not store.reopenable:
        return
    with store.open() as h:
        assert isinstance(h, SqlHistorian)
        before = Feed(board=AlarmBoard(AlarmStore(h)))
        a = before([0], [6.0])
        assert a is not None
        before.board.flush()
    with store.open() as again:
        assert isinstance(again, SqlHistorian)
        after = Feed(board=AlarmBoard(AlarmStore(again)))
        after.engine.resume(after.board.alarms())
        after([100, 170], [3.0, 3.0])
        after.board.flush()
        got = AlarmStore(again).get(a.id)
        assert got is not None and got.state is AlarmState.RTN_UNACKED
