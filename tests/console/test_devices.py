"""The Devices page in headless Chromium against a real `jayul run --port`: an MQTT source on a
Mosquitto of the test's own, which the test stops and starts again. The page shows the source
connected with its last data, then disconnected with the reason and the next try, then
connected again; `/api/devices` says the same. Screenshots in build/test-artifacts/console/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jayul.bench.api.harness import CHROMIUM_ARGS, call, chromium_path, free_port, login

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("JAYUL_ARTIFACTS", ROOT / "build" / "test-artifacts")) / "console"
PASSWORD = "devices-admin-pw"

# the folder conftest's fixture: wait until `jayul run` serves its console
AwaitConsole = Callable[[str, "subprocess.Popen[bytes]", Path], None]

if chromium_path() is None:
    pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="pip install playwright")
if shutil.which("mosquitto") is None or shutil.which("mosquitto_pub") is None:
    pytest.skip("needs mosquitto and mosquitto-clients", allow_module_level=True)
pytestmark = pytest.mark.slow


class Broker:
    """A Mosquitto of this test's own, on a free port, that it stops and starts."""

    def __init__(self, where: Path) -> None:
        self.port = free_port()
        self.conf = where / "mosquitto.conf"
        self.conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.conf)], stderr=subprocess.DEVNULL)
        time.sleep(0.3)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def running(tmp_path: Path, await_console: AwaitConsole) -> Iterator[tuple[str, Broker]]:
    broker = Broker(tmp_path)
    broker.start()
    plant = tmp_path / "plant.yaml"
    plant.write_text(
        f"plant_file: {ROOT / 'examples/plants/sensors-only.yaml'}\nconnect:\n"
        f"  historian: duckdb:///{tmp_path}/h.duckdb\n  buffer: {tmp_path}/buffer\n"
        f"  sources:\n    - {{kind: mqtt, port: {broker.port}, topic_root: shop}}\n"
    )
    port = free_port()
    cmd = [
        sys.executable, "-c", "from jayul.cli.main import app; app()", "run",
        "--plant", str(plant), "--port", str(port), "--tick-s", "1", "--seconds", "150",
        "--admin-password", PASSWORD,
    ]  # fmt: skip
    SHOTS.mkdir(parents=True, exist_ok=True)
    with (SHOTS / "devices-run.log").open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        await_console(url, proc, SHOTS / "devices-run.log")
        yield url, broker
    finally:
        proc.terminate()
        proc.wait(30)
        broker.stop()


def test_the_devices_page_follows_a_broker_going_away_and_back(
    running: tuple[str, Broker],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, broker = running
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url + "/")
        page.fill("#username", "admin")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("#nav a[href='#/devices']")
        page.goto(url + "/#/devices")
        source = page.locator('tr.device[data-source="connect.sources[0]"]')
        expect(source).to_have_attribute("data-state", "connected", timeout=15000)
        sample = f'{{"t": {time.time_ns()}, "v": 412.0}}'  # once subscribed, so it is kept
        pub = ["mosquitto_pub", "-p", str(broker.port), "-q", "1", "-t", "shop/p1/force"]
        subprocess.run([*pub, "-m", sample], check=True, timeout=10)
        signal = page.locator('tr[data-signal="p1.force"]')
        expect(signal.locator(".badge")).to_have_text("ok", timeout=10000)
        expect(page.locator('tr[data-signal="p2.force"] .badge')).to_have_text("never")
        # the input watch: the source's input is received, and no stop limit is set
        own_input = page.locator('tr.input[data-source="connect.sources[0]"]')
        expect(own_input).to_have_attribute("data-state", "receiving")
        expect(page.locator("#input-watch")).to_contain_text("no stop limit")
        page.screenshot(path=str(SHOTS / "devices-1-connected.png"), full_page=True)

        broker.stop()
        expect(source).to_have_attribute("data-state", "disconnected", timeout=10000)
        # the drop's reason, then the failed tries' reason
        expect(source).to_contain_text(re.compile("connection closed or lost|does not answer"))
        page.screenshot(path=str(SHOTS / "devices-2-disconnected.png"), full_page=True)
        body = _devices(url)
        assert body["connected_equipment"] is True
        assert body["sources"][0]["state"] == "disconnected"
        assert body["sources"][0]["last_seen_ns"] is not None  # kept while down

        broker.start()
        expect(source).to_have_attribute("data-state", "connected", timeout=25000)
        expect(source.locator("td.num")).to_have_text("1")  # one drop
        page.screenshot(path=str(SHOTS / "devices-3-reconnected.png"), full_page=True)
        assert not errors, errors
        browser.close()


def _devices(url: str) -> Any:
    status, body = call(url, "GET", "/api/devices", token=login(url, "admin", PASSWORD))
    assert status == 200, body
    return body
