"""MQTT source (paho-mqtt 2): subscribe to the plant's topics, buffer durably, then PUBACK.

The client keeps a persistent session (fixed client id, clean_session false), so the broker
queues QoS 1 messages while jayul is away and redelivers the ones it never acknowledged.
Acknowledgement is manual: a message's PUBACK is sent only after its entry is fsync'd in the
durable buffer (a flusher thread syncs every few milliseconds and acknowledges everything
synced: group commit). A PUBACK is never sent on a newer connection than the message came on,
since message ids are per connection. paho reconnects by itself, with backoff.

No message can stop ingestion: each one is decoded under `Intake.put_message`'s guard (any
exception dead-letters it, and it is acknowledged like any other). Should paho's network loop
or the flusher die all the same (a defect, not a message), a supervisor restarts it on a fresh
connection, up to `MAX_RESTARTS` times within `RESTART_WINDOW_S`; at the next failure it gives
up and sets `failure`, which `Ingest.failure()` reports so that `jayul run` stops with that
error instead of running on while storing nothing. So does a broker refusing the credentials.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from jayul.connect.bindings import MqttSource as MqttSourceConfig
from jayul.connect.intake import Intake
from jayul.connect.links import Link
from jayul.connect.mapping import make_parser
from jayul.connect.mqtt_client import make_client
from jayul.connect.payload import COMMAND_SUFFIX

log = logging.getLogger(__name__)
MAX_RESTARTS = 5  # failures of a thread within RESTART_WINDOW_S before giving up
RESTART_WINDOW_S = 60.0
_REFUSED_FOR_GOOD = {"Bad user name or password", "Not authorized"}


@dataclass
class MqttStats:
    messages: int = 0
    acked: int = 0
    connects: int = 0
    not_buffered: int = 0  # the buffer refused a message (I/O): left unacknowledged
    thread_restarts: int = 0


class MqttSource:
    """Feeds an `Intake` from an MQTT broker (see module doc)."""

    def __init__(
        self,
        config: MqttSourceConfig,
        topic_root: str,
        intake: Intake,
        max_message_bytes: int,
        sync_interval_s: float = 0.005,
        base: Path = Path("."),
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
        self._network: threading.Thread | None = None
        self.failure: str | None = None  # set when a thread failed too often (module doc)
        self._failures: dict[str, list[float]] = {}
        self.client = make_client(
            config, config.client_id, clean_session=False, manual_ack=True, base=base
        )
        self.client.max_inflight_messages_set(1000)
        self.client.reconnect_delay_set(1, 8)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.on_connect_fail = self._on_connect_fail
        self.link = Link("", "mqtt", f"{config.host}:{config.port}", can_go_stale=True)
        self._tries = 0  # failed connects since the last success, for paho's backoff

    def start(self) -> MqttSource:
        self._flusher = threading.Thread(
            target=self._supervise, args=("ack flusher", self._flush_loop), name="jayul-mqtt-ack"
        )
        self._flusher.daemon = True
        self._flusher.start()
        self.client.connect_async(self.config.host, self.config.port, keepalive=30)
        self._network = threading.Thread(
            target=self._supervise, args=("network loop", self._network_loop), name="jayul-mqtt"
        )
        self._network.daemon = True
        self._network.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.client.disconnect()
        if self._network is not None:
            self._network.join(30)
        with self._cond:
            self._cond.notify_all()
        if self._flusher is not None:
            self._flusher.join()
        self.intake.sync()

    # -- supervision -----------------------------------------------------------------------

    def _supervise(self, name: str, body: Callable[[], None]) -> None:
        """Run `body` until stopped; restart it when it raises (module doc)."""
        while not self._stop.is_set():
            try:
                body()
                return
            except Exception as exc:  # a defect, not a message: restart, within limits
                now = time.monotonic()
                recent = [t for t in self._failures.get(name, []) if now - t < RESTART_WINDOW_S]
                self._failures[name] = [*recent, now]
                self.stats.thread_restarts += 1
                if len(recent) + 1 > MAX_RESTARTS:
                    self.failure = (
                        f"MQTT source {self.config.host}:{self.config.port}: the {name} failed "
                        f"{len(recent) + 1} times within {RESTART_WINDOW_S:.0f} s, last with "
                        f"{type(exc).__name__}: {exc}"
                    )
                    log.error("%s; giving up", self.failure, exc_info=True)
                    return
                log.error("MQTT %s failed (%r); restarting it", name, exc, exc_info=True)
                if self._stop.wait(1.0):
                    return

    def _network_loop(self) -> None:
        if self.stats.thread_restarts:
            with suppress(OSError):  # a fresh connection: nothing half-read survives
                self.client.reconnect()  # (on failure, loop_forever retries with backoff)
        self.client.loop_forever(retry_first_connection=True)

    # -- paho callbacks (its network thread) ------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.warning("MQTT connect to %s refused: %s", self.config.host, reason)
            self._down(f"the broker refused the connection: {reason}")
            if str(reason) in _REFUSED_FOR_GOOD:  # credentials: retrying will not help
                self.failure = f"MQTT broker {self.config.host}:{self.config.port}: {reason}"
            return
        with self._cond:
            self._generation += 1
            self._pending.clear()  # ids of the old connection mean nothing now
        self.stats.connects += 1
        client.subscribe(f"{self.root}/#", qos=self.config.qos)

    def _on_subscribe(self, *_args: Any) -> None:
        self.connected.set()  # subscribed: from now on the broker keeps our messages
        self._tries = 0
        self.link.connected()

    def _down(self, why: str) -> None:
        # paho waits 1 s, doubling up to 8 s (reconnect_delay_set), between tries
        self.link.dropped(why, retry_in_s=min(2.0**self._tries, 8.0))
        self._tries += 1

    def _on_connect_fail(self, *_args: Any) -> None:
        self._down(f"the broker at {self.config.host}:{self.config.port} does not answer")

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any = None) -> None:
        self.connected.clear()
        if not self._stop.is_set():
            self._down(f"connection closed or lost (paho: {reason})")
        with self._cond:  # paho clears its outgoing queue on reconnect: no stale PUBACK leaks
            self._generation += 1
            self._pending.clear()

    def _on_message(self, client: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        self.stats.messages += 1
        self.link.seen()
        topic = msg.topic
        if not topic.endswith("/" + COMMAND_SUFFIX):
            payload = bytes(msg.payload)
            try:
                self.intake.put_message(
                    f"mqtt:{topic}", payload, lambda: self.parser.parse(topic, payload)
                )
            except Exception:  # never ack what could not be buffered; the broker resends it
                self.stats.not_buffered += 1
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
