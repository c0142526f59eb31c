"""`jayul connect discover`: draft a plant file from OPC UA servers and MQTT feeds."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import typer
from rich.console import Console

from jayul.connect.bindings import BindingsError, Security, parse_bindings
from jayul.connect.plant_draft import DraftMachine, draft_yaml, merge, plant_name
from jayul.shell.errors import fail

connect_app = typer.Typer(help="Connect a real plant: discover its sources.", no_args_is_help=True)
console = Console(soft_wrap=True)


def _opcua(url: str, security: Security) -> tuple[list[DraftMachine], list[str], str]:
    from jayul.connect.discover_opcua import browse, opcua_parts

    try:
        with console.status(f"browsing {url}"):
            found = asyncio.run(browse(url, security))
    except (OSError, TimeoutError) as exc:
        fail(f"{url}: cannot open a session: {exc or type(exc).__name__}")
    if not found:
        fail(f"{url}: no object holds numeric variables; nothing to draft")
    machines, source = opcua_parts(url, found)
    setpoints = sum(s.writable for m in found for s in m.signals)
    signals = sum(len(m.signals) for m in found) - setpoints
    said = f"{url}: {len(found)} machines, {signals} signals"
    return machines, source, said + (f", {setpoints} setpoints" if setpoints else "")


def _mqtt(
    url: str, name: str, topic: str, seconds: float
) -> tuple[list[DraftMachine], list[str], str]:
    from jayul.connect.discover_mqtt import listen, mqtt_parts, propose

    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 1883
    root = topic.split("#")[0].split("+")[0].rstrip("/")
    if not root:
        fail("--topic: start with a fixed level (e.g. 'factory/#'): it becomes topic_root")
    try:
        with console.status(f"listening to {topic} on {host}:{port} for {seconds:g} s"):
            periods: dict[str, float] = {}
            seen = listen(host, port, topic, seconds, periods)
    except (OSError, ConnectionError) as exc:
        fail(f"{url}: cannot listen: {exc}")
    found, mappings, skipped = propose(seen, root, periods)
    if not mappings:
        fail(f"no message in a known style on {topic} in {seconds:g} s ({len(seen)} topics)")
    machines, source = mqtt_parts(plant_name(name), host, port, root, seen, periods)
    said = f"{url}: {len(seen)} topics, {len(mappings)} mappings, {len(found)} machines"
    return (
        machines,
        source,
        said + (f", {len(skipped)} topics in no known style" if skipped else ""),
    )


@connect_app.command("discover")
def discover(
    urls: list[str] = typer.Argument(..., help="opc.tcp://HOST:PORT and/or mqtt://HOST:PORT"),
    out: Path = typer.Option(Path("plant.yaml"), help="Where to write the plant file draft."),
    name: str = typer.Option("plant", help="The plant's name in the draft."),
    topic: str = typer.Option("#", help="MQTT: the topic filter to listen to."),
    seconds: float = typer.Option(30.0, min=0.5, help="MQTT: how long to listen."),
    security: str = typer.Option("none", help="OPC UA: none or sign_and_encrypt."),
    certificate: Path | None = typer.Option(None, help="OPC UA: own certificate."),
    private_key: Path | None = typer.Option(None, help="OPC UA: own private key."),
    force: bool = typer.Option(False, help="Overwrite --out if it exists."),
) -> None:
    """Browse OPC UA servers and listen to MQTT, then write one plant file draft binding all."""
    if out.exists() and not force:
        fail(f"{out} exists; choose another --out (or --force to write over it)")
    sec: Any = None
    machines: list[DraftMachine] = []
    sources: list[str] = []
    for url in urls:
        scheme = urlsplit(url).scheme
        if scheme == "opc.tcp":
            if sec is None:
                try:
                    sec = Security(
                        mode=security,
                        certificate=str(certificate) if certificate else None,
                        private_key=str(private_key) if private_key else None,
                    )
                except ValueError as exc:
                    fail(f"--security: {exc}")
            found, source, said = _opcua(url, sec)
        elif scheme == "mqtt":
            found, source, said = _mqtt(url, name, topic, seconds)
        else:
            fail(f"{url}: use opc.tcp://HOST:PORT or mqtt://HOST:PORT")
        console.print(said, highlight=False)
        machines += found
        sources += source
    text = draft_yaml(name, merge(machines), ["  sources:", *sources])
    try:
        parse_bindings(text, out)  # the draft must load as it is
    except BindingsError as exc:  # pragma: no cover - a bug in the drafting, said plainly
        fail(f"the draft does not load: {exc}")
    out.write_text(text)
    console.print(f"wrote {out}: edit names and ranges, keep the bindings", highlight=False)


@connect_app.command("modbus-map")
def modbus_map(
    register_map: Path = typer.Argument(
        ..., help="Register map CSV: machine, signal, address, ..."
    ),
    host: str = typer.Option("127.0.0.1", help="The Modbus TCP device."),
    port: int = typer.Option(502, min=1, max=65535, help="Its port."),
    unit: int = typer.Option(1, min=0, max=247, help="Its unit id."),
    out: Path = typer.Option(Path("plant.yaml"), help="Where to write the plant file draft."),
    name: str = typer.Option("plant", help="The plant's name in the draft."),
    force: bool = typer.Option(False, help="Overwrite --out if it exists."),
) -> None:
    """Turn a Modbus register map (CSV) into a plant file draft with its registers bound."""
    from jayul.connect.modbus_map import RegisterMapError, modbus_draft

    if out.exists() and not force:
        fail(f"{out} exists; choose another --out (or --force to write over it)")
    try:
        text = modbus_draft(name, host, port, unit, register_map)
        parse_bindings(text, out)
    except (RegisterMapError, BindingsError) as exc:
        fail(str(exc))
    out.write_text(text)
    console.print(f"wrote {out} from {register_map}", highlight=False)
