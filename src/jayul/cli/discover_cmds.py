"""`jayul connect discover`: draft a plant file from an OPC UA server or an MQTT feed."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

import typer
from rich.console import Console

from jayul.cli.errors import fail
from jayul.connect.bindings import BindingsError, Security, parse_bindings

connect_app = typer.Typer(help="Connect a real plant: discover its sources.", no_args_is_help=True)
console = Console(soft_wrap=True)


@connect_app.command("discover")
def discover(
    url: str = typer.Argument(..., help="opc.tcp://HOST:PORT or mqtt://HOST:PORT"),
    out: Path = typer.Option(Path("plant.yaml"), help="Where to write the plant file draft."),
    name: str = typer.Option("plant", help="The plant's name in the draft."),
    topic: str = typer.Option("#", help="MQTT: the topic filter to listen to."),
    seconds: float = typer.Option(30.0, min=0.5, help="MQTT: how long to listen."),
    security: str = typer.Option("none", help="OPC UA: none or sign_and_encrypt."),
    certificate: Path | None = typer.Option(None, help="OPC UA: own certificate."),
    private_key: Path | None = typer.Option(None, help="OPC UA: own private key."),
    force: bool = typer.Option(False, help="Overwrite --out if it exists."),
) -> None:
    """Browse an OPC UA server or listen to MQTT, then write a plant file draft (bindings kept)."""
    if out.exists() and not force:
        fail(f"{out} exists; choose another --out (or --force to write over it)")
    parts = urlsplit(url)
    if parts.scheme == "opc.tcp":
        from jayul.connect.discover_opcua import browse, opcua_draft

        try:
            sec = Security(
                mode=security,
                certificate=str(certificate) if certificate else None,
                private_key=str(private_key) if private_key else None,
            )
        except ValueError as exc:
            fail(f"--security: {exc}")
        try:
            with console.status(f"browsing {url}"):
                machines = asyncio.run(browse(url, sec))
        except (OSError, TimeoutError) as exc:
            fail(f"{url}: cannot open a session: {exc or type(exc).__name__}")
        if not machines:
            fail(f"{url}: no object holds numeric variables; nothing to draft")
        text = opcua_draft(name, url, machines)
        found = f"{len(machines)} machines, {sum(len(m.signals) for m in machines)} signals"
    elif parts.scheme == "mqtt":
        from jayul.connect.discover_mqtt import listen, mqtt_draft, propose

        host, port = parts.hostname or "127.0.0.1", parts.port or 1883
        try:
            with console.status(f"listening to {topic} on {host}:{port} for {seconds:g} s"):
                seen = listen(host, port, topic, seconds)
        except (OSError, ConnectionError) as exc:
            fail(f"{url}: cannot listen: {exc}")
        root = topic.split("#")[0].split("+")[0].rstrip("/")
        if not root:
            fail("--topic: start with a fixed level (e.g. 'factory/#'): it becomes topic_root")
        machines_m, mappings, skipped = propose(seen, root)
        if not mappings:
            fail(f"no message in a known style on {topic} in {seconds:g} s ({len(seen)} topics)")
        text = mqtt_draft(name, host, port, root, seen)
        found = f"{len(seen)} topics, {len(mappings)} mappings, {len(machines_m)} machines"
        if skipped:
            found += f", {len(skipped)} topics in no known style"
    else:
        fail(f"{url}: use opc.tcp://HOST:PORT or mqtt://HOST:PORT")
    try:
        parse_bindings(text, out)  # the draft must load as it is
    except BindingsError as exc:  # pragma: no cover - a bug in the drafting, said plainly
        fail(f"the draft does not load: {exc}")
    out.write_text(text)
    console.print(f"{found}; wrote {out} (edit names and ranges; keep the bindings)")
