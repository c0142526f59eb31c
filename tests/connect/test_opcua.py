"""The twin as an OPC UA server and jayul's OPC UA source and sink, over real asyncua."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from asyncua.client.client import Client
from asyncua.crypto.cert_gen import setup_self_signed_certificate
from asyncua.ua.uaerrors import UaStatusCodeError
from cryptography.x509.oid import ExtendedKeyUsageOID

from jayul.connect.bindings import Bindings, Connect, OpcUaSource, Security, ServerConfig
from jayul.connect.ingest import Ingest
from jayul.connect.opcua_common import configure_client, namespace_uri, node_id
from jayul.connect.opcua_server import TwinServer, serving_twin
from jayul.connect.sinks import OpcUaSink
from jayul.historian import open_historian
from jayul.plant import Plant
from jayul.records import Action, ActionKind
from jayul.twin.state import Status


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def started(
    plant: Plant,
    security: Security | None = None,
    base: Path = Path("."),
    anonymous_write: bool = True,
    **kw: Any,
) -> TwinServer:
    config = ServerConfig(
        port=free_port(),
        host="127.0.0.1",
        speed=3600,
        security=security or Security(),
        allow_anonymous_write=anonymous_write,
    )
    return await TwinServer(plant, config, twin=serving_twin(plant), base=base, **kw).start()


def with_server(plant: Plant, body: Callable[[TwinServer], Awaitable[None]]) -> None:
    """Run `body` against a fresh twin server (asyncio.run: no async test plugin needed)."""

    async def main() -> None:
        server = await started(plant)
        try:
            await body(server)
        finally:
            await server.stop()

    asyncio.run(main())


def test_address_space_setpoints_and_methods(plant: Plant) -> None:
    with_server(plant, address_space_setpoints_and_methods)


async def address_space_setpoints_and_methods(server: TwinServer) -> None:
    async with Client(server.endpoint) as c:
        ns = await c.get_namespace_index(namespace_uri("demo"))
        demo = c.get_node(node_id("demo", ns))
        lines = {(await n.read_browse_name()).Name for n in await demo.get_children()}
        assert lines == {"line1", "line2"}
        flow = c.get_node(node_id("pump1.flow", ns))
        assert await flow.read_value() == pytest.approx(42.0)
        sp = c.get_node(node_id("pump1.setpoint.speed_rpm", ns))
        await sp.write_value(1500.0)
        assert await sp.read_value() == 1500.0
        assert (
            server.twin is not None
            and server.twin.machines["pump1"].setpoints["speed_rpm"] == 1500.0
        )
        with pytest.raises(UaStatusCodeError, match="BadOutOfRange"):
            await sp.write_value(5000.0)  # outside the envelope 900..1800
        assert await sp.read_value() == 1500.0
        with pytest.raises(UaStatusCodeError):
            await flow.write_value(1.0)  # signals are read-only
        m = c.get_node(node_id("pump1", ns))
        ok = await m.call_method(node_id("pump1.StartMaintenance", ns), "bearing_service")
        assert ok is True
        twin = server.twin
        assert twin.machines["pump1"].status in (Status.WAIT_CREW, Status.MAINTENANCE)
        if twin.machines["pump1"].status is Status.MAINTENANCE:
            assert await m.call_method(node_id("pump1.EndMaintenance", ns)) is True
            assert twin.machines["pump1"].status is Status.IDLE
        with pytest.raises(UaStatusCodeError):
            await m.call_method(node_id("pump1.StartMaintenance", ns), "no_such_action")


def test_source_stores_every_change(plant: Plant, tmp_path: Path) -> None:
    with_server(plant, lambda server: source_stores_every_change(server, plant, tmp_path))


async def source_stores_every_change(server: TwinServer, plant: Plant, tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'h.duckdb'}?threads=1"
    src = OpcUaSource(
        kind="opcua", endpoint=server.endpoint, publishing_interval_ms=100, queue_size=100
    )
    b = Bindings(plant, Connect(sources=[src]), tmp_path / "p.yaml")
    ingest = Ingest(b, historian=url, buffer=tmp_path / "buf").start()
    source = ingest.sources[0]
    assert await asyncio.to_thread(source.subscribed.wait, 15)  # type: ignore[attr-defined]
    stop = asyncio.Event()
    runner = asyncio.create_task(server.run_twin(stop, tick_s=0.25))
    await asyncio.sleep(3)
    stop.set()
    await runner
    await asyncio.sleep(0.6)  # the last publish
    await asyncio.to_thread(ingest.stop)
    published = server.published
    assert published > 300
    with open_historian(url) as h:
        # every change written is stored, once, plus each variable's initial value (which a
        # subscription reports first)
        assert h.count_samples() == published + len(server.nodes)
        assert h.dead_letters() == []


def test_sink_writes_setpoints_and_calls_methods(plant: Plant) -> None:
    with_server(plant, lambda server: sink_writes_setpoints_and_calls_methods(server, plant))


async def sink_writes_setpoints_and_calls_methods(server: TwinServer, plant: Plant) -> None:
    sink = OpcUaSink(server.endpoint, plant.name)
    t = time.time_ns()
    ok = await asyncio.to_thread(
        sink.execute,
        Action(
            time=t,
            machine="cnc1",
            kind=ActionKind.CHANGE_SETPOINT,
            params={"setpoint": "feed_override", "value": 110.0},
            origin="test",
        ),
    )
    assert ok and server.twin is not None
    assert server.twin.machines["cnc1"].setpoints["feed_override"] == 110.0
    refused = await asyncio.to_thread(
        sink.execute,
        Action(
            time=t,
            machine="cnc1",
            kind=ActionKind.CHANGE_SETPOINT,
            params={"setpoint": "feed_override", "value": 500.0},
            origin="test",
        ),
    )
    assert refused is False
    started_maint = await asyncio.to_thread(
        sink.execute,
        Action(
            time=t,
            machine="press1",
            kind=ActionKind.START_MAINTENANCE,
            params={"action": "die_change"},
            origin="test",
        ),
    )
    assert started_maint is True
    assert server.twin.machines["press1"].pending_maintenance == ["die_change"]


def test_sign_and_encrypt_with_user(
    plant: Plant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asyncio.run(sign_and_encrypt_with_user(plant, tmp_path, monkeypatch))


async def sign_and_encrypt_with_user(
    plant: Plant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for who, use in (
        ("server", ExtendedKeyUsageOID.SERVER_AUTH),
        ("client", ExtendedKeyUsageOID.CLIENT_AUTH),
    ):
        await setup_self_signed_certificate(
            tmp_path / f"{who}-key.pem",
            tmp_path / f"{who}-cert.der",
            f"urn:jayul:test:{who}",
            socket.gethostname(),
            [use],
            {"commonName": f"jayul {who}"},
        )
    monkeypatch.setenv("JAYUL_TEST_OPCUA_PW", "s3cret")
    server_sec = Security(
        mode="sign_and_encrypt",
        certificate="server-cert.der",
        private_key="server-key.pem",
        user="operator",
        password_env="JAYUL_TEST_OPCUA_PW",
    )
    server = await started(plant, server_sec, tmp_path)
    try:
        client_sec = Security(
            mode="sign_and_encrypt",
            certificate="client-cert.der",
            private_key="client-key.pem",
            peer_certificate="server-cert.der",
            user="operator",
            password_env="JAYUL_TEST_OPCUA_PW",
        )
        client = Client(server.endpoint)
        await configure_client(client, client_sec, tmp_path)
        async with client:
            ns = await client.get_namespace_index(namespace_uri("demo"))
            assert await client.get_node(node_id("pump1.flow", ns)).read_value() == pytest.approx(
                42.0
            )
        plain = Client(server.endpoint)  # no security: refused
        with pytest.raises(Exception):  # noqa: B017 - asyncua raises several kinds
            async with plain:
                pass
        monkeypatch.setenv("JAYUL_TEST_OPCUA_PW", "wrong")
        wrong = Client(server.endpoint)
        await configure_client(wrong, client_sec, tmp_path)
        with pytest.raises(Exception):  # noqa: B017
            async with wrong:
                pass
    finally:
        await server.stop()
