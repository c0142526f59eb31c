"""A plant file draft from what discovery found: machines, signals, and their bindings.

The draft is a valid plant file (it loads with `load_bindings`) that the user edits: names,
valid ranges where the source had none (marked `# TODO`), failure modes and maintenance
actions (none are guessed). It holds only what the plant showed: machines, their signals (unit,
range, sampling period) and the bindings; no simulation parameters (nominal levels, noise,
orders, crews, costs), which monitoring does not need (docs/twin.md). Each machine gets a
machine type of its own. A tag whose name says it is the machine's state or its run-hour
counter is drafted as a `connect.machines` binding instead of a signal, its code map to fill in;
a writable variable is drafted as a setpoint (read back through `connect.machines`), not as a
signal that a server sends only when it is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

MAX_SIGNALS = 16  # per machine type (the plant model's limit)


@dataclass
class DraftSignal:
    id: str
    unit: str | None = None
    low: float | None = None
    high: float | None = None
    period_s: float = 1.0
    value: float | None = None
    note: str = ""  # where it came from (node id, data type, topic)


@dataclass
class DraftSetpoint:
    """A value the plant takes from a write (a writable OPC UA variable): drafted as a
    setpoint of the machine type, with the range the source gave as its envelope, and bound
    under `connect.machines` to read back what is in force."""

    id: str
    node_id: str
    unit: str | None = None
    low: float | None = None
    high: float | None = None
    value: float | None = None
    note: str = ""

    @property
    def complete(self) -> bool:
        """An envelope from the source with the current value inside: a valid setpoint. Else
        it is drafted commented out: no safety limit is guessed."""
        low, high, value = self.low, self.high, self.value
        if low is None or high is None or value is None:
            return False
        return low < high and low <= value <= high


@dataclass
class DraftTag:
    """A tag that is not a signal: where the machine's state or run-hour counter is read, as a
    `connect.machines` tag (`{kind: opcua, node_id: ...}` or `{kind: mqtt, topic, field}`)."""

    tag: dict[str, str]
    value: str = ""  # as last read, to help fill in the state's code map


@dataclass
class DraftMachine:
    id: str
    line: str
    signals: list[DraftSignal] = field(default_factory=list)
    note: str = ""
    state: DraftTag | None = None
    run_hours: DraftTag | None = None
    setpoints: list[DraftSetpoint] = field(default_factory=list)


# Names PLC programmers give a machine's state and its operating-hour counter
STATE_NAME = re.compile(r"(^|[^a-z])(status|state|mode|zustand|betriebsart)([^a-z]|$)", re.I)
COUNTER_NAME = re.compile(
    r"hours|hrs|runtime|run_time|operating|betriebsstunden|laufzeit|hour_?meter", re.I
)


def tag_role(name: str) -> str | None:
    """`state` or `run_hours` when a tag's name says so, else None (a signal)."""
    if STATE_NAME.search(name.replace(".", "_")):
        return "state"
    if COUNTER_NAME.search(name):
        return "run_hours"
    return None


def _q(text: str) -> str:
    return json.dumps(text)  # a YAML-safe double-quoted string


def _num(x: float) -> str:
    return f"{x:.6g}"


def _signal_line(s: DraftSignal) -> str:
    fields = [f"id: {_q(s.id)}"]
    if s.unit:
        fields.append(f"unit: {_q(s.unit)}")
    ranged = s.low is not None and s.high is not None and s.low < s.high
    if ranged:
        fields.append(f"low: {_num(s.low)}, high: {_num(s.high)}")  # type: ignore[arg-type]
    fields.append(f"period_s: {_num(s.period_s)}")
    if not ranged:
        comment = "  # TODO: the sensor's valid range, low and high (the source gave none)"
    else:
        comment = f"  # {s.note}" if s.note else ""
    return f"        - {{{', '.join(fields)}}}{comment}"


def _setpoint_lines(sps: list[DraftSetpoint]) -> list[str]:
    if not sps:
        return []
    # a setpoint is written, not measured: no "no data" alert waits for it
    head = "      setpoints:" if any(sp.complete for sp in sps) else "      # setpoints:"
    out = [head]
    for sp in sps:
        where = f"writable node {sp.node_id}" + (f" ({sp.note})" if sp.note else "")
        if sp.complete and sp.value is not None and sp.low is not None and sp.high is not None:
            fields = f"id: {_q(sp.id)}, unit: {_q(sp.unit or '')}, default: {_num(sp.value)}"
            env = f"envelope: {{low: {_num(sp.low)}, high: {_num(sp.high)}}}"
            out.append(f"        - {{{fields}, {env}}}  # {where}; envelope = EURange: narrow it")
        else:
            value = "TODO" if sp.value is None else _num(sp.value)
            out.append(
                f"        # - {{id: {_q(sp.id)}, unit: {_q(sp.unit or '')}, default: {value}, "
                f"envelope: {{low: TODO, high: TODO}}}}  # {where}: the source gave no range; "
                "give the safe envelope, then uncomment it and its binding"
            )
    return out


