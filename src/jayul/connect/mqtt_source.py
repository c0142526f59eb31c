"""MQTT source (paho-mqtt 2): subscribe to the plant's topics, buffer durably, then PUBACK.

The client keeps a persistent session (fixed client id, clean_session false), so the broker
queues QoS 1 messages while jayul is away and redelivers the ones it never acknowledged.
Acknowledgement is manual: a message's PUBACK is sent only after its entry is fsync'd in the
durable buffer (a flusher thread syncs every few milliseconds and acknowledges everything
synced: group commit). A PUBACK is never sent on a newer connection than the message came on,
since message ids are per connection. paho reconnects by itself, with backoff.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from jayul.connect.bindings import MqttSource as MqttSourceConfig
from jayul.connect.intake import Intake
from jayul.connect.mapping import make_parser
from jayul.connect.payload import COMMAND_SUFFIX

log = logging.getLogger(__name__)


@dataclass
class MqttStats:
    messages: int = 0
    acked: int = 0
    connects: int = 0


class MqttSource:
    """Feeds an `Intake` from an MQTT broker (see module doc)."""

    def __init__(
        self,
        config: MqttSourceConfig,
        topic_root: str,
        intake: Intake,
        max_message_bytes: int,
        sync_interval_s: float = 0.005,
    ) -> None:
        self.config = config
        self.root = topic_root.rstrip("/")
        self.intake = intake
        self.parser = make_parser(config.format, config.mappings, self.root, max_message_bytes)
        self.sync_interval_s = sync_interval_s
        self.stats = MqttStats()
        self.connected = threading.Event()
        self._pending: list[tuple[int, int]] = []  # (connection generation, message id)
        self._generation = 0
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=config.client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        self.client.max_inflight_messages_set(1000)
        self.client.reconnect_delay_set(1, 8)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe

    def start(self) -> MqttSource:
        self._flusher = threading.Thread(target=self._flush_loop, name="jayul-mqtt-ack")
        self._flusher.daemon = True
        self._flusher.start()
        self.client.connect_async(self.config.host, self.config.port, keepalive=30)
        self.client.loop_start()
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._flusher is not None:
            self._flusher.join()
        self.intake.sync()

    # -- paho callbacks (its network thread) ------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.warning("MQTT connect to %s refused: %s", self.config.host, reason)
            return
        with self._cond:
            self._generation += 1
            self._pending.clear()  # ids of the old connection mean nothing now
        self.stats.connects += 1
        client.subscribe(f"{self.root}/#", qos=self.config.qos)

    def _on_subscribe(self, *_args: Any) -> None:
        self.connected.set()  # subscribed: from now on the broker keeps our messages

    def _on_disconnect(self, *_args: Any) -> None:
        self.connected.clear()
        with self._cond:  # paho clears its outgoing queue on reconnect: no stale PUBACK leaks
            self._generation += 1
            self._pending.clear()

    def _on_message(self, client: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        self.stats.messages += 1
        if not msg.topic.endswith("/" + COMMAND_SUFFIX):
            candidates, dead = self.parser.parse(msg.topic, bytes(msg.payload))
            try:
                self.intake.put(candidates, dead, f"mqtt:{msg.topic}")
            except Exception:  # never ack what could not be buffered; the broker resends it
                log.exception("buffering an MQTT message failed")
                return
        if msg.qos > 0:
            with self._cond:
                self._pending.append((self._generation, msg.mid))
                self._cond.notify()

    # -- group commit ----------------------------------------------------------------------

    def _flush_loop(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                if not self._pending:
                    self._cond.wait(0.1)
                    if not self._pending:
                        continue
            time.sleep(self.sync_interval_s)  # let a few more messages join this fsync
            with self._cond:
                batch, self._pending = self._pending, []
                generation = self._generation
            self.intake.sync()
            with self._cond:  # holds off a generation change while the PUBACKs are queued
                for gen, mid in batch:
                    if gen == generation == self._generation:
                        self.client.ack(mid, 1)
                        self.stats.acked += 1
