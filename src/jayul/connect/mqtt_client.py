"""One place that builds jayul's paho clients from a `connect:` entry (source or sink): MQTT
3.1.1, with the entry's username and password (from an environment variable or a file) and TLS
(a CA, optionally a client certificate; TLS 1.2 or later, the broker's host name checked)."""

from __future__ import annotations

import ssl
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from jayul.connect.bindings import BindingsError, MqttSink, MqttSource


def _path(base: Path, file: str) -> str:
    p = Path(file)
    return str(p if p.is_absolute() else base / p)


def tls_context(cfg: MqttSource | MqttSink, base: Path) -> ssl.SSLContext | None:
    """The TLS context of `cfg` (None without `tls:`); errors name the file."""
    if cfg.tls is None:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        if cfg.tls.ca is not None:
            ctx.load_verify_locations(cafile=_path(base, cfg.tls.ca))
        if cfg.tls.certificate is not None and cfg.tls.private_key is not None:
            ctx.load_cert_chain(_path(base, cfg.tls.certificate), _path(base, cfg.tls.private_key))
    except (OSError, ssl.SSLError) as exc:
        raise BindingsError(f"MQTT TLS for {cfg.host}:{cfg.port}: {exc}") from None
    return ctx


def make_client(
    cfg: MqttSource | MqttSink,
    client_id: str = "",
    *,
    clean_session: bool = True,
    manual_ack: bool = False,
    base: Path = Path("."),
) -> mqtt.Client:
    """A paho client for the broker `cfg` names, credentials and TLS set (module doc).
    `base` is the plant file's folder, against which relative file names are read."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=clean_session,
        protocol=mqtt.MQTTv311,
        manual_ack=manual_ack,
    )
    if cfg.username is not None:
        client.username_pw_set(cfg.username, cfg.password(base))
    ctx = tls_context(cfg, base)
    if ctx is not None:
        client.tls_set_context(ctx)
    return client
