"""The fleet console over HTTPS (`jayul fleet serve --https-cert --https-key`): a client that
trusts the fleet's CA gets the console (its login page), plain HTTP gets nothing."""

from __future__ import annotations

import http.client
import ssl
import threading
from pathlib import Path

import pytest
from cryptography import x509

from jayul.bench.fleet.processes import free_port, wait_port
from jayul.cli.fleet_cmds import console_server
from jayul.fleet.auth import open_fleet_auth
from jayul.fleet.cert_renewal import renew_all
from jayul.fleet.nats_tls import CA_FILE, SERVER, cert_paths, make_fleet_tls, rotate_fleet_tls

from .conftest import Fleet


def test_the_console_serves_https(fleet: Fleet, tmp_path: Path) -> None:
    tls = tmp_path / "tls"
    make_fleet_tls(tls, ["127.0.0.1"], [])
    cert, key = cert_paths(tls, SERVER)
    auth = open_fleet_auth(tmp_path / "users.duckdb", admin_password="fleet-admin-pw")
    port = free_port()
    centre = fleet.centre().start()
    server = console_server(centre, auth, "127.0.0.1", port, 60.0, (cert, key))
    thread = threading.Thread(target=server.run)
    thread.start()
    try:
        wait_port(port)
        ctx = ssl.create_default_context(cafile=str(tls / CA_FILE))
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
        conn.request("GET", "/api/fleet/sites")
        assert conn.getresponse().status == 401  # over TLS, and still behind the login
        conn.close()
        plain = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        with pytest.raises((http.client.HTTPException, ConnectionError)):
            plain.request("GET", "/api/fleet/sites")
            plain.getresponse()
        untrusted = http.client.HTTPSConnection(
            "127.0.0.1", port, context=ssl.create_default_context(), timeout=10
        )
        with pytest.raises(ssl.SSLCertVerificationError):
            untrusted.request("GET", "/")
        # a renewed certificate, taken on SIGHUP (renew_all) for the next connections
        first = _served_serial(port, ctx)
        rotate_fleet_tls(tls, [SERVER])
        renew_all()
        assert _served_serial(port, ctx) != first
        assert (
            _served_serial(port, ctx)
            == x509.load_pem_x509_certificate(cert.read_bytes()).serial_number
        )
    finally:
        server.should_exit = True
        thread.join(30)
        centre.stop()


def _served_serial(port: int, ctx: ssl.SSLContext) -> int:
    """The serial number of the certificate the console presents to a new connection."""
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    try:
        conn.connect()
        assert isinstance(conn.sock, ssl.SSLSocket)
        der = conn.sock.getpeercert(binary_form=True)
        assert der is not None
        return x509.load_der_x509_certificate(der).serial_number
    finally:
        conn.close()
