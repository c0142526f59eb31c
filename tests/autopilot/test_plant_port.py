"""The plant interface's contract, run against both implementations: the twin, and connected
equipment (a real Mosquitto for samples plus an in-process asyncua server of a vendor's own
for state, run hours, setpoints and the maintenance method)."""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).parent))

from vendor_server import VendorServer, pump_plant_file

from jayul.autopilot import PlantPort, TwinPlant
from jayul.connect.bindings import load_bindings
from jayul.connect.equipment import ConnectedPlant
from jayul.connect.ingest import Ingest
from jayul.connect.mqtt_source import MqttSource
from jayul.connect.sinks import OpcUaSink
from jayul.plant import load_demo_plant
from jayul.records import Action, ActionKind, EventKind, MachineState
from jayul.records.timebase import NS_PER_H
from jayul.twin import Twin

MACHINE, ACTION = "pump1", "bearing_service"


def wait_for(check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


@dataclass
class Case:
    """A plant under test and how a test makes things happen on it."""

    port: PlantPort
    produce: Callable[[], None]  # new samples arrive
    end_maintenance: Callable[[], None]  # the maintenance under way on MACHINE ends
    has_twin: bool


def twin_case() -> Iterator[Case]:
    twin = Twin(load_demo_plant(), seed=0, signal_period_s=600)
    port = TwinPlant(twin)
    port.advance(24.0)

    def produce() -> None:
        port.advance(1.0)

    def end_maintenance() -> None:
        for _ in range(48):
            if not twin.machines[MACHINE].pending_maintenance:
                return
            port.advance(1.0)

    yield Case(port, produce, end_maintenance, has_twin=True)


def equipment_case(tmp_path: Path) -> Iterator[Case]:
    server = VendorServer(["Pump-1"]).start()
    root = f"test-port-{uuid.uuid4().hex[:8]}"
    bindings = load_bindings(pump_plant_file(tmp_path, server, root, setpoints=True))
    sink = OpcUaSink(
        server.endpoint,
        bindings.plant.name,
        methods={"pump1": (server.node("Pump-1"), server.node("Pump-1", "RequestService"))},
    )
    plant = ConnectedPlant(bindings, [sink])
    ingest = Ingest(bindings, on_stored=plant.on_stored).start()
    plant.start()
    mqtt_source = ingest.sources[0]
    assert isinstance(mqtt_source, MqttSource)
    wait_for(mqtt_source.connected.is_set)  # subscribed: from now on nothing published is lost
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{root}")
    pub.connect("127.0.0.1", 1883)
    pub.loop_start()
    server.set("Pump-1", "OperatingHours", 1200.0)
    wait_for(lambda: plant.machines()[MACHINE].state is MachineState.RUNNING)
    # the tags are polled on their own: the setpoint's first reading may come a poll later
    wait_for(lambda: "speed_rpm" in plant.machines()[MACHINE].setpoints)

    def produce() -> None:
        before = ingest.writer.stats.samples_stored
        now = time.time_ns()
        for k, (signal, value) in enumerate((("flow", 40.0), ("pressure", 6.0))):
            body = {"t": now + k, "v": value}
            pub.publish(f"{root}/pump1/{signal}", json.dumps(body), qos=1).wait_for_publish(5)
        wait_for(lambda: ingest.writer.stats.samples_stored >= before + 2)
        wait_for(lambda: plant.waiting() > 0)

    def end_maintenance() -> None:
        server.set("Pump-1", "OperatingHours", 1300.0)
        time.sleep(0.8)  # the counter's new value is read before the state changes
        server.set("Pump-1", "StatusCode", 1)
        wait_for(lambda: plant.machines()[MACHINE].state is MachineState.RUNNING)

    try:
        yield Case(plant, produce, end_maintenance, has_twin=False)
    finally:
        pub.loop_stop()
        pub.disconnect()
        plant.stop()
        ingest.stop()
        server.stop()


@pytest.fixture(params=["twin", "equipment"])
def case(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Case]:
    if request.param == "twin":
        yield from twin_case()
    else:
        yield from equipment_case(tmp_path)


def test_every_machine_is_shown_in_plant_order(case: Case) -> None:
    plant = case.port.model
    readings = case.port.machines()
    assert list(readings) == [m.id for m in plant.machines]
    for mid, r in readings.items():
        assert r.id == mid and isinstance(r.state, MachineState)
        modes = {f.id for f in plant.machine_type(mid).failure_modes}
        assert set(r.run_hours_since) <= modes
        assert all(h >= 0 for h in r.run_hours_since.values())
        known = {sp.id for sp in plant.machine_type(mid).setpoints}
        assert set(r.setpoints) <= known
    assert "speed_rpm" in readings[MACHINE].setpoints


def test_samples_arrive_once(case: Case) -> None:
    case.port.collect()
    case.produce()
    first = case.port.collect()
    assert first.samples is not None and len(first.samples) > 0
    for machine in set(first.samples.machine):  # each machine's samples in time order
        t = first.samples.time[first.samples.machine == machine]
        assert (t[1:] >= t[:-1]).all()
    again = case.port.collect()
    assert again.samples is None or len(again.samples) == 0


def test_clock_is_utc_ns_and_hours_agree(case: Case) -> None:
    ns, hours = case.port.time_ns(), case.port.now_h
    epoch = ns - round(hours * NS_PER_H)
    assert abs((case.port.time_ns() - round(case.port.now_h * NS_PER_H)) - epoch) < NS_PER_H / 60


def test_maintenance_is_pending_then_ends_with_events(case: Case) -> None:
    case.port.collect()
    action = Action(
        time=case.port.time_ns(),
        machine=MACHINE,
        kind=ActionKind.START_MAINTENANCE,
        params={"action": ACTION},
        origin="test",
    )
    assert case.port.execute(action)
    assert ACTION in case.port.machines()[MACHINE].pending_work
    case.end_maintenance()
    kinds = [e.kind for e in case.port.collect().events if e.machine == MACHINE]
    assert EventKind.MAINTENANCE_END in kinds
    reading = case.port.machines()[MACHINE]
    assert reading.pending_work == ()
    assert reading.state in (MachineState.RUNNING, MachineState.IDLE)
    # the restored mode's run hours start again from the maintenance
    assert reading.run_hours_since["bearing_wear"] < 5.0


def test_an_action_the_plant_cannot_carry_out_is_an_error(case: Case) -> None:
    stop = Action(
        time=case.port.time_ns(), machine=MACHINE, kind=ActionKind.STOP_MACHINE, origin="test"
    )
    with pytest.raises(ValueError):
        case.port.execute(stop)


def test_fork_only_where_a_twin_exists(case: Case) -> None:
    fork = case.port.fork()
    assert (fork is not None) == case.has_twin
    if fork is not None:
        assert isinstance(fork, Twin) and fork.now_h == case.port.now_h


def test_the_plan_in_force_is_what_was_given(case: Case) -> None:
    from jayul.decide.plan import Plan

    assert case.port.plan() is None
    plan = Plan((), (), 0.0, "DISPATCH", 0.0)
    case.port.follow(plan)
    assert case.port.plan() is plan


def test_production_covers_every_machine_and_crew(case: Case) -> None:
    prod = case.port.production()
    assert prod is not None
    plant = case.port.model
    assert set(prod.free_at_h) == {m.id for m in plant.machines}
    assert all(t >= case.port.now_h - 1e-6 for t in prod.free_at_h.values())
    assert set(prod.crews_free) == set(plant.crews)
    assert all(set(op.eligible) <= set(prod.free_at_h) for op in prod.ops)
