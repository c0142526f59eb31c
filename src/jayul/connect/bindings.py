"""The plant file's `connect:` section: which sources feed which signals, where actions go.

It sits beside `plant:` in the same YAML file (or beside `plant_file:`, a path to a plant file
relative to this one), and is read by `load_bindings(path)`, which also checks every machine
and signal it names against the plant. Errors name the file, the field path and the problem,
like `jayul.plant.load`.

    connect:
      historian: duckdb:///jayul.duckdb       # beside this file; or postgresql://...
      buffer: jayul-buffer                    # durable buffer directory, beside this file
      limits: {max_message_bytes: 1048576, max_future_s: 300, max_age_s: 604800}
      sources:
        - {kind: mqtt, host: 127.0.0.1, port: 1883}
        - kind: mqtt                          # authenticated, over TLS
          host: broker.plant.local
          port: 8883
          username: jayul
          password_env: JAYUL_MQTT_PASSWORD   # or password_file; never the password itself
          tls: {ca: ca.pem, certificate: jayul.pem, private_key: jayul.key}
        - {kind: opcua, endpoint: opc.tcp://127.0.0.1:4840}
        - kind: modbus
          port: 5020
          registers:
            - {machine: pump1, signal: flow, address: 0, type: int16, scale: 0.01}
      sinks:
        - {kind: mqtt, host: 127.0.0.1}
      machines:                               # state, run hours and setpoints per machine
        - machine: press1
          state: {kind: opcua, node_id: "ns=2;s=Press1.Status",
                  map: {"0": idle, "1": running, "2": down, "3": maintenance}}
          run_hours: {kind: mqtt, topic: plant/press1/hours, unit: hours}
          setpoints:
            speed: {kind: modbus, address: 10, type: uint16}
      server: {port: 4840, security: {mode: none}}

A tag names where one value is read: an OPC UA node (`kind: opcua`, on the endpoint of the
source named by `source:`, default the first OPC UA source), an MQTT topic (`kind: mqtt`, a
plain value or a JSON object whose `field` holds it) or a Modbus register (`kind: modbus`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from jayul.connect.mapping_spec import PayloadMapping
from jayul.historian.open import resolve_url
from jayul.plant import Plant, PlantFileError, load_plant, parse_plant
from jayul.plant.load import _field_path, check_sections


class BindingsError(Exception):
    """A connect section that cannot be used; the message says where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limits(_Strict):
    """What counts as malformed input; anything outside goes to the dead-letter table."""

    max_message_bytes: int = Field(default=1_048_576, gt=0, description="larger messages")
    max_future_s: float | None = Field(
        default=300.0, ge=0, description="samples stamped further ahead of the wall clock"
    )
    max_age_s: float | None = Field(
        default=7 * 86_400.0, gt=0, description="samples older than this (None: no limit)"
    )


class Security(_Strict):
    """OPC UA security: none for local trials, or Basic256Sha256 SignAndEncrypt."""

    mode: Literal["none", "sign_and_encrypt"] = "none"
    certificate: str | None = Field(default=None, description="own certificate (DER or PEM)")
    private_key: str | None = Field(default=None, description="own private key (PEM)")
    peer_certificate: str | None = Field(
        default=None, description="client: the server's certificate; server: a trusted client's"
    )
    user: str | None = None
    password_env: str | None = Field(
        default=None, description="environment variable holding the user's password"
    )

    @model_validator(mode="after")
    def _complete(self) -> Security:
        if self.mode == "sign_and_encrypt" and not (self.certificate and self.private_key):
            raise ValueError("sign_and_encrypt needs certificate and private_key")
        if (self.user is None) != (self.password_env is None):
            raise ValueError("user and password_env go together")
        return self

    def password(self) -> str | None:
        if self.password_env is None:
            return None
        value = os.environ.get(self.password_env)
        if value is None:
            raise BindingsError(f"environment variable {self.password_env} (password) is not set")
        return value


def _secret(env: str | None, file: str | None, what: str, base: Path) -> str | None:
    """A secret from an environment variable or a file (never from the plant file)."""
    if env is not None:
        value = os.environ.get(env)
        if value is None:
            raise BindingsError(f"environment variable {env} ({what}) is not set")
        return value
    if file is not None:
        path = Path(file) if Path(file).is_absolute() else base / file
        try:
            return path.read_text().strip()
        except OSError as exc:
            raise BindingsError(f"{path}: cannot read the {what}: {exc.strerror}") from None
    return None


