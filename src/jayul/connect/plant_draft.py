"""A plant file draft from what discovery found: machines, signals, and their bindings.

The draft is a valid plant file (it loads with `load_bindings`) that the user edits: names,
valid ranges where the source had none (marked `# TODO`), failure modes and maintenance
actions (none are guessed). Each machine gets a machine type of its own; orders are a single
placeholder product, since the twin needs one and a real plant's orders come from elsewhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

MAX_SIGNALS = 16  # per machine type (the plant model's limit)
WIDE_RANGE = 1e6


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
class DraftMachine:
    id: str
    line: str
    signals: list[DraftSignal] = field(default_factory=list)
    note: str = ""


def _q(text: str) -> str:
    return json.dumps(text)  # a YAML-safe double-quoted string


def _num(x: float) -> str:
    return f"{x:.6g}"


def _signal_line(s: DraftSignal) -> str:
    todo = ""
    if s.low is None or s.high is None or not s.low < s.high:
        low, high = -WIDE_RANGE, WIDE_RANGE
        todo = "  # TODO: the sensor's valid range (the source gave none)"
    else:
        low, high = s.low, s.high
    nominal = s.value if s.value is not None else (low + high) / 2 if not todo else 0.0
    noise = max(abs(high - low) * 0.005, 1e-3) if not todo else max(abs(nominal) * 0.01, 1e-3)
    unit = _q(s.unit or "")
    fields = (
        f"{{id: {_q(s.id)}, unit: {unit}, nominal: {_num(nominal)}, noise: {_num(noise)}, "
        f"low: {_num(low)}, high: {_num(high)}, period_s: {_num(s.period_s)}}}"
    )
    comment = f"  # {s.note}" if s.note and not todo else todo
    return f"        - {fields}{comment}"


def draft_yaml(name: str, machines: list[DraftMachine], connect_yaml: list[str]) -> str:
    """The plant file text; `connect_yaml` are the lines of its `connect:` section's body."""
    lines = sorted({m.line for m in machines}) or ["line1"]
    out = [
        f"# Drafted by jayul discovery for plant {name!r}: edit names, ranges and add failure",
        "# modes and maintenance actions; keep the bindings under connect:.",
        "plant:",
        f"  name: {plant_name(name)}",
        f"  lines: [{', '.join(lines)}]",
        "  crews: {maintenance: 1}",
        "  orders:  # a placeholder: jayul's twin needs one product; real orders come elsewhere",
        "    arrivals_per_h: 1.0",
        "    due_after_h: [8, 24]",
        "    tardiness_cost_per_h: 0",
        "    products: [{id: product, routing: [run], work: 1.0, share: 1.0}]",
        "  machine_types:",
    ]
    for m in machines:
        out.append(f"    {_q(m.id)}:" + (f"  # {m.note}" if m.note else ""))
        out += ["      downtime_cost_per_h: 0", "      operations: {run: 1.0}", "      signals:"]
        out += [_signal_line(s) for s in m.signals[:MAX_SIGNALS]]
        if len(m.signals) > MAX_SIGNALS:
            rest = ", ".join(s.id for s in m.signals[MAX_SIGNALS:])
            out.append(f"        # left out (at most {MAX_SIGNALS} per machine type): {rest}")
        out += ["      failure_modes: []", "      maintenance: []"]
    out.append("  machines:")
    out += [f"    - {{id: {_q(m.id)}, type: {_q(m.id)}, line: {m.line}}}" for m in machines]
    out.append("connect:")
    out += connect_yaml
    return "\n".join(out) + "\n"


def plant_name(name: str) -> str:
    from jayul.connect.discover_opcua import plant_id

    return plant_id(name)


def merge(machines: list[DraftMachine]) -> list[DraftMachine]:
    """Machines of several sources, one per id: signals united (the first source's first)."""
    out: dict[str, DraftMachine] = {}
    for m in machines:
        if m.id not in out:
            out[m.id] = DraftMachine(m.id, m.line, list(m.signals), m.note)
            continue
        known = {s.id for s in out[m.id].signals}
        out[m.id].signals += [s for s in m.signals if s.id not in known]
    return list(out.values())
