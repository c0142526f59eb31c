"""The twin as an OPC UA server (asyncua): any OPC UA client, jayul included, sees a plant.

The address space follows `jayul.connect.opcua_common`. Signals are read-only Doubles updated
from the twin's samples, each write carrying the sample's time as SourceTimestamp (mapped onto
the wall clock: the twin runs `speed` times faster than real time, from the moment the server
starts).

Writes and method calls go through the gate like every other action: a setpoint write is a
`change_setpoint` proposal and StartMaintenance(action) a `start_maintenance` proposal of
origin "opcua", checked by the interlock (envelope and `max_step`), the autonomy level and the
approval queue, and audited. Executed: the twin changes. Refused: BadOutOfRange (interlock) or
BadUserAccessDenied, nothing changes; declined by the machine (e.g. maintenance already
pending): BadInvalidState. Waiting for a person's approval: BadWouldBlock, the
value changes once approved. EndMaintenance() (finishing maintenance in progress) is audited.
Clients that did not log in may read but not write or call methods unless
`allow_anonymous_write` is set; with `security.user` the configured user may (and over
`sign_and_encrypt`, Basic256Sha256, the password travels encrypted).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from asyncua import ua
from asyncua.common.node import Node
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
from jayul.gate import AutonomyLevel, Gate, GateContext, GatePolicy, Origins, OutcomeStatus
from jayul.plant import Plant
from jayul.records import Samples, utc_now_ns
from jayul.records.events import Action, ActionKind
from jayul.records.timebase import NS_PER_S, from_ns
from jayul.twin import Twin

ORIGIN = "opcua"  # the origin of actions written by OPC UA clients

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
        if username == self.user and hmac.compare_digest(password or "", self.password):
            return User(role=UserRole.User, name=username)
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
        gate: Gate | None = None,
        gate_db: str | Path = ":memory:",
        level: AutonomyLevel = AutonomyLevel.L3,
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
        self.writer = f"{ORIGIN}:{sec.user}" if sec.user is not None else f"{ORIGIN}:anonymous"
        self.gate = gate or server_gate(plant, self._apply, gate_db, level)
        if ORIGIN not in self.gate.origins:
            self.gate.origins.register(ORIGIN)
        # With a user configured every session has logged in as that user (others are
        # refused at activation); without one every client is anonymous.
        self.may_write = sec.user is not None or config.allow_anonymous_write
        self._internal = False  # True while the server itself writes a setpoint node
        self._approved: dict[tuple[str, str], float] = {}  # applied after an approval

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

    async def _describe(self, var: Node, unit: str, low: float | None, high: float | None) -> None:
        """The standard properties a client reads a variable's unit and range from
        (`EngineeringUnits`, `EURange`: a setpoint's envelope), so that `jayul connect
        discover` drafts them rather than leaving them to fill in."""
        if unit:
            info = ua.EUInformation()
            info.DisplayName = ua.LocalizedText(unit)
            info.Description = ua.LocalizedText(unit)
            await var.add_property(self.ns, "EngineeringUnits", info)
        if low is not None and high is not None:
            await var.add_property(self.ns, "EURange", ua.Range(float(low), float(high)))

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
                var = await m.add_variable(
                    nid, sig.id, float(sig.nominal or 0.0), ua.VariantType.Double
                )
                await self._describe(var, sig.unit, sig.low, sig.high)
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
                    await self._describe(var, sp.unit, sp.envelope.low, sp.envelope.high)
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

    def _apply(self, action: Action) -> bool:
        """The gate's executor: carry an approved action out on the twin."""
        if self.twin is None:
            return False
        if action.kind is ActionKind.CHANGE_SETPOINT:
            key = (action.machine, str(action.params["setpoint"]))
            self.twin.set_setpoint(*key, float(action.params["value"]))
            self._approved[key] = float(action.params["value"])
            return True
        if action.kind is ActionKind.START_MAINTENANCE:
            return self.twin.request_maintenance(action.machine, str(action.params["action"]))
        return False

    def _now(self) -> int:
        return self.twin.time_ns() if self.twin is not None else utc_now_ns()

    def _refuse_anonymous(self, machine: str, what: str) -> ua.StatusCode | None:
        """BadUserAccessDenied (audited) for an anonymous write while those are off."""
        if self.may_write:
            return None
        self.gate.audit.append(
            self._now(), self.writer, "opcua_write_denied", machine,
            f"{what}: anonymous clients may not write (allow_anonymous_write is off)",
        )  # fmt: skip
        return ua.StatusCode(ua.UInt32(StatusCodes.BadUserAccessDenied))

    def _propose(self, action: Action) -> ua.StatusCode | None:
        """Pass a client's write through the gate: None when executed, else the OPC UA
        status of the refusal."""
        now = self._now()
        out = self.gate.propose(action, GateContext(proposer=self.writer, verdict=None), now)
        if out.status is OutcomeStatus.EXECUTED:
            return None
        if out.status is OutcomeStatus.PENDING:
            code = StatusCodes.BadWouldBlock  # waits for a person; applied once approved
        elif out.status is OutcomeStatus.FAILED:
            code = StatusCodes.BadInvalidState  # allowed, but the machine declined it
        elif out.check in ("interlock", "schema"):
            code = StatusCodes.BadOutOfRange
        else:
            code = StatusCodes.BadUserAccessDenied
        log.info("OPC UA write %s: %s (%s)", out.status.value, out.reason, out.check)
        return ua.StatusCode(ua.UInt32(code))

    def _setpoint_setter(self, machine: str, setpoint: str) -> Any:
        unit = self.plant.setpoint(machine, setpoint).unit

        def setter(node: Any, attr: AttributeIds, value: ua.DataValue) -> None:
            if self._internal:  # the server showing a value the gate already let through
                node.attributes[attr].value = value
                return
            denied = self._refuse_anonymous(machine, f"write {setpoint}")
            if denied is not None:
                raise UaStatusCodeError(denied.value)  # type: ignore[no-untyped-call]
            v = value.Value.Value if value.Value is not None else None
            if not isinstance(v, float) or not np.isfinite(v):
                raise UaStatusCodeError(  # type: ignore[no-untyped-call]
                    StatusCodes.BadOutOfRange
                )
            action = Action(
                time=utc_now_ns(),
                machine=machine,
                kind=ActionKind.CHANGE_SETPOINT,
                params={"setpoint": setpoint, "value": v, "unit": unit},
                origin=ORIGIN,
            )
            status = self._propose(action)
            if status is not None:
                raise UaStatusCodeError(status.value)  # type: ignore[no-untyped-call]
            self._approved.pop((machine, setpoint), None)
            node.attributes[attr].value = value

        return setter

    def _start_maintenance(self, machine: str) -> Any:
        def call(parent: ua.NodeId, action: ua.Variant) -> list[ua.Variant] | ua.StatusCode:
            denied = self._refuse_anonymous(machine, "StartMaintenance")
            if denied is not None:
                return denied
            name = str(action.Value)
            mtype = self.plant.machine_type(machine)
            if name not in {m.id for m in mtype.maintenance}:
                return ua.StatusCode(ua.UInt32(StatusCodes.BadInvalidArgument))
            proposal = Action(
                time=utc_now_ns(),
                machine=machine,
                kind=ActionKind.START_MAINTENANCE,
                params={"action": name},
                origin=ORIGIN,
            )
            refused = self._propose(proposal)
            return refused or [ua.Variant(True, ua.VariantType.Boolean)]

        return call

    def _end_maintenance(self, machine: str) -> Any:
        def call(parent: ua.NodeId) -> list[ua.Variant] | ua.StatusCode:
            denied = self._refuse_anonymous(machine, "EndMaintenance")
            if denied is not None:
                return denied
            ok = self.twin is not None and self.twin.end_maintenance_now(machine)
            now = self.twin.time_ns() if self.twin is not None else utc_now_ns()
            self.gate.audit.append(
                now, self.writer, "maintenance_ended", machine, "EndMaintenance over OPC UA",
                {"done": ok}, durable=True,
            )  # fmt: skip
            return [ua.Variant(ok, ua.VariantType.Boolean)]

        return call

    async def _show_approved(self) -> None:
        """Setpoints approved by a person since the last tick: show them on their nodes."""
        while self._approved:
            (machine, setpoint), value = self._approved.popitem()
            self._internal = True
            try:
                await self.server.write_attribute_value(
                    self.node_id(setpoint_id(machine, setpoint)),
                    ua.DataValue(ua.Variant(value, ua.VariantType.Double)),
                )
            finally:
                self._internal = False

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
            self.gate.tick(twin.time_ns())  # requests approved elsewhere run now
            await self._show_approved()
            for mid, m in twin.machines.items():
                await self.server.write_attribute_value(
                    self.node_id(f"{mid}.status"), ua.DataValue(ua.Variant(m.status.value))
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), tick_s)


def server_gate(
    plant: Plant,
    executor: Any,
    db: str | Path = ":memory:",
    level: AutonomyLevel = AutonomyLevel.L3,
) -> Gate:
    """The gate in front of the served twin, its approvals and audit trail in `db` (":memory:"
    for tests and benchmarks). People's writes carry no twin verdict, so the gate does not
    ask for one; the interlock, `max_step`, the rate limit, the level (a stored one wins over
    `level`) and the kill switch apply."""
    gate = Gate(plant, db, executor, Origins(), policy=GatePolicy(require_verdict=False))
    gate.autonomy.start_level(level, "jayul twin serve", utc_now_ns(), "server start")
    return gate


def serving_twin(plant: Plant, seed: int = 0, signal_tick_s: float = 60.0) -> Twin:
    """A twin for serving: it starts at the current second and ticks every `signal_tick_s`
    simulated seconds, so values change as it runs rather than once an hour."""
    now = datetime.fromtimestamp(utc_now_ns() // NS_PER_S, tz=UTC)
    return Twin(plant.model_copy(update={"start": now}), seed, tick_h=signal_tick_s / 3600.0)