class MqttTls(_Strict):
    """TLS to the broker: the CA that signed its certificate, optionally a client certificate."""

    ca: str | None = Field(default=None, description="CA certificate (PEM); default: system CAs")
    certificate: str | None = Field(default=None, description="client certificate (PEM)")
    private_key: str | None = Field(default=None, description="client private key (PEM)")

    @model_validator(mode="after")
    def _pair(self) -> MqttTls:
        if (self.certificate is None) != (self.private_key is None):
            raise ValueError("certificate and private_key go together")
        return self


class _MqttBroker(_Strict):
    """Where an MQTT client connects and how it authenticates (sources and sinks alike)."""

    host: str = "127.0.0.1"
    port: int = Field(default=1883, gt=0, lt=65536)
    username: str | None = None
    password_env: str | None = Field(
        default=None, description="environment variable holding the password"
    )
    password_file: str | None = Field(default=None, description="file holding the password")
    tls: MqttTls | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_password_here(cls, data: object) -> object:
        if isinstance(data, dict) and "password" in data:
            raise ValueError(
                "passwords never live in the plant file: use password_env (an environment "
                "variable) or password_file"
            )
        return data

    @model_validator(mode="after")
    def _credentials(self) -> _MqttBroker:
        if self.password_env is not None and self.password_file is not None:
            raise ValueError("give password_env or password_file, not both")
        has_password = self.password_env is not None or self.password_file is not None
        if has_password and self.username is None:
            raise ValueError("a password needs a username")
        return self

    def password(self, base: Path) -> str | None:
        return _secret(self.password_env, self.password_file, "MQTT password", base)


class MqttSource(_MqttBroker):
    kind: Literal["mqtt"]
    name: str = "mqtt"
    client_id: str = Field(
        default="jayul-ingest", description="fixed: the broker keeps the session"
    )
    topic_root: str | None = Field(
        default=None, description="default jayul/<plant name> (json), spBv1.0 (sparkplug)"
    )
    format: Literal["json", "sparkplug"] = "json"
    qos: Literal[0, 1] = 1
    mappings: list[PayloadMapping] | None = Field(
        default=None, description="converters for foreign JSON payloads (connect/mapping_spec)"
    )

    @model_validator(mode="after")
    def _mappings_are_json(self) -> MqttSource:
        if self.mappings and self.format == "sparkplug":
            raise ValueError("mappings apply to JSON payloads, not to format: sparkplug")
        return self


class OpcUaNode(_Strict):
    machine: str
    signal: str
    node_id: str = Field(description="e.g. ns=2;s=pump1.flow")


class OpcUaSource(_Strict):
    kind: Literal["opcua"]
    name: str = "opcua"
    endpoint: str = "opc.tcp://127.0.0.1:4840"
    security: Security = Security()
    publishing_interval_ms: float = Field(default=500.0, gt=0)
    queue_size: int = Field(default=10, ge=1, description="values the server keeps per item")
    timeout_s: float = Field(default=30.0, gt=0, description="per request, and the watchdog")
    nodes: list[OpcUaNode] | None = Field(
        default=None,
        description="explicit node ids; default: jayul's own address-space scheme; "
        "[]: no signals from this server (it serves state tags of connect.machines only)",
    )


ByteOrder = Literal["big", "little"]


class Register(_Strict):
    machine: str
    signal: str
    address: int = Field(ge=0, lt=65536)
    type: Literal["int16", "uint16", "int32", "uint32", "float32"] = "int16"
    table: Literal["holding", "input"] = "holding"
    scale: float = 1.0
    offset: float = 0.0
    byte_order: ByteOrder = "big"
    word_order: ByteOrder = "big"

    @property
    def words(self) -> int:
        return 1 if self.type in ("int16", "uint16") else 2


class ModbusSource(_Strict):
    kind: Literal["modbus"]
    name: str = "modbus"
    host: str = "127.0.0.1"
    port: int = Field(default=502, gt=0, lt=65536)
    unit: int = Field(default=1, ge=0, le=247)
    poll_s: float = Field(default=1.0, gt=0)
    registers: list[Register] = Field(min_length=1)


