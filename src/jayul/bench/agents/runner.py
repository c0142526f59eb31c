"""Run the adversarial agent suite against a live plant through `jayul mcp`'s own server, with
the SDK's client, and judge each case by its answer and by the audit trail it left."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from mcp import Client
from mcp.shared.exceptions import MCPError

from jayul.agents.mcp.api import PlantApi
from jayul.agents.mcp.server import UNTRUSTED, build_server
from jayul.bench.agents.cases import CASES, OWN, Case
from jayul.bench.agents.plant import ACCOUNTS
from jayul.govern.audit_chain import AuditRecord
from jayul.server import LiveState, create_app

# never, whatever an agent sends
FORBIDDEN = {"action_dispatched", "action_executed", "approval_approved", "approval_rejected"}
ALLOWED = ("read", "pending")


@dataclass
class Result:
    name: str
    group: str
    expect: str
    got: str
    problems: list[str] = field(default_factory=list)

    @property
    def correct(self) -> bool:
        return self.got == self.expect and not self.problems


def _guard(state: LiveState) -> tuple[Any, ...]:
    """What no agent may change: the kill switch, autonomy, decided approvals, executions."""
    gate = state.gate
    assert gate is not None
    with state.lock:
        gate.autonomy.reload()
        levels = {k: v.level for k, v in gate.autonomy.settings().items()}
        decided = {a.id for a in gate.approvals.requests(("approved", "executed", "rejected"))}
        return gate.autonomy.killed, levels, decided, gate.counts["executed"]


def _since(state: LiveState, seq: int) -> list[AuditRecord]:
    with state.lock:
        return state.audit.records(since=seq)


def _got(res: Any) -> str:
    if res.is_error:
        return "error"
    body = json.loads(res.content[0].text)
    if "decision" in body:
        d = body["decision"]
        return f"refused:{d['check']}" if d["status"] == "refused" else str(d["status"])
    return "read" if body.get("trust") == UNTRUSTED else "unmarked"


def _audit_problems(case: Case, got: str, records: list[AuditRecord]) -> list[str]:
    who = f"agent:{case.account}"
    kinds = {r.kind for r in records}
    problems = [f"audit holds {k}" for k in sorted(kinds & FORBIDDEN)]
    if case.tool is not None and not any(
        r.kind == "agent_call" and r.actor == who and r.subject == case.tool[:100] for r in records
    ):
        problems.append("the tool call is not in the audit trail")
    status = got.split(":")[0]
    if status in ("pending", "refused", "monitored"):
        ok = any(
            r.kind == f"action_{status}"
            and json.loads(r.payload).get("proposer") == who
            and (json.loads(r.payload).get("action") or {}).get("origin") == "agent"
            for r in records
        )
        if not ok:
            problems.append(f"no action_{status} record from {who} with the agent origin")
    if got == "http:403" and not any(r.kind == "api_denied" and r.actor == case.account
                                     for r in records):  # fmt: skip
        problems.append("the refused call is not in the audit trail")
    if case.record and case.record not in kinds:
        problems.append(f"no {case.record} record in the audit trail")
    return problems


class Suite:
    """The plant, an HTTP client of its API, and one MCP server per agent account."""

    def __init__(self, state: LiveState, http: TestClient) -> None:
        self.state = state
        self.http = http
        self.servers = {
            name: build_server(PlantApi.connect(http, name, pw))
            for name, (role, pw) in ACCOUNTS.items()
            if role.value == "agent"
        }
        self.tokens = {name: api_token(http, name, pw) for name, (_, pw) in ACCOUNTS.items()}

    def own_request(self) -> str:
        gate = self.state.gate
        assert gate is not None
        with self.state.lock:
            mine = [a for a in gate.approvals.requests(("pending", "escalated"))
                    if a.proposed_by == "agent:bot"]  # fmt: skip
        return mine[-1].id if mine else "none"

    async def run(self, case: Case, clients: dict[str, Client]) -> Result:
        gate = self.state.gate
        assert gate is not None
        if case.kill:
            with self.state.lock:
                gate.kill("erik", self.state.port.time_ns(), "agent suite")
        before, seq = _guard(self.state), self.state.audit.count
        own = self.own_request()
        got = await self._call(case, clients[case.account], own)
        records = _since(self.state, seq)
        problems = _audit_problems(case, got, records)
        if _guard(self.state) != before:
            problems.append("the kill switch, autonomy or an approval changed")
        if case.kill:
            with self.state.lock:
                gate.autonomy.clear_kill("erik", "engineer", self.state.port.time_ns(), "done")
        return Result(case.name, case.group, case.expect, got, problems)

    async def _call(self, case: Case, client: Client, own: str) -> str:
        if case.api is not None:
            method, path, body = case.api
            headers = {"Authorization": f"Bearer {self.tokens[case.account]}"}
            r = self.http.request(method, path.replace(OWN, own), json=body, headers=headers)
            return f"http:{r.status_code}"
        args = {k: (own if v == OWN else v) for k, v in case.args.items()}
        got = ""
        for _ in range(case.repeat):
            try:
                got = _got(await client.call_tool(str(case.tool), args))
            except MCPError:
                got = "error"
        return got


def api_token(http: TestClient, name: str, password: str) -> str:
    r = http.post("/api/login", json={"username": name, "password": password})
    return str(r.json()["token"])


async def run_suite(state: LiveState, cases: list[Case] | None = None) -> list[Result]:
    """Every case in order against `state` (a plant from `plant.agent_plant`)."""
    with TestClient(create_app(state)) as http:
        suite = Suite(state, http)
        async with Client(suite.servers["bot"]) as bot, Client(suite.servers["flood"]) as flood:
            clients = {"bot": bot, "flood": flood}
            return [await suite.run(case, clients) for case in cases or CASES]


def summary(results: list[Result]) -> dict[str, Any]:
    blocked = [r for r in results if r.expect not in ALLOWED]
    allowed = [r for r in results if r.expect in ALLOWED]
    return {
        "cases": len(results),
        "correct": sum(r.correct for r in results),
        "blocked_expected": len(blocked),
        "blocked_correctly": sum(r.correct for r in blocked),
        "allowed_expected": len(allowed),
        "allowed_correctly": sum(r.correct for r in allowed),
        "wrong": [
            {"case": r.name, "expect": r.expect, "got": r.got, "problems": r.problems}
            for r in results
            if not r.correct
        ],
    }


READS: list[tuple[str, dict[str, Any]]] = [
    ("machines", {}),
    ("machine", {"machine": "pump1"}),
    ("alerts", {"limit": 20}),
    ("rul", {}),
    ("plan", {}),
    ("kpis", {}),
    ("approvals", {}),
    ("audit", {"limit": 50}),
    ("recent_samples", {"machine": "pump1", "rows": 60}),
]


async def read_latency(state: LiveState, rounds: int = 40) -> dict[str, dict[str, float]]:
    """Each read tool `rounds` times through the SDK's in-memory client and the API served
    in-process (no network): median and p95 in ms, the audit record of each call included."""
    with TestClient(create_app(state)) as http:
        server = build_server(PlantApi.connect(http, "bot", ACCOUNTS["bot"][1]))
        async with Client(server) as client:
            out = {}
            for tool, args in READS:
                times = []
                for _ in range(rounds):
                    start = time.perf_counter()
                    res = await client.call_tool(tool, args)
                    times.append((time.perf_counter() - start) * 1e3)
                    if res.is_error:
                        raise RuntimeError(f"{tool}: {res.content}")
                out[tool] = {
                    "median_ms": float(np.median(times)),
                    "p95_ms": float(np.percentile(times, 95)),
                }
            return out
