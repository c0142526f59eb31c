"""An OPC UA server jayul did not create: a vendor's own namespace and node names.

Per machine (vendor name, e.g. "Press-A") it has a status code (Int32: 0 stopped, 1 producing,
2 fault, 3 in service), an operating-hours counter (Double), a speed setpoint (Double) and a
method `RequestService(String) -> Boolean` that records the call and puts the machine in
service (code 3). It runs its own asyncio loop in a thread, so a test can drive it from plain
code while jayul talks to it over the network.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, Self

from asyncua import Server, ua
from asyncua.common.methods import uamethod

from jayul.plant import demo_plant_path

NAMESPACE = "urn:example:plant7"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThreadedServer:
    """An asyncua server (no security) on its own asyncio loop in a thread. A subclass builds
    its address space in `_build`; `ns` is its namespace's index once started. As a context
    manager it stops on leaving (start it first: a test may set values before jayul starts)."""

    def __init__(self, endpoint: str, namespace: str) -> None:
        self.endpoint = endpoint
        self.namespace = namespace
        self.ns = 2
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: Server | None = None

    def start(self) -> Self:
        self._thread.start()
        # asyncua builds its standard address space first: seconds on a loaded machine
        self._call(self._start(), 180)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._call(self._server.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _call(self, work: Coroutine[Any, Any, Any], timeout: float = 60) -> Any:
        """Run `work` on the server's loop from the test's thread and wait for its result."""
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout)

    async def _start(self) -> None:
        server = Server()
        await server.init()
        server.set_endpoint(self.endpoint)
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        self.ns = await server.register_namespace(self.namespace)
        await self._build(server)
        await server.start()
        self._server = server

    async def _build(self, server: Server) -> None:
        raise NotImplementedError


class VendorServer(ThreadedServer):
    """See the module docstring. `node(name, leaf)` gives a node id as text."""

    def __init__(self, names: list[str], port: int | None = None) -> None:
        self.names = names
        self.port = port or free_port()
        super().__init__(f"opc.tcp://127.0.0.1:{self.port}/plant7/", NAMESPACE)
        self.calls: list[tuple[str, str]] = []
        self._vars: dict[tuple[str, str], Any] = {}

    def node(self, name: str, leaf: str | None = None) -> str:
        text = f"Plant7.{name}" + (f".{leaf}" if leaf else "")
        return f"ns={self.ns};s={text}"

    def set(self, name: str, leaf: str, value: float | int) -> None:
        """Write a variable as the machine's PLC would."""
        self._call(self._set(name, leaf, value))

    def get(self, name: str, leaf: str) -> Any:
        return self._call(self._vars[(name, leaf)].read_value())

    async def _set(self, name: str, leaf: str, value: float | int) -> None:
        node = self._vars[(name, leaf)]
        vtype = ua.VariantType.Int32 if leaf == "StatusCode" else ua.VariantType.Double
        await node.write_value(ua.Variant(value, vtype))

    async def _build(self, server: Server) -> None:
        plant = await server.nodes.objects.add_folder(ua.NodeId("Plant7", self.ns), "Plant7")
        for name in self.names:
            obj = await plant.add_object(ua.NodeId(f"Plant7.{name}", self.ns), name)
            for leaf, value, vtype in (
                ("StatusCode", 1, ua.VariantType.Int32),
                ("OperatingHours", 0.0, ua.VariantType.Double),
                ("SpeedSP", 1450.0, ua.VariantType.Double),
            ):
                var = await obj.add_variable(
                    ua.NodeId(f"Plant7.{name}.{leaf}", self.ns), leaf, value, varianttype=vtype
                )
                await var.set_writable()
                self._vars[(name, leaf)] = var

            def service(parent: Any, action: str, name: str = name) -> bool:
                self.calls.append((name, action))
                # asyncua runs plain methods on a worker thread: hand the write to the loop
                asyncio.run_coroutine_threadsafe(self._set(name, "StatusCode", 3), self._loop)
                return True

            await obj.add_method(
                ua.NodeId(f"Plant7.{name}.RequestService", self.ns),
                "RequestService",
                uamethod(service),
                [ua.VariantType.String],
                [ua.VariantType.Boolean],
            )


SINCE_MAINTENANCE = """
        since: maintenance"""


def bound_run_file(
    path: Path, historian: str, server: VendorServer, root: str, plant_file: Path,
    *machines: tuple[str, str, str],
) -> Path:  # fmt: skip
    """Write `path`, a run file binding `plant_file` to `server` as a user would: MQTT samples
    under `root`, an OPC UA state source, the historian file `historian` beside `path`; per
    (machine, vendor name, more YAML under it) its state (the vendor's codes mapped) and run
    hours as tags. The first machine is serviced through the vendor's method."""
    bound = "".join(
        f"""
    - machine: {machine}
      state:
        tag: {{kind: opcua, node_id: "{server.node(name, "StatusCode")}"}}
        map: {{"0": idle, "1": running, "2": down, "3": maintenance}}
      run_hours:
        tag: {{kind: opcua, node_id: "{server.node(name, "OperatingHours")}"}}{more}"""
        for machine, name, more in machines
    )
    serviced, name, _ = machines[0]
    path.write_text(f"""
plant_file: {plant_file}
connect:
  historian: duckdb:///{path.parent}/{historian}
  buffer: {path.parent}/buffer
  sources:
    - {{kind: mqtt, client_id: jayul-{root}, topic_root: {root}}}
    - {{kind: opcua, name: plant7, endpoint: "{server.endpoint}", nodes: []}}
  sinks:
    - kind: opcua
      endpoint: "{server.endpoint}"
      maintenance:
        - {{machine: {serviced}, object_id: "{server.node(name)}",
            method_id: "{server.node(name, "RequestService")}"}}
  machines:{bound}
""")
    return path


def pump_plant_file(
    tmp_path: Path, server: VendorServer, root: str, *, setpoints: bool = False
) -> Path:
    """The demo plant bound to `server` (`bound_run_file`): pump1, with `setpoints` also its
    speed setpoint as a tag."""
    speed = f"""
      setpoints:
        speed_rpm: {{kind: opcua, node_id: "{server.node("Pump-1", "SpeedSP")}"}}"""
    pump = ("pump1", "Pump-1", speed if setpoints else "")
    return bound_run_file(
        tmp_path / "plant.yaml", "hist.duckdb", server, root, demo_plant_path(), pump
    )
