"""Does the MQTT broker keep what it queues for jayul? A probe run by `jayul run` at start.

A broker acknowledges a QoS 1 message to its publisher and then queues it for each subscriber;
Mosquitto drops queued messages beyond `max_queued_messages` (default 1000) per session,
silently for the publisher. At 500 msg/s that is 2 s of jayul being away, or a burst it reads
a little slower than it arrives. The probe measures it instead of trusting a configuration file
jayul cannot read:

1. a probe client opens a persistent session, subscribes with QoS 1 and goes away;
2. a publisher sends `PROBE_MESSAGES` small QoS 1 messages to it (each acknowledged);
3. the probe client comes back without acknowledging anything: what arrives at once is the
   broker's in-flight window (`max_inflight_messages`, default 20);
4. it comes back again, acknowledging: what arrives is what the broker kept;
5. it removes its session.

`PROBE_MESSAGES` (1,100) exceeds Mosquitto's default queue limit, so the default is caught; a
limit above it passes. The shipped settings are `examples/mosquitto/jayul.conf` (also in the
package: `shipped_broker_conf()`).
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from jayul.connect.bindings import MqttSource
from jayul.connect.mqtt_client import make_client

PROBE_MESSAGES = 1_100
MIN_INFLIGHT = 100  # a smaller window caps jayul's intake (group commit: one window per fsync)
DOCUMENTED_RATE = 500.0  # msg/s, the rate docs/connect.md promises with the shipped settings


def shipped_broker_conf() -> str:
    """The Mosquitto settings jayul needs (examples/mosquitto/jayul.conf)."""
    return resources.files("jayul.connect").joinpath("mosquitto-jayul.conf").read_text()


@dataclass(frozen=True)
class QueueProbe:
    sent: int
    kept: int  # messages the broker delivered after the session came back
    inflight: int  # messages delivered before the first acknowledgement
    problem: str | None = None  # why the probe could not run


def _collect(
    cfg: MqttSource, client_id: str, topic: str, ack: bool, wait_s: float, base: Path
) -> tuple[set[bytes], str | None]:
    got: set[bytes] = set()
    connected = threading.Event()
    last = [time.monotonic()]

    def on_message(_c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        got.add(bytes(msg.payload))
        last[0] = time.monotonic()

    c = make_client(cfg, client_id, clean_session=False, manual_ack=not ack, base=base)
    refused: list[str] = []

    def on_connect(_c: mqtt.Client, _u: object, _f: object, reason: Any, _p: object) -> None:
        if reason.is_failure:
            refused.append(str(reason))
        connected.set()

    c.on_connect = on_connect
    c.on_message = on_message
    try:
        c.connect(cfg.host, cfg.port, keepalive=30)
    except OSError as exc:
        return got, f"cannot connect: {exc}"
    c.loop_start()
    try:
        if not connected.wait(10):
            return got, "no CONNACK"
        if refused:
            return got, f"connection refused: {refused[0]}"
        c.subscribe(topic, qos=1)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and time.monotonic() - last[0] < 1.0:
            time.sleep(0.05)
    finally:
        c.disconnect()
        c.loop_stop()
    return got, None


def probe_queue(
    cfg: MqttSource, messages: int = PROBE_MESSAGES, base: Path = Path(".")
) -> QueueProbe:
    """Measure what the broker of `cfg` keeps for an offline session (module doc)."""
    tag = uuid.uuid4().hex[:10]
    client_id = f"{cfg.client_id}-probe-{tag}"
    topic = f"jayul-probe/{tag}"
    _, problem = _collect(cfg, client_id, topic, ack=True, wait_s=0.2, base=base)  # 1: the session
    if problem is not None:
        return QueueProbe(messages, 0, 0, problem)
    pub = make_client(cfg, f"{client_id}-pub", clean_session=True, base=base)
    pub.max_inflight_messages_set(200)
    try:
        pub.connect(cfg.host, cfg.port)
    except OSError as exc:
        return QueueProbe(messages, 0, 0, f"cannot connect: {exc}")
    pub.loop_start()
    try:
        infos = [pub.publish(topic, str(i).encode(), qos=1) for i in range(messages)]
        for info in infos:
            info.wait_for_publish(10)
    except (RuntimeError, ValueError) as exc:  # the broker went away mid-probe: say so
        return QueueProbe(messages, 0, 0, f"the broker dropped the probe: {exc}")
    finally:
        pub.disconnect()
        pub.loop_stop()
    first, _ = _collect(cfg, client_id, topic, ack=False, wait_s=3.0, base=base)  # 3: the window
    kept, problem = _collect(cfg, client_id, topic, ack=True, wait_s=20.0, base=base)  # 4: all kept
    cleaner = make_client(cfg, client_id, clean_session=True, base=base)  # 5: drop the session
    try:
        cleaner.connect(cfg.host, cfg.port)
        cleaner.disconnect()
    except OSError:
        pass
    return QueueProbe(messages, len(kept | first), len(first), problem)


def broker_warnings(cfg: MqttSource, base: Path = Path(".")) -> list[str]:
    """Warnings about the broker of an MQTT source (empty when it keeps what it queues)."""
    where = f"MQTT broker {cfg.host}:{cfg.port}"
    probe = probe_queue(cfg, base=base)
    advice = "use the settings of examples/mosquitto/jayul.conf (docs/connect.md)"
    if probe.problem is not None:
        return [f"{where}: could not check its queue limits ({probe.problem})"]
    out = []
    if probe.kept < probe.sent:
        out.append(
            f"{where} kept only {probe.kept} of {probe.sent} QoS 1 messages queued for a "
            f"session while it was away: beyond that it drops messages meant for jayul after "
            f"acknowledging them to the publisher (max_queued_messages; at "
            f"{DOCUMENTED_RATE:.0f} msg/s that is {probe.kept / DOCUMENTED_RATE:.1f} s of "
            f"jayul being away or behind); {advice}"
        )
    if probe.inflight < min(MIN_INFLIGHT, probe.kept):
        out.append(
            f"{where} sends at most {probe.inflight} unacknowledged messages at a time "
            f"(max_inflight_messages): jayul acknowledges after each fsync, so its intake is "
            f"capped near {probe.inflight} messages per fsync; {advice}"
        )
    return out
