"""MQTT authentication, TLS and signed commands against a Mosquitto of the test's own with a
password file, a plain listener and a TLS listener that requires client certificates."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as mqtt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from jayul.connect.bindings import (
    Bindings,
    BindingsError,
    Connect,
    MqttSink,
    MqttSource,
    MqttTls,
    parse_bindings,
)
from jayul.connect.broker_check import probe_queue
from jayul.connect.command_signing import CommandRejectedError, CommandVerifier, sign_command
from jayul.connect.ingest import Ingest
from jayul.connect.mqtt_client import make_client
from jayul.connect.mqtt_source import MqttSource as Source
from jayul.connect.sinks import MqttCommandSink
from jayul.plant import Plant, demo_plant_path
from jayul.records import Action, ActionKind

if TYPE_CHECKING:
    from conftest import OwnBroker

PASSWORD = "s3cret-for-the-test"


def _cert(
    name: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[x509.Name, Any] | None, ca: bool
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_name, issuer_key = issuer or (subject, key)
    now = dt.datetime.now(dt.UTC)
    b = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        b = b.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    return b.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    path.with_suffix(".pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    path.with_suffix(".key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def make_pki(where: Path) -> None:
    """ca.pem, server.pem/key (localhost, 127.0.0.1), client.pem/key, and a foreign CA."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("jayul test CA", ca_key, None, ca=True)
    _write(where / "ca", ca, ca_key)
    for name in ("server", "client"):
        key = ec.generate_private_key(ec.SECP256R1())
        _write(where / name, _cert(name, key, (ca.subject, ca_key), ca=False), key)
    other_key = ec.generate_private_key(ec.SECP256R1())
    _write(where / "other-ca", _cert("someone else", other_key, None, ca=True), other_key)


@pytest.fixture
def secure_broker(
    broker_with: Callable[[str], OwnBroker], tmp_path: Path
) -> tuple[OwnBroker, int, Path]:
    """(broker with a password listener, its TLS port, the folder with the certificates)."""
    pki = tmp_path / "pki"
    pki.mkdir()
    make_pki(pki)
    passwd = pki / "passwd"
    passwd.touch()
    subprocess.run(["mosquitto_passwd", "-b", str(passwd), "jayul", PASSWORD], check=True)
    tls_port = free_port()
    settings = (
        "per_listener_settings false\nallow_anonymous false\n"
        f"password_file {passwd}\n"
        f"listener {tls_port} 127.0.0.1\ncafile {pki / 'ca.pem'}\n"
        f"certfile {pki / 'server.pem'}\nkeyfile {pki / 'server.key'}\n"
        "require_certificate true\ntls_version tlsv1.2\n"
    )
    b = broker_with(settings)
    for _ in range(100):  # the TLS listener may come up after the plain one
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", tls_port)) == 0:
                break
        time.sleep(0.05)
    return b, tls_port, pki


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bindings_text(source: str, sink: str = "") -> str:
    return f"plant_file: {demo_plant_path()}\nconnect:\n  sources:\n    - {source}\n" + (
        f"  sinks:\n    - {sink}\n" if sink else ""
    )


def test_passwords_never_live_in_the_plant_file(tmp_path: Path) -> None:
    text = bindings_text("{kind: mqtt, username: jayul, password: hunter2}")
    with pytest.raises(BindingsError, match="passwords never live in the plant file"):
        parse_bindings(text, tmp_path / "p.yaml")
    with pytest.raises(BindingsError, match="a password needs a username"):
        parse_bindings(bindings_text("{kind: mqtt, password_env: X}"), tmp_path / "p.yaml")
    with pytest.raises(BindingsError, match="certificate and private_key go together"):
        parse_bindings(
            bindings_text("{kind: mqtt, tls: {certificate: c.pem}}"), tmp_path / "p.yaml"
        )
    b = parse_bindings(
        bindings_text(
            "{kind: mqtt, port: 8883, username: jayul, password_file: secret.txt, "
            "tls: {ca: ca.pem, certificate: c.pem, private_key: c.key}}"
        ),
        tmp_path / "p.yaml",
    )
    src = b.connect.sources[0]
    assert isinstance(src, MqttSource) and src.tls is not None and src.tls.ca == "ca.pem"
    with pytest.raises(BindingsError, match="cannot read the MQTT password"):
        src.password(tmp_path)
    (tmp_path / "secret.txt").write_text(PASSWORD + "\n")
    assert src.password(tmp_path) == PASSWORD


