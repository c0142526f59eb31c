"""`jayul bench security`: audit records under SIGKILL and forgery, writes around the gate."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import typer

from jayul.bench.gate.command import _progress, _table, console
from jayul.shell import fail
from jayul.shell.report import write_report


def bench_security(
    kills: int = typer.Option(
        20, "--kills", min=0, help="SIGKILLs during gated activity (0: skip that part)"
    ),
    forgeries: int = typer.Option(
        100, "--forgeries", min=0, help="trials per kind of forgery (0: skip that part)"
    ),
    opcua: int = typer.Option(4000, "--opcua", min=0, help="writes tried over OPC UA"),
    mqtt: int = typer.Option(2000, "--mqtt", min=0, help="writes tried on the MQTT command topic"),
    broker: str = typer.Option("127.0.0.1:1883", "--broker", help="MQTT broker HOST:PORT"),
    api: int = typer.Option(3500, "--api", min=0, help="writes tried over the API"),
    cli: int = typer.Option(500, "--cli", min=0, help="writes tried on the command line"),
    anchor_outages: int = typer.Option(
        10, "--anchor-outages", min=0, help="syslog collector outages while anchoring (0: skip)"
    ),
    seed: int = typer.Option(0, "--seed"),
    report: Path | None = typer.Option(None, "--report", help="write the figures as JSON"),
) -> None:
    """0 audit records lost across SIGKILLs, every forgery detected, 0 writes reaching a
    machine without the gate (see docs/benchmarks/security.md)."""
    from jayul.bench.security.anchor import run_anchor_outages
    from jayul.bench.security.api import run_api_cli_writes
    from jayul.bench.security.audit_crash import run_crash_bench
    from jayul.bench.security.harness import run_forgery, run_opcua_writes
    from jayul.bench.security.mqtt import run_mqtt_writes

    host, _, port = broker.rpartition(":")
    if not host or not port.isdigit():
        fail(f"--broker {broker!r}: expected HOST:PORT")
    work = Path(tempfile.mkdtemp(prefix="jayul-security-"))
    figures: dict[str, Any] = {}
    started = time.monotonic()
    try:
        with _progress() as bar:
            if kills:
                task = bar.add_task("SIGKILLs", total=kills)
                figures["crash"] = run_crash_bench(
                    work / "crash", kills, seed, progress=lambda k: bar.update(task, completed=k)
                )
            task = bar.add_task("writes", total=opcua + mqtt + api + cli)
            advance = lambda _what, k: bar.advance(task, k)  # noqa: E731
            figures["opcua"] = run_opcua_writes(opcua, seed, advance) if opcua else {}
            figures["mqtt"] = (
                run_mqtt_writes(mqtt, seed, advance, host=host, port=int(port)) if mqtt else {}
            )
            figures["api_cli"] = run_api_cli_writes(api, cli, seed, advance) if api or cli else {}
        if forgeries:
            figures["forgery"] = run_forgery(work, trials=forgeries, seed=seed)
        if anchor_outages:
            figures["anchor"] = run_anchor_outages(anchor_outages, seed)
    except ConnectionError as exc:
        fail(f"bench security: {exc}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures["wall_s"] = round(time.monotonic() - started, 1)
    paths = ("opcua", "mqtt", "api_cli")
    through = sum(figures[p].get("reached_machine_through_gate", 0) for p in paths)
    bypassed = sum(figures[p].get("reached_machine_without_gate", 0) for p in paths)
    crash, forgery, anchor = figures.get("crash"), figures.get("forgery"), figures.get("anchor")
    summary: dict[str, Any] = {}
    if crash is not None:
        summary |= {
            "sigkills": crash["kills"],
            "actions at the machine without an audit record": crash["actions_without_record"],
            "acknowledged outcomes lost": crash["acknowledged_outcomes_lost"],
            "acknowledged outcomes checked": crash["acknowledged_outcomes_checked"],
            "trail after the kills": crash["verify"],
        }
    if forgery is not None:
        summary |= {
            "forgeries tried": sum(forgery["trials"].values()),
            "forgeries undetected": forgery["undetected"],
        }
    if anchor is not None:
        summary |= {
            "syslog collector outages (writer restarts)": f"{anchor['outages']} "
            f"({anchor['writer_restarts']})",
            "checkpoints stored / anchored over TCP syslog": f"{anchor['checkpoints_stored']} / "
            f"{anchor['checkpoints_anchored']}",
            "checkpoints lost": anchor["checkpoints_lost"],
        }
    summary |= {
        "writes tried (OPC UA, MQTT, API, CLI)": f"{opcua + mqtt + api + cli} ({opcua}, {mqtt}, "
        f"{api}, {cli})",
        "writes reaching a machine through the gate": through,
        "writes reaching a machine without the gate": bypassed,
        "CLI changed autonomy without credentials": figures["api_cli"].get(
            "cli_changed_autonomy", False
        ),
        "wall time": f"{figures['wall_s']} s",
    }
    _table("security benchmark", summary)
    if forgery is not None:
        _table("forgeries detected / tried", {
            k: f"{forgery['detected'].get(k, 0)}/{v}" for k, v in forgery["trials"].items()
        })  # fmt: skip
    write_report(report, figures)
    missed = (
        (
            crash is not None
            and (crash["actions_without_record"] or crash["acknowledged_outcomes_lost"])
        )
        or (forgery is not None and forgery["undetected"])
        or (anchor is not None and anchor["checkpoints_lost"])
        or bypassed
        or figures["api_cli"].get("cli_changed_autonomy", False)
    )
    if missed:
        console.print("[red]TARGET MISSED[/red]")
        raise typer.Exit(1)
