"""Alarm rules beyond the detector, evaluated on the sample batches the loop sees.

A rule (`jayul.plant.model.AlarmRule`) is data: declared in the plant file's `alarms:`, added
through the API, or imported from a YAML/JSON file (`load_rules`, `dump_rules`). `RuleEngine`
keeps per series only what each kind needs (the last few values for a rate, the last time
seen for no-data), so a batch is checked with NumPy per (rule, machine), not per sample.

Return to normal, with hysteresis: once a rule is in alarm on a machine, the engine remembers
it, and reports a hit with `normal=True` when the value (or rate) has come back inside its
bound by the rule's `deadband` and stayed there, never past the bound again, for
`clear_after_s` of data time; values inside the deadband keep the state they find, so a value
hovering on the bound does not chatter. A no-data alarm is normal again when the signal is
heard again. After a restart, `resume(open alarms)` tells the engine which rules are in alarm.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import yaml
from pydantic import ValidationError

from jayul.alarms.model import Alarm, AlarmState
from jayul.plant.model import AlarmRule, Plant
from jayul.records import Samples
from jayul.records.timebase import NS_PER_H

NS_PER_S = 1_000_000_000


class RuleFileError(ValueError):
    """A rules file that cannot be read, with where and why."""


@dataclass(frozen=True)
class RuleHit:
    """One rule found true on one machine at `time` with `value` (the value, or its rate);
    with `normal`, the rule's condition found normal again after being in alarm."""

    rule: AlarmRule
    machine: str
    time: int
    value: float | None
    message: str
    normal: bool = False