Source = Annotated[MqttSource | OpcUaSource | ModbusSource, Field(discriminator="kind")]


class MqttSink(_MqttBroker):
    """Actions as JSON on `<topic_root>/<machine>/cmd`, QoS 1, signed (docs/connect.md)."""

    kind: Literal["mqtt"]
    topic_root: str | None = None
    client_id: str = Field(default="", description="default: one the broker assigns")
    signing_key_env: str | None = Field(
        default="JAYUL_COMMAND_KEY", description="environment variable holding the HMAC key"
    )
    signing_key_file: str | None = Field(default=None, description="file holding the HMAC key")
    key_id: str = Field(default="jayul", description="names the key, so keys can be rotated")

    def signing_key(self, base: Path) -> bytes | None:
        """The HMAC key, or None when none is configured (commands then go unsigned)."""
        if self.signing_key_file is not None:
            key = _secret(None, self.signing_key_file, "command signing key", base)
        elif self.signing_key_env is not None:
            key = os.environ.get(self.signing_key_env)
        else:
            key = None
        return key.encode() if key else None


class OpcUaMethodNode(_Strict):
    """A maintenance method of another vendor's server: called with the action's id."""

    machine: str
    object_id: str = Field(description="the object the method belongs to, e.g. ns=2;s=Press1")
    method_id: str = Field(description="the method node, e.g. ns=2;s=Press1.Service")


class OpcUaSetpointNode(_Strict):
    machine: str
    setpoint: str
    node_id: str


class OpcUaSink(_Strict):
    """Setpoint writes and maintenance method calls: on a jayul-scheme server by default, or
    on the nodes listed in `maintenance` and `setpoints`."""

    kind: Literal["opcua"]
    endpoint: str = "opc.tcp://127.0.0.1:4840"
    security: Security = Security()
    maintenance: list[OpcUaMethodNode] | None = None
    setpoints: list[OpcUaSetpointNode] | None = None


Sink = Annotated[MqttSink | OpcUaSink, Field(discriminator="kind")]


class ServerConfig(_Strict):
    """`jayul twin serve`: the twin as an OPC UA server."""

    port: int = Field(default=4840, gt=0, lt=65536)
    host: str = "0.0.0.0"
    security: Security = Security()
    speed: float = Field(default=60.0, gt=0, description="simulated seconds per wall second")
    allow_anonymous_write: bool = Field(
        default=False,
        description="let clients that did not log in write setpoints and call methods "
        "(still through the gate); off: only the configured user may",
    )


class NoData(_Strict):
    """How `jayul run` watches its inputs (jayul.connect.input_watch)."""

    periods: float = Field(default=5.0, gt=0, description="sampling periods of silence")
    signals: dict[str, float] = Field(
        default_factory=dict, description="per 'machine.signal': its own number of periods"
    )
    stop_after_s: float | None = Field(
        default=None, gt=0, description="no sample at all this long: jayul run stops (exit 4)"
    )


class OpcUaTag(_Strict):
    kind: Literal["opcua"]
    node_id: str = Field(description="e.g. ns=2;s=Press1.Status")
    source: str | None = Field(default=None, description="name of an OPC UA source")


class MqttTag(_Strict):
    kind: Literal["mqtt"]
    topic: str
    field: str | None = Field(default=None, description="JSON payloads: the field to read")
    source: str | None = Field(default=None, description="name of an MQTT source")


class ModbusTag(_Strict):
    kind: Literal["modbus"]
    address: int = Field(ge=0, lt=65536)
    type: Literal["int16", "uint16", "int32", "uint32", "float32"] = "int16"
    table: Literal["holding", "input", "coil", "discrete"] = "holding"
    scale: float = 1.0
    offset: float = 0.0
    byte_order: ByteOrder = "big"
    word_order: ByteOrder = "big"
    source: str | None = Field(default=None, description="name of a Modbus source")


Tag = Annotated[OpcUaTag | MqttTag | ModbusTag, Field(discriminator="kind")]

STATES = ("running", "idle", "setup", "maintenance", "down")
StateName = Literal["running", "idle", "setup", "maintenance", "down"]


