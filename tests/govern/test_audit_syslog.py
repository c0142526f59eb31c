"""Checkpoints to a syslog collector over TCP: octet-counted RFC 5424 messages, each confirmed,
and none lost while the collector is down (kept in the backlog file and sent when it is back,
also by the next process). The collector is a real TCP listener on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import socket
import ssl
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from jayul.bench.security.syslog_collector import TcpSyslogCollector
from jayul.cli.govern_cmds import govern_app
from jayul.govern.audit import AuditLog, stored_checkpoints
from jayul.govern.audit_anchor import SyslogAnchor, open_anchor
from jayul.govern.audit_backlog import backlog_path, read_backlog
from jayul.govern.audit_key import KEY_ENV, KEY_FILE_ENV, AuditKeyring
from jayul.govern.audit_proof import make_checkpoint, read_checkpoints
from jayul.govern.audit_syslog import APP_NAME, TcpSyslogAnchor
from jayul.govern.db import connect


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (KEY_ENV, KEY_FILE_ENV, "JAYUL_AUDIT_ANCHOR"):
        monkeypatch.delenv(name, raising=False)


def fill(log: AuditLog, n: int) -> None:
    for i in range(n):
        log.append(1000 * i, "gate", "action_refused", f"m{i % 3}", f"reason {i}", {"i": i})
    log.flush()


def test_checkpoints_go_as_octet_counted_rfc5424_messages(tmp_path: Path) -> None:
    collector = TcpSyslogCollector(tmp_path / "auth.log")
    try:
        log = AuditLog(
            connect(tmp_path / "plant.duckdb"), flush_every=5, checkpoint_every=10,
            anchor=f"syslog://127.0.0.1:{collector.port}",
        )  # fmt: skip
        fill(log, 25)
        assert log.anchor_error is None and log.unanchored == []
    finally:
        collector.stop()
    assert len(collector.frames) == 2
    pri_version, _stamp, _host, app, _pid, msgid, sd, msg = collector.frames[0].split(b" ", 7)
    assert (pri_version, app, msgid, sd) == (b"<38>1", APP_NAME.encode(), b"-", b"-")
    assert [c.count for c in read_checkpoints(collector.log)] == [10, 20]
    assert msg.startswith(b'{"count":10,')


def test_no_checkpoint_is_lost_while_the_collector_is_down(tmp_path: Path) -> None:
    db = tmp_path / "plant.duckdb"
    collector = TcpSyslogCollector(tmp_path / "auth.log")
    port = collector.port
    anchor = f"syslog://127.0.0.1:{port}"
    con = connect(db)
    log = AuditLog(con, flush_every=5, checkpoint_every=10, anchor=anchor)
    fill(log, 25)  # 10, 20: confirmed
    collector.stop()  # the collector goes down
    log.anchor_retry_s = 0.0  # try at every flush, so every failure is exercised
    fill(log, 30)  # 30, 40, 50: refused connections, kept
    assert [c.count for c in log.unanchored] == [30, 40, 50]
    assert log.anchor_error is not None and f"127.0.0.1:{port}" in log.anchor_error
    path = backlog_path(str(db))
    assert path is not None and [c.count for c in read_backlog(path)[0]] == [30, 40, 50]
    log.close()
    con.close()
    out = CliRunner().invoke(govern_app, ["audit", "verify", "--db", str(db)])
    assert out.exit_code == 0, out.output
    assert "3 signed checkpoint(s) not yet confirmed" in out.output
    assert "30, 40, 50" in out.output
    # the process is gone; the collector comes back; the next process sends the backlog
    collector = TcpSyslogCollector(tmp_path / "auth.log", port=port)
    try:
        con = connect(db)
        log = AuditLog(con, flush_every=5, checkpoint_every=10, anchor=anchor)
        assert log.unanchored == [] and log.anchor_error is None
        fill(log, 10)  # 60, sent at once
    finally:
        collector.stop()
    anchored = [c.count for c in read_checkpoints(collector.log)]
    stored = [c.count for c in stored_checkpoints(con)]
    assert anchored == stored == [10, 20, 30, 40, 50, 60]  # 0 lost
    assert log.verify(read_checkpoints(collector.log)).proven
    out = CliRunner().invoke(govern_app, ["audit", "verify", "--db", str(db)])
    assert "not yet confirmed" not in out.output
    con.close()


def test_a_checkpoint_committed_just_before_a_crash_is_still_sent(tmp_path: Path) -> None:
    """A crash between the commit and the backlog write: the next start finds it in the
    table, past the backlog's marker."""
    db = tmp_path / "plant.duckdb"
    collector = TcpSyslogCollector(tmp_path / "auth.log")
    anchor = f"syslog://127.0.0.1:{collector.port}"
    try:
        con = connect(db)
        fill(AuditLog(con, flush_every=5, checkpoint_every=10, anchor=anchor), 15)
        fill(AuditLog(con, flush_every=5, checkpoint_every=10, anchor=None), 10)  # 20: no send
        assert [c.count for c in stored_checkpoints(con)] == [10, 20]
        log = AuditLog(con, flush_every=5, checkpoint_every=10, anchor=anchor)
        assert log.unanchored == []
    finally:
        collector.stop()
    assert [c.count for c in read_checkpoints(collector.log)] == [10, 20]
    con.close()