def test_username_and_password_from_the_environment(
    secure_broker: tuple[OwnBroker, int, Path],
    plant: Plant,
    tmp_path: Path,
    tag: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broker, _, _ = secure_broker
    monkeypatch.setenv("JAYUL_TEST_MQTT_PW", PASSWORD)
    cfg = MqttSource(
        kind="mqtt",
        port=broker.port,
        client_id=f"auth-{tag}",
        topic_root=f"sec/{tag}",
        username="jayul",
        password_env="JAYUL_TEST_MQTT_PW",
    )
    assert probe_queue(cfg, messages=10).kept == 10
    anonymous = cfg.model_copy(update={"username": None, "password_env": None})
    assert "Not authorized" in str(probe_queue(anonymous, messages=10).problem)
    monkeypatch.setenv("JAYUL_TEST_MQTT_PW", "wrong")
    b = Bindings(plant, Connect(sources=[cfg]), tmp_path / "p.yaml")
    with Ingest(b, historian=f"duckdb:///{tmp_path / 'h.duckdb'}", buffer=tmp_path / "b") as ing:
        deadline = time.monotonic() + 10
        while ing.failure() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        why = ing.failure()
    assert why is not None and "Not authorized" in why  # jayul run stops with this


def test_tls_with_client_certificates_ingests_and_signs_commands(
    secure_broker: tuple[OwnBroker, int, Path], plant: Plant, tmp_path: Path, tag: str
) -> None:
    _, tls_port, pki = secure_broker
    (pki / "pw").write_text(PASSWORD)
    tls = MqttTls(ca="ca.pem", certificate="client.pem", private_key="client.key")
    common: dict[str, Any] = {
        "kind": "mqtt",
        "host": "localhost",
        "port": tls_port,
        "username": "jayul",
        "password_file": "pw",
        "tls": tls,
    }
    src_cfg = MqttSource(**common, client_id=f"tls-{tag}", topic_root=f"sec/{tag}")
    sink_cfg = MqttSink(**common, signing_key_env=None, key_id="plant-1")
    b = Bindings(plant, Connect(sources=[src_cfg]), pki / "plant.yaml")  # files relative to it
    with Ingest(b, historian=f"duckdb:///{tmp_path / 'h.duckdb'}", buffer=tmp_path / "b") as ing:
        source = ing.sources[0]
        assert isinstance(source, Source) and source.connected.wait(10), "no TLS session"
        pub = make_client(sink_cfg, f"gateway-{tag}", base=pki)
        pub.connect("localhost", tls_port)
        pub.loop_start()
        sample = json.dumps({"t": time.time_ns(), "v": 40.0})
        pub.publish(f"sec/{tag}/pump1/flow", sample, qos=1).wait_for_publish(10)
        pub.disconnect()
        pub.loop_stop()
        deadline = time.monotonic() + 10
        while ing.intake.stats.samples < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ing.intake.stats.samples == 1

    # without a client certificate the broker refuses; with a foreign CA jayul refuses
    no_cert = src_cfg.model_copy(update={"tls": MqttTls(ca="ca.pem")})
    assert probe_queue(no_cert, messages=5, base=pki).problem is not None
    foreign = src_cfg.model_copy(update={"tls": tls.model_copy(update={"ca": "other-ca.pem"})})
    problem = probe_queue(foreign, messages=5, base=pki).problem
    assert problem is not None and "CERTIFICATE_VERIFY_FAILED" in problem

    # a signed command over TLS, checked as equipment would
    key = b"k" * 32
    received: list[tuple[str, bytes]] = []
    got = threading.Event()
    listener = make_client(sink_cfg, f"equipment-{tag}", base=pki)

    def on_message(_c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        received.append((msg.topic, bytes(msg.payload)))
        got.set()

    subscribed = threading.Event()
    listener.on_message = on_message
    listener.on_subscribe = lambda *_a: subscribed.set()
    listener.on_connect = lambda c, *_a: c.subscribe(f"sec/{tag}/+/cmd", qos=1)
    listener.connect("localhost", tls_port)
    listener.loop_start()
    assert subscribed.wait(10)
    sink = MqttCommandSink(
        "localhost",
        tls_port,
        f"sec/{tag}",
        config=sink_cfg,
        base=pki,
        signing_key=key,
        key_id="plant-1",
    )
    action = Action(
        id="a1",
        time=1,
        machine="pump1",
        kind=ActionKind.START_MAINTENANCE,
        params={"action": "bearing_service"},
        origin="test",
    )
    assert sink.execute(action)
    assert got.wait(10)
    sink.close()
    listener.disconnect()
    listener.loop_stop()
    topic, payload = received[0]
    verifier = CommandVerifier({"plant-1": key})
    command = verifier.verify(topic, payload)
    assert command["action"] == "start_maintenance" and command["machine"] == "pump1"
    with pytest.raises(CommandRejectedError, match="replayed"):
        verifier.verify(topic, payload)


def test_forged_and_tampered_commands_are_told_apart() -> None:
    key = b"0123456789abcdef0123456789abcdef"
    verifier = CommandVerifier({"k1": key}, window_s=30)
    topic = "jayul/demo/pump1/cmd"
    body = {"id": "a", "action": "change_setpoint", "params": {"setpoint": "speed", "value": 1.0}}
    now = 1_800_000_000_000
    good = sign_command(key, "k1", topic, body, now_ms=now)
    assert verifier.verify(topic, good, now_ms=now + 1000)["params"]["value"] == 1.0

    def rejected(topic: str, payload: bytes, when: int = now) -> str:
        with pytest.raises(CommandRejectedError) as info:
            verifier.verify(topic, payload, now_ms=when)
        return str(info.value)

    assert rejected(topic, json.dumps(body).encode()) == "not a signed command"
    forged = sign_command(b"not the key" * 3, "k1", topic, body, now_ms=now)
    assert rejected(topic, forged) == "bad signature"
    envelope = json.loads(sign_command(key, "k1", topic, body, now_ms=now))
    envelope["signed"] = envelope["signed"].replace('"value":1.0', '"value":99.0')
    assert rejected(topic, json.dumps(envelope).encode()) == "bad signature"
    other = sign_command(key, "k1", topic, body, now_ms=now)
    assert rejected("jayul/demo/pump2/cmd", other) == "bad signature"  # topic is signed
    stale = sign_command(key, "k1", topic, body, now_ms=now - 60_000)
    assert rejected(topic, stale) == "outside the time window"
    assert rejected(topic, sign_command(key, "k9", topic, body, now_ms=now)).startswith(
        "unknown key id"
    )
    assert rejected(topic, b"[" * 100_000) == "not a signed command"


def test_jayul_run_stops_with_a_clear_error_when_refused(
    secure_broker: tuple[OwnBroker, int, Path], tmp_path: Path, tag: str
) -> None:
    import os
    import sys

    broker, _, _ = secure_broker
    plant_file = tmp_path / "plant.yaml"
    plant_file.write_text(
        bindings_text(
            f"{{kind: mqtt, port: {broker.port}, client_id: run-{tag}, topic_root: sec/{tag}, "
            "username: jayul, password_env: JAYUL_TEST_MQTT_PW}",
            f"{{kind: mqtt, port: {broker.port}, username: jayul, password_env: "
            "JAYUL_TEST_MQTT_PW, signing_key_env: JAYUL_TEST_NO_SUCH_KEY}",
        ).replace("connect:\n", f"connect:\n  buffer: {tmp_path / 'buf'}\n")
    )
    env = {**os.environ, "JAYUL_TEST_MQTT_PW": "wrong", "COLUMNS": "300"}
    cmd = [sys.executable, "-c", "from jayul.cli.main import app; app()", "run"]
    cmd += ["--plant", str(plant_file), "--ingest-only", "--seconds", "30", "--tick-s", "0.2"]
    done = subprocess.run(cmd, env=env, capture_output=True, timeout=60)
    out = done.stdout.decode() + done.stderr.decode()
    assert done.returncode == 1, out
    assert "error: ingestion stopped: MQTT broker 127.0.0.1" in out and "Not authorized" in out
    assert "Traceback" not in out
    assert "commands to 127.0.0.1" in out and "go unsigned" in out
