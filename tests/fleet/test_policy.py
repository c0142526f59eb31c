"""The `fleet:` section and the sharing policy at the site (no network: the outbox shows what
would leave). Enforcement at the centre's database is in test_edge_centre.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from jayul.fleet import Edge, FleetConfigError, Kind, Outbox, SignalSharing
from jayul.fleet.config import fleet_section, load_fleet_config
from jayul.fleet.tee import FleetTee
from jayul.historian import open_historian
from jayul.records import Event, EventKind


def test_default_policy_shares_events_and_kpis_not_signals() -> None:
    config = fleet_section({"fleet": {}}, "Demo plant #2", "plant.yaml")
    assert config is not None
    assert config.site == "Demo-plant--2"  # made a NATS subject token
    share = config.share
    assert [k for k in Kind if share.allows(k)] == [
        Kind.ALERTS,
        Kind.ACTIONS,
        Kind.EVENTS,
        Kind.KPIS,
    ]
    assert share.signals is SignalSharing.NONE
    assert config.subject(Kind.ALERTS) == "jayul.site.Demo-plant--2.alerts"
    assert fleet_section({}, "x", "plant.yaml") is None


def test_a_bad_fleet_section_names_the_file_and_field(tmp_path: Path) -> None:
    plant = tmp_path / "plant.yaml"
    plant.write_text("fleet:\n  site: 'a.b'\n  share: {signals: everything}\n")
    with pytest.raises(FleetConfigError) as err:
        load_fleet_config(plant, "demo")
    text = str(err.value)
    assert str(plant) in text and "fleet.site" in text and "fleet.share.signals" in text


def test_the_loop_historian_offers_only_shared_events(tmp_path: Path) -> None:
    config = fleet_section({"fleet": {"share": {"actions": False}}}, "demo", "plant.yaml")
    assert config is not None
    edge = Edge(config, Outbox(tmp_path / "outbox.sqlite"))
    tee = FleetTee(open_historian(f"duckdb:///{tmp_path / 'h.duckdb'}"), edge)
    kinds = [EventKind.ALERT, EventKind.ACTION, EventKind.ORDER_RELEASED, EventKind.FAILURE]
    tee.append_events([Event(time=i, kind=k) for i, k in enumerate(kinds)])
    assert len(tee.query_events()) == 4  # the site keeps everything
    subjects = sorted(m.subject for m in edge.outbox.unsent(10))
    assert subjects == ["jayul.site.demo.alerts", "jayul.site.demo.events"]
    tee.append_events(tee.query_events())  # the same events again: nothing new queued
    assert edge.outbox.backlog() == 2
    edge.outbox.close()  # the outbox gone (as a full or removed disk): the loop goes on
    tee.append_events([Event(time=9, kind=EventKind.ALERT)])
    assert edge.offer_failures == 1
    assert len(tee.query_events()) == 5
    tee.close()
