"""End to end in headless Chromium against a real `jayul serve`: log in, see a degrading
machine's alert with its explanation, approve the proposed maintenance, see it carried out in
the twin, the KPI change and the audit record; then the browser's CPU on a machine page with
live charts. Screenshots of every page go to build/test-artifacts/console/ (or
$JAYUL_ARTIFACTS)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jayul.bench.api.harness import (
    CHROMIUM_ARGS,
    Server,
    browser_cpu,
    call,
    chromium_path,
    eight_signal_plant,
    login,
    serve,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("JAYUL_ARTIFACTS", ROOT / "build" / "test-artifacts")) / "console"

if chromium_path() is None:
    pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)
playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
pytestmark = pytest.mark.slow  # a real server and a real browser: about a minute


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("console")
    plant = eight_signal_plant(tmp / "plant.yaml")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # One plant hour per second, proposals straight to the approval queue (no verifier: its
    # judgement is another issue's), warmed up until the autopilot asks for an approval.
    with serve(
        tmp / "plant.duckdb",
        plant,
        speed=3600.0,
        warmup_h=1500.0,
        extra=("--no-verify",),
        log=ARTIFACTS / "serve.log",
    ) as s:
        token = login(s.url, "admin", s.admin_password)
        user = {"name": "olga", "role": "operator", "password": "operator-pass-1"}
        status, body = call(s.url, "POST", "/api/users", user, token)
        assert status == 201, body
        yield s


def api(server: Server, path: str) -> Any:
    token = login(server.url, "admin", server.admin_password)
    status, body = call(server.url, "GET", path, token=token)
    assert status == 200, body
    return body


def _signed_in(
    p: Any, server: Server, user: str, password: str, shot: Any = None
) -> tuple[Any, Any, list[str]]:
    """A desktop-sized Chromium page signed in to the console (on the overview), and the list
    its page errors are collected in; `shot(page, name)` takes the sign-in form's screenshot."""
    browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server.url + "/")
    if shot is not None:
        shot(page, "00-login")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_selector(".machine-card")
    return browser, page, errors


def test_operator_approves_maintenance_end_to_end(server: Server) -> None:
    from playwright.sync_api import expect, sync_playwright

    def shot(page: Any, name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    with sync_playwright() as p:
        browser, page, errors = _signed_in(p, server, "olga", "operator-pass-1", shot)
        shot(page, "01-overview")
        assert page.locator(".machine-card").count() == 12

        pending = api(server, "/api/approvals")
        assert pending, "the warm-up stops when the autopilot asks for an approval"
        item = pending[-1]  # the oldest open request
        machine = item["machine"]
        before = api(server, "/api/kpis")["now"]["maintenances"]

        page.goto(f"{server.url}/#/alerts")
        card = page.locator(".alert-card", has_text=machine).first
        expect(card).to_be_visible()
        assert card.locator(".contrib > div").count() >= 3  # signal, share bar, figure
        assert "σ" in card.inner_text()
        shot(page, "02-alerts")

        page.goto(f"{server.url}/#/approvals")
        approval = page.locator(f'.approval[data-approval="{item["id"]}"]')
        expect(approval).to_be_visible()
        shot(page, "03-approvals")
        approval.locator("button.approve").click()
        expect(page.locator("table", has_text="olga (operator)")).to_be_visible()
        shot(page, "04-approvals-decided")

        page.goto(f"{server.url}/#/machine/{machine}")
        page.wait_for_selector("#charts canvas")
        page.wait_for_timeout(2500)
        shot(page, "05-machine")

        page.goto(f"{server.url}/#/kpis")
        tile = page.locator('[data-kpi="maintenances"] .v')
        deadline = time.monotonic() + 90
        while int(tile.inner_text().replace(",", "") or 0) <= before:
            assert time.monotonic() < deadline, "the approved maintenance never finished"
            page.wait_for_timeout(1000)
            page.reload()
            tile = page.locator('[data-kpi="maintenances"] .v')
            tile.wait_for()
        shot(page, "06-kpis")
        deadline = time.monotonic() + 30  # events reach the historian every few ticks
        while not [
            e
            for e in api(server, f"/api/events?machine={machine}&kind=maintenance_end")
            if e["kind"] == "maintenance_end"
        ]:
            assert time.monotonic() < deadline, "no maintenance_end event in the historian"
            time.sleep(1.0)

        page.goto(f"{server.url}/#/audit")
        page.fill("#f-actor", "olga")
        page.fill("#f-kind", "approval_approved")
        page.click("#filter button")
        expect(page.locator(".audit-row", has_text=machine).first).to_be_visible()
        page.click("#verify")
        expect(page.locator("#verdict")).to_contain_text("intact")
        shot(page, "07-audit")

        for name in ("plan", "autonomy", "models"):
            page.goto(f"{server.url}/#/{name}")
            page.wait_for_selector("main h1")
            page.wait_for_timeout(800)
            shot(page, f"08-{name}")
        expect(page.locator("main")).to_contain_text("No model is registered")
        page.goto(f"{server.url}/#/plan")
        expect(page.locator("#plan-na")).to_contain_text("not available yet")
        page.set_viewport_size({"width": 820, "height": 1180})  # a tablet, upright
        for name, where in (("overview", "#/"), ("machine", f"#/machine/{machine}")):
            page.goto(f"{server.url}/{where}")
            page.wait_for_timeout(1500)
            shot(page, f"10-tablet-{name}")
        assert not errors, errors
        browser.close()


def test_machine_page_with_8_live_signals_stays_under_half_a_core(server: Server) -> None:
    # The server runs at one plant hour per second: 60 rows per signal per second reach the
    # page, sixty times the 1 Hz the target names; `jayul bench api` measures at 1 Hz.
    out = browser_cpu(
        server.url,
        "admin",
        server.admin_password,
        "pump1",
        seconds=8.0,
        screenshot=ARTIFACTS / "09-machine-8-signals.png",
    )
    assert out["charts"] == 9  # 8 signals and the anomaly score
    assert out["live_from"] != out["live_to"], "the charts did not move"
    assert out["cpu_share_of_one_core"] < 0.5, out


def test_the_last_page_asked_for_wins_when_pages_load_out_of_order(server: Server) -> None:
    # The machine page waits for its signals' history; the alerts page asked for after it
    # loads first. The machine page, once its data arrive, must not draw over the alerts page.
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser, page, errors = _signed_in(p, server, "admin", server.admin_password)
        for _ in range(3):
            page.evaluate(
                """async () => {
                    location.hash = "#/machine/pump1";
                    await new Promise((done) => setTimeout(done, 20));
                    location.hash = "#/alerts";
                }"""
            )
            expect(page.locator("main h1")).to_have_text("Alerts")
            page.wait_for_timeout(2500)  # long enough for the machine page's data to arrive
            assert page.locator("main h1").all_inner_texts() == ["Alerts"]
            assert page.locator("main canvas").count() == 0
            page.evaluate('location.hash = "#/"')
            page.wait_for_selector(".machine-card")
        assert not errors, errors
        browser.close()
