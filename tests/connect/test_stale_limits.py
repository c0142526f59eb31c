"""A source reads `stale` after `connect.no_data.periods` of the shortest sampling period of the
signals it carries, not of the whole plant's: a gateway publishing a chiller every 5 s beside a
PLC sampled every second used to flap between stale and delivering every few seconds."""

from __future__ import annotations

from pathlib import Path

from jayul.connect.bindings import parse_bindings
from jayul.connect.ingest import source_signals, stale_after_s
from jayul.connect.links import Link, LinkBoard

PLANT = """
plant:
  name: hall
  machine_types:
    extruder:
      signals:
        - {id: melt_temp, period_s: 1}
        - {id: motor_current, period_s: 1}
    chiller:
      signals:
        - {id: supply_temp, period_s: 5}
  machines:
    - {id: e1, type: extruder}
    - {id: ch1, type: chiller}
connect:
  sources:
    - kind: opcua
      endpoint: opc.tcp://127.0.0.1:4840
      nodes:
        - {machine: e1, signal: melt_temp, node_id: "ns=2;s=E1.T"}
        - {machine: e1, signal: motor_current, node_id: "ns=2;s=E1.I"}
    - {kind: mqtt, topic_root: gw}
"""


def test_each_source_goes_stale_on_its_own_signals_periods() -> None:
    b = parse_bindings(PLANT, Path("plant.yaml"))
    assert source_signals(b, 0) == {("e1", "melt_temp"), ("e1", "motor_current")}
    assert source_signals(b, 1) == {("ch1", "supply_temp")}  # what no other source binds
    assert stale_after_s(b, 0) == 5.0  # 5 periods of 1 s
    assert stale_after_s(b, 1) == 25.0  # 5 periods of 5 s
    assert stale_after_s(b) == 5.0  # the plant's shortest, as before


def test_the_board_uses_a_link_s_own_limit() -> None:
    gateway = Link("connect.sources[1]", "mqtt", "127.0.0.1:1883", can_go_stale=True)
    gateway.stale_after_s = 25.0
    board = LinkBoard([gateway], stale_after_s=5.0)
    gateway.connected()
    assert gateway.since_ns is not None
    gateway.seen(gateway.since_ns)
    later = gateway.since_ns + 10 * 10**9  # 10 s of silence: within 25 s
    assert board.state(gateway, later) == "connected"
    assert board.states(later)[0]["stale_after_s"] == 25.0
    assert board.state(gateway, gateway.since_ns + 30 * 10**9) == "stale"