def test_a_collector_that_never_confirms_keeps_the_checkpoint(tmp_path: Path) -> None:
    collector = TcpSyslogCollector(tmp_path / "auth.log", confirm=False)
    try:
        log = AuditLog(connect(tmp_path / "p.duckdb"), checkpoint_every=0, anchor=None)
        fill(log, 3)
        ring = log.keyring
        assert ring is not None
        anchor = TcpSyslogAnchor("127.0.0.1", collector.port, timeout_s=0.5)
        with pytest.raises(TimeoutError, match="did not confirm"):
            anchor.put(make_checkpoint(3, log.head, 1, ring))
    finally:
        collector.stop()


def test_udp_is_named_lossy(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        udp = open_anchor("syslog+udp://127.0.0.1:5514", None)
    assert isinstance(udp, SyslogAnchor) and "lossy" in caplog.text
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    down = open_anchor(f"syslog+udp://127.0.0.1:{port}", None)
    down.put(make_checkpoint(1, "0" * 64, 1, AuditKeyring.generate()))  # lost, and no error
    tcp = open_anchor("syslog://127.0.0.1:6514", None)
    assert isinstance(tcp, TcpSyslogAnchor) and str(tcp) == "syslog://127.0.0.1:6514"
    with pytest.raises(ValueError, match="HOST:PORT"):
        open_anchor("syslog://collector", None)
    with pytest.raises(ValueError, match="expected syslog"):
        open_anchor("syslog+quic://h:1", None)


def test_a_collector_down_delays_no_write_for_long(tmp_path: Path) -> None:
    """Refused connections fail at once; the trail goes on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    log = AuditLog(
        connect(tmp_path / "p.duckdb"), flush_every=5, checkpoint_every=10,
        anchor=f"syslog://127.0.0.1:{port}",
    )  # fmt: skip
    start = time.monotonic()
    fill(log, 25)
    assert time.monotonic() - start < 5
    assert [c.count for c in log.unanchored] == [10, 20]


def self_signed(where: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that is its own CA, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "collector")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    pem, pkey = where / "collector.pem", where / "collector.key"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pkey.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return pem, pkey


def test_checkpoints_over_tls_rfc5425(tmp_path: Path) -> None:
    pem, pkey = self_signed(tmp_path)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(pem, pkey)
    collector = TcpSyslogCollector(tmp_path / "auth.log", tls=server)
    try:
        log = AuditLog(
            connect(tmp_path / "plant.duckdb"), flush_every=5, checkpoint_every=10,
            anchor=f"syslog+tls://127.0.0.1:{collector.port}?ca={pem}",
        )  # fmt: skip
        fill(log, 25)
        assert log.anchor_error is None and log.unanchored == []
        stranger = open_anchor(f"syslog+tls://127.0.0.1:{collector.port}", None)  # system CAs
        ring = log.keyring
        assert ring is not None
        with pytest.raises(ssl.SSLError):
            stranger.put(make_checkpoint(25, log.head, 1, ring))
    finally:
        collector.stop()
    assert [c.count for c in read_checkpoints(collector.log)] == [10, 20]
