"""The console of `jayul run --port` over connected equipment (an MQTT source on a Mosquitto of
the test's own), in headless Chromium: it speaks of plant time, not simulated time, and shows no
pace; the KPIs page says why the twin's KPIs are absent instead of a row of dashes; the Plan
page's activity is the machines', not the twin's; an approval names the person who proposed it
(not the console) and tells the proposer that another person decides. Screenshots in
build/test-artifacts/console/real-plant-*.png."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from jayul.bench.api.harness import CHROMIUM_ARGS, call, chromium_path, free_port, login

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("JAYUL_ARTIFACTS", ROOT / "build" / "test-artifacts")) / "console"
PASSWORD = "real-plant-admin-pw"
PLANT = """
plant:
  name: hall
  machine_types:
    extruder:
      signals:
        - {id: melt_temp, unit: degC, period_s: 1}
        - {id: motor_current, unit: A, period_s: 1}
      maintenance:
        - {id: screw_service, restores: [], duration_h: 4, crew: maintenance, cost: 0}
  machines:
    - {id: e1, type: extruder}
connect:
  historian: duckdb:///h.duckdb
  buffer: buffer
  sources:
    - {kind: mqtt, port: PORT, topic_root: hall}
"""

# the folder conftest's fixture: wait until `jayul run` serves its console
AwaitConsole = Callable[[str, "subprocess.Popen[bytes]", Path], None]

if chromium_path() is None:
    pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="pip install playwright")
if shutil.which("mosquitto") is None:
    pytest.skip("needs mosquitto", allow_module_level=True)
pytestmark = pytest.mark.slow


@pytest.fixture
def console(tmp_path: Path, await_console: AwaitConsole) -> Iterator[str]:
    broker_port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {broker_port} 127.0.0.1\nallow_anonymous true\n")
    broker = subprocess.Popen(["mosquitto", "-c", str(conf)], stderr=subprocess.DEVNULL)
    plant = tmp_path / "plant.yaml"
    plant.write_text(PLANT.replace("PORT", str(broker_port)))
    port = free_port()
    cmd = [
        sys.executable, "-c", "from jayul.cli.main import app; app()", "run",
        "--plant", str(plant), "--port", str(port), "--seconds", "150",
        "--admin-password", PASSWORD,
    ]  # fmt: skip
    SHOTS.mkdir(parents=True, exist_ok=True)
    with (SHOTS / "real-plant-run.log").open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        await_console(url, proc, SHOTS / "real-plant-run.log")
        yield url
    finally:
        proc.terminate()
        proc.wait(30)
        broker.terminate()
        broker.wait(10)


def test_the_console_of_a_real_plant_says_what_it_is(console: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    url = console
    admin = login(url, "admin", PASSWORD)
    for name, role in (("olga", "operator"), ("erik", "engineer")):
        body = {"name": name, "role": role, "password": f"{name}-password"}
        assert call(url, "POST", "/api/users", body, admin)[0] == 201
    olga = login(url, "olga", "olga-password")
    action = {"machine": "e1", "kind": "start_maintenance", "params": {"action": "screw_service"}}
    status, out = call(url, "POST", "/api/actions", action, olga)
    assert status == 200 and out["status"] == "pending", out
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url + "/")
        page.fill("#username", "olga")
        page.fill("#password", "olga-password")
        page.click("button[type=submit]")
        page.wait_for_selector("#nav a[href='#/kpis']")
        status_line = page.locator("#status")
        expect(status_line).to_contain_text("plant time")
        expect(status_line).not_to_contain_text("simulated")
        expect(status_line).not_to_contain_text("×")
        page.goto(url + "/#/kpis")
        expect(page.locator("#kpis-na")).to_contain_text("twin's ledger")
        expect(page.locator("[data-kpi=total_cost]")).to_have_count(0)
        page.screenshot(path=str(SHOTS / "real-plant-kpis.png"), full_page=True)
        page.goto(url + "/#/plan")
        expect(page.locator("#activity-title")).to_contain_text("What the machines did")
        page.goto(url + "/#/approvals")
        card = page.locator(".approval").first
        expect(card.locator(".proposer")).to_contain_text("proposed by olga (console)")
        expect(card.locator(".own")).to_contain_text("another person decides")
        page.screenshot(path=str(SHOTS / "real-plant-approvals.png"), full_page=True)
        assert not errors, errors
        browser.close()
