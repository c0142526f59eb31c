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
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CA_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
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


def make_fleet_tls(
    directory: Path, hosts: list[str], clients: list[str], days: float = 825
) -> None:
    """Write the CA (`ca.pem`, `ca-key.pem`), the server's certificate for `hosts` (names or
    addresses it is reached at) and one client certificate a name of `clients`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

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
    _write(directory / CA_KEY_FILE, _key_pem(ca_key))
    _issue(directory, ca_cert, ca_key, SERVER, hosts, days)
    for client in clients:
        _issue(directory, ca_cert, ca_key, client, [], days)


def rotate_fleet_tls(
    directory: Path, names: list[str] | None = None, hosts: list[str] | None = None,
    days: float = 825,
) -> list[str]:  # fmt: skip
    """Issue new keys and certificates, signed by the fleet's CA already in `directory`, for
    `names` (default: every certificate there but the CA's); the server keeps the names and
    addresses of its old certificate unless `hosts` are given. Each file is replaced in one
    rename, so a process reading it sees the old file or the new one, never a part. Returns
    the names renewed."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        ca_cert = x509.load_pem_x509_certificate((directory / CA_FILE).read_bytes())
        ca_key = load_pem_private_key((directory / CA_KEY_FILE).read_bytes(), None)
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"{directory}: no readable fleet CA ({CA_FILE}, {CA_KEY_FILE}): {exc}"
        ) from None
    found = sorted(
        p.name.removesuffix(".pem")
        for p in directory.glob("*.pem")
        if p.name not in (CA_FILE, CA_KEY_FILE)
        and not p.name.endswith("-key.pem")
        and cert_paths(directory, p.name.removesuffix(".pem"))[1].is_file()
    )
    wanted = names or found
    missing = [n for n in wanted if n not in found]
    if missing:
        raise ValueError(f"{directory}: no certificate and key for {', '.join(missing)}")
    for name in wanted:
        sans: list[str] = []
        if name == SERVER:
            sans = hosts or _sans(cert_paths(directory, SERVER)[0])
        _issue(directory, ca_cert, ca_key, name, sans, days)
    return wanted


def _issue(
    directory: Path, ca_cert: Any, ca_key: Any, name: str, hosts: list[str], days: float
) -> None:
    """A key and a certificate for `name` signed by the CA: the server's (for `hosts`) or a
    client's. The key is written first: a reader between the two renames finds a pair that
    does not match and keeps what it had (`RenewableTls`)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    usage = ExtendedKeyUsageOID.SERVER_AUTH if name == SERVER else ExtendedKeyUsageOID.CLIENT_AUTH
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        _builder(subject, ca_cert.subject, key.public_key(), now, days)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    if hosts:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([_general_name(h) for h in hosts]), critical=False
        )
    cert_path, key_path = cert_paths(directory, name)
    _write(key_path, _key_pem(key))
    _write(cert_path, _cert_pem(builder.sign(ca_key, hashes.SHA256())))


def _sans(cert_file: Path) -> list[str]:
    """The names and addresses a certificate is for."""
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    try:
        alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(v) for v in alt.get_values_for_type(x509.IPAddress)] + list(
        alt.get_values_for_type(x509.DNSName)
    )


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


def _builder(
    subject: Any, issuer: Any, public_key: Any, now: datetime.datetime, days: float
) -> Any:
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
    """Readable by its owner only, and replaced in one rename (never seen half written)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
