"""The gate benchmark: randomized and adversarial action proposals against the demo plant.

Proposals mix valid setpoint and maintenance changes with out-of-range values, steps too
large, NaN and infinity, wrong units, wrong types, unknown setpoints, machines and
maintenance actions, smuggled extra parameters, malformed records, forged origins and
floods. Autonomy levels change along the run (with a kill switch episode); people approve,
reject or ignore queued requests. An independent oracle (written apart from the interlock)
checks every action the executor receives; afterwards every refusal is looked up in the
audit trail. Figures: executed actions outside the envelope (target 0), refusals audited with
a reason (target all), counts per category and per check.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from jayul.gate import AutonomyLevel, Gate, GateContext, Origins
from jayul.gate.approvals import APPROVER_ROLES
from jayul.plant.load import load_demo_plant
from jayul.plant.model import Plant
from jayul.records.events import Action, ActionKind, RiskClass, new_id
from jayul.records.timebase import NS_PER_S

T0 = 1_767_225_600 * NS_PER_S
ORIGINS = ("policy:cbm", "policy:planner", "model:rul")
CATEGORIES = {  # name -> weight
    "valid_setpoint": 14,
    "valid_maintenance": 10,
    "valid_other": 4,
    "out_of_range": 8,
    "big_step": 6,
    "nan_inf": 6,
    "wrong_unit": 6,
    "wrong_type": 6,
    "unknown_setpoint": 4,
    "unknown_machine": 4,
    "bad_maintenance": 4,
    "extra_params": 4,
    "nested_nan": 3,
    "malformed": 4,
    "forged_origin": 7,
    "flood": 1,
}


class EnvelopeOracle:
    """The executor: records each action and judges it against the plant file on its own."""

    def __init__(self, plant: Plant) -> None:
        self.plant = plant
        self.values: dict[tuple[str, str], float] = {}
        self.executed = 0
        self.outside: list[str] = []

    def __call__(self, action: Action) -> None:
        self.executed += 1
        problem = self._judge(action)
        if problem:
            self.outside.append(f"{action.id}: {problem}")

    def _judge(self, a: Action) -> str | None:
        specs = {m.id: m for m in self.plant.machines}
        if a.machine not in specs:
            return "unknown machine"
        mtype = self.plant.machine_types[specs[a.machine].type]
        if a.kind is ActionKind.CHANGE_SETPOINT:
            sps = {s.id: s for s in mtype.setpoints}
            sp = sps.get(a.params.get("setpoint"))  # type: ignore[arg-type]
            v = a.params.get("value")
            if sp is None or isinstance(v, bool) or not isinstance(v, int | float):
                return "bad setpoint or value"
            try:
                value = float(v)
            except OverflowError:
                return "value too large"
            if not math.isfinite(value):
                return "value not finite"
            key = (a.machine, sp.id)
            before = self.values.get(key, sp.default)
            step = sp.envelope.max_step or math.inf
            inside = sp.envelope.low <= value <= sp.envelope.high
            if a.params.get("unit") != sp.unit or not inside or abs(value - before) > step:
                return f"{sp.id}={v!r} {a.params.get('unit')!r} from {before}"
            self.values[key] = value
        if a.kind is ActionKind.START_MAINTENANCE and a.params.get("action") not in {
            m.id for m in mtype.maintenance
        }:
            return "unknown maintenance action"
        return None


_RIGHT: Any = object()  # "use the correct value" (None is one of the wrong ones)


class ProposalMaker:
    """Random proposals of each category, aware of the plant and the current setpoints."""

    def __init__(self, plant: Plant, current: Callable[[str, str], float], rng: random.Random):
        self.plant, self.current, self.rng = plant, current, rng
        self.with_setpoints = [
            m.id for m in plant.machines if plant.machine_types[m.type].setpoints
        ]

    def _base(self, machine: str, kind: ActionKind, params: dict[str, Any]) -> dict[str, Any]:
        risk = self.rng.choice([RiskClass.LOW, RiskClass.LOW, RiskClass.MEDIUM, RiskClass.HIGH])
        return {
            "id": new_id(),
            "time": T0,
            "machine": machine,
            "kind": kind.value,
            "params": params,
            "origin": self.rng.choice(ORIGINS),
            "risk": risk.value,
        }

    def _setpoint(self, value: Any = _RIGHT, unit: Any = _RIGHT, **extra: Any) -> dict[str, Any]:
        m = self.rng.choice(self.with_setpoints)
        sp = self.plant.machine_type(m).setpoints[0]
        env, now = sp.envelope, self.current(m, sp.id)
        if value is _RIGHT:
            step = (env.max_step or 1.0) * self.rng.uniform(-1.0, 1.0)
            value = min(max(now + step, env.low), env.high)
        params = {"setpoint": sp.id, "value": value, "unit": sp.unit if unit is _RIGHT else unit}
        return self._base(m, ActionKind.CHANGE_SETPOINT, {**params, **extra})

    def make(self, category: str) -> dict[str, Any]:
        r, plant = self.rng, self.plant
        m = r.choice(plant.machine_ids)
        mtype = plant.machine_type(m)
        if category == "valid_setpoint":
            return self._setpoint()
        if category == "valid_maintenance":
            params = {"action": r.choice(mtype.maintenance).id}
            return self._base(m, ActionKind.START_MAINTENANCE, params)
        if category == "valid_other":
            kind = r.choice(
                [ActionKind.CHANGE_SCHEDULE, ActionKind.RELEASE_ORDER, ActionKind.STOP_MACHINE]
            )
            return self._base(m, kind, {"note": "shift order 12 by 2 h", "hours": 2.0})
        if category == "out_of_range":
            base = self._setpoint()
            sp = plant.machine_type(base["machine"]).setpoints[0].envelope
            width = sp.high - sp.low
            base["params"]["value"] = r.choice(
                [
                    sp.high + r.uniform(1e-9, 2) * width,
                    sp.low - r.uniform(1e-9, 2) * width,
                    math.nextafter(sp.high, math.inf),
                    -1e308,
                    1e308,
                ]
            )
            return base
        if category == "big_step":
            base = self._setpoint()
            env = plant.machine_type(base["machine"]).setpoints[0].envelope
            now = self.current(base["machine"], base["params"]["setpoint"])
            jump = (env.max_step or 0.0) * r.uniform(1.01, 5.0) * r.choice([-1, 1])
            base["params"]["value"] = min(max(now + jump, env.low), env.high)
            if abs(base["params"]["value"] - now) <= (env.max_step or 0):  # clipped: make it far
                base["params"]["value"] = env.high if now - env.low < env.high - now else env.low
            return base
        if category == "nan_inf":
            return self._setpoint(r.choice([math.nan, math.inf, -math.inf, -math.nan]))
        if category == "wrong_unit":
            return self._setpoint(
                unit=r.choice(
                    ["RPM", "rad/s", "degF", "psi", "", None, 0, "bar ", "kN", "%", "rpm\u200b"]
                )
            )
        if category == "wrong_type":
            return self._setpoint(
                r.choice(["1500", True, False, [1500], {"v": 1500}, 10**400, "nan", b"1500".hex()])
            )
        if category == "unknown_setpoint":
            base = self._setpoint()
            own = {sp.id for sp in plant.machine_type(base["machine"]).setpoints}
            names = [
                "speed_rpm",
                "feed_override",
                "pressure_limit",
                "",
                "SPEED_RPM",
                None,
                "speed_rpm ",
                "speed",
            ]
            base["params"]["setpoint"] = r.choice([x for x in names if x not in own])
            return base
        if category == "unknown_machine":
            base = self._setpoint() if r.random() < 0.5 else self.make("valid_maintenance")
            base["machine"] = r.choice(
                ["pump9", "", "PUMP1", "pump1 ", "*", "'; DROP TABLE audit_log; --"]
            )
            return base
        if category == "bad_maintenance":
            other = [
                a.id
                for t in plant.machine_types.values()
                for a in t.maintenance
                if a not in mtype.maintenance
            ]
            name = r.choice([*other, "", None, "overhaul;rm -rf /", 42])
            return self._base(m, ActionKind.START_MAINTENANCE, {"action": name})
        if category == "extra_params":
            return self._setpoint(**{r.choice(["bypass_interlock", "force", "override"]): True})
        if category == "nested_nan":
            kind = r.choice([ActionKind.STOP_MACHINE, ActionKind.CHANGE_SCHEDULE])
            return self._base(m, kind, {"plan": {"shift_h": [1.0, math.nan]}, "eta": math.inf})
        if category == "malformed":
            base = self.make("valid_maintenance")
            broken = r.choice(["kind", "time", "machine", "origin", "risk"])
            base[broken] = r.choice([None, "launch", -1.5, {"x": 1}])
            return base
        if category == "forged_origin":
            base = self.make(r.choice(["valid_setpoint", "valid_maintenance"]))
            base["origin"] = r.choice(["policy:evil", "", "model:rul ", "admin", "POLICY:CBM"])
            return base
        raise ValueError(f"unknown category {category!r}")


def _context(rng: random.Random, forged: bool) -> GateContext:
    verdict = rng.choices([True, None, False], [0.8, 0.1, 0.1])[0]
    agreement = {"detector": True, "rul": rng.random() < 0.85, "twin": True}
    uncertainty = rng.choice([0.1, 0.2, 0.3, 0.8, math.nan]) if rng.random() < 0.5 else None
    proposer = rng.choice(["intruder", "api:guest"]) if forged else "autopilot"
    return GateContext(
        proposer, verdict, "twin cost worse" if verdict is False else "", agreement, uncertainty
    )


def run_gate_bench(
    n: int = 10_000, seed: int = 0, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """Send `n` proposals through a gate on the demo plant; figures as a dict."""
    rng = random.Random(seed)
    plant = load_demo_plant()
    oracle = EnvelopeOracle(plant)
    origins = Origins()
    for name in ORIGINS:
        origins.register(name, proposers=frozenset({"autopilot"}))
    gate = Gate(plant, ":memory:", oracle, origins, default_level=AutonomyLevel.L3)
    maker = ProposalMaker(plant, gate.current_value, rng)
    names, weights = list(CATEGORIES), list(CATEGORIES.values())
    outcomes: list[tuple[str, str, str, str]] = []  # (category, action id, status, check)
    approvals = Counter[str]()
    now, sent = T0, 0
    t_start = time.perf_counter()
    while sent < n:
        now += rng.randint(1, 240) * NS_PER_S
        if sent % 500 == 0:
            _change_levels(gate, rng, now, sent)
        category = rng.choices(names, weights)[0]
        burst = min(rng.randint(10, 40), n - sent) if category == "flood" else 1
        template = maker.make("valid_maintenance") if category == "flood" else None
        for _ in range(burst):
            data = dict(template, id=new_id()) if template else maker.make(category)
            ctx = _context(rng, forged=category == "forged_origin" and rng.random() < 0.5)
            out = gate.propose_raw(data, ctx, now)
            outcomes.append((category, data["id"], out.status.value, out.check))
            sent += 1
        if sent % 50 < burst:
            _people(gate, rng, now, approvals)
        if progress:
            progress(sent)
    _people(gate, rng, now + NS_PER_S, approvals)
    seconds = time.perf_counter() - t_start
    gate.audit.flush()
    return _figures(gate, oracle, outcomes, approvals, seconds, n, seed)


def _change_levels(gate: Gate, rng: random.Random, now: int, sent: int) -> None:
    """Walk through the levels; one kill-switch episode in the middle of the run."""
    if gate.autonomy.killed:
        gate.autonomy.clear_kill("bench-engineer", "engineer", now, "episode over")
    if sent and sent % 5000 == 2500:
        gate.kill("bench-operator", now, "kill-switch episode")
        return
    level = rng.choice(
        [
            AutonomyLevel.L1,
            AutonomyLevel.L2,
            AutonomyLevel.L3,
            AutonomyLevel.L3,
            AutonomyLevel.L4,
            AutonomyLevel.L4,
        ]
    )
    gate.autonomy.set_level(level, "bench", now, "level sweep")
    line = rng.choice(gate.plant.lines)
    gate.autonomy.set_level(rng.choice(list(AutonomyLevel)), "bench", now, "line sweep", line=line)


def _people(gate: Gate, rng: random.Random, now: int, tally: Counter[str]) -> None:
    """People decide about half of the open requests; some time out."""
    gate.tick(now)
    for item in gate.approvals.requests(("pending", "escalated")):
        roll = rng.random()
        if roll < 0.45:
            role = rng.choice(sorted(item.roles))
            out = gate.approve(item.id, "bench-person", role, now)
            tally[f"approved_then_{out.status.value}"] += 1
        elif roll < 0.6:
            gate.reject(item.id, "bench-person", next(iter(APPROVER_ROLES[item.action.kind])), now)
            tally["rejected"] += 1


def _figures(
    gate: Gate,
    oracle: EnvelopeOracle,
    outcomes: list[tuple[str, str, str, str]],
    approvals: Counter[str],
    seconds: float,
    n: int,
    seed: int,
) -> dict[str, Any]:
    refused_ids = {aid for _, aid, status, _ in outcomes if status == "refused"}
    audited: dict[str, str] = {}
    for rec in gate.audit.records(kind="action_refused"):
        action = rec.data().get("action")
        if isinstance(action, dict) and rec.reason.strip():
            audited[str(action.get("id"))] = rec.reason
    per_category: dict[str, Counter[str]] = {}
    for category, _, status, _check in outcomes:
        per_category.setdefault(category, Counter())[status] += 1
    checks = Counter(check for _, _, status, check in outcomes if status == "refused")
    t0 = time.perf_counter()
    report = gate.audit.verify()
    return {
        "proposals": len(outcomes),
        "requested": n,
        "seed": seed,
        "executed_total": oracle.executed,
        "executed_outside_envelope": len(oracle.outside),
        "outside_examples": oracle.outside[:5],
        "refused": len(refused_ids),
        "refusals_audited_with_reason": len(refused_ids & set(audited)),
        "refusals_by_check": dict(checks.most_common()),
        "outcomes_by_category": {k: dict(v) for k, v in sorted(per_category.items())},
        "approvals": dict(approvals),
        "counters": gate.counters(),
        "audit_records": report.records,
        "audit_chain_ok": report.ok,
        "audit_verify_s": time.perf_counter() - t0,
        "seconds": seconds,
        "proposals_per_s": len(outcomes) / seconds if seconds else None,
    }
