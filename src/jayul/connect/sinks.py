"""Action sinks: carrying out actions on real equipment, like `TwinExecutor` does on the twin.

Each sink has `execute(action) -> bool` (False when the plant declined or could not be
reached), so the autopilot and the gate use them interchangeably with the twin's executor.

- `OpcUaSink`: CHANGE_SETPOINT writes ``<machine>.setpoint.<id>``; START_MAINTENANCE calls
  ``<machine>.StartMaintenance(action)`` on a jayul-scheme server (`jayul twin serve`).
- `MqttCommandSink`: publishes the action as JSON on ``<root>/<machine>/cmd`` with QoS 1,
  HMAC-signed when a key is configured (docs/connect.md), and waits for the broker's PUBACK.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from asyncua import ua
from asyncua.client.client import Client
from asyncua.ua.uaerrors import UaStatusCodeError

from jayul.connect.bindings import MqttSink, Security
from jayul.connect.command_signing import sign_command
from jayul.connect.mqtt_client import make_client
from jayul.connect.opcua_common import (
    configure_client,
    method_id,
    namespace_uri,
    node_id,
    setpoint_id,
)
from jayul.records import Action, ActionKind

log = logging.getLogger(__name__)


class OpcUaSink:
    """Actions as OPC UA writes and method calls (one short session per action)."""

    def __init__(
        self,
        endpoint: str,
        plant_name: str,
        security: Security | None = None,
        base: Path = Path("."),
        methods: dict[str, tuple[str, str]] | None = None,
        setpoints: dict[tuple[str, str], str] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.plant_name = plant_name
        self.security = security or Security()
        self.base = base
        # explicit node ids (another vendor's address space): machine -> (object, method),
        # (machine, setpoint) -> variable; None: jayul's own scheme
        self.methods = methods
        self.setpoints = setpoints

    def execute(self, action: Action) -> bool:
        try:
            return asyncio.run(self._execute(action))
        except UaStatusCodeError as exc:  # refused by the server (e.g. outside envelope)
            log.warning("OPC UA refused %s on %s: %s", action.kind.value, action.machine, exc)
            return False
        except (OSError, TimeoutError, ConnectionError) as exc:
            log.warning("OPC UA server %s unreachable: %s", self.endpoint, exc)
            return False

    async def _execute(self, action: Action) -> bool:
        client = Client(self.endpoint, timeout=10)
        await configure_client(client, self.security, self.base)
        async with client:
            if self.methods is not None or self.setpoints is not None:
                return await self._execute_bound(client, action)
            ns = await client.get_namespace_index(namespace_uri(self.plant_name))
            if action.kind is ActionKind.CHANGE_SETPOINT:
                sp = str(action.params["setpoint"])
                node = client.get_node(node_id(setpoint_id(action.machine, sp), ns))
                await node.write_value(
                    ua.DataValue(ua.Variant(float(action.params["value"]), ua.VariantType.Double))
                )
                return True
            if action.kind is ActionKind.START_MAINTENANCE:
                machine = client.get_node(node_id(action.machine, ns))
                result = await machine.call_method(
                    node_id(method_id(action.machine, "StartMaintenance"), ns),
                    ua.Variant(str(action.params["action"]), ua.VariantType.String),
                )
                return bool(result)
        raise ValueError(f"the OPC UA sink cannot carry out {action.kind.value!r} actions")

    async def _execute_bound(self, client: Client, action: Action) -> bool:
        """On the node ids the plant file lists; an action with no node bound is declined."""
        if action.kind is ActionKind.CHANGE_SETPOINT:
            sp = str(action.params["setpoint"])
            node_id_text = (self.setpoints or {}).get((action.machine, sp))
            if node_id_text is None:
                log.warning("no OPC UA node bound for setpoint %s of %s", sp, action.machine)
                return False
            await client.get_node(node_id_text).write_value(
                ua.DataValue(ua.Variant(float(action.params["value"]), ua.VariantType.Double))
            )
            return True
        if action.kind is ActionKind.START_MAINTENANCE:
            bound = (self.methods or {}).get(action.machine)
            if bound is None:
                log.warning("no OPC UA maintenance method bound for %s", action.machine)
                return False
            result = await client.get_node(bound[0]).call_method(
                ua.NodeId.from_string(bound[1]),
                ua.Variant(str(action.params["action"]), ua.VariantType.String),
            )
            return result is None or bool(result)
        raise ValueError(f"the OPC UA sink cannot carry out {action.kind.value!r} actions")


class MqttCommandSink:
    """Actions as JSON commands on ``<root>/<machine>/cmd`` (QoS 1), HMAC-signed when a key is
    given (`jayul.connect.command_signing`)."""

    def __init__(
        self,
        host: str,
        port: int,
        topic_root: str,
        timeout_s: float = 5.0,
        *,
        config: MqttSink | None = None,
        base: Path = Path("."),
        signing_key: bytes | None = None,
        key_id: str = "jayul",
    ) -> None:
        self.topic_root = topic_root.rstrip("/")
        self.timeout_s = timeout_s
        self.signing_key = signing_key
        self.key_id = key_id
        self.connected = threading.Event()
        cfg = config or MqttSink(kind="mqtt", host=host, port=port)
        self.client = make_client(cfg, cfg.client_id, base=base)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *_a: self.connected.clear()
        self.client.connect_async(host, port)
        self.client.loop_start()

    @classmethod
    def from_config(cls, cfg: MqttSink, topic_root: str, base: Path) -> MqttCommandSink:
        """The sink a plant file's `connect.sinks[]` entry describes (credentials, TLS, key)."""
        return cls(
            cfg.host,
            cfg.port,
            topic_root,
            config=cfg,
            base=base,
            signing_key=cfg.signing_key(base),
            key_id=cfg.key_id,
        )

    def _on_connect(self, _c: mqtt.Client, _u: object, _f: object, reason: Any, _p: object) -> None:
        if reason.is_failure:
            log.warning("MQTT command sink: broker refused the connection: %s", reason)
        else:
            self.connected.set()

    def topic(self, machine: str) -> str:
        return f"{self.topic_root}/{machine}/cmd"

    def execute(self, action: Action) -> bool:
        body: dict[str, Any] = {
            "id": action.id,
            "t": action.time,
            "action": action.kind.value,
            "params": action.params,
            "origin": action.origin,
        }
        if not self.connected.wait(self.timeout_s):
            log.warning("MQTT command for %s not sent: no broker connection", action.machine)
            return False
        topic = self.topic(action.machine)
        if self.signing_key is not None:
            body["machine"] = action.machine
            payload = sign_command(self.signing_key, self.key_id, topic, body)
        else:
            payload = json.dumps(body).encode()
        info = self.client.publish(topic, payload, qos=1)
        try:
            info.wait_for_publish(self.timeout_s)
        except (RuntimeError, ValueError) as exc:
            log.warning("MQTT command for %s not sent: %s", action.machine, exc)
            return False
        return info.is_published()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
