"""The console's process view in headless Chromium over the process twin under the autopilot
(tests/server/process_state.py): the Process page shows each unit's monitor with its chart
against the control limit, the feed's diagnosis after the A feed is lost, the setpoint
change waiting for a person, and the soft sensor's prediction of the product analyser. A
screenshot goes to build/test-artifacts/console/."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jayul.bench.api.harness import CHROMIUM_ARGS, chromium_path

sys.path.insert(0, str(Path(__file__).parents[1] / "server"))
from process_state import OPERATOR, process_live_state

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("JAYUL_ARTIFACTS", ROOT / "build" / "test-artifacts")) / "console"

if chromium_path() is None:
    pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)
playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
pytest.importorskip("tep_studio", reason="the process twin needs the process extra")


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import socket

    import uvicorn

    from jayul.server import create_app

    state = process_live_state(str(tmp_path_factory.mktemp("process") / "plant.duckdb"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(create_app(state), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "the console did not start"
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(30)
    state.stop()


def test_the_process_page_shows_units_diagnosis_and_proposals(url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url + "/")
        page.fill("#username", OPERATOR[0])
        page.fill("#password", OPERATOR[1])
        page.click("button[type=submit]")
        expect(page.locator("#nav-process")).to_be_visible()  # shown for a process plant
        page.click("#nav-process")
        expect(page.locator(".unit")).to_have_count(5)
        feed = page.locator('.unit[data-unit="feed"]')
        expect(feed.locator(".diagnosis")).to_contain_text("feed_A_flow -")
        expect(feed.locator(".variables li").first).to_contain_text("feed_A_flow falling")
        expect(feed.locator(".chart canvas").first).to_be_visible()
        expect(page.locator("#proposals li")).to_have_count(1)
        expect(page.locator("#proposals li")).to_contain_text("reactor_pressure → 2,730")
        expect(page.locator("#process-ledger")).to_contain_text("kg CO₂e/m³")
        soft = page.locator("#soft-sensor")
        expect(soft.locator("table.soft-sensor tr[data-signal]")).to_have_count(5)
        g = soft.locator('tr[data-signal="stripper_underflow_G_concentration"]')
        expect(g).to_contain_text("mol%")
        expect(g.locator("td").nth(2)).to_contain_text("–")  # the interval's two ends
        expect(soft.locator(".chart canvas")).to_have_count(5)  # one chart per quantity
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "process.png"), full_page=True)
        browser.close()
    assert not errors, errors
