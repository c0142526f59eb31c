"""An independent OPC UA server (asyncua) with its own names, units and a nested object tree,
like a PLC's: Objects/Site/Line_A/Pump_101 {FT101 flow m3/h, PT101 pressure bar}, and
Objects/Site/Line_A/Press_7/Hydraulics {PT7 bar} plus a Press_7 {Cycle s} variable. It runs on
its own thread and asyncio loop, on a free port, until `stop()`."""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass, field

from asyncua import Server, ua


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _eu(unit: str) -> ua.EUInformation:
    info = ua.EUInformation()
    info.DisplayName = ua.LocalizedText(unit)
    info.Description = ua.LocalizedText(unit)
    info.NamespaceUri = "http://www.opcfoundation.org/UA/units/un/cefact"
    return info


@dataclass
class PlcServer:
    port: int = field(default_factory=free_port)
    values: dict[str, float] = field(
        default_factory=lambda: {"FT101": 41.5, "PT101": 6.2, "PT7": 180.0, "Cycle": 6.0}
    )
    _thread: threading.Thread | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _stop: asyncio.Event | None = None
    node_ids: dict[str, str] = field(default_factory=dict)
    # with setpoints: writable Pump_101 {Speed_SP rpm, EURange 0-3000} and Press_7 {Force_SP
    # kN, no EURange}, which change only when a client writes them
    setpoints: bool = False

    @property
    def endpoint(self) -> str:
        return f"opc.tcp://127.0.0.1:{self.port}"

    async def _serve(self, ready: threading.Event) -> None:
        server = Server()
        await server.init()
        server.set_endpoint(f"opc.tcp://127.0.0.1:{self.port}/")
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        ns = await server.register_namespace("urn:example:plc")
        site = await server.nodes.objects.add_object(ns, "Site")
        line = await site.add_object(ns, "Line_A")
        pump = await line.add_object(ns, "Pump_101")
        press = await line.add_object(ns, "Press_7")
        hyd = await press.add_object(ns, "Hydraulics")
        spec = [
            (pump, "FT101", "m3/h", (0.0, 100.0)),
            (pump, "PT101", "bar", (0.0, 16.0)),
            (hyd, "PT7", "bar", (0.0, 400.0)),
            (press, "Cycle", "s", None),
        ]
        writable = [
            (pump, "Speed_SP", "rpm", (0.0, 3000.0), 1450.0),
            (press, "Force_SP", "kN", None, 120.0),
        ]
        for parent, name, unit, rng, value in [
            *((p, n, u, r, self.values[n]) for p, n, u, r in spec),
            *(writable if self.setpoints else []),
        ]:
            var = await parent.add_variable(
                ua.NodeId(f"PLC1.{name}", ns), name, value, ua.VariantType.Double
            )
            await var.add_property(ns, "EngineeringUnits", _eu(unit))
            if rng is not None:
                await var.add_property(ns, "EURange", ua.Range(rng[0], rng[1]))
            if name.endswith("_SP"):
                await var.set_writable(True)
            self.node_ids[name] = var.nodeid.to_string()
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with server:
            ready.set()
            await self._stop.wait()

    def start(self, timeout_s: float = 60.0) -> PlcServer:
        """Start and wait until it listens; a server that failed to start (its port still
        held, say) raises its own error rather than a timeout."""
        ready = threading.Event()
        failed: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(self._serve(ready))
            except BaseException as e:  # handed to the caller of start()
                failed.append(e)
                ready.set()

        self._thread = threading.Thread(target=run, name="plc-server", daemon=True)
        self._thread.start()
        if not ready.wait(timeout_s):
            raise RuntimeError(f"the PLC server did not start within {timeout_s} s")
        if failed:
            raise RuntimeError(f"the PLC server did not start: {failed[0]!r}") from failed[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)
