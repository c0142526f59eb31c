"""Discovering an OPC UA server: browse its object tree and draft a plant file from it.

Under the Objects folder (the server's own namespace 0 nodes are skipped), an object that
directly holds numeric variables is a machine; the variables of objects nested below a machine
become signals of that machine, prefixed with the nested object's name (Press_7/Hydraulics/PT7
-> press_7 signal hydraulics_pt7); the object above a machine names its line. For each signal
the draft records the node id (bound in `connect.sources[0].nodes`), the data type, the
engineering unit (`EngineeringUnits`) and range (`EURange`) where the server has them, and a
sampling period from the variable's `MinimumSamplingInterval` (1 s when the server says 0 or
nothing). The user edits names and ranges and keeps the bindings.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asyncua import ua
from asyncua.client.client import Client
from asyncua.common.node import Node
from asyncua.ua.attribute_ids import AttributeIds
from asyncua.ua.object_ids import ObjectIds
from asyncua.ua.uaerrors import UaError

from jayul.connect.bindings import Security
from jayul.connect.opcua_common import configure_client

if TYPE_CHECKING:
    from jayul.connect.plant_draft import DraftSetpoint

_NUMERIC = {
    ua.VariantType.Boolean,
    ua.VariantType.SByte,
    ua.VariantType.Byte,
    ua.VariantType.Int16,
    ua.VariantType.UInt16,
    ua.VariantType.Int32,
    ua.VariantType.UInt32,
    ua.VariantType.Int64,
    ua.VariantType.UInt64,
    ua.VariantType.Float,
    ua.VariantType.Double,
}
MAX_NODES = 20_000  # a browse stops here: a draft, not an inventory of a whole DCS


def plant_id(name: str) -> str:
    """A plant-file id from a browse name: lower case, [a-z0-9_], not starting with a digit."""
    text = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "x"
    return text if not text[0].isdigit() else f"n{text}"


@dataclass
class FoundSignal:
    id: str
    node_id: str
    data_type: str
    unit: str | None
    low: float | None
    high: float | None
    period_s: float
    value: float | None
    writable: bool = False  # AccessLevel CurrentWrite: a setpoint, not a measurement


@dataclass
class FoundMachine:
    id: str
    line: str
    path: str
    signals: list[FoundSignal] = field(default_factory=list)


async def _signal(node: Node, prefix: str) -> FoundSignal | None:
    try:
        variant = await node.read_data_type_as_variant_type()
    except (UaError, ValueError):
        return None
    if variant not in _NUMERIC:
        return None
    name = (await node.read_browse_name()).Name
    unit = low = high = None
    for prop in await node.get_properties():
        pname = (await prop.read_browse_name()).Name
        try:
            value = await prop.read_value()
        except UaError:
            continue
        if pname == "EngineeringUnits" and isinstance(value, ua.EUInformation):
            unit = value.DisplayName.Text
        elif pname == "EURange" and isinstance(value, ua.Range):
            low, high = float(value.Low), float(value.High)
    try:
        interval = await node.read_attribute(AttributeIds.MinimumSamplingInterval)
        ms = float(interval.Value.Value) if interval.Value is not None else 0.0
    except (UaError, TypeError, ValueError):
        ms = 0.0
    try:
        raw = await node.read_value()
        current = float(raw) if raw is not None else None
    except (UaError, TypeError, ValueError):
        current = None
    try:
        access = await node.read_attribute(AttributeIds.AccessLevel)
        level = int(access.Value.Value or 0) if access.Value is not None else 0
    except (UaError, TypeError, ValueError):
        level = 0
    return FoundSignal(
        id=plant_id(f"{prefix}{name}"),
        node_id=node.nodeid.to_string(),
        data_type=variant.name,
        unit=unit,
        low=low,
        high=high,
        period_s=ms / 1000.0 if ms > 0 else 1.0,
        value=current,
        writable=bool(level & ua.AccessLevel.CurrentWrite.mask),
    )


async def _children(node: Node) -> tuple[list[Node], list[Node]]:
    objects = await node.get_children(
        refs=ObjectIds.HierarchicalReferences, nodeclassmask=ua.NodeClass.Object
    )
    variables = await node.get_children(
        refs=ObjectIds.HierarchicalReferences, nodeclassmask=ua.NodeClass.Variable
    )
    return objects, variables


async def _walk(
    node: Node, line: str, path: str, machines: list[FoundMachine], budget: list[int]
) -> None:
    objects, variables = await _children(node)
    budget[0] -= len(objects) + len(variables)
    name = (await node.read_browse_name()).Name
    signals = [s for v in variables if (s := await _signal(v, "")) is not None]
    if signals:
        machine = FoundMachine(plant_id(name), line, path, signals)
        for child in objects:  # nested objects: signals of this machine, prefixed
            await _fold(child, f"{(await child.read_browse_name()).Name}_", machine, budget)
        machines.append(machine)
        return
    for child in objects:
        if budget[0] <= 0:
            return
        child_name = (await child.read_browse_name()).Name
        await _walk(child, plant_id(name), f"{path}/{child_name}", machines, budget)


async def _fold(node: Node, prefix: str, machine: FoundMachine, budget: list[int]) -> None:
    objects, variables = await _children(node)
    budget[0] -= len(objects) + len(variables)
    for v in variables:
        s = await _signal(v, prefix)
        if s is not None:
            machine.signals.append(s)
    for child in objects:
        if budget[0] <= 0:
            return
        await _fold(child, f"{prefix}{(await child.read_browse_name()).Name}_", machine, budget)


async def browse(
    endpoint: str, security: Security | None = None, base: Path = Path("."), timeout_s: float = 10
) -> list[FoundMachine]:
    """The machines and signals of a server's object tree (see the module doc)."""
    client = Client(endpoint, timeout=timeout_s)
    await configure_client(client, security or Security(), base)
    machines: list[FoundMachine] = []
    async with client:
        objects, _ = await _children(client.nodes.objects)
        budget = [MAX_NODES]
        for child in objects:
            if child.nodeid.NamespaceIndex == 0:  # the server's own Server object etc.
                continue
            name = (await child.read_browse_name()).Name
            await _walk(child, "line1", name, machines, budget)
    return machines


