"""The fleet's links encrypted: `jayul fleet nats-config --tls-dir --nkeys-dir` writes a CA,
certificates, NKey seeds and a nats-server configuration; a real nats-server started with it
carries a site's messages to the centre over TLS, and refuses clients that lack the CA or a
certificate of the fleet."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jayul.bench.fleet.processes import free_port, wait_port
from jayul.cli.main import app
from jayul.fleet import Centre, CentreConfig, Edge, FleetConfig, Outbox, Share, SignalSharing
from jayul.fleet.config import TlsSection
from jayul.fleet.nats_tls import TlsFiles, client_files
from jayul.fleet.stream import Link
from jayul.records import Event, EventKind, Samples

from .conftest import PG_URL, Fleet, wait_for

pytest.importorskip("nkeys", reason="the fleet extra (nkeys) is not installed")


@dataclass
class Secured:
    url: str  # tls://127.0.0.1:<port>
    tls: Path
    keys: Path


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[Secured]:
    binary = shutil.which("nats-server")
    if binary is None:
        pytest.fail("nats-server is not installed (scripts/services.sh installs it)")
    port = free_port()
    conf, tls, keys = tmp_path / "nats.conf", tmp_path / "tls", tmp_path / "keys"
    result = CliRunner().invoke(
        app,
        ["fleet", "nats-config", "plant-a", "--out", str(conf), "--urls", str(tmp_path / "urls"),
         "--port", str(port), "--store-dir", str(tmp_path / "js"), "--stream", "SEC",
         "--subject-prefix", "sec", "--tls-dir", str(tls), "--nkeys-dir", str(keys)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "password" not in conf.read_text()  # public keys only
    for secret in (conf, keys / "plant-a.nk", tls / "ca-key.pem", tls / "plant-a-key.pem"):
        assert secret.stat().st_mode & 0o077 == 0, secret
    assert f"tls://127.0.0.1:{port}" in (tmp_path / "urls").read_text()
    proc = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        yield Secured(f"tls://127.0.0.1:{port}", tls, keys)
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_site_reaches_the_centre_over_tls(secured: Secured, fleet: Fleet) -> None:
    centre_link = Link(client_files(secured.tls, "centre"), secured.keys / "centre.nk")
    centre = Centre(
        CentreConfig(secured.url, PG_URL, fleet.schema, "SEC", "sec", "c", link=centre_link)
    )
    config = FleetConfig(
        site="plant-a",
        url=secured.url,
        stream="SEC",
        subject_prefix="sec",
        share=Share(signals=SignalSharing.RAW),
        tls=TlsSection(ca="tls/ca.pem", cert="tls/plant-a.pem", key="tls/plant-a-key.pem"),
        nkey="keys/plant-a.nk",
    )
    site = Edge(config, Outbox(fleet.tmp / "a.sqlite"), link=config.link(secured.tls.parent))
    samples = Samples.build([1, 2, 3, 4, 5], "pump1", "vib_rms", [1.0, 2.0, 3.0, 4.0, 5.0])
    try:
        centre.start()
        site.start()
        site.offer_events([Event(time=1, kind=EventKind.ALERT)])
        site.offer_samples(samples)
        wait_for(lambda: centre.stats.stored == 2, what="the alert and samples at the centre")
        assert site.status()["backlog"] == 0
    finally:
        site.close()
        centre.stop()
    assert fleet.rows("SELECT site, count(*) FROM {s}.events GROUP BY site") == [("plant-a", 1)]
    assert fleet.rows("SELECT count(*) FROM {s}.samples") == [(5,)]


def _refusal(url: str, **options: object) -> BaseException:
    import nats

    async def attempt() -> BaseException:
        try:
            nc = await nats.connect(url, allow_reconnect=False, connect_timeout=3, **options)
        except BaseException as exc:  # what the client sees when the link is refused
            return exc
        await nc.close()
        raise AssertionError(f"connected to {url} with {options}")

    return asyncio.run(attempt())


def test_clients_without_the_ca_or_a_fleet_certificate_are_refused(secured: Secured) -> None:
    seed = str(secured.keys / "plant-a.nk")
    # no CA: the system's trust store does not know the fleet's CA, the client hangs up
    exc = _refusal(secured.url, nkeys_seed=seed, tls=ssl.create_default_context())
    assert "certificate verify failed" in repr(exc) or isinstance(exc, ssl.SSLError), exc
    # the CA but no client certificate: the server requires one of the fleet's
    no_cert = TlsFiles(secured.tls / "ca.pem").context()
    _refusal(secured.url, nkeys_seed=seed, tls=no_cert)
    # no TLS at all
    _refusal(secured.url.replace("tls://", "nats://"), nkeys_seed=seed)
    # with everything it connects (the refusals above were about TLS, not the key)
    import nats

    async def works() -> bool:
        ctx = client_files(secured.tls, "plant-a").context()
        nc = await nats.connect(secured.url, tls=ctx, nkeys_seed=seed, connect_timeout=3)
        ok = bool(nc.is_connected)
        await nc.close()
        return ok

    assert asyncio.run(works())


def test_a_missing_tls_file_is_named_at_start(tmp_path: Path) -> None:
    from jayul.fleet.config import FleetConfigError

    config = FleetConfig(site="plant-a", tls=TlsSection(ca="nowhere/ca.pem"))
    with pytest.raises(FleetConfigError, match=r"fleet\.tls\.ca: .*nowhere/ca\.pem"):
        config.link(tmp_path)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--tls-ca", "/nowhere/ca.pem"], "--tls-ca /nowhere/ca.pem: not a readable file"),
        (["--tls-cert", "c.pem"], "--tls-cert and --tls-key go together"),
        (["--https-cert", "c.pem"], "--https-cert and --https-key go together"),
        (["--nkey", "/nowhere/centre.nk"], "--nkey /nowhere/centre.nk: not a readable file"),
    ],
)
def test_the_centre_names_a_wrong_tls_option_at_start(args: list[str], said: str) -> None:
    result = CliRunner().invoke(app, ["fleet", "serve", "--db", PG_URL, *args])
    assert result.exit_code != 0
    assert said in " ".join(result.output.split())
