"""The shipped Mosquitto settings and the probe `jayul run` uses, against brokers of our own."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from jayul.connect.bindings import Bindings, Limits, MqttSource
from jayul.connect.broker_check import broker_warnings, probe_queue, shipped_broker_conf
from jayul.connect.ingest import Ingest
from jayul.historian import open_historian

if TYPE_CHECKING:
    from conftest import OwnBroker

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def default_broker(broker_with: Callable[[str], OwnBroker]) -> OwnBroker:
    return broker_with("")  # Mosquitto's defaults


@pytest.fixture
def shipped_broker(broker_with: Callable[[str], OwnBroker]) -> OwnBroker:
    return broker_with(shipped_broker_conf())


def test_the_example_is_the_shipped_file() -> None:
    assert (REPO / "examples/mosquitto/jayul.conf").read_text() == shipped_broker_conf()


def test_probe_catches_mosquittos_default_limits(default_broker: OwnBroker, tag: str) -> None:
    cfg = MqttSource(kind="mqtt", port=default_broker.port, client_id=f"p-{tag}")
    probe = probe_queue(cfg)
    assert (probe.sent, probe.kept, probe.inflight) == (1100, 1000, 20)
    warnings = broker_warnings(cfg)
    assert len(warnings) == 2
    assert "kept only 1000 of 1100" in warnings[0] and "jayul.conf" in warnings[0]
    assert "at most 20 unacknowledged" in warnings[1]


def test_a_broker_gone_mid_probe_is_a_warning_not_a_crash(
    default_broker: OwnBroker, tag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The probe's publisher loses its broker between connecting and publishing (here: its
    connect does nothing, so paho refuses every publish as not connected): `jayul run`'s
    background check used to die on paho's RuntimeError with a traceback."""
    import jayul.connect.broker_check as broker_check

    real = broker_check.make_client

    def make_client(cfg: MqttSource, client_id: str, **kw: object) -> mqtt.Client:
        client = real(cfg, client_id, **kw)  # type: ignore[arg-type]
        if client_id.endswith("-pub"):
            monkeypatch.setattr(client, "connect", lambda *a, **k: 0)
        return client

    monkeypatch.setattr(broker_check, "make_client", make_client)
    cfg = MqttSource(kind="mqtt", port=default_broker.port, client_id=f"p-{tag}")
    (warning,) = broker_warnings(cfg)
    assert "could not check its queue limits (the broker dropped the probe" in warning


def test_shipped_settings_keep_a_burst(
    shipped_broker: OwnBroker, mqtt_bindings: Callable[..., Bindings], tmp_path: Path, tag: str
) -> None:
    """No warning, and a 3000-message burst, published as fast as the broker takes it while
    jayul runs, is stored whole (Mosquitto's defaults dropped 482 of 2000 in the issue)."""
    port = shipped_broker.port
    assert broker_warnings(MqttSource(kind="mqtt", port=port, client_id=f"p-{tag}")) == []
    b = mqtt_bindings(port, Limits(max_future_s=None, max_age_s=None))
    url = f"duckdb:///{tmp_path / 'h.duckdb'}?threads=1"
    n = 3000
    with Ingest(b, historian=url, buffer=tmp_path / "buf") as ingest:
        assert ingest.sources[0].connected.wait(10)  # type: ignore[attr-defined]
        pub = mqtt.Client(CallbackAPIVersion.VERSION2)
        pub.max_inflight_messages_set(1000)
        pub.max_queued_messages_set(0)
        pub.connect("127.0.0.1", port)
        pub.loop_start()
        infos = [
            pub.publish(f"test/{tag}/pump1/flow", json.dumps({"t": 10**9 + i, "v": 40.0}), qos=1)
            for i in range(n)
        ]
        for info in infos:
            info.wait_for_publish(30)
        pub.disconnect()
        pub.loop_stop()
        deadline = time.monotonic() + 30
        while ingest.intake.stats.samples < n and time.monotonic() < deadline:
            time.sleep(0.05)
    with open_historian(url) as h:
        assert h.count_samples() == n
