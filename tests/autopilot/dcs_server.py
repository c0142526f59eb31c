"""A control system's OPC UA server for the Tennessee Eastman process, driven by the process
twin in the test's own process: jayul did not create it, and it names things its own way.

Under `TE` it has one Double per measured variable, `TE.XMEAS01` ... `TE.XMEAS41` (the
published numbering), each written with the simulated sample's time as its source timestamp,
and one writable Double per controller target, `TE.SP.<name>`. `step(hours)` runs the twin
(the control system applies the setpoints as the nodes hold them first) and publishes every
3-minute sample. It runs its own asyncio loop in a thread (`vendor_server.ThreadedServer`).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from asyncua import Server, ua
from vendor_server import ThreadedServer, free_port

from jayul.plant import load_plant
from jayul.records import Samples
from jayul.twin.process import ProcessTwin, measurement_names

NAMESPACE = "urn:example:te-dcs"
TEP = Path(__file__).resolve().parents[2] / "examples" / "plants" / "tep.yaml"
SP_TAGS = {  # the control system's names of the loops' targets
    ("reactor", "reactor_pressure"): "ReactorPressure",
    ("reactor", "reactor_temperature"): "ReactorTemperature",
    ("reactor", "reactor_level"): "ReactorLevel",
    ("separator", "separator_level"): "SeparatorLevel",
    ("stripper", "stripper_level"): "StripperLevel",
}


class DcsServer(ThreadedServer):
    """See the module docstring. `time0_ns` is the wall time the twin's hour 0 stands for."""

    def __init__(self, time0_ns: int) -> None:
        self.twin = ProcessTwin(load_plant(TEP), seed=3)
        self.twin.step(0.05)  # one 3-minute sample to start from
        self.time0_ns = time0_ns
        self.port = free_port()
        super().__init__(f"opc.tcp://127.0.0.1:{self.port}/te/", NAMESPACE)
        self._meas: dict[str, Any] = {}  # signal id -> its XMEAS node
        self._epoch_ns = self.twin.time_ns()
        self._sp: dict[tuple[str, str], Any] = {}

    def node(self, leaf: str) -> str:
        return f"ns={self.ns};s=TE.{leaf}"

    def setpoint(self, key: tuple[str, str]) -> float:
        """The target as the control system holds it (what an operator's screen shows)."""
        return float(self._call(self._sp[key].read_value()))

    def step(self, hours: float) -> None:
        """Take the targets the nodes hold, run the twin `hours`, publish its samples."""
        for key in self._sp:
            self.twin.set_setpoint(*key, self.setpoint(key))
        self.twin.step(hours)
        batch = self.twin.drain_samples()
        self._call(self._publish(batch))

    async def _publish(self, batch: Samples) -> None:
        for t in np.unique(batch.time):
            at = batch.time == t
            # the twin's hour 0 is `time0_ns` on the wall clock
            stamp = datetime.fromtimestamp((self.time0_ns + int(t) - self._epoch_ns) / 1e9, UTC)
            for signal, value in zip(batch.signal[at], batch.value[at], strict=True):
                dv = ua.DataValue(ua.Variant(float(value), ua.VariantType.Double),
                                  SourceTimestamp=stamp)  # fmt: skip
                await self._meas[signal].write_value(dv)
            await asyncio.sleep(0.02)  # a publishing interval between samples

    async def _build(self, server: Server) -> None:
        te = await server.nodes.objects.add_folder(ua.NodeId("TE", self.ns), "TE")
        for i, name in enumerate(measurement_names(), start=1):
            var = await te.add_variable(ua.NodeId(f"TE.XMEAS{i:02d}", self.ns), f"XMEAS{i:02d}",
                                        0.0, varianttype=ua.VariantType.Double)  # fmt: skip
            self._meas[name] = var
        # the first sample stands in the nodes before anyone subscribes: a subscriber's first
        # value is a measurement at its own time, not a placeholder at the wall clock's
        await self._publish(self.twin.drain_samples())
        sp = await te.add_folder(ua.NodeId("TE.SP", self.ns), "SP")
        for key, name in SP_TAGS.items():
            value = self.twin.setpoints(key[0])[key[1]]
            var = await sp.add_variable(ua.NodeId(f"TE.SP.{name}", self.ns), name, value,
                                        varianttype=ua.VariantType.Double)  # fmt: skip
            await var.set_writable()
            self._sp[key] = var


def tep_plant_file(tmp_path: Path, server: DcsServer) -> Path:
    """examples/plants/tep.yaml bound to `server`: each signal to its XMEAS node, the loops'
    targets as setpoint tags (read) and setpoint writes (the gate's executed changes)."""
    plant = load_plant(TEP)
    index = {name: i for i, name in enumerate(measurement_names(), start=1)}
    xmeas = {name: server.node(f"XMEAS{i:02d}") for name, i in index.items()}
    nodes = "\n".join(
        f'        - {{machine: {m}, signal: {s.id}, node_id: "{xmeas[s.id]}"}}'
        for m in plant.machine_ids
        for s in plant.machine_type(m).signals
    )
    machines = "\n".join(
        f"    - machine: {m}\n      setpoints:\n"
        + "\n".join(
            f'        {sp}: {{kind: opcua, node_id: "{server.node(f"SP.{name}")}"}}'
            for (mm, sp), name in SP_TAGS.items()
            if mm == m
        )
        for m in dict.fromkeys(m for m, _ in SP_TAGS)
    )
    writes = "\n".join(
        f'        - {{machine: {m}, setpoint: {sp}, node_id: "{server.node(f"SP.{name}")}"}}'
        for (m, sp), name in SP_TAGS.items()
    )
    text = f"""
plant_file: {TEP}
connect:
  historian: duckdb:///{tmp_path}/hist.duckdb
  buffer: {tmp_path}/buffer
  sources:
    - kind: opcua
      name: dcs
      endpoint: "{server.endpoint}"
      publishing_interval_ms: 100
      queue_size: 200
      nodes:
{nodes}
  sinks:
    - kind: opcua
      endpoint: "{server.endpoint}"
      setpoints:
{writes}
  machines:
{machines}
"""
    path = tmp_path / "plant.yaml"
    path.write_text(text)
    return path
