"""Certificates renewed while the fleet runs: the site's and the centre's client certificates
and the server's expire, `jayul fleet rotate-certs` writes new ones signed by the same CA, and
after NATS comes back both reconnect with the new files (no restart, no signal) and nothing is
lost or stored twice. Against a real nats-server with TLS on a free port."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jayul.bench.fleet.processes import free_port, wait_port
from jayul.cli.main import app
from jayul.fleet import Centre, CentreConfig, Edge, FleetConfig, Outbox, Share, SignalSharing
from jayul.fleet.config import TlsSection
from jayul.fleet.nats_tls import client_files, rotate_fleet_tls
from jayul.fleet.stream import Link
from jayul.records import Event, EventKind, Samples

from .conftest import PG_URL, Fleet, wait_for

pytest.importorskip("nkeys", reason="the fleet extra (nkeys) is not installed")

LIFE_S = 20.0  # how long the first certificates are valid


def _nats(binary: str, conf: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.DEVNULL)
    wait_port(port)
    return proc


def test_renewed_certificates_are_taken_at_the_next_reconnect(tmp_path: Path, fleet: Fleet) -> None:
    binary = shutil.which("nats-server")
    if binary is None:
        pytest.fail("nats-server is not installed (scripts/services.sh installs it)")
    port = free_port()
    conf, tls, keys = tmp_path / "nats.conf", tmp_path / "tls", tmp_path / "keys"
    made = CliRunner().invoke(
        app,
        ["fleet", "nats-config", "plant-a", "--out", str(conf), "--urls", str(tmp_path / "urls"),
         "--port", str(port), "--store-dir", str(tmp_path / "js"), "--stream", "ROT",
         "--subject-prefix", "rot", "--tls-dir", str(tls), "--nkeys-dir", str(keys)],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    # the server's, the centre's and the site's certificates expire in LIFE_S (the CA does not)
    rotate_fleet_tls(tls, days=LIFE_S / 86400)
    expires = time.monotonic() + LIFE_S
    url = f"tls://127.0.0.1:{port}"
    centre = Centre(
        CentreConfig(
            url, PG_URL, fleet.schema, "ROT", "rot", "c",
            link=Link(client_files(tls, "centre"), keys / "centre.nk"),
        )
    )  # fmt: skip
    config = FleetConfig(
        site="plant-a", url=url, stream="ROT", subject_prefix="rot",
        share=Share(signals=SignalSharing.RAW),
        tls=TlsSection(ca="tls/ca.pem", cert="tls/plant-a.pem", key="tls/plant-a-key.pem"),
        nkey="keys/plant-a.nk",
    )  # fmt: skip
    site = Edge(config, Outbox(tmp_path / "a.sqlite"), link=config.link(tmp_path))
    nats = _nats(binary, conf, port)
    try:
        centre.start()
        wait_for(lambda: centre.stats.connected, timeout=LIFE_S / 2, what="the centre (stream)")
        site.start()
        site.offer_events([Event(time=1, kind=EventKind.ALERT)])
        # on a slow machine the first alert may miss the first certificates' life: then it
        # goes with the rest, through the same renewal (the assertions below hold either way)
        with contextlib.suppress(AssertionError):
            wait_for(lambda: centre.stats.stored == 1, timeout=max(0.0, expires - time.monotonic()))
        time.sleep(max(0.0, expires - time.monotonic()) + 1.0)  # every certificate expired
        renewed = CliRunner().invoke(app, ["fleet", "rotate-certs", "--tls-dir", str(tls)])
        assert renewed.exit_code == 0, renewed.output
        assert "centre, plant-a, server" in renewed.output
        nats.terminate()  # the links drop; the new server starts with its new certificate
        nats.wait(10)
        site.offer_samples(Samples.build([1, 2, 3], "pump1", "vib_rms", [1.0, 2.0, 3.0]))
        nats = _nats(binary, conf, port)
        site.offer_events([Event(time=2, kind=EventKind.ALERT)])
        wait_for(
            lambda: centre.stats.stored == 3,
            timeout=60,
            what=f"the rest at the centre (site: {site.status()['last_error']}, "
            f"centre: {centre.stats.last_error})",
        )
        assert site.status()["backlog"] == 0
    finally:
        site.close()
        centre.stop()
        nats.terminate()
        nats.wait(10)
    assert fleet.rows("SELECT count(*), count(DISTINCT id) FROM {s}.events") == [(2, 2)]
    assert fleet.rows("SELECT count(*) FROM {s}.samples") == [(3,)]
