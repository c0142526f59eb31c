"""TLS for the fleet's links: a private certificate authority for one fleet, a server
certificate for its nats-server (and the fleet console), and a client certificate for each
site and for the centre (`jayul fleet nats-config --tls-dir`).

The server requires and verifies a client certificate signed by the fleet's CA (mutual TLS),
and every client verifies the server's against the same CA: a client that does not hold the
CA cannot connect, and neither can one without a certificate of the fleet. Keys are ECDSA
P-256; files are written readable by their owner only.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CA_FILE = "ca.pem"
SERVER = "server"


@dataclass(frozen=True)
class TlsFiles:
    """Where a client finds the fleet's CA and, for mutual TLS, its own certificate."""

    ca: Path
    cert: Path | None = None
    key: Path | None = None

    def context(self) -> ssl.SSLContext:
        """A client context that trusts the fleet's CA only and checks the server's name."""
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(self.ca))
        if self.cert is not None:
            ctx.load_cert_chain(str(self.cert), str(self.key) if self.key else None)
        return ctx


def cert_paths(directory: Path, name: str) -> tuple[Path, Path]:
    """The certificate and key files of `name` (a site, `centre` or `server`)."""
    return directory / f"{name}.pem", directory / f"{name}-key.pem"


def client_files(directory: Path, name: str) -> TlsFiles:
    cert, key = cert_paths(directory, name)
    return TlsFiles(directory / CA_FILE, cert, key)


def make_fleet_tls(directory: Path, hosts: list[str], clients: list[str], days: int = 825) -> None:
    """Write the CA (`ca.pem`, `ca-key.pem`), the server's certificate for `hosts` (names or
    addresses it is reached at) and one client certificate a name of `clients`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jayul fleet CA")])
    ca_cert = (
        _builder(ca_name, ca_name, ca_key.public_key(), now, days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,  # key_cert_sign, crl_sign only
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write(directory / CA_FILE, _cert_pem(ca_cert))
    _write(directory / "ca-key.pem", _key_pem(ca_key))

    def issue(name: str, usage: Any, names: list[x509.GeneralName]) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        builder = (
            _builder(subject, ca_name, key.public_key(), now, days)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        cert_path, key_path = cert_paths(directory, name)
        _write(cert_path, _cert_pem(builder.sign(ca_key, hashes.SHA256())))
        _write(key_path, _key_pem(key))

    issue(SERVER, ExtendedKeyUsageOID.SERVER_AUTH, [_general_name(h) for h in hosts])
    for client in clients:
        issue(client, ExtendedKeyUsageOID.CLIENT_AUTH, [])


def tls_block(directory: Path, timeout_s: float = 5.0) -> str:
    """The nats-server `tls` block: its certificate, and client certificates of the fleet's CA
    required (`verify`)."""
    cert, key = cert_paths(directory, SERVER)
    fields = {
        "cert_file": str(cert.resolve()),
        "key_file": str(key.resolve()),
        "ca_file": str((directory / CA_FILE).resolve()),
    }
    body = ", ".join(f"{k}: {json.dumps(v)}" for k, v in fields.items())
    return f"tls: {{ {body}, verify: true, timeout: {timeout_s:g} }}"


def _builder(subject: Any, issuer: Any, public_key: Any, now: datetime.datetime, days: int) -> Any:
    from cryptography import x509

    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))  # a little clock skew
        .not_valid_after(now + datetime.timedelta(days=days))
    )


def _general_name(host: str) -> Any:
    from cryptography import x509

    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _cert_pem(cert: Any) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    return bytes(cert.public_bytes(Encoding.PEM))


def _key_pem(key: Any) -> bytes:
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    return bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))


def _write(path: Path, data: bytes) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_bytes(data)
