"""`RenewableTls` and `jayul fleet rotate-certs` on files alone: renewed files are loaded into
the live context, a half-written pair is refused without harm, and rotation keeps the CA, the
server's names and owner-only files."""

from __future__ import annotations

import os
import ssl
from pathlib import Path

from cryptography import x509
from typer.testing import CliRunner

from jayul.cli.main import app
from jayul.fleet.cert_renewal import RenewableTls
from jayul.fleet.nats_tls import cert_paths, client_files, make_fleet_tls, rotate_fleet_tls


def _serial(path: Path) -> int:
    return x509.load_pem_x509_certificate(path.read_bytes()).serial_number


def test_rotation_keeps_the_ca_and_the_server_names(tmp_path: Path) -> None:
    make_fleet_tls(tmp_path, ["127.0.0.1", "centre.example"], ["centre", "plant-a"])
    ca = (tmp_path / "ca.pem").read_bytes()
    before = {n: _serial(cert_paths(tmp_path, n)[0]) for n in ("server", "centre", "plant-a")}
    result = CliRunner().invoke(app, ["fleet", "rotate-certs", "--tls-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ca.pem").read_bytes() == ca
    ca_cert = x509.load_pem_x509_certificate(ca)
    for name, serial in before.items():
        cert_file, key_file = cert_paths(tmp_path, name)
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
        assert cert.serial_number != serial, name
        cert.verify_directly_issued_by(ca_cert)
        assert key_file.stat().st_mode & 0o077 == 0, key_file
        ssl.create_default_context().load_cert_chain(str(cert_file), str(key_file))  # a pair
    server = x509.load_pem_x509_certificate(cert_paths(tmp_path, "server")[0].read_bytes())
    sans = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["centre.example"]
    assert [str(a) for a in sans.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert not list(tmp_path.glob(".*.tmp"))


def test_rotation_names_what_is_missing(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["fleet", "rotate-certs", "--tls-dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "no readable fleet CA" in result.output
    make_fleet_tls(tmp_path, ["127.0.0.1"], ["centre"])
    result = CliRunner().invoke(
        app, ["fleet", "rotate-certs", "--tls-dir", str(tmp_path), "plant-z"]
    )
    assert result.exit_code != 0
    assert "no certificate and key for plant-z" in " ".join(result.output.split())


def test_a_live_context_takes_renewed_files_and_refuses_a_half_written_pair(
    tmp_path: Path,
) -> None:
    make_fleet_tls(tmp_path, ["127.0.0.1"], ["plant-a"])
    files = client_files(tmp_path, "plant-a")
    assert files.cert is not None and files.key is not None
    ctx = files.context()
    live = RenewableTls(ctx, files.cert, files.key, files.ca)
    assert not live.renew()  # nothing changed
    old_key = files.key.read_bytes()
    rotate_fleet_tls(tmp_path, ["plant-a"])
    new_cert, new_key = files.cert.read_bytes(), files.key.read_bytes()
    files.key.write_bytes(old_key)  # the new certificate with the old key: not a pair
    try:
        live.renew()
        raise AssertionError("a certificate and key that do not match were taken")
    except ssl.SSLError:
        pass
    assert not live.renew_reporting(lambda m: None)
    files.key.write_bytes(new_key)
    os.utime(files.key)
    assert live.renew()
    assert files.cert.read_bytes() == new_cert
    assert not live.renew()
