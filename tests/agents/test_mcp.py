"""`jayul mcp` with the SDK's own client over stdio and streamable HTTP: an agent reads the
plant, proposes through the verifier and the gate, and a person approves in the console."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest

pytest.importorskip("mcp")

from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from typer.testing import CliRunner

from jayul.agents.mcp.api import ApiError, PlantApi
from jayul.bench.agents.plant import ACCOUNTS
from jayul.cli.main import app
from jayul.server import LiveState

JAYUL = str(Path(sys.executable).with_name("jayul"))
AGENT_ENV = {**os.environ, "JAYUL_PASSWORD": ACCOUNTS["bot"][1]}


def _body(res: Any) -> dict[str, Any]:
    assert not res.is_error, res.content
    body: dict[str, Any] = json.loads(res.content[0].text)
    return body


async def _agent_session(client: Client) -> dict[str, Any]:
    tools = {t.name for t in (await client.list_tools()).tools}
    assert {"alerts", "propose_maintenance", "propose_setpoint", "audit"} <= tools
    assert not tools & {"approve", "set_autonomy", "kill", "clear_kill", "write_setpoint"}
    alerts = _body(await client.call_tool("alerts", {"limit": 5}))
    assert "untrusted" in alerts["trust"]
    refused = _body(await client.call_tool(
        "propose_maintenance", {"machine": "pump2", "maintenance": "bearing_service"}
    ))["decision"]  # fmt: skip
    setpoint = {"machine": "cnc2", "setpoint": "feed_override", "value": 95, "unit": "pct",
                "idempotency_key": "cnc2-feed-95"}  # fmt: skip
    waiting = _body(await client.call_tool("propose_setpoint", setpoint))
    retried = _body(await client.call_tool("propose_setpoint", setpoint))  # a lost answer
    return {"refused": refused, "waiting": waiting, "retried": retried}


def _login(url: str, name: str) -> dict[str, str]:
    r = httpx2.post(f"{url}/api/login", json={"username": name, "password": ACCOUNTS[name][1]})
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_stdio_agent_proposes_and_a_person_approves(api_url: str, agent_state: LiveState) -> None:
    params = StdioServerParameters(
        command=JAYUL, args=["mcp", "--url", api_url, "--user", "bot"], env=AGENT_ENV
    )

    async def session() -> dict[str, Any]:
        async with Client(params) as client:
            return await _agent_session(client)

    got = anyio.run(session)
    assert got["refused"]["status"] == "refused" and got["refused"]["check"] == "verdict"
    decision = got["waiting"]["decision"]
    assert decision["status"] == "pending" and "agents cannot approve" in got["waiting"]["next"]
    # the retry with the same idempotency key proposed nothing new and says so
    assert decision["replay"] is False
    assert got["retried"]["decision"] == {**decision, "replay": True}
    assert "replay" in got["retried"]["next"]
    # a person (an engineer, as setpoints need) approves it in the console
    r = httpx2.post(
        f"{api_url}/api/approvals/{decision['approval_id']}/approve",
        json={"note": "checked"},
        headers=_login(api_url, "erik"),
    )
    assert r.status_code == 200 and r.json()["status"] == "executed", r.text
    trail = httpx2.get(f"{api_url}/api/audit", params={"limit": 200},
                       headers=_login(api_url, "erik")).json()["records"]  # fmt: skip
    calls = [t for t in trail if t["kind"] == "agent_call" and t["actor"] == "agent:bot"]
    assert {t["subject"] for t in calls} >= {"alerts", "propose_maintenance", "propose_setpoint"}
    assert any(t["kind"] == "approval_approved" and t["actor"] == "erik" for t in trail)


def test_streamable_http_needs_the_agents_token(api_url: str, spare_port: int) -> None:
    port = spare_port
    proc = subprocess.Popen(
        [JAYUL, "mcp", "--url", api_url, "--user", "bot", "--transport", "http",
         "--port", str(port)],
        env=AGENT_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 90  # starting up takes a while on a loaded machine
        while True:  # until it listens: any answer will do
            try:
                httpx2.get(url, timeout=2)
                break
            except httpx2.HTTPError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "the MCP server did not start"
                time.sleep(0.2)
        bot = _login(api_url, "bot")

        async def read_as(headers: dict[str, str]) -> dict[str, Any]:
            async with (
                httpx2.AsyncClient(headers=headers) as http,
                Client(streamable_http_client(url, http_client=http)) as client,
            ):
                return _body(await client.call_tool("machine", {"machine": "pump1"}))

        assert anyio.run(read_as, bot)["data"]["id"] == "pump1"
        # no token, a made-up one, a person's: refused before any tool runs
        for headers in ({}, {"Authorization": "Bearer not-a-session"}, _login(api_url, "erik")):
            r = httpx2.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                            headers=headers)  # fmt: skip
            assert r.status_code == 401, (headers, r.status_code)
            with pytest.raises(Exception):  # noqa: B017 (the SDK's own error for a 401)
                anyio.run(read_as, headers)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_only_agent_accounts_are_served(api_url: str) -> None:
    with httpx2.Client(base_url=api_url) as client, pytest.raises(ApiError, match="role"):
        PlantApi.connect(client, "erik", ACCOUNTS["erik"][1])
    out = CliRunner().invoke(
        app, ["mcp", "--url", api_url, "--user", "olga"],
        env={"JAYUL_PASSWORD": ACCOUNTS["olga"][1]},
    )  # fmt: skip
    assert out.exit_code == 2 and "role 'agent'" in out.output.replace("\n", "")


def test_a_person_cannot_record_agent_calls(api_url: str) -> None:
    r = httpx2.post(
        f"{api_url}/api/agents/calls", json={"tool": "x"}, headers=_login(api_url, "olga")
    )
    assert r.status_code == 403