def _setpoint(s: FoundSignal) -> DraftSetpoint:
    """A writable variable as a setpoint of its machine: its current value the default, its
    EURange the safe envelope (none invented: without one it is drafted commented out)."""
    from jayul.connect.plant_draft import DraftSetpoint

    sp_id = re.sub(r"^setpoints?_", "", s.id) or s.id  # the twin's setpoints folder
    return DraftSetpoint(sp_id, s.node_id, s.unit, s.low, s.high, s.value, s.data_type)


def opcua_parts(endpoint: str, machines: list[FoundMachine]) -> tuple[list[Any], list[str]]:
    """Draft machines and the source's lines for the plant file's `connect.sources`. A variable
    named as a state or a run-hour counter (`plant_draft.tag_role`) is bound as that machine's
    `connect.machines` tag, not as a signal: a PLC's status code is no measurement to monitor.
    A writable variable is a setpoint (`_setpoint`), not a signal: a server sends it only when
    someone writes it, so as a signal it would read as "no data" a few periods after start."""
    from jayul.connect.plant_draft import DraftMachine, DraftSignal, DraftTag, tag_role

    drafts, source = [], ["    - kind: opcua", f"      endpoint: {endpoint}", "      nodes:"]
    for m in machines:
        draft = DraftMachine(m.id, m.line, note=f"browse path {m.path}")
        bound: list[FoundSignal] = []
        for s in m.signals:
            role = tag_role(s.id)
            value = "" if s.value is None else f"{s.value:g}"
            tag = DraftTag({"kind": "opcua", "node_id": s.node_id}, value)
            if s.writable:
                draft.setpoints.append(_setpoint(s))
            elif role == "state" and draft.state is None:
                draft.state = tag
            elif role == "run_hours" and draft.run_hours is None:
                draft.run_hours = tag
            else:
                bound.append(s)
                draft.signals.append(
                    DraftSignal(s.id, s.unit, s.low, s.high, s.period_s, s.value, s.data_type)
                )
        if not draft.signals:  # nothing else to monitor: keep them as signals after all
            draft.state = draft.run_hours = None
            bound = [s for s in m.signals if not s.writable]
            draft.signals = [
                DraftSignal(s.id, s.unit, s.low, s.high, s.period_s, s.value, s.data_type)
                for s in bound
            ]
        drafts.append(draft)
        for s in bound[:16]:
            source.append(
                f"        - {{machine: {m.id}, signal: {s.id}, node_id: {json.dumps(s.node_id)}}}"
            )
    return drafts, source


def opcua_draft(name: str, endpoint: str, machines: list[FoundMachine]) -> str:
    """A plant file draft binding every found signal to its node."""
    from jayul.connect.plant_draft import draft_yaml

    drafts, source = opcua_parts(endpoint, machines)
    return draft_yaml(name, drafts, ["  sources:", *source])