def load_rules(text: str, where: str = "rules file") -> list[AlarmRule]:
    """Rules from YAML or JSON text: a list, or a mapping with an `alarms` list."""
    try:
        data = yaml.safe_load(text) if text.strip() else []
    except yaml.YAMLError as exc:
        raise RuleFileError(f"{where}: not YAML or JSON ({exc})") from None
    if isinstance(data, dict):
        data = data.get("alarms", [])
    if not isinstance(data, list):
        raise RuleFileError(f"{where}: expected a list of rules or {{alarms: [...]}}")
    rules: list[AlarmRule] = []
    for k, item in enumerate(data):
        try:
            rules.append(AlarmRule.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            at = ".".join(str(p) for p in first["loc"]) or "rule"
            raise RuleFileError(f"{where}: rule #{k + 1}, {at}: {first['msg']}") from None
    ids = [r.id for r in rules]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise RuleFileError(f"{where}: rule ids must be unique, repeated: {dupes}")
    return rules


def dump_rules(rules: list[AlarmRule], fmt: str = "yaml") -> str:
    """The rules as a file `load_rules` reads back (YAML, or JSON with fmt="json")."""
    data: dict[str, Any] = {
        "alarms": [r.model_dump(mode="json", exclude_defaults=True) for r in rules]
    }
    for rule, out in zip(rules, data["alarms"], strict=True):
        out["id"], out["kind"], out["signal"] = rule.id, rule.kind, rule.signal
    if fmt == "json":
        return json.dumps(data, indent=2) + "\n"
    return yaml.safe_dump(data, sort_keys=False)


def check_rule(rule: AlarmRule, plant: Plant) -> None:
    """Refuse a rule that names a machine or signal the plant does not have."""
    machines = plant.machine_ids if rule.machine == "*" else [rule.machine]
    if rule.machine != "*" and rule.machine not in plant.machine_ids:
        raise RuleFileError(f"alarm rule {rule.id!r}: no machine {rule.machine!r} in the plant")
    if not any(rule.signal in {s.id for s in plant.machine_type(m).signals} for m in machines):
        where = "in the plant" if rule.machine == "*" else repr(rule.machine)
        raise RuleFileError(
            f"alarm rule {rule.id!r}: no machine {where} has a signal {rule.signal!r}"
        )


class RuleEngine:
    """Evaluates the rules on each batch; `hits(batch, now_ns)` returns what is true now."""

    def __init__(self, plant: Plant, rules: list[AlarmRule] | None = None) -> None:
        self.plant = plant
        self.rules: dict[str, AlarmRule] = {}
        self._recent: dict[tuple[str, str, str], deque[tuple[int, float]]] = {}
        self._last_seen: dict[tuple[str, str], int] = {}
        self._silent: set[tuple[str, str]] = set()  # no-data already raised for this gap
        self._in_alarm: set[tuple[str, str]] = set()  # (rule, machine) whose alarm is open
        self._normal_since: dict[tuple[str, str], int] = {}  # back inside the deadband since
        for r in rules if rules is not None else plant.alarms:
            self.put(r)

    def put(self, rule: AlarmRule) -> None:
        check_rule(rule, self.plant)
        self.rules[rule.id] = rule

    def resume(self, alarms: Iterable[Alarm]) -> None:
        """Know which rules are in alarm from the board's open alarms (after a restart), so
        that their return to normal is seen."""
        for a in alarms:
            active = a.state is not AlarmState.RTN_UNACKED and a.normal_since is None
            if a.is_open and active and a.source.startswith("rule:"):
                self._in_alarm.add((a.source.removeprefix("rule:"), a.machine))

    def remove(self, rule_id: str) -> bool:
        return self.rules.pop(rule_id, None) is not None

    def _machines(self, rule: AlarmRule) -> list[str]:
        if rule.machine != "*":
            return [rule.machine]
        return [
            m
            for m in self.plant.machine_ids
            if rule.signal in {s.id for s in self.plant.machine_type(m).signals}
        ]

    def hits(self, batch: Samples | None, now_ns: int) -> list[RuleHit]:
        found: list[RuleHit] = []
        series: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        if batch is not None and len(batch):
            machine = np.asarray(batch.machine)
            signal = np.asarray(batch.signal)
            wanted = {(m, r.signal) for r in self.rules.values() for m in self._machines(r)}
            for m, s in wanted:
                mask = (machine == m) & (signal == s)
                if mask.any():
                    t = np.asarray(batch.time, dtype=np.int64)[mask]
                    v = np.asarray(batch.value, dtype=np.float64)[mask]
                    order = np.argsort(t, kind="stable")
                    series[(m, s)] = (t[order], v[order])
                    self._last_seen[(m, s)] = max(self._last_seen.get((m, s), 0), int(t.max()))
                    self._silent.discard((m, s))
        for rule in self.rules.values():
            for m in self._machines(rule):
                found += self._check(rule, m, series.get((m, rule.signal)), now_ns)
        return found

    def _check(
        self, rule: AlarmRule, machine: str, data: tuple[np.ndarray, np.ndarray] | None, now: int
    ) -> list[RuleHit]:
        what = rule.message or f"{rule.signal} on {machine}"
        if rule.kind == "no_data":
            if data is not None and (rule.id, machine) in self._in_alarm:
                self._in_alarm.discard((rule.id, machine))
                t_back = int(data[0][0])
                return [RuleHit(rule, machine, t_back, None, f"{what}: data again", normal=True)]
            last = self._last_seen.get((machine, rule.signal))
            key = (machine, rule.signal)
            if last is None or key in self._silent or now - last < rule.after_s * NS_PER_S:
                return []
            self._silent.add(key)
            self._in_alarm.add((rule.id, machine))
            silent_s = (now - last) / NS_PER_S
            return [RuleHit(rule, machine, now, None, f"{what}: no data for {silent_s:,.0f} s")]
        if data is None:
            return []
        t, v = data
        if rule.kind == "threshold":
            return self._with_rtn(rule, machine, t, v, what, "")
        window = self._recent.setdefault((rule.id, machine, rule.signal), deque())
        window.extend(zip(t.tolist(), v.tolist(), strict=True))
        span_ns = int(rule.window_s * NS_PER_S)
        while window and window[-1][0] - window[0][0] > span_ns:
            window.popleft()
        if len(window) < 2 or window[-1][0] - window[0][0] < span_ns // 2:
            return []  # too short a span to call a rate
        (t0, v0), (t1, v1) = window[0], window[-1]
        rate = (v1 - v0) / ((t1 - t0) / NS_PER_H)
        return self._with_rtn(rule, machine, np.array([t1]), np.array([rate]), what, "/h")

    def _with_rtn(
        self, rule: AlarmRule, machine: str, t: np.ndarray, v: np.ndarray, what: str, unit: str
    ) -> list[RuleHit]:
        """The bound's hit, or the return to normal of a rule in alarm (see the module)."""
        key = (rule.id, machine)
        hit = _bound_hit(rule, machine, t, v, what, unit)
        inside = np.ones(len(v), dtype=bool)
        if rule.above is not None:
            inside &= v <= rule.above - rule.deadband
        if rule.below is not None:
            inside &= v >= rule.below + rule.deadband
        if hit is not None:
            self._in_alarm.add(key)
            self._normal_since.pop(key, None)
            inside &= t > hit.time  # only what came after the last value past the bound
        if key not in self._in_alarm:
            return [hit] if hit is not None else []
        if key not in self._normal_since and inside.any():
            self._normal_since[key] = int(t[np.flatnonzero(inside)[0]])
        since = self._normal_since.get(key)
        if since is None or int(t[-1]) - since < rule.clear_after_s * NS_PER_S:
            return [hit] if hit is not None else []
        self._in_alarm.discard(key)
        del self._normal_since[key]
        label = "rate " if unit else ""
        back = f"{what}: {label}back to {float(v[-1]):.3g}{unit}"
        normal = RuleHit(rule, machine, int(t[-1]), float(v[-1]), back, normal=True)
        return [hit, normal] if hit is not None else [normal]  # past the bound and back


def _bound_hit(
    rule: AlarmRule, machine: str, t: np.ndarray, v: np.ndarray, what: str, unit: str
) -> RuleHit | None:
    bad = np.zeros(len(v), dtype=bool)
    if rule.above is not None:
        bad |= v > rule.above
    if rule.below is not None:
        bad |= v < rule.below
    if not bad.any():
        return None
    k = int(np.flatnonzero(bad)[-1])
    value = float(v[k])
    bound = (
        f"above {rule.above:g}{unit}"
        if rule.above is not None and value > rule.above
        else f"below {rule.below:g}{unit}"
    )
    label = "rate " if unit else ""
    return RuleHit(rule, machine, int(t[k]), value, f"{what}: {label}{value:.3g}{unit} {bound}")
