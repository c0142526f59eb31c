"""The served twin's writes go through the gate: anonymous clients may only read by default,
every write is a proposal checked by the interlock (max_step), the level and approvals, and
audited."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from asyncua import Client
from asyncua.ua.uaerrors import UaStatusCodeError

sys.path.insert(0, str(Path(__file__).parent))

from test_opcua import started

from jayul.connect.opcua_common import namespace_uri, node_id
from jayul.gate import AutonomyLevel
from jayul.plant.model import Plant


def test_anonymous_clients_cannot_write_or_call_by_default(plant: Plant) -> None:
    async def main() -> None:
        server = await started(plant, anonymous_write=False)
        try:
            async with Client(server.endpoint) as c:
                ns = await c.get_namespace_index(namespace_uri("demo"))
                sp = c.get_node(node_id("pump1.setpoint.speed_rpm", ns))
                assert await sp.read_value() == 1450.0  # reading is fine
                with pytest.raises(UaStatusCodeError, match="BadUserAccessDenied"):
                    await sp.write_value(1500.0)
                m = c.get_node(node_id("pump1", ns))
                with pytest.raises(UaStatusCodeError, match="BadUserAccessDenied"):
                    await m.call_method(node_id("pump1.StartMaintenance", ns), "bearing_service")
            assert server.twin is not None
            assert server.twin.machines["pump1"].setpoints["speed_rpm"] == 1450.0
            assert not server.twin.machines["pump1"].pending_maintenance
        finally:
            await server.stop()

    asyncio.run(main())


def test_writes_pass_the_gate_max_step_and_audit(plant: Plant) -> None:
    async def main() -> None:
        server = await started(plant)
        try:
            async with Client(server.endpoint) as c:
                ns = await c.get_namespace_index(namespace_uri("demo"))
                sp = c.get_node(node_id("pump1.setpoint.speed_rpm", ns))
                # inside the envelope 900..1800 but a step of 300 > max_step 200
                with pytest.raises(UaStatusCodeError, match="BadOutOfRange"):
                    await sp.write_value(1750.0)
                await sp.write_value(1600.0)  # a step of 150: executed
                assert await sp.read_value() == 1600.0
            assert server.twin is not None
            assert server.twin.machines["pump1"].setpoints["speed_rpm"] == 1600.0
            recs = server.gate.audit.records()
            refused = [r for r in recs if r.kind == "action_refused"]
            assert (refused and "max_step" in refused[0].reason) or "step" in refused[0].reason
            assert refused[0].data()["proposer"] == "opcua:anonymous"
            assert [r.kind for r in recs].count("action_executed") == 1
        finally:
            await server.stop()

    asyncio.run(main())


def test_at_l2_a_write_waits_for_a_person(plant: Plant) -> None:
    async def main() -> None:
        server = await started(plant, level=AutonomyLevel.L2)
        try:
            async with Client(server.endpoint) as c:
                ns = await c.get_namespace_index(namespace_uri("demo"))
                m = c.get_node(node_id("press1", ns))
                with pytest.raises(UaStatusCodeError, match="BadWouldBlock"):
                    await m.call_method(node_id("press1.StartMaintenance", ns), "die_change")
                assert server.twin is not None
                assert not server.twin.machines["press1"].pending_maintenance
                (pending,) = server.gate.approvals.requests(("pending",))
                assert pending.proposed_by == "opcua:anonymous"
                now = server.twin.time_ns()
                server.gate.approve(pending.id, "olga", "operator", now)
                assert server.twin.machines["press1"].pending_maintenance == ["die_change"]
        finally:
            await server.stop()

    asyncio.run(main())
