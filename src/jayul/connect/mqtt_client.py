"""One place that builds jayul's paho clients from a `connect:` entry (source or sink)."""

from __future__ import annotations

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from jayul.connect.bindings import MqttSink, MqttSource


def make_client(
    cfg: MqttSource | MqttSink,
    client_id: str = "",
    *,
    clean_session: bool = True,
    manual_ack: bool = False,
) -> mqtt.Client:
    """A paho client (MQTT 3.1.1) for the broker `cfg` names."""
    return mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=clean_session,
        protocol=mqtt.MQTTv311,
        manual_ack=manual_ack,
    )