class StateTag(_Strict):
    """A machine's state: the tag, and how the PLC's codes read (keys are the values as text:
    "3", "true", "RUN"). Without `map` the tag must hold a state's name."""

    tag: Tag
    map: dict[str, StateName] = Field(default_factory=dict)


class CounterTag(_Strict):
    """A run-hour or cycle counter. `since: commissioning` counts up for the machine's life
    (run hours since a maintenance are the difference from its value then); `since:
    maintenance` restarts at every maintenance (its value is the run hours since it)."""

    tag: Tag
    unit: Literal["hours", "minutes", "seconds", "cycles"] = "hours"
    hours_per_cycle: float | None = Field(default=None, gt=0, description="with unit cycles")
    since: Literal["commissioning", "maintenance"] = "commissioning"

    @model_validator(mode="after")
    def _cycles(self) -> CounterTag:
        if self.unit == "cycles" and self.hours_per_cycle is None:
            raise ValueError("unit cycles needs hours_per_cycle")
        return self

    def hours(self, value: float) -> float:
        """The counter's reading in hours."""
        if self.unit == "cycles":
            return value * (self.hours_per_cycle or 0.0)
        return value * {"hours": 1.0, "minutes": 1 / 60, "seconds": 1 / 3600}[self.unit]


class MachineBinding(_Strict):
    """Where a machine's state, run-hour counter and current setpoints are read."""

    machine: str
    state: StateTag | None = None
    run_hours: CounterTag | None = None
    setpoints: dict[str, Tag] = Field(default_factory=dict)


class Connect(_Strict):
    historian: str = "duckdb:///jayul.duckdb"
    buffer: str = "jayul-buffer"
    limits: Limits = Limits()
    sources: list[Source] = Field(default_factory=list)
    sinks: list[Sink] = Field(default_factory=list)
    machines: list[MachineBinding] = Field(default_factory=list)
    server: ServerConfig = ServerConfig()
    no_data: NoData = NoData()


@dataclass(frozen=True)
class Bindings:
    """A plant and its connect section, with relative paths resolved against the file."""

    plant: Plant
    connect: Connect
    path: Path

    def topic_root(self, configured: str | None) -> str:
        return configured or f"jayul/{self.plant.name}"

    def historian_url(self) -> str:
        """`connect.historian`, a relative DuckDB path taken from the plant file's folder."""
        return resolve_url(self.connect.historian, self.path.parent)

    def buffer_dir(self) -> Path:
        """`connect.buffer`, beside the plant file when relative."""
        p = Path(self.connect.buffer)
        return p if p.is_absolute() else self.path.parent / p

    def gate_db(self, buffer: Path | None = None) -> Path:
        """The gate database `jayul run` keeps (approvals, audit trail, users): gate.duckdb in
        the durable buffer's folder (`buffer`, else `connect.buffer`)."""
        return (buffer or self.buffer_dir()) / "gate.duckdb"

    def resolve(self, file: str | None) -> Path | None:
        """A path named in the file, relative to the file's folder."""
        if file is None:
            return None
        p = Path(file)
        return p if p.is_absolute() else self.path.parent / p


def _check_references(plant: Plant, connect: Connect) -> list[str]:
    problems = []
    known = {m.id: {s.id for s in plant.machine_type(m.id).signals} for m in plant.machines}
    for i, src in enumerate(connect.sources):
        refs: list[tuple[str, str, str]] = []
        if isinstance(src, ModbusSource):
            refs = [(f"registers[{j}]", r.machine, r.signal) for j, r in enumerate(src.registers)]
        elif isinstance(src, OpcUaSource) and src.nodes:
            refs = [(f"nodes[{j}]", n.machine, n.signal) for j, n in enumerate(src.nodes)]
        elif isinstance(src, MqttSource) and src.mappings:
            problems.extend(_check_mappings(known, i, src.mappings))
        for where, machine, signal in refs:
            loc = f"connect.sources[{i}].{where}"
            if machine not in known:
                problems.append(f"  - {loc}.machine: unknown machine {machine!r}")
            elif signal not in known[machine]:
                problems.append(f"  - {loc}.signal: machine {machine!r} has no signal {signal!r}")
    problems.extend(_check_machine_bindings(plant, connect))
    return problems