def _tag_text(tag: dict[str, str]) -> str:
    return "{" + ", ".join(f"{k}: {_q(v)}" for k, v in tag.items()) + "}"


def machines_yaml(machines: list[DraftMachine]) -> list[str]:
    """`connect.machines`: the state and run-hour tags found, to check and complete."""
    found = [m for m in machines if m.state is not None or m.run_hours is not None or m.setpoints]
    if not found:
        return []
    out = ["  machines:  # found by their names: check each, and fill in the state codes"]
    for m in found:
        out.append(f"    - machine: {_q(m.id)}")
        if m.setpoints:
            head = "setpoints:" if any(sp.complete for sp in m.setpoints) else "# setpoints:"
            out.append(f"      {head}  # where the setpoints in force are read back")
            for sp in m.setpoints:
                tag = _tag_text({"kind": "opcua", "node_id": sp.node_id})
                out.append(f"        {'' if sp.complete else '# '}{_q(sp.id)}: {tag}")
        if m.state is not None:
            seen = f", last read {m.state.value!r}" if m.state.value else ""
            out += [
                "      state:",
                f"        tag: {_tag_text(m.state.tag)}",
                '        map: {}  # TODO: the PLC\'s codes, e.g. {"1": running, "2": idle, '
                f'"3": down, "4": maintenance}}{seen}',
            ]
        if m.run_hours is not None:
            out += [
                "      run_hours:",
                f"        tag: {_tag_text(m.run_hours.tag)}",
                "        unit: hours  # TODO: hours, minutes, seconds or cycles",
                "        since: commissioning  # or maintenance: restarts at every service",
            ]
    return out


def draft_yaml(name: str, machines: list[DraftMachine], connect_yaml: list[str]) -> str:
    """The plant file text; `connect_yaml` are the lines of its `connect:` section's body."""
    lines = sorted({m.line for m in machines}) or ["line1"]
    out = [
        f"# Drafted by jayul discovery for plant {name!r}: edit names and ranges, add failure",
        "# modes and maintenance actions if you like; keep the bindings under connect:.",
        "# Only what the plant showed: enough to ingest, monitor and alert (docs/twin.md).",
        "plant:",
        f"  name: {plant_name(name)}",
        f"  lines: [{', '.join(lines)}]",
        "  machine_types:",
    ]
    for m in machines:
        out.append(f"    {_q(m.id)}:" + (f"  # {m.note}" if m.note else ""))
        out.append("      signals:")
        out += [_signal_line(s) for s in m.signals[:MAX_SIGNALS]]
        if len(m.signals) > MAX_SIGNALS:
            rest = ", ".join(s.id for s in m.signals[MAX_SIGNALS:])
            out.append(f"        # left out (at most {MAX_SIGNALS} per machine type): {rest}")
        out += _setpoint_lines(m.setpoints)
    out.append("  machines:")
    out += [f"    - {{id: {_q(m.id)}, type: {_q(m.id)}, line: {m.line}}}" for m in machines]
    out.append("connect:")
    out += connect_yaml
    out += machines_yaml(machines)
    return "\n".join(out) + "\n"


def plant_name(name: str) -> str:
    from jayul.connect.discover_opcua import plant_id

    return plant_id(name)


def merge(machines: list[DraftMachine]) -> list[DraftMachine]:
    """Machines of several sources, one per id: signals united (the first source's first)."""
    out: dict[str, DraftMachine] = {}
    for m in machines:
        if m.id not in out:
            out[m.id] = DraftMachine(
                m.id, m.line, list(m.signals), m.note, m.state, m.run_hours, list(m.setpoints)
            )
            continue
        known = {s.id for s in out[m.id].signals}
        out[m.id].signals += [s for s in m.signals if s.id not in known]
        known_sp = {sp.id for sp in out[m.id].setpoints}
        out[m.id].setpoints += [sp for sp in m.setpoints if sp.id not in known_sp]
        out[m.id].state = out[m.id].state or m.state
        out[m.id].run_hours = out[m.id].run_hours or m.run_hours
    return list(out.values())
