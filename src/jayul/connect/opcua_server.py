"""The twin as an OPC UA server (asyncua): any OPC UA client, jayul included, sees a plant.

The address space follows `jayul.connect.opcua_common`. Signals are read-only Doubles updated
from the twin's samples, each write carrying the sample's time as SourceTimestamp (mapped onto
the wall clock: the twin runs `speed` times faster than real time, from the moment the server
starts). Setpoints are writable only inside their envelope (a write outside gets
BadOutOfRange and changes nothing). StartMaintenance(action) asks the twin for planned
maintenance; EndMaintenance() finishes a machine's maintenance in progress now.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from asyncua import ua
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.server import Server
from asyncua.server.user_managers import UserManager
from asyncua.ua.attribute_ids import AttributeIds
from asyncua.ua.status_codes import StatusCodes
from asyncua.ua.uaerrors import UaStatusCodeError

from jayul.connect.bindings import Security, ServerConfig
from jayul.connect.opcua_common import (
    _path,
    method_id,
    namespace_uri,
    node_id,
    setpoint_id,
    signal_id,
)
from jayul.plant import Plant
from jayul.records import Samples, utc_now_ns
from jayul.records.timebase import NS_PER_S, from_ns
from jayul.twin import Twin

log = logging.getLogger(__name__)


class _PasswordUsers(UserManager):
    """One user name and password (from the environment); everyone else is refused."""

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password

    def get_user(
        self,
        iserver: Any,
        username: str | None = None,
        password: str | None = None,
        certificate: Any = None,
    ) -> User | None:
        if username == self.user and password == self.password:
            return User(role=UserRole.User)
        return None


class TwinServer:
    """An asyncua server over a twin (or over values pushed with `publish`)."""

    def __init__(
        self,
        plant: Plant,
        config: ServerConfig,
        *,
        twin: Twin | None = None,
        base: Path = Path("."),
    ) -> None:
        self.plant = plant
        self.config = config
        self.twin = twin
        self.base = base
        self.nodes: dict[tuple[str, str], ua.NodeId] = {}
        self.ns = 0
        self.published = 0  # signal values written so far
        users = None
        sec: Security = config.security
        if sec.user is not None:
            users = _PasswordUsers(sec.user, sec.password() or "")
        self.server = Server(user_manager=users)
        self.started_wall_ns = utc_now_ns()

    @property
    def endpoint(self) -> str:
        host = "127.0.0.1" if self.config.host == "0.0.0.0" else self.config.host
        return f"opc.tcp://{host}:{self.config.port}"

    async def start(self) -> TwinServer:
        s = self.server
        await s.init()
        s.set_endpoint(f"opc.tcp://{self.config.host}:{self.config.port}")
        s.set_server_name(f"jayul twin {self.plant.name}")
        sec = self.config.security
        if sec.mode == "none":
            s.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        else:
            s.set_security_policy([ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt])
            await s.load_certificate(str(_path(self.base, sec.certificate, "certificate")))
            await s.load_private_key(str(_path(self.base, sec.private_key, "private_key")))
        self.ns = await s.register_namespace(namespace_uri(self.plant.name))
        await self._build()
        await s.start()
        self.started_wall_ns = utc_now_ns()
        return self

    async def stop(self) -> None:
        await self.server.stop()

    def node_id(self, text: str) -> ua.NodeId:
        return node_id(text, self.ns)

    async def _build(self) -> None:
        objects = self.server.nodes.objects
        plant = await objects.add_object(self.node_id(self.plant.name), self.plant.name)
        lines = {}
        for line in self.plant.lines:
            lines[line] = await plant.add_object(self.node_id(f"{self.plant.name}.{line}"), line)
        for spec in self.plant.machines:
            mt = self.plant.machine_type(spec.id)
            m = await lines[spec.line].add_object(self.node_id(spec.id), spec.id)
            for sig in mt.signals:
                nid = self.node_id(signal_id(spec.id, sig.id))
                await m.add_variable(nid, sig.id, float(sig.nominal or 0.0), ua.VariantType.Double)
                self.nodes[(spec.id, sig.id)] = nid
            await m.add_variable(self.node_id(f"{spec.id}.status"), "status", "idle")
            if mt.setpoints:
                folder = await m.add_folder(self.node_id(f"{spec.id}.setpoints"), "setpoints")
                for sp in mt.setpoints:
                    var = await folder.add_variable(
                        self.node_id(setpoint_id(spec.id, sp.id)),
                        sp.id,
                        float(sp.default),
                        ua.VariantType.Double,
                    )
                    await var.set_writable(True)
                    self.server.set_attribute_value_setter(
                        var.nodeid, self._setpoint_setter(spec.id, sp.id)
                    )
            await m.add_method(
                self.node_id(method_id(spec.id, "StartMaintenance")),
                "StartMaintenance",
                self._start_maintenance(spec.id),
                [ua.VariantType.String],
                [ua.VariantType.Boolean],
            )
            await m.add_method(
                self.node_id(method_id(spec.id, "EndMaintenance")),
                "EndMaintenance",
                self._end_maintenance(spec.id),
                [],
                [ua.VariantType.Boolean],
            )

    # -- writes and methods from clients ----------------------------------------------------

    def _setpoint_setter(self, machine: str, setpoint: str) -> Any:
        envelope = self.plant.setpoint(machine, setpoint).envelope

        def setter(node: Any, attr: AttributeIds, value: ua.DataValue) -> None:
            v = value.Value.Value if value.Value is not None else None
            if not isinstance(v, float) or not np.isfinite(v) or not envelope.contains(v):
                raise UaStatusCodeError(  # type: ignore[no-untyped-call]
                    StatusCodes.BadOutOfRange
                )
            if self.twin is not None:
                self.twin.set_setpoint(machine, setpoint, v)
            node.attributes[attr].value = value

        return setter

    def _start_maintenance(self, machine: str) -> Any:
        def call(parent: ua.NodeId, action: ua.Variant) -> list[ua.Variant]:
            ok = False
            if self.twin is not None:
                try:
                    ok = self.twin.request_maintenance(machine, str(action.Value))
                except ValueError:
                    raise UaStatusCodeError(  # type: ignore[no-untyped-call]
                        StatusCodes.BadInvalidArgument
                    ) from None
            return [ua.Variant(ok, ua.VariantType.Boolean)]

        return call

    def _end_maintenance(self, machine: str) -> Any:
        def call(parent: ua.NodeId) -> list[ua.Variant]:
            ok = self.twin is not None and self.twin.end_maintenance_now(machine)
            return [ua.Variant(ok, ua.VariantType.Boolean)]

        return call

    # -- values out -------------------------------------------------------------------------

    async def publish(self, samples: Samples, source_ns: np.ndarray | None = None) -> int:
        """Write samples to their variables in time order; return how many were written."""
        times = samples.time if source_ns is None else source_ns
        order = np.argsort(times, kind="stable")
        server_now = datetime.now(UTC)
        written = 0
        for i in order:
            nid = self.nodes.get((samples.machine[i], samples.signal[i]))
            if nid is None:
                continue
            dv = ua.DataValue(
                ua.Variant(float(samples.value[i]), ua.VariantType.Double),
                SourceTimestamp=from_ns(int(times[i])),  # type: ignore[arg-type]
                ServerTimestamp=server_now,  # type: ignore[arg-type]
            )
            await self.server.write_attribute_value(nid, dv)
            written += 1
        self.published += written
        return written

    def wall_ns(self, twin_ns: np.ndarray) -> np.ndarray:
        """Twin time mapped onto the wall clock (the twin runs `speed` times real time)."""
        assert self.twin is not None
        offset = twin_ns - self.twin.start_ns
        return self.started_wall_ns + (offset / self.config.speed).astype(np.int64)

    async def run_twin(self, stop: asyncio.Event, tick_s: float = 1.0) -> None:
        """Advance the twin in step with the wall clock and publish what it produces."""
        assert self.twin is not None
        twin = self.twin
        started = asyncio.get_running_loop().time()
        while not stop.is_set():
            elapsed = asyncio.get_running_loop().time() - started
            twin.run_until(elapsed * self.config.speed / 3600.0)
            samples = twin.drain_samples()
            if len(samples):
                await self.publish(samples, self.wall_ns(samples.time))
            for mid, m in twin.machines.items():
                await self.server.write_attribute_value(
                    self.node_id(f"{mid}.status"), ua.DataValue(ua.Variant(m.status.value))
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), tick_s)


def serving_twin(plant: Plant, seed: int = 0, signal_tick_s: float = 60.0) -> Twin:
    """A twin for serving: it starts at the current second and ticks every `signal_tick_s`
    simulated seconds, so values change as it runs rather than once an hour."""
    now = datetime.fromtimestamp(utc_now_ns() // NS_PER_S, tz=UTC)
    return Twin(plant.model_copy(update={"start": now}), seed, tick_h=signal_tick_s / 3600.0)