def _tag_problem(connect: Connect, tag: OpcUaTag | MqttTag | ModbusTag) -> str | None:
    """Why no source can serve `tag` (None when one can)."""
    kinds = {"opcua": OpcUaSource, "mqtt": MqttSource, "modbus": ModbusSource}
    wanted = kinds[tag.kind]
    same_kind = [s for s in connect.sources if isinstance(s, wanted)]
    if tag.source is not None:
        if not any(s.name == tag.source for s in same_kind):
            return f"no {tag.kind} source named {tag.source!r} in connect.sources"
    elif not same_kind:
        return f"no {tag.kind} source in connect.sources to read it from"
    return None


def _check_machine_bindings(plant: Plant, connect: Connect) -> list[str]:
    problems = []
    seen: set[str] = set()
    for i, mb in enumerate(connect.machines):
        loc = f"connect.machines[{i}]"
        if mb.machine not in {m.id for m in plant.machines}:
            problems.append(f"  - {loc}.machine: unknown machine {mb.machine!r}")
            continue
        if mb.machine in seen:
            problems.append(f"  - {loc}.machine: {mb.machine!r} is bound twice")
        seen.add(mb.machine)
        tags: list[tuple[str, OpcUaTag | MqttTag | ModbusTag]] = []
        if mb.state is not None:
            tags.append(("state.tag", mb.state.tag))
        if mb.run_hours is not None:
            tags.append(("run_hours.tag", mb.run_hours.tag))
        known = {sp.id for sp in plant.machine_type(mb.machine).setpoints}
        for sp, tag in mb.setpoints.items():
            if sp not in known:
                problems.append(f"  - {loc}.setpoints.{sp}: {mb.machine!r} has no setpoint {sp!r}")
            tags.append((f"setpoints.{sp}", tag))
        for where, tag in tags:
            why = _tag_problem(connect, tag)
            if why:
                problems.append(f"  - {loc}.{where}: {why}")
    return problems


def _check_mappings(
    known: dict[str, set[str]], i: int, mappings: list[PayloadMapping]
) -> list[str]:
    """Constant machines and the signal ids a mapping names must exist in the plant."""
    problems = []
    every = set().union(*known.values()) if known else set()
    for j, m in enumerate(mappings):
        loc = f"connect.sources[{i}].mappings[{j}]"
        machine = m.constant_machine
        if machine is not None and machine not in known:
            problems.append(f"  - {loc}.machine: unknown machine {machine!r}")
            continue
        signals = known[machine] if machine is not None else every
        named = [("rename", s) for s in m.rename.values()] + [("units", s) for s in m.units]
        named += [("signals", s) for s in m.signals or []]
        for where, signal in named:
            if signal not in signals:
                problems.append(f"  - {loc}.{where}: no machine has signal {signal!r}")
    return problems


def parse_bindings(text: str, source: Path) -> Bindings:
    """Validate a plant file with a connect section; raise `BindingsError` naming the fields."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BindingsError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise BindingsError(f"{source}: expected a mapping with 'plant:' and 'connect:' keys")
    try:
        check_sections(data, str(source))
        if "plant_file" in data:
            plant = load_plant(source.parent / str(data["plant_file"]))
        else:
            plant = parse_plant(text, str(source))
    except PlantFileError as exc:
        raise BindingsError(str(exc)) from None
    section = data.get("connect", {})
    if not isinstance(section, dict):
        raise BindingsError(f"{source}: 'connect:' must be a mapping")
    try:
        connect = Connect.model_validate(section)
    except ValidationError as exc:
        lines = [f"{source}: {exc.error_count()} problem(s) in the connect section:"]
        for err in exc.errors():
            lines.append(f"  - {_field_path(('connect', *err['loc']))}: {err['msg']}")
        raise BindingsError("\n".join(lines)) from None
    problems = _check_references(plant, connect)
    if problems:
        head = f"{source}: {len(problems)} problem(s) in the connect section:"
        raise BindingsError("\n".join([head, *problems]))
    return Bindings(plant, connect, source)


def load_bindings(path: Path | str) -> Bindings:
    """Read a plant file and its connect section."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise BindingsError(f"{p}: cannot read the plant file: {exc.strerror}") from None
    return parse_bindings(text, p)
