"""Writes through the API and the CLI that try to reach a machine around the gate (see
`jayul.bench.security.harness`): no login, a forged token, a viewer, an engineer with random values;
on the command line declared roles, wrong passwords and a viewer."""

from __future__ import annotations

import random
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from jayul.bench.security.harness import MachineWatch, Progress


def run_api_cli_writes(
    n_api: int, n_cli: int, seed: int = 0, progress: Progress | None = None
) -> dict[str, Any]:
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from jayul.autopilot.setup import assemble
    from jayul.cli.demo_ui import prepare
    from jayul.cli.main import app as cli_app
    from jayul.gate import AutonomyLevel
    from jayul.historian.open import open_historian
    from jayul.plant import demo_plant_path, load_plant
    from jayul.server import create_app
    from jayul.server.users import Role
    from jayul.twin import Twin

    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="jayul-security-"))
    db = work / "plant.duckdb"
    plant = load_plant(demo_plant_path())
    twin = Twin(plant, seed=seed)
    historian = open_historian(str(db))
    assembly = assemble(plant, twin, "condition", historian, str(db), AutonomyLevel.L3)
    gate = assembly.gate
    assert gate is not None
    gate.rate.max_actions = 10**9
    state = prepare(plant, assembly.pilot, historian, 3600.0, db, gate=gate, warmup_h=1.0)
    state.gate.policy = type(gate.policy)(require_verdict=False)  # type: ignore[union-attr]
    for name, role in (("erik", Role.ENGINEER), ("vera", Role.VIEWER)):
        state.users.add(name, role, f"{name}-pass-1", by="bench")
    watch = MachineWatch(twin, gate)
    outcomes: Counter[str] = Counter()
    with TestClient(create_app(state)) as client:
        tokens = {
            who: client.post(
                "/api/login", json={"username": who, "password": f"{who}-pass-1"}
            ).json()["token"]
            for who in ("erik", "vera")
        }
        for i in range(n_api):
            who = rng.choice(["none", "forged", "vera", "erik", "erik"])
            headers = {}
            if who == "forged":
                headers = {"Authorization": "Bearer " + "A" * 43}
            elif who != "none":
                headers = {"Authorization": f"Bearer {tokens[who]}"}
            cur = gate.current_value("pump1", "speed_rpm")
            value = rng.choice([cur + rng.uniform(-150, 150), 5000.0, -3.0, 1800.0, 900.0])
            body = {
                "machine": "pump1",
                "kind": "change_setpoint",
                "params": {"setpoint": "speed_rpm", "value": value, "unit": "rpm"},
            }
            r = client.post("/api/actions", json=body, headers=headers)
            status = (
                r.json().get("status", r.status_code) if r.status_code == 200 else r.status_code
            )
            outcomes[f"api {who}: {status}"] += 1
            if progress and i % 100 == 99:
                progress("api", 100)
    state.stop()
    historian.close()
    gate.audit.close()
    gate.con.close()
    runner = CliRunner()
    base = ["--reason", "bench", "--db", str(db)]
    for i in range(n_cli):
        kind = rng.choice(["declared", "wrong_password", "viewer"])
        if kind == "declared":
            args = ["autonomy", "set", "L4", "--by", "mallory", "--role", "engineer", *base]
            env = {}
        elif kind == "wrong_password":
            args = ["autonomy", "set", "L4", "--user", "erik", *base]
            env = {"JAYUL_PASSWORD": f"guess-{i}"}
        else:
            args = ["autonomy", "set", "L4", "--user", "vera", *base]
            env = {"JAYUL_PASSWORD": "vera-pass-1"}
        done = runner.invoke(cli_app, args, env=env)
        outcomes[f"cli {kind}: exit {done.exit_code}"] += 1
        if progress and i % 10 == 9:
            progress("cli", 10)
    from jayul.govern.db import connect

    con = connect(db)
    levels = con.execute("SELECT level FROM autonomy WHERE scope = 'plant'").fetchall()
    con.close()
    return {
        "api_attempts": n_api,
        "cli_attempts": n_cli,
        "reached_machine_through_gate": watch.gated,
        "reached_machine_without_gate": watch.bypassed,
        "cli_changed_autonomy": int(levels[0][0]) != int(AutonomyLevel.L3),
        "outcomes": dict(sorted(outcomes.items())),
    }
