"""Per-site NATS credentials against a real nats-server started with the configuration
jayul writes: a site publishes under its own name only."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from jayul.bench.fleet.processes import free_port, wait_port
from jayul.fleet import Centre, CentreConfig, Edge, FleetConfig, Outbox
from jayul.fleet.nats_auth import CENTRE_USER, new_passwords, server_config, url_for
from jayul.records import Event, EventKind

from .conftest import PG_URL, Fleet, wait_for


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    binary = shutil.which("nats-server")
    if binary is None:
        pytest.fail("nats-server is not installed (scripts/services.sh installs it)")
    port = free_port()
    passwords = new_passwords(["plant-a", "plant-b"])
    conf = tmp_path / "nats.conf"
    conf.write_text(server_config(passwords, port, tmp_path / "js", prefix="sec", stream="SEC"))
    conf.chmod(0o600)
    proc = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        yield port, passwords
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_site_publishes_only_under_its_own_name(
    secured: tuple[int, dict[str, str]], fleet: Fleet
) -> None:
    port, pw = secured
    centre_url = url_for(CENTRE_USER, pw[CENTRE_USER], "127.0.0.1", port)
    centre = Centre(CentreConfig(centre_url, PG_URL, fleet.schema, "SEC", "sec", "centre"))
    centre.start()

    def site(name: str, user: str) -> Edge:
        url = url_for(user, pw[user], "127.0.0.1", port)
        config = FleetConfig(site=name, url=url, stream="SEC", subject_prefix="sec")
        return Edge(config, Outbox(fleet.tmp / f"{name}-{user}.sqlite")).start()

    honest, impostor = site("plant-a", "plant-a"), site("plant-b", "plant-a")
    alert = [Event(time=1, kind=EventKind.ALERT)]
    try:
        wait_for(lambda: centre.stats.connected, what="the centre connected")
        honest.offer_events(alert)
        impostor.offer_events(alert)  # plant-a's credentials, plant-b's subjects
        wait_for(lambda: honest.outbox.backlog() == 0, what="plant-a's alert acknowledged")
        wait_for(lambda: centre.stats.stored == 1, what="plant-a's alert at the centre")
        wait_for(lambda: "ermission" in impostor.status()["last_error"], what="the refusal")
        assert impostor.outbox.backlog() == 1  # never acknowledged: it stays queued
    finally:
        honest.close()
        impostor.close()
        centre.stop()
    assert fleet.rows("SELECT site, count(*) FROM {s}.events GROUP BY site") == [("plant-a", 1)]


def test_a_site_cannot_delete_the_stream_or_read_other_sites(
    secured: tuple[int, dict[str, str]],
) -> None:
    import nats
    from nats.errors import TimeoutError as NatsTimeout

    port, pw = secured

    async def attempt() -> list[str]:
        errors: list[str] = []

        async def on_error(exc: Exception) -> None:
            errors.append(str(exc))

        url = url_for("plant-a", pw["plant-a"], "127.0.0.1", port)
        nc = await nats.connect(url, error_cb=on_error)
        try:
            with pytest.raises((NatsTimeout, TimeoutError)):  # refused: nobody answers
                await nc.request("$JS.API.STREAM.DELETE.SEC", b"", timeout=1)
            await nc.subscribe("sec.site.plant-b.>")
            await nc.flush()
            await asyncio.sleep(0.5)
        finally:
            await nc.close()
        return errors

    errors = asyncio.run(attempt())
    said = [e.lower() for e in errors]
    assert any("permissions violation" in e and "stream.delete" in e for e in said), errors
    assert any("permissions violation" in e and "plant-b" in e for e in said), errors
