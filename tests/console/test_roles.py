"""Every console page in headless Chromium, signed in as each role: what the role sees and
what it may do (buttons present or absent, one action each where the role may act), and no
page error anywhere. Against a real `jayul serve` with alarms, an approval request, refusals
and history. Screenshots in build/test-artifacts/console/roles/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jayul.bench.api.harness import CHROMIUM_ARGS, Server, call, chromium_path, login, serve

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("JAYUL_ARTIFACTS", ROOT / "build" / "test-artifacts")) / "console"
SHOTS = SHOTS / "roles"

if chromium_path() is None:
    pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="pip install playwright")
pytestmark = pytest.mark.slow

USERS = {
    "viewer": ("vera", "viewer-pass-1"),
    "operator": ("olga", "operator-pass-1"),
    "engineer": ("erik", "engineer-pass-1"),
}
PAGES = ["#/", "#/machine/pump1", "#/alerts", "#/alarms", "#/explore?machine=pump1", "#/plan",
         "#/approvals", "#/refusals", "#/autonomy", "#/models", "#/audit", "#/kpis", "#/exports",
         "#/devices",
         "#/users"]  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("roles")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serve(tmp / "plant.duckdb", speed=600.0, warmup_h=600.0, extra=("--no-verify",),
               log=SHOTS / "serve.log") as s:  # fmt: skip
        token = login(s.url, "admin", s.admin_password)
        for role, (name, password) in USERS.items():
            user = {"name": name, "role": role, "password": password}
            status, body = call(s.url, "POST", "/api/users", user, token)
            assert status == 201, body
        yield s


def _page(p: Any, server: Server, user: str, password: str) -> tuple[Any, Any, list[str]]:
    browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: d.accept("checked in the browser test"))
    page.goto(server.url + "/")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_selector(".machine-card")
    return browser, page, errors


def _visit(page: Any, server: Server, hash_: str) -> None:
    page.goto(f"{server.url}/{hash_}")
    page.wait_for_selector("main h1, main p.error", timeout=15000)


@pytest.mark.parametrize("role", ["viewer", "operator", "engineer", "admin"])
def test_each_page_as_each_role(server: Server, role: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    user, password = USERS.get(role, ("admin", server.admin_password))
    acts = role in ("operator", "engineer")
    with sync_playwright() as p:
        browser, page, errors = _page(p, server, user, password)
        expect(page.locator("#status")).to_contain_text("simulated plant time")
        for k, hash_ in enumerate(PAGES):
            _visit(page, server, hash_)
            page.wait_for_timeout(400)
            page.screenshot(path=str(SHOTS / f"{role}-{k:02d}.png"), full_page=False)
            err = [e for e in page.locator("main p.error").all_inner_texts() if e.strip()]
            if hash_ == "#/users" and role != "admin":
                assert any("may not" in e for e in err), err  # the API refuses, the page says so
                continue
            assert not err, (hash_, err)
        assert not errors, errors

        # the Users link shows for admins only; the nav has the operating pages for everyone
        expect(page.locator("#nav-users")).to_be_visible() if role == "admin" else expect(
            page.locator("#nav-users")
        ).to_be_hidden()
        for label in ("Alarms", "History", "Refusals", "Exports"):
            expect(page.locator("nav a", has_text=label)).to_be_visible()

        _visit(page, server, "#/machine/pump1")
        assert (page.locator("#propose").count() == 1) == acts

        _visit(page, server, "#/approvals")
        page.wait_for_timeout(300)
        if acts:
            assert page.locator("#role-hint").count() == 0
            assert page.locator(".approval button.approve").count() >= 1
        else:
            expect(page.locator("#role-hint")).to_be_visible()
            assert page.locator(".approval button.approve").count() == 0

        _visit(page, server, "#/alarms")
        page.wait_for_selector("#alarms tr")
        assert page.locator(".alarm-row").count() >= 1, "the warm-up raised alarms"
        assert (page.locator(".alarm-row [data-act]").count() > 0) == acts
        assert (page.locator("#rules-import").count() == 1) == (role == "engineer")
        if role == "operator":  # acknowledge one active alarm in the browser
            button = page.locator('.alarm-row [data-act="acknowledge"]').first
            row_id = button.get_attribute("data-id")
            button.click()
            row = page.locator(f'.alarm-row[data-alarm="{row_id}"] .state')
            expect(row).to_contain_text("acknowledged by user:olga")
        if role == "engineer":  # import an alarm rule in the browser
            page.fill(
                "#rules-text", "- {id: ui-rule, kind: no_data, signal: vib_rms, after_s: 900}"
            )
            page.click("#rules-import button")
            expect(page.locator("#rules-msg")).to_contain_text("imported ui-rule")
            expect(page.locator(".rule-row", has_text="ui-rule")).to_be_visible()

        _visit(page, server, "#/exports")
        href = page.locator('.export-link[data-what="alerts"][data-format="csv"]').get_attribute(
            "href"
        )
        got = page.request.get(server.url + href)
        assert got.status == 200 and got.text().startswith("id,time,time_utc,machine")

        _visit(page, server, "#/explore?machine=pump1")
        page.wait_for_selector(".explore-chart canvas")
        expect(page.locator("#x-note")).to_contain_text("buckets")
        assert page.locator(".explore-chart").count() >= 2  # signals and the anomaly score
        assert not errors, errors
        browser.close()
